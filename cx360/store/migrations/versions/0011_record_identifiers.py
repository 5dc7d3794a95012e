"""Several phones and e-mails per record: `record_identifiers`.

- one row per phone or e-mail of a record beyond the first (the first stays in
  `records.phone_key` / `records.email_key`): `kind` ('phone' | 'email'), `key` (the match
  key, normalized as the records' columns), `position` (2, 3, ... in the record's order);
- primary key (record_id, kind, position); rows go with their record (ON DELETE CASCADE);
- an index on (kind, key) for lookups and candidate searches by any of a record's values.

Records stored before this revision kept only their first phone and e-mail and flagged
the others `phone:extra_values` / `email:extra_values`: those records (only they can have
further values) are read again from their raw row, as ingest reads it now, and get their
rows and their issues as a new ingest would give them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "record_identifiers",
        sa.Column(
            "record_id",
            _ID,
            sa.ForeignKey(
                "records.id", ondelete="CASCADE", name="fk_record_identifiers_record_id_records"
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(320), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("record_id", "kind", "position", name="pk_record_identifiers"),
    )
    op.create_index("ix_record_identifiers_kind_key", "record_identifiers", ["kind", "key"])
    _backfill(op.get_bind())


_RECORDS = sa.table(
    "records",
    sa.column("id", sa.Integer),
    sa.column("source", sa.String),
    sa.column("source_record_id", sa.String),
    sa.column("country", sa.String),
    sa.column("raw", sa.JSON),
    sa.column("issues", sa.Text),
)
_IDENTIFIERS = sa.table(
    "record_identifiers",
    sa.column("record_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("key", sa.String),
    sa.column("position", sa.Integer),
)
_PART = 1_000


def _backfill(conn: sa.Connection) -> None:
    """The further phones and e-mails of the records flagged as holding some."""
    from cx360.ingest._prepare import Quarantined, prepare_record
    from cx360.store._writes import EXTRA_IDENTIFIERS, identifier_rows

    r = _RECORDS.c
    flagged = sa.or_(r.issues.like("%phone:extra_values%"), r.issues.like("%email:extra_values%"))
    rows = conn.execute(
        sa.select(r.id, r.source, r.source_record_id, r.country, r.raw).where(flagged)
    ).all()
    identifiers: list[dict[str, Any]] = []
    issues: list[dict[str, Any]] = []
    for record_id, source, key, country, raw in rows:
        given = {**(raw if isinstance(raw, dict) else {}), "source": source,
                 "source_record_id": key}  # fmt: skip
        prepared = prepare_record(given, None, {source: country} if country else {}, strict=False)
        if isinstance(prepared, Quarantined):
            continue
        identifiers += identifier_rows(record_id, prepared[EXTRA_IDENTIFIERS])
        issues.append({"b_id": record_id, "b_issues": prepared["issues"]})
    for start in range(0, len(identifiers), _PART):
        conn.execute(sa.insert(_IDENTIFIERS), identifiers[start : start + _PART])
    if issues:
        conn.execute(
            sa.update(_RECORDS)
            .where(r.id == sa.bindparam("b_id"))
            .values(issues=sa.bindparam("b_issues")),
            issues,
        )


def downgrade() -> None:
    op.drop_index("ix_record_identifiers_kind_key", table_name="record_identifiers")
    op.drop_table("record_identifiers")
