"""Single-row writes for real time: a record or an interaction stored as it comes.

The semantics are bulk ingest's: a new key is inserted, the same content again changes
nothing, new content becomes the current version with the previous one kept in the
versions table, and a record observed earlier than the stored one is kept as a past
version only (that path is `_writes.upsert` itself). A new interaction takes one
autocommitted statement where that saves round trips (`Strategy.insert_alone`), else a
short locked transaction; a record is written within real time's decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from cx360._errors import SchemaError
from cx360.ingest._prepare import Quarantined, RowPlan, prepare_interaction
from cx360.models import InteractionResult
from cx360.store import Store, utcnow
from cx360.store._dialects import Strategy
from cx360.store._schema import interactions, record_customers, records
from cx360.store._writes import (
    EXTRA_IDENTIFIERS,
    INTERACTIONS,
    RECORDS,
    Stored,
    _copy_to_history,
    _is_older,
    identifiers_with_forms,
    prepared_columns,
    upsert,
    write_identifiers,
)

_COLUMNS = prepared_columns(INTERACTIONS)
_RECORD_COLUMNS = prepared_columns(RECORDS)
_RECORD = (
    select(
        records.c.id, records.c.content_hash, records.c.observed_at, record_customers.c.customer_id
    )
    .select_from(records.outerjoin(record_customers, record_customers.c.record_id == records.c.id))
    .where(
        records.c.source == bindparam("source"),
        records.c.source_record_id == bindparam("source_record_id"),
    )
)
_INTERACTION = (
    select(interactions.c.id, interactions.c.version, interactions.c.content_hash)
    .where(interactions.c.interaction_id == bindparam("interaction_id"))
    .with_for_update()  # two updates of one interaction take turns (no-op on SQLite)
)
_UPDATE_INTERACTION = (
    update(interactions)
    .where(interactions.c.id == bindparam("b_id"))
    .values(
        {
            **{c: bindparam(f"b_{c}") for c in _COLUMNS},
            "version": bindparam("b_version"),
            "batch_id": None,
            "updated_at": bindparam("b_now"),
        }
    )
)
_CUSTOMER_OF_RECORD = (
    select(record_customers.c.customer_id)
    .select_from(records.join(record_customers, record_customers.c.record_id == records.c.id))
    .where(
        records.c.source == bindparam("source"),
        records.c.source_record_id == bindparam("source_record_id"),
    )
)


def new_row_values(
    columns: tuple[str, ...], row: Mapping[str, Any], *, batch_id: int | None, now: datetime
) -> dict[str, Any]:
    """The parameters of a new row's INSERT: its prepared `columns` and the writer's."""
    values = {c: row[c] for c in columns}
    values.update(version=1, batch_id=batch_id, ingested_at=now, updated_at=now)
    return values


# -- records -------------------------------------------------------------------------------


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
        # one statement more, only for a record with several phones or e-mails
        if row.get(EXTRA_IDENTIFIERS):
            write_identifiers(conn, {int(new_id): identifiers_with_forms(row)})
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


# -- interactions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InteractionWrite:
    interaction_pk: int
    stored: Stored
    version: int


def record_interaction(
    store: Store, columns: Mapping[str, Any], plan: RowPlan | None = None
) -> InteractionResult:
    """Store one interaction (see `Hub.record_interaction`); `plan` from its mapping."""
    prepared = prepare_interaction(columns, None, None, plan)
    if isinstance(prepared, Quarantined):
        raise SchemaError(
            f"interaction not recorded: {prepared.reason.value}", column=prepared.column
        )
    now = utcnow()
    strategy = store.strategy
    values = new_row_values(_COLUMNS, prepared, batch_id=None, now=now)
    alone = strategy.insert_alone(INTERACTIONS, values, _CUSTOMER_OF_RECORD)
    if alone is not None and alone[0] is not None:
        written = InteractionWrite(int(alone[0]), "inserted", 1)
        customer_id = alone[1]
    else:
        with strategy.locked_transaction(store.engine) as conn:
            written = write_interaction(conn, strategy, prepared, values, now=now)
            key = {"source": prepared["source"], "source_record_id": prepared["source_record_id"]}
            customer_id = conn.execute(_CUSTOMER_OF_RECORD, key).scalar()
    return InteractionResult(
        interaction_id=prepared["interaction_id"],
        stored="updated" if written.stored == "late" else written.stored,
        version=written.version,
        customer_id=None if customer_id is None else str(customer_id),
    )


def write_interaction(
    conn: Connection,
    strategy: Strategy,
    row: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    now: datetime,
) -> InteractionWrite:
    """Store one prepared interaction (its INSERT's `values`), batch-less."""
    new_id = conn.execute(strategy.insert_new(interactions), dict(values)).scalar()
    if new_id is not None:
        return InteractionWrite(int(new_id), "inserted", 1)
    hit = conn.execute(_INTERACTION, {"interaction_id": row["interaction_id"]}).one()
    if hit.content_hash == row["content_hash"]:
        return InteractionWrite(int(hit.id), "unchanged", int(hit.version))
    _copy_to_history(conn, INTERACTIONS, [hit.id], now)
    params = {f"b_{c}": row[c] for c in _COLUMNS}
    params.update(b_id=hit.id, b_version=hit.version + 1, b_now=now)
    conn.execute(_UPDATE_INTERACTION, params)
    return InteractionWrite(int(hit.id), "updated", int(hit.version) + 1)
