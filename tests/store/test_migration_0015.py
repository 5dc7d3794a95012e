"""Migration 0015 on a store written at schema 0013 (upgraded through 0014): the records
whose birth date was flagged impossible or out of range get `birth_date_parts` read again
from their raw row; the others keep none. Real SQLite file and real PostgreSQL."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import create_engine, select, text

from cx360.store import Store, utcnow
from cx360.store._engine import _alembic_config
from cx360.store._schema import records

_OLD_ROWS = [
    # (source_record_id, date_of_birth as given, birth_date, issues) as schema 0013 stored them
    ("P-1", "1949-15-25", None, "date_of_birth:impossible"),
    ("P-2", "9185-10-14", None, "date_of_birth:out_of_range"),
    ("P-3", "1949-15-45", None, "date_of_birth:impossible"),  # one valid part only
    ("P-4", "1949-05-25", "1949-05-25", None),
    ("P-5", "pronto", None, "date_of_birth:unparseable"),
]


def test_upgrade_from_0013_backfills_flagged_birth_dates(store_url: str) -> None:
    engine = create_engine(store_url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0013")
            now = utcnow()
            for key, written, birth_date, issues in _OLD_ROWS:
                raw = {"source": "crm", "source_record_id": key, "full_name": "Ana Vidal",
                       "date_of_birth": written, "country": "DE"}  # fmt: skip
                conn.execute(
                    text(
                        "INSERT INTO records (source, source_record_id, country, version, "
                        "content_hash, raw, birth_date, issues, ingested_at, updated_at) "
                        "VALUES ('crm', :key, 'DE', 1, 'h', :raw, :birth_date, :issues, "
                        ":now, :now)"
                    ),
                    {"key": key, "raw": json.dumps(raw), "birth_date": birth_date,
                     "issues": issues, "now": now},
                )  # fmt: skip
    finally:
        engine.dispose()
    store = Store.open(store_url)
    try:
        assert store.revision >= "0015"
        with store.connection() as conn:
            stored = conn.execute(
                select(
                    records.c.source_record_id,
                    records.c.birth_date,
                    records.c.birth_date_parts,
                    records.c.issues,
                )
            ).all()
    finally:
        store.close()
    assert sorted(tuple(row) for row in stored) == [
        ("P-1", None, "1949-15-25", "date_of_birth:impossible"),
        ("P-2", None, "9185-10-14", "date_of_birth:out_of_range"),
        ("P-3", None, None, "date_of_birth:impossible"),
        ("P-4", "1949-05-25", None, None),
        ("P-5", None, None, "date_of_birth:unparseable"),
    ]
