"""Migration 0014 on a store written by the code before it (schema 0013): further phones
and e-mails stored with their key alone get their forms from their record's raw row.
Real SQLite file and real PostgreSQL."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import create_engine, select, text

from cx360.store import Store, utcnow
from cx360.store._engine import _alembic_config
from cx360.store._schema import record_identifiers, records

_RAW = {"source": "crm", "source_record_id": "C-1", "country": "CO",
        "phone": "300 123 4567 / 601 234 5678", "email": "v.arango@proton.me",
        "email_2": "Vale.Arango@Fastmail.com"}  # fmt: skip
# (kind, position, key) as schema 0013 stored them; the last no longer read from raw
_OLD_IDENTIFIERS = [
    ("phone", 2, "+576012345678"),
    ("email", 2, "vale.arango@fastmail.com"),
    ("email", 3, "gone@fastmail.com"),
]


def test_upgrade_from_0013_backfills_the_forms(store_url: str) -> None:
    engine = create_engine(store_url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0013")
            conn.execute(
                text(
                    "INSERT INTO records (source, source_record_id, country, version, "
                    "content_hash, raw, phone_key, email_key, ingested_at, updated_at) VALUES "
                    "('crm', 'C-1', 'CO', 1, 'h', :raw, '+573001234567', 'v.arango@proton.me', "
                    ":now, :now)"
                ),
                {"raw": json.dumps(_RAW), "now": utcnow()},
            )
            record_id = conn.execute(text("SELECT id FROM records")).scalar_one()
            for kind, position, key in _OLD_IDENTIFIERS:
                conn.execute(
                    text(
                        "INSERT INTO record_identifiers (record_id, kind, key, position) "
                        "VALUES (:id, :kind, :key, :position)"
                    ),
                    {"id": record_id, "kind": kind, "key": key, "position": position},
                )
    finally:
        engine.dispose()
    store = Store.open(store_url)
    try:
        assert store.revision >= "0014"
        ids = record_identifiers.c
        with store.connection() as conn:
            held = conn.execute(
                select(ids.kind, ids.position, ids.key, ids.display, ids.phone_kind)
                .join(records, records.c.id == ids.record_id)
                .order_by(ids.kind, ids.position)
            ).all()
    finally:
        store.close()
    assert [tuple(row) for row in held] == [
        ("email", 2, "vale.arango@fastmail.com", "Vale.Arango@fastmail.com", None),
        ("email", 3, "gone@fastmail.com", None, None),
        ("phone", 2, "+576012345678", "+576012345678", "fixed_line"),
    ]
