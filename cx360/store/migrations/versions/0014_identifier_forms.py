"""The forms of a record's further phones and e-mails: `record_identifiers.display` (a
phone's E.164 form, an e-mail as written) and `record_identifiers.phone_kind` (mobile,
fixed line, ...), what `records.phone_e164` / `email_display` / `phone_kind` keep of the
first value, so that profiles show a further value as they show the first and prefer a
mobile among all of a customer's phones.

Rows stored before this revision have only their key: their record's raw row is read
again, as ingest reads it now, and each row whose key the reading gives again takes that
value's forms. A row whose key the reading no longer gives keeps its forms unknown.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("record_identifiers", sa.Column("display", sa.String(320)))
    op.add_column("record_identifiers", sa.Column("phone_kind", sa.String(24)))
    _backfill(op.get_bind())


_RECORDS = sa.table(
    "records",
    sa.column("id", sa.Integer),
    sa.column("source", sa.String),
    sa.column("source_record_id", sa.String),
    sa.column("country", sa.String),
    sa.column("raw", sa.JSON),
)
_IDENTIFIERS = sa.table(
    "record_identifiers",
    sa.column("record_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("key", sa.String),
    sa.column("display", sa.String),
    sa.column("phone_kind", sa.String),
)
_PART = 1_000


def _backfill(conn: sa.Connection) -> None:
    """The forms of the further identifiers already stored, from their records' raw rows."""
    from cx360.ingest._prepare import Quarantined, prepare_record
    from cx360.store._writes import identifiers_with_forms

    r, i = _RECORDS.c, _IDENTIFIERS.c
    holders = sa.select(i.record_id).distinct().scalar_subquery()
    rows = conn.execute(
        sa.select(r.id, r.source, r.source_record_id, r.country, r.raw).where(r.id.in_(holders))
    ).all()
    forms: list[dict[str, Any]] = []
    for record_id, source, key, country, raw in rows:
        given = {**(raw if isinstance(raw, dict) else {}), "source": source,
                 "source_record_id": key}  # fmt: skip
        prepared = prepare_record(given, None, {source: country} if country else {}, strict=False)
        if isinstance(prepared, Quarantined):
            continue
        for kind, value, display, phone_kind in identifiers_with_forms(prepared):
            forms.append({"b_record_id": record_id, "b_kind": kind, "b_key": value,
                          "b_display": display, "b_phone_kind": phone_kind})  # fmt: skip
    update = (
        sa.update(_IDENTIFIERS)
        .where(
            i.record_id == sa.bindparam("b_record_id"),
            i.kind == sa.bindparam("b_kind"),
            i.key == sa.bindparam("b_key"),
        )
        .values(display=sa.bindparam("b_display"), phone_kind=sa.bindparam("b_phone_kind"))
    )
    for start in range(0, len(forms), _PART):
        conn.execute(update, forms[start : start + _PART])


def downgrade() -> None:
    op.drop_column("record_identifiers", "phone_kind")
    op.drop_column("record_identifiers", "display")
