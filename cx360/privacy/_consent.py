"""The consent ledger: what each person allowed, for which purpose, on which channel.

Two kinds of event make the ledger. A record's consent columns (`consent_marketing`,
`acepta_comunicaciones`, `opt-in email`) are events given on that record's channel at
the record's time; the record and its stored versions are their history, so ingest
copies nothing. `Hub.record_consent` adds an event of its own (a click on a preference
page, a signed form, a withdrawal by phone), attached to a record when one is named
(the consent then follows the record through merges and splits) or else to the customer
ID and its aliases.

A column name says the purpose and the channel in its words: a channel word (`email`,
`correo`, `sms`, `whatsapp`, `llamadas`, `push`, `postal`) narrows it to that channel,
else it applies to every channel; a purpose word (`servicio`, `perfilado`,
`tratamiento de datos`, …) names the purpose, else it is `marketing`, which is what an
opt-in column of a CRM export means. The current state of a purpose on a channel is the
latest event for that purpose on that channel or on every channel; no event means no
consent (`ContactPermission.status` 'unknown').
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, FromClause, bindparam, insert, select, union_all

from cx360._errors import InputError
from cx360.models._privacy import ConsentEvent, ConsentState, ConsentStatus, ContactPermission
from cx360.normalize.text import fold
from cx360.privacy._tables import consent_events
from cx360.profile._survivorship import aware
from cx360.store._dialects import fetch_mappings
from cx360.store._schema import customers, record_customers

# Extra input columns read as consents: consent_*, marketing_opt_in, sms_optin, ...
CONSENT_COLUMN: Final = re.compile(r"^consent|opt_?in", re.IGNORECASE)
_YES: Final = frozenset({"true", "t", "yes", "y", "si", "sí", "s", "1", "x", "granted", "opt_in"})
_NO: Final = frozenset({"false", "f", "no", "n", "0", "denied", "revoked", "opt_out"})
STATUSES: Final[tuple[ConsentStatus, ...]] = ("granted", "denied", "revoked")
DEFAULT_PURPOSE: Final = "marketing"
_CHANNEL_WORDS: Final = {
    "email": ("email", "mail", "correo", "electronico"),
    "sms": ("sms", "texto", "mensaje", "mensajes"),
    "whatsapp": ("whatsapp", "wa"),
    "phone": ("phone", "telefono", "llamada", "llamadas", "call", "calls", "telefonico"),
    "push": ("push", "app", "notificaciones"),
    "post": ("postal", "post", "correspondencia"),
}
_PURPOSE_WORDS: Final = {
    "service": ("service", "servicio", "atencion", "transaccional", "transactional"),
    "profiling": ("profiling", "perfilado", "perfilamiento", "perfiles", "analitica"),
    "data_processing": ("tratamiento", "datos", "habeas", "privacidad", "privacy", "terms"),
    "marketing": ("marketing", "publicidad", "comercial", "comerciales", "promociones",
                  "ofertas", "newsletter", "boletin", "mercadeo", "comunicaciones"),
}  # fmt: skip
Row = Mapping[Any, Any]


def purpose_and_channel(column: str) -> tuple[str, str | None]:
    """The purpose and channel a consent column's name says (module docstring)."""
    words = set(fold(column.replace("_", " ").replace("-", " ")).split())
    channel = next((c for c, said in _CHANNEL_WORDS.items() if words & set(said)), None)
    if channel == "email" and "postal" in words:  # correo postal
        channel = "post"
    purpose = next((p for p, said in _PURPOSE_WORDS.items() if words & set(said)), None)
    return purpose or DEFAULT_PURPOSE, channel


