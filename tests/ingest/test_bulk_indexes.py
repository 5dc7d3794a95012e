"""A bulk load keeps the partial lookup indexes that its rows barely fill, drops the others
after its first transaction, and ends with every index as the migrations define it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from cx360.ingest import _pipeline
from cx360.ingest._pipeline import Row, ingest_rows
from cx360.store import Store
from cx360.store._schema import records
from cx360.store._store import index_names, secondary_indexes

ROWS = 600
# what the first rows hold: a handle in one of a hundred, a national ID in every other
NATIONAL_ID_INDEXES = {
    "ix_records_national_id_key",
    *(f"ix_records_national_id_mask_{part}" for part in range(3)),
}
KEPT = {  # and no address
    "ix_records_address_prefix",
    "ix_records_handle_key",
    "ix_records_declared_key",
    "ix_records_postcode_key_birth_date",
    "ix_records_postcode_key_surname_key",
}


def _record(number: int) -> dict[str, Any]:
    return {
        "source": "web",
        "source_record_id": f"w{number}",
        "observed_at": "2026-03-01T10:00:00Z",
        "first_name": "Lucía",
        "last_name": f"Prueba{number % 37}",
        "email": f"lucia.rios{number}@gmail.com",
        "phone": f"300{number:07d}",
        "national_id": f"{10_000_000 + number}" if number % 2 else "",
        "date_of_birth": "1990-01-01",
        "country": "CO",
        "handle": f"lucia{number}" if number % 100 == 7 else "",
    }


def _definitions(store: Store) -> dict[str, str]:
    """Every index of the store's tables and its definition."""
    with store.connection() as conn:
        if store.dialect == "sqlite":
            query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        else:
            query = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        return {str(name): str(sql) for name, sql in conn.execute(text(query))}


def _present(store: Store) -> set[str]:
    with store.connection() as conn:
        return {name for name in index_names(conn, records) if name.startswith("ix_")}


def test_a_bulk_load_keeps_the_partial_indexes_its_rows_barely_fill(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_pipeline, "CHUNK_ROWS", 50)
    monkeypatch.setattr(_pipeline, "TRANSACTION_ROWS", 200)  # three transactions
    migrated = _definitions(store)
    during: list[set[str]] = []

    def rows() -> Iterator[Row]:
        for number in range(1, ROWS + 1):
            if number == 450:  # read after the first two transactions are written
                during.append(_present(store))
            yield number, _record(number)

    report = ingest_rows(store, "records", rows(), defer_indexes=True)

    assert (report.inserted, report.quarantined) == (ROWS, 0)
    lookup = {str(index.name) for index in secondary_indexes(records)}
    assert lookup >= KEPT | NATIONAL_ID_INDEXES
    # while loading: the partial indexes over almost none of the first rows, no other
    assert during == [KEPT]
    # afterwards: every index back, defined exactly as the migrations define it
    assert _definitions(store) == migrated
    assert _present(store) == lookup


def test_the_indexes_kept_during_a_bulk_load_hold_every_row_that_has_the_key(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kept index was maintained row by row: it finds rows of later transactions."""
    monkeypatch.setattr(_pipeline, "CHUNK_ROWS", 50)
    monkeypatch.setattr(_pipeline, "TRANSACTION_ROWS", 200)
    ingest_rows(store, "records", ((n, _record(n)) for n in range(1, ROWS + 1)), defer_indexes=True)
    with store.connection() as conn:
        query = "SELECT source_record_id FROM records WHERE handle_key IS NOT NULL ORDER BY id"
        handles = [row[0] for row in conn.execute(text(query))]
    assert handles == [f"w{n}" for n in range(1, ROWS + 1) if n % 100 == 7]
