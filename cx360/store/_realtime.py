"""A real-time call's writes of its record, its batch's counts and its decision's appends.

Bulk ingest (`_writes.py`) is shaped for throughput over chunks of thousands of rows; a
call that stores one record and waits needs a few prepared statements in one short
transaction (`Strategy.locked_transaction`). The semantics are bulk ingest's: a new key
is inserted, the same content again changes nothing, new content becomes the current
version with the previous one kept in the versions table, and a record observed earlier
than the stored one is kept as a past version only (that path is `_writes.upsert` itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, bindparam, insert, select, update

from cx360.store._dialects import Strategy
from cx360.store._schema import ingest_batches, record_customers, records
from cx360.store._writes import RECORDS, _is_older, prepared_columns, upsert

Stored = Literal["inserted", "updated", "late", "unchanged"]

_RECORD_COLUMNS = prepared_columns(RECORDS)
_RECORD = (
    select(
        records.c.id,
        records.c.content_hash,
        records.c.observed_at,
        record_customers.c.customer_id,
    )
    .select_from(records.outerjoin(record_customers, record_customers.c.record_id == records.c.id))
    .where(
        records.c.source == bindparam("source"),
        records.c.source_record_id == bindparam("source_record_id"),
    )
)
_NEW_BATCH = insert(ingest_batches).returning(ingest_batches.c.id)
_COUNT_IN_BATCH = (
    update(ingest_batches)
    .where(ingest_batches.c.id == bindparam("b_id"))
    .values(
        rows=ingest_batches.c.rows + 1,
        inserted=ingest_batches.c.inserted + bindparam("b_inserted"),
        updated=ingest_batches.c.updated + bindparam("b_updated"),
        unchanged=ingest_batches.c.unchanged + bindparam("b_unchanged"),
        finished_at=bindparam("b_now"),
    )
)


def new_row_values(
    columns: tuple[str, ...], row: Mapping[str, Any], *, batch_id: int | None, now: datetime
) -> dict[str, Any]:
    """The parameters of a new row's INSERT: its prepared `columns` and the tail."""
    values = {c: row[c] for c in columns}
    values.update(version=1, batch_id=batch_id, ingested_at=now, updated_at=now)
    return values


@dataclass(frozen=True, slots=True)
class RecordWrite:
    """What storing one record did, and the customer it had before (None: none yet)."""

    record_id: int
    stored: Stored
    customer_id: str | None


def record_values(row: Mapping[str, Any], *, batch_id: int, now: datetime) -> dict[str, Any]:
    """The parameters of a new record's INSERT (`Strategy.insert_record_reading`)."""
    return new_row_values(_RECORD_COLUMNS, row, batch_id=batch_id, now=now)


def record_written(
    conn: Connection, row: Mapping[str, Any], new_id: int | None, *, batch_id: int, now: datetime
) -> RecordWrite:
    """The write of a record whose INSERT gave `new_id` (None: its key was stored)."""
    if new_id is not None:
        return RecordWrite(int(new_id), "inserted", None)
    hit = conn.execute(
        _RECORD, {"source": row["source"], "source_record_id": row["source_record_id"]}
    ).one()
    stored: Stored
    if hit.content_hash == row["content_hash"]:
        stored = "unchanged"
    else:
        stored = "late" if _is_older(row["observed_at"], hit.observed_at) else "updated"
        upsert(conn, RECORDS, [dict(row)], batch_id=batch_id, now=now)
    return RecordWrite(int(hit.id), stored, hit.customer_id)


def move_to_batch(conn: Connection, record_id: int, batch_id: int) -> None:
    """Put a record just inserted in another (newer) batch."""
    conn.execute(update(records).where(records.c.id == record_id).values(batch_id=batch_id))


def open_batch(conn: Connection, kind: str, origin: str, now: datetime) -> int:
    """An `ingest_batches` row that real-time writes count themselves into."""
    values = {"kind": kind, "origin": origin, "status": "done", "started_at": now}
    counts = dict.fromkeys(("rows", "inserted", "updated", "unchanged", "quarantined"), 0)
    return int(conn.execute(_NEW_BATCH, {**values, "finished_at": now, **counts}).scalar_one())


def count_in_batch(conn: Connection, batch_id: int, stored: Stored, now: datetime) -> None:
    """Add one row to a batch's counts (a late record counts as updated, as in ingest)."""
    conn.execute(_COUNT_IN_BATCH, _batch_counts(batch_id, stored, now))


def _batch_counts(batch_id: int, stored: Stored, now: datetime) -> dict[str, Any]:
    return {
        "b_id": batch_id,
        "b_inserted": int(stored == "inserted"),
        "b_updated": int(stored in ("updated", "late")),
        "b_unchanged": int(stored == "unchanged"),
        "b_now": now,
    }


@dataclass(slots=True)
class Appends:
    """Rows a real-time decision adds and reads no more (see `_customers.CallAppends`),
    and the count of its record in its ingest batch (`batch_id`, `stored`), written
    together at its end (on PostgreSQL in one statement)."""

    batch_id: int
    stored: Stored
    now: datetime
    model_id: int | None = None
    new_customer: str | None = None
    assignment: tuple[int, str] | None = None
    edges: list[tuple[int, int, float]] = field(default_factory=list)
    links: list[tuple[int, int, float | None, str]] = field(default_factory=list)


def write_appends(conn: Connection, strategy: Strategy, appends: Appends) -> None:
    """Write a decision's appends (and count its record in its batch)."""
    counts = _batch_counts(appends.batch_id, appends.stored, appends.now)
    strategy.write_appends(conn, appends, _COUNT_IN_BATCH, counts)
