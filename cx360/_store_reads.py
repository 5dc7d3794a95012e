"""Store-wide reads behind the Hub's summaries: status, customer listings, quarantine.

The CLI and other callers get these as typed results through the `Hub`, never by querying
tables themselves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from cx360._errors import mask
from cx360.models import (
    CustomerSummary,
    MatchingModel,
    QuarantinedRow,
    QuarantineReason,
    ResolutionRun,
    StoreStatus,
)
from cx360.store import Store
from cx360.store._schema import (
    interactions,
    matching_models,
    quarantine,
    record_customers,
    records,
    resolution_runs,
)


def _count(conn: Connection, query: Any) -> int:
    return int(conn.execute(query).scalar_one())


def _last_run(conn: Connection) -> ResolutionRun | None:
    run = conn.execute(
        select(resolution_runs).order_by(resolution_runs.c.id.desc()).limit(1)
    ).first()
    if run is None:
        return None
    model = None
    if run.model_id is not None:
        found = conn.execute(
            select(
                matching_models.c.id,
                matching_models.c.kind,
                matching_models.c.trained_on,
                matching_models.c.created_at,
            ).where(matching_models.c.id == run.model_id)
        ).first()
        if found is not None:
            model = MatchingModel.model_validate(found._mapping)
    return ResolutionRun(
        id=run.id,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        matching_model=model,
    )


def store_status(store: Store, url: str) -> StoreStatus:
    """Counts of what `store` holds, its last run and schema revision (`url`: as shown)."""
    with store.connection() as conn:
        record_count = _count(conn, select(func.count()).select_from(records))
        resolved = _count(conn, select(func.count()).select_from(record_customers))
        return StoreStatus(
            url=url,
            backend=store.strategy.name,
            schema_version=store.revision,
            records=record_count,
            interactions=_count(conn, select(func.count()).select_from(interactions)),
            customers=_count(
                conn, select(func.count(func.distinct(record_customers.c.customer_id)))
            ),
            unresolved_records=record_count - resolved,
            quarantined=_count(conn, select(func.count()).select_from(quarantine)),
            last_run=_last_run(conn),
        )


def top_customers(store: Store, limit: int) -> list[CustomerSummary]:
    """Customers seen on the most channels, then holding the most records."""
    channels = func.count(func.distinct(records.c.source))
    held = func.count()
    with store.connection() as conn:
        top = conn.execute(
            select(record_customers.c.customer_id, held.label("records"))
            .join(records, records.c.id == record_customers.c.record_id)
            .group_by(record_customers.c.customer_id)
            .order_by(channels.desc(), held.desc(), record_customers.c.customer_id)
            .limit(limit)
        ).all()
        sources: dict[str, set[str]] = {row.customer_id: set() for row in top}
        if sources:
            pairs = conn.execute(
                select(record_customers.c.customer_id, records.c.source)
                .join(records, records.c.id == record_customers.c.record_id)
                .where(record_customers.c.customer_id.in_(list(sources)))
                .distinct()
            )
            for customer_id, source in pairs:
                sources[customer_id].add(source)
    return [
        CustomerSummary(
            customer_id=row.customer_id,
            records=row.records,
            sources=sorted(sources[row.customer_id]),
        )
        for row in top
    ]


def channels(store: Store) -> list[str]:
    """The sources the store has records or interactions from, sorted."""
    with store.connection() as conn:
        found = conn.execute(
            select(records.c.source).distinct().union(select(interactions.c.source).distinct())
        )
        return sorted(str(source) for (source,) in found)


def has_channel(store: Store, channel: str) -> bool:
    """Whether any record or interaction comes from `channel` (two index lookups)."""
    with store.connection() as conn:
        for table in (interactions, records):
            found = conn.execute(select(table.c.source).where(table.c.source == channel).limit(1))
            if found.first() is not None:
                return True
    return False


def _text(raw: dict[str, Any], column: str) -> str | None:
    value = raw.get(column)
    return None if value is None or value == "" else str(value)


def quarantined_rows(store: Store, batch_id: int | None, limit: int) -> list[QuarantinedRow]:
    """Quarantined rows, newest first, with the value at fault masked."""
    query = select(quarantine).order_by(quarantine.c.id.desc())
    if batch_id is not None:
        query = query.where(quarantine.c.batch_id == batch_id)
    with store.connection() as conn:
        rows = conn.execute(query.limit(limit)).all()
    found = []
    for row in rows:
        raw = row.raw if isinstance(row.raw, dict) else {}
        key_column = "interaction_id" if row.kind == "interactions" else "source_record_id"
        value = _text(raw, row.column_name) if row.column_name else None
        found.append(
            QuarantinedRow(
                id=row.id,
                batch_id=row.batch_id,
                kind=row.kind,
                row_number=row.row_number,
                # the key columns are filled since migration 0007; older rows: from the row
                source=row.source or _text(raw, "source"),
                key=row.record_key or _text(raw, key_column),
                reason=QuarantineReason(row.reason),
                column=row.column_name,
                value=None if value is None else mask(value),
                # a row that could not be read is kept as {"line": text, "problem": why}
                detail=_text(raw, "problem")
                if row.reason == QuarantineReason.MALFORMED_ROW
                else None,
                quarantined_at=row.created_at,
            )
        )
    return found
