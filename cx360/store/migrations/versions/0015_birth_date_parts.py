"""What a birth date that does not exist says: `records.birth_date_parts`.

An impossible or out-of-range birth date (``1949-15-25``, ``9185-10-14``) is stored as
no date (`records.birth_date` NULL, the issue in `records.issues`); when two of its three
parts are valid, `birth_date_parts` keeps it as written, ``YYYY-MM-DD``
(`cx360.normalize.dates.NormalizedDate.parts`), for the birth-date comparison.

Records stored before this revision flagged such dates `date_of_birth:impossible` or
`date_of_birth:out_of_range`: those records (only they can have parts) are read again
from their raw row, as ingest reads it now.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_RECORDS = sa.table(
    "records",
    sa.column("id", sa.Integer),
    sa.column("source", sa.String),
    sa.column("source_record_id", sa.String),
    sa.column("country", sa.String),
    sa.column("raw", sa.JSON),
    sa.column("issues", sa.Text),
    sa.column("birth_date_parts", sa.String),
)


def upgrade() -> None:
    op.add_column("records", sa.Column("birth_date_parts", sa.String(10)))
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    """The parts of the birth dates flagged impossible or out of range."""
    from cx360.ingest._prepare import Quarantined, prepare_record

    r = _RECORDS.c
    flagged = sa.or_(
        r.issues.like("%date_of_birth:impossible%"), r.issues.like("%date_of_birth:out_of_range%")
    )
    rows = conn.execute(
        sa.select(r.id, r.source, r.source_record_id, r.country, r.raw).where(flagged)
    ).all()
    parts: list[dict[str, Any]] = []
    for record_id, source, key, country, raw in rows:
        given = {**(raw if isinstance(raw, dict) else {}), "source": source,
                 "source_record_id": key}  # fmt: skip
        prepared = prepare_record(given, None, {source: country} if country else {}, strict=False)
        if not isinstance(prepared, Quarantined) and prepared["birth_date_parts"] is not None:
            parts.append({"b_id": record_id, "b_parts": prepared["birth_date_parts"]})
    if parts:
        conn.execute(
            sa.update(_RECORDS)
            .where(r.id == sa.bindparam("b_id"))
            .values(birth_date_parts=sa.bindparam("b_parts")),
            parts,
        )


def downgrade() -> None:
    op.drop_column("records", "birth_date_parts")