def consent_granted(value: object) -> bool | None:
    """A consent cell read as yes (True) or no (False); None when it says neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value) if value in (0, 1) else None
    text = str(value).strip().casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


def events_of_records(rows: Iterable[Row]) -> list[ConsentEvent]:
    """The consent events in records' (or record versions') consent columns: rows with
    `raw`, `observed_at`, `source`, `source_record_id`. An unreadable value is no event."""
    found: list[ConsentEvent] = []
    for row in rows:
        # a record without its own time: the consent dates from when it was stored
        raw, at = row["raw"], aware(row["observed_at"] or row.get("ingested_at"))
        if not isinstance(raw, dict) or at is None:
            continue
        for name, value in raw.items():
            if not CONSENT_COLUMN.search(name) or (granted := consent_granted(value)) is None:
                continue
            purpose, channel = purpose_and_channel(name)
            found.append(
                ConsentEvent(
                    purpose=purpose,
                    channel=channel,
                    status="granted" if granted else "denied",
                    at=at,
                    source=row["source"],
                    origin="ingest",
                    evidence=f"column {name}",
                    source_record_id=row["source_record_id"],
                )
            )
    return found


EVENT_COLUMNS: Final = (
    consent_events.c.id,
    consent_events.c.purpose,
    consent_events.c.channel,
    consent_events.c.status,
    consent_events.c.given_at,
    consent_events.c.source,
    consent_events.c.evidence,
    consent_events.c.recorded_by,
)


def customer_event_reads(customer: Any) -> list[tuple[FromClause, ColumnElement[bool]]]:
    """Where a customer's recorded events are, as (from, condition) pairs, each one
    indexed read: those on the customer ID, on its records, on the IDs merged into it.
    Lookups add them to the one statement that reads a customer's view."""
    return [
        (consent_events, consent_events.c.customer_id == customer),
        (
            consent_events.join(
                record_customers, record_customers.c.record_id == consent_events.c.record_id
            ),
            record_customers.c.customer_id == customer,
        ),
        (
            consent_events.join(customers, customers.c.customer_id == consent_events.c.customer_id),
            customers.c.merged_into == customer,
        ),
    ]


_OF_CUSTOMER: Final = union_all(
    *(
        select(*EVENT_COLUMNS).select_from(source).where(condition)
        for source, condition in customer_event_reads(bindparam("customer_id"))
    )
)
_OF_RECORD: Final = select(*EVENT_COLUMNS).where(
    consent_events.c.record_id == bindparam("record_id")
)


def recorded_events(
    conn: Connection, customer_id: str | None, record_id: int | None = None
) -> list[ConsentEvent]:
    """The events `Hub.record_consent` recorded for a customer (`customer_event_reads`)
    or, for a record in no customer yet, for that record."""
    if customer_id is not None:
        return events_of_rows(fetch_mappings(conn, _OF_CUSTOMER, {"customer_id": customer_id}))
    if record_id is not None:
        return events_of_rows(fetch_mappings(conn, _OF_RECORD, {"record_id": record_id}))
    return []


def events_of_rows(rows: Iterable[Row]) -> list[ConsentEvent]:
    """Recorded events from rows of `EVENT_COLUMNS`, in the order they were recorded."""
    return [
        ConsentEvent(
            purpose=row["purpose"],
            channel=row["channel"],
            status=row["status"],
            at=aware(row["given_at"]) or row["given_at"],
            source=row["source"],
            origin="recorded",
            evidence=row["evidence"],
            recorded_by=row["recorded_by"],
        )
        for row in sorted(rows, key=lambda row: row["id"])
    ]


def in_order(events: Iterable[ConsentEvent]) -> list[ConsentEvent]:
    """Oldest first; at the same time a recorded event comes after a record's column."""
    return sorted(events, key=lambda e: (e.at, e.origin == "recorded"))


def current_states(events: Iterable[ConsentEvent]) -> list[ConsentState]:
    """The latest event of each purpose and channel."""
    latest: dict[tuple[str, str | None], ConsentEvent] = {}
    for event in in_order(events):
        latest[(event.purpose, event.channel)] = event
    return [
        ConsentState(purpose=e.purpose, channel=e.channel, status=e.status, since=e.at,
                     source=e.source)
        for _, e in sorted(latest.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    ]  # fmt: skip


def permission(events: Iterable[ConsentEvent], purpose: str, channel: str) -> ContactPermission:
    """Whether the latest event for `purpose` on `channel` (or on every channel) grants."""
    deciding = None
    for event in in_order(events):
        if event.purpose == purpose and event.channel in (channel, None):
            deciding = event
    if deciding is None:
        return ContactPermission(allowed=False, status="unknown")
    return ContactPermission(
        allowed=deciding.status == "granted", status=deciding.status, decided_by=deciding
    )


def add_event(
    conn: Connection,
    *,
    record_id: int | None,
    customer_id: str | None,
    purpose: str,
    status: str,
    channel: str | None,
    given_at: datetime,
    source: str,
    evidence: str | None,
    recorded_by: str | None,
    now: datetime,
) -> None:
    """Store one recorded consent event (checked: a known status, a purpose, a source)."""
    if status not in STATUSES:
        raise InputError(f"consent status must be one of {', '.join(STATUSES)}")
    if not purpose.strip() or not source.strip():
        raise InputError("a consent needs a purpose and a source")
    conn.execute(
        insert(consent_events).values(
            record_id=record_id,
            customer_id=customer_id,
            purpose=purpose.strip().casefold(),
            channel=channel.strip().casefold() if channel else None,
            status=status,
            given_at=given_at,
            source=source.strip(),
            evidence=evidence,
            recorded_by=recorded_by,
            recorded_at=now,
        )
    )
