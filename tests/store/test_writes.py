"""The bulk write path (`insert_prepared`): executemany on SQLite, COPY through a staging
table on PostgreSQL; both must insert, skip and count alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from cx360 import StoreError
from cx360.ingest._prepare import prepare_record_values
from cx360.store import Store, utcnow
from cx360.store._schema import record_versions, records
from cx360.store._writes import RECORDS, PreparedCodec, insert_prepared, start_batch


def _rows(codec: PreparedCodec, ids: range, name: str = "Ana") -> list[tuple[Any, ...]]:
    out = []
    for i in ids:
        values = prepare_record_values(
            {
                "source": "web",
                "source_record_id": f"r{i}",
                "observed_at": "2026-01-01T00:00:00Z",
                "full_name": f"{name} Pérez",
                "phone": f"300 555 {i:04d}",
                "email": f"ana{i}@example.org",
                "country": "CO",
                "extra": 'a "quoted"\ttab\nnewline \\ backslash',
            },
            i,
        )
        assert isinstance(values, tuple)
        out.append(codec.encode_values(values))
    return out


def _stored(store: Store) -> list[tuple[Any, ...]]:
    with store.connection() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                select(
                    records.c.id,
                    records.c.source_record_id,
                    records.c.version,
                    records.c.given_names,
                    records.c.raw,
                    records.c.observed_at,
                    records.c.phone_key,
                ).order_by(records.c.id)
            )
        ]


def test_insert_prepared_inserts_skips_and_counts(store: Store) -> None:
    codec = PreparedCodec(RECORDS, store.strategy.compact_rows)
    with store.transaction() as conn:
        batch = start_batch(conn, kind="records", origin=None, now=utcnow())
        counts = insert_prepared(
            conn, store.strategy, codec, _rows(codec, range(0, 50)), batch_id=batch, now=utcnow()
        )
        assert (counts.inserted, counts.updated, counts.unchanged) == (50, 0, 0)
        # a second part in the same transaction reuses the staging table
        counts = insert_prepared(
            conn, store.strategy, codec, _rows(codec, range(50, 60)), batch_id=batch, now=utcnow()
        )
        assert (counts.inserted, counts.updated, counts.unchanged) == (10, 0, 0)
    first = _stored(store)
    assert [r[1] for r in first] == [f"r{i}" for i in range(60)]  # ids follow the rows' order
    assert first[0][4]["extra"] == 'a "quoted"\ttab\nnewline \\ backslash'
    observed = first[0][5]
    if observed.tzinfo is not None:
        observed = observed.astimezone(UTC).replace(tzinfo=None)
    assert observed == datetime(2026, 1, 1)

    # existing keys: same content (unchanged), new content (updated), and new keys
    with store.transaction() as conn:
        batch = start_batch(conn, kind="records", origin=None, now=utcnow())
        part = (
            _rows(codec, range(0, 10))
            + _rows(codec, range(10, 20), name="Bea")
            + _rows(codec, range(60, 70))
        )
        counts = insert_prepared(conn, store.strategy, codec, part, batch_id=batch, now=utcnow())
        assert (counts.inserted, counts.updated, counts.unchanged) == (10, 10, 10)
    after = _stored(store)
    assert [r[1] for r in after] == [f"r{i}" for i in range(70)]
    assert [r[2] for r in after[:20]] == [1] * 10 + [2] * 10
    assert after[:10] == first[:10]
    with store.connection() as conn:
        assert len(conn.execute(select(record_versions.c.id)).all()) == 10


def test_a_failed_part_leaves_nothing_and_names_no_value(store: Store) -> None:
    codec = PreparedCodec(RECORDS, store.strategy.compact_rows)
    rows = _rows(codec, range(3))
    too_long = list(rows[2])
    too_long[codec.index["country"]] = "SECRET-VALUE"  # longer than the column allows
    rows[2] = tuple(too_long)
    if store.dialect == "sqlite":
        pytest.skip("SQLite does not enforce VARCHAR lengths")
    with store.transaction() as conn:
        batch = start_batch(conn, kind="records", origin=None, now=utcnow())
    with pytest.raises(StoreError) as caught, store.transaction() as conn:
        insert_prepared(conn, store.strategy, codec, rows, batch_id=batch, now=utcnow())
    assert "SECRET-VALUE" not in str(caught.value)
    assert _stored(store) == []


def _one(values: dict[str, Any]) -> tuple[Any, ...]:
    prepared = prepare_record_values(values, 1)
    assert isinstance(prepared, tuple)
    return prepared


def test_nulls_and_booleans_are_stored_as_given(store: Store) -> None:
    """On SQLite, NULLs of nullable columns and booleans travel encoded (see
    `nullable_positions`): stored values are those of a plain insert, on the fast path and
    on the careful (update) path."""
    codec = PreparedCodec(RECORDS, store.strategy.compact_rows)
    sparse = {"source": "web", "source_record_id": "n1", "phone": "3005550000", "country": "CO"}
    with_id = {**sparse, "national_id": "12345678Z", "country": "ES", "observed_at": "2026-01-02"}
    columns = [records.c[c] for c in codec.columns]

    def stored() -> dict[str, Any]:
        with store.connection() as conn:
            row = conn.execute(select(*columns).where(records.c.source_record_id == "n1")).one()
        return dict(zip(codec.columns, row, strict=True))

    for values in (sparse, with_id):  # inserted, then updated through the careful path
        with store.transaction() as conn:
            batch = start_batch(conn, kind="records", origin=None, now=utcnow())
            insert_prepared(
                conn,
                store.strategy,
                codec,
                [codec.encode_values(_one(values))],
                batch_id=batch,
                now=utcnow(),
            )
        got = stored()
        expected = dict(zip(codec.fields, _one(values), strict=True))
        assert got["observed_at"] is None or values.get("observed_at")
        for name in ("given_names", "email_key", "national_id", "national_id_valid", "issues"):
            assert got[name] == expected[name], name
    assert stored()["national_id_valid"] is True
    assert codec.decode(codec.encode_values(_one(sparse)))["national_id_valid"] is None
    assert codec.decode(codec.encode_values(_one(with_id)))["national_id_valid"] is True
