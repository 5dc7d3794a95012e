"""Migration 0011 on a store written by the code before it (schema 0010): the records that
kept only their first phone or e-mail and flagged the others get their further
identifiers and the issues a new ingest gives; the others are untouched. Real SQLite file
and real PostgreSQL."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import create_engine, select, text

from cx360.store import Store, utcnow
from cx360.store._engine import _alembic_config
from cx360.store._schema import record_identifiers, records

_OLD_ROWS = [
    # (source_record_id, raw, phone_key, email_key, issues) as schema 0010's ingest stored them
    (
        "C-1",
        {"source": "crm", "source_record_id": "C-1", "phone": "300 123 4567 / 310 555 1234",
         "email": "v.arango@proton.me", "email_2": "vale.arango@fastmail.com", "country": "CO"},
        "+573001234567", "v.arango@proton.me", "email:extra_values phone:extra_values",
    ),
    (
        "C-2",
        {"source": "crm", "source_record_id": "C-2", "phone": "315 000 1122 / 12",
         "country": "CO"},
        "+573150001122", None, "phone:extra_values",
    ),
    (
        "C-3",
        {"source": "crm", "source_record_id": "C-3", "phone": "316 000 3344", "country": "CO"},
        "+573160003344", None, None,
    ),
]  # fmt: skip


def test_upgrade_from_0010_backfills_flagged_records(store_url: str) -> None:
    engine = create_engine(store_url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0010")
            now = utcnow()
            for key, raw, phone, email, issues in _OLD_ROWS:
                conn.execute(
                    text(
                        "INSERT INTO records (source, source_record_id, country, version, "
                        "content_hash, raw, phone_key, email_key, issues, ingested_at, "
                        "updated_at) VALUES ('crm', :key, 'CO', 1, 'h', :raw, :phone, :email, "
                        ":issues, :now, :now)"
                    ),
                    {"key": key, "raw": json.dumps(raw), "phone": phone, "email": email,
                     "issues": issues, "now": now},
                )  # fmt: skip
    finally:
        engine.dispose()
    store = Store.open(store_url)
    try:
        assert store.revision >= "0011"
        with store.connection() as conn:
            held = conn.execute(
                select(
                    records.c.source_record_id,
                    record_identifiers.c.kind,
                    record_identifiers.c.position,
                    record_identifiers.c.key,
                ).join(records, records.c.id == record_identifiers.c.record_id)
            ).all()
            issues = dict(conn.execute(select(records.c.source_record_id, records.c.issues)).all())
    finally:
        store.close()
    assert sorted(tuple(row) for row in held) == [
        ("C-1", "email", 2, "vale.arango@fastmail.com"),
        ("C-1", "phone", 2, "+573105551234"),
    ]
    # a valid second value is no issue any more; "12" still is
    assert issues == {"C-1": None, "C-2": "phone:extra_values", "C-3": None}
