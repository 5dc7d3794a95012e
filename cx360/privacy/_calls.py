"""The privacy calls the Hub makes, on a store: consents, contact permission, the access
log and subject access."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from cx360._errors import InputError, NotFoundError
from cx360.models._explain import RecordRef
from cx360.models._privacy import (
    AccessEntry,
    AccessView,
    ConsentEvent,
    ContactPermission,
    SubjectAccess,
)
from cx360.privacy._access import Reader, log_read, read_log
from cx360.privacy._consent import (
    add_event,
    events_of_records,
    in_order,
    permission,
    recorded_events,
)
from cx360.privacy._subject import subject_access
from cx360.profile._measures import current_customer
from cx360.profile._survivorship import aware
from cx360.store import Store, utcnow
from cx360.store._schema import record_customers, record_versions, records


def survivor(conn: Connection, customer_id: str) -> str:
    """The active customer ID behind `customer_id` (itself, or the one it merged into)."""
    return current_customer(conn, customer_id)


def _record(conn: Connection, ref: RecordRef) -> tuple[int, str | None]:
    row = conn.execute(
        select(records.c.id, record_customers.c.customer_id)
        .outerjoin(record_customers, record_customers.c.record_id == records.c.id)
        .where(records.c.source == ref.source, records.c.source_record_id == ref.source_record_id)
    ).first()
    if row is None:
        raise NotFoundError("no record with that source and source_record_id")
    return int(row.id), row.customer_id


def record_consent(
    store: Store,
    *,
    customer_id: str | None,
    record: RecordRef | None,
    purpose: str,
    status: str,
    channel: str | None,
    at: datetime | None,
    source: str,
    evidence: str | None,
    by: str | None,
) -> None:
    """Add one event to the ledger of a record (preferred: it follows the record) or of
    a customer."""
    if (customer_id is None) == (record is None):
        raise InputError("give exactly one of customer_id and record")
    now = utcnow()
    given_at = aware(at) if at is not None else now
    with store.transaction() as conn:
        record_id = _record(conn, record)[0] if record is not None else None
        owner = survivor(conn, customer_id) if customer_id is not None else None
        add_event(
            conn,
            record_id=record_id,
            customer_id=owner,
            purpose=purpose,
            status=status,
            channel=channel,
            given_at=given_at or now,
            source=source,
            evidence=evidence,
            recorded_by=by,
            now=now,
        )


def consent_history(store: Store, customer_id: str) -> list[ConsentEvent]:
    """Every consent event of the customer, oldest first: its records' consent columns
    (current values and earlier versions) and the recorded events."""
    with store.connection() as conn:
        owner = survivor(conn, customer_id)
        held = [
            dict(r)
            for r in conn.execute(
                select(records.c.id, records.c.source, records.c.source_record_id,
                       records.c.raw, records.c.observed_at, records.c.ingested_at)
                .join(record_customers, record_customers.c.record_id == records.c.id)
                .where(record_customers.c.customer_id == owner)
            ).mappings()
        ]  # fmt: skip
        ids = [r["id"] for r in held]
        by_id = {r["id"]: r for r in held}
        versions = [
            {**dict(v), "source": by_id[v.record_id]["source"],
             "source_record_id": by_id[v.record_id]["source_record_id"]}
            for v in conn.execute(
                select(record_versions.c.record_id, record_versions.c.raw,
                       record_versions.c.observed_at,
                       record_versions.c.replaced_at.label("ingested_at"))
                .where(record_versions.c.record_id.in_(ids))
            ).mappings()
        ] if ids else []  # fmt: skip
        recorded = recorded_events(conn, owner)
    return in_order([*events_of_records(held), *events_of_records(versions), *recorded])


def may_contact(store: Store, customer_id: str, purpose: str, channel: str) -> ContactPermission:
    """Whether the latest consent for `purpose` on `channel` (or every channel) grants."""
    return permission(consent_history(store, customer_id), purpose.casefold(), channel.casefold())


def log_reads(
    store: Store,
    reader: Reader | None,
    view: AccessView,
    customer_ids: Sequence[str | None],
    *,
    every: int | None = None,
) -> None:
    """Log a read when the caller said who reads (nothing otherwise)."""
    if reader is None:
        return
    with store.lookup_connection() as conn:
        log_read(conn, reader, view, customer_ids, utcnow(), every=every)


def access_entries(
    store: Store,
    *,
    customer_id: str | None,
    actor: str | None,
    since: datetime | None,
    limit: int,
) -> list[AccessEntry]:
    with store.connection() as conn:
        owner = survivor(conn, customer_id) if customer_id is not None else None
        return read_log(conn, customer_id=owner, actor=actor, since=since, limit=limit)


def subject_access_of(
    store: Store,
    customer_id: str,
    profile_of: Callable[[str], dict[str, Any] | None],
    reader: Reader | None,
) -> SubjectAccess:
    """Everything held about the customer; the read itself is logged first, so the
    document lists it."""
    with store.connection() as conn:
        owner = survivor(conn, customer_id)
    log_reads(store, reader, "subject_access", [owner])
    profile = profile_of(owner)
    with store.connection() as conn:
        return subject_access(conn, owner, profile, utcnow())
