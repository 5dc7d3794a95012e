"""Find the customer behind an identifier, and read what its profile or card needs.

An identifier typed in any format is normalized by the very functions ingest uses, and
looked up by its match key, so ``300 123 4567`` (country CO) finds the records stored
with ``+57 300 1234567``. Outcomes (see `cx360.models.Lookup`):

- one customer holds it → `found` (records holding it that `resolve()` has not assigned
  yet are listed in `unresolved`, not silently merged into the profile);
- no customer, one unresolved record → `found`, a provisional profile of that record;
- several customers or unresolved records → `ambiguous`, `reason='shared'`, candidates;
- a placeholder → `ambiguous`, `reason='placeholder'`, no candidates (it names nobody);
- unreadable/invalid → `not_found`, `reason='invalid'`; no holder → `reason='no_match'`.

A phone or e-mail is found as any record's first value (`records.phone_key` /
`email_key`) or as a further one (`record_identifiers`): a record holding a number as its
second phone is found by that number as by its first.

Reads: at most four indexed queries, statements built once at import so SQLAlchemy's
compiled cache serves them: (1) the records holding the key (`ix_records_<key>`, and
`ix_record_identifiers_kind_key` for phones and e-mails) with their customer
(`record_customers` primary key); (2) the customer's records
(`ix_record_customers_customer_id`, then `records` primary key) with their source's
priority and further identifiers; (3) their interactions
(`ix_interactions_source_source_record_id`); plus the `customers` row for a `customer_id`
lookup, and the candidates' records when ambiguous.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    Column,
    Connection,
    String,
    and_,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union,
    union_all,
)

from cx360._errors import InputError, NotFoundError
from cx360.models._explain import RecordRef
from cx360.models._privacy import AccessView, ConsentEvent
from cx360.models._profile import (
    Candidate,
    ContextLookup,
    LookupReason,
    LookupStatus,
    ProfileLookup,
)
from cx360.normalize.emails import NormalizedEmail, normalize_email
from cx360.normalize.handles import normalize_handle
from cx360.normalize.national_ids import NormalizedNationalId, normalize_national_id
from cx360.normalize.phones import NormalizedPhone, normalize_phone
from cx360.privacy._access import (
    Reader,
    entry_params,
    log_read,
    logging_read,
    logging_read_of_many,
)
from cx360.privacy._consent import customer_event_reads, events_of_rows, recorded_events
from cx360.privacy._tables import consent_events
from cx360.profile._build import build_context, build_profile
from cx360.profile._survivorship import SurvivorshipRules, golden_value
from cx360.store import Store, utcnow
from cx360.store._dialects import fetch_mappings, strategy_of
from cx360.store._schema import (
    IDENTIFIER_KINDS,
    customers,
    extra_identifiers_of,
    interactions,
    record_customers,
    record_identifiers,
    records,
    sources,
)

Row = Mapping[Any, Any]  # a SQLAlchemy RowMapping, or a dict in tests
Log = dict[str, Any] | None  # the parameters of reads that log themselves (`_log_in_reads`)

# An identifier held by more records than this is treated as shared, whatever they say:
# reading them all would make one lookup as slow as a scan.
MAX_HOLDERS: Final = 1_000
MAX_CANDIDATES: Final = 20
_MAX_ALIAS_HOPS: Final = 8  # merged_into chains are flattened by resolve; this is a guard
IDENTIFIERS: Final = ("phone", "email", "national_id", "handle", "customer_id", "record")

# -- statements, built once ---------------------------------------------------------------

_KEY_COLUMNS: Final[dict[str, Column[Any]]] = {
    "phone": records.c.phone_key,
    "email": records.c.email_key,
    "national_id": records.c.national_id_key,
    "handle": records.c.handle_key,
}
_WITH_CUSTOMER = records.outerjoin(record_customers, record_customers.c.record_id == records.c.id)
_HOLDER_COLUMNS = (
    records.c.id,
    records.c.source,
    records.c.source_record_id,
    records.c.given_names,
    records.c.surnames,
)
_RECORD_BY_KEY = (
    select(records.c.id, record_customers.c.customer_id)
    .select_from(_WITH_CUSTOMER)
    .where(
        records.c.source == bindparam("source"),
        records.c.source_record_id == bindparam("source_record_id"),
    )
)
_CUSTOMER = select(customers.c.status, customers.c.merged_into).where(
    customers.c.customer_id == bindparam("customer_id")
)
_RECORD_COLUMNS = (
    records.c.id,
    records.c.source,
    records.c.source_record_id,
    records.c.observed_at,
    records.c.raw,
    records.c.given_names,
    records.c.surnames,
    records.c.given_keys,
    records.c.surname_key,
    records.c.surname2_key,
    records.c.email_display,
    records.c.email_key,
    records.c.phone_e164,
    records.c.phone_key,
    records.c.phone_kind,
    records.c.national_id,
    records.c.national_id_key,
    records.c.national_id_kind,
    records.c.national_id_valid,
    records.c.birth_date,
    records.c.address_key,
    records.c.city_key,
    records.c.postcode_key,
    records.c.region_key,
    records.c.handle_key,
    records.c.issues,
    func.coalesce(sources.c.priority, 0).label("priority"),
    # the record's phones and e-mails beyond the first (`parse_extra_identifiers`)
    extra_identifiers_of(records.c.id).label("extra_identifiers"),
)
_CUSTOMER_RECORDS_FROM = record_customers.join(
    records, records.c.id == record_customers.c.record_id
).outerjoin(sources, sources.c.name == records.c.source)
_CUSTOMER_RECORDS = (
    select(*_RECORD_COLUMNS)
    .select_from(_CUSTOMER_RECORDS_FROM)
    .where(record_customers.c.customer_id == bindparam("customer_id"))
)


_CANDIDATE_RECORDS = (
    select(*_RECORD_COLUMNS, record_customers.c.customer_id)
    .select_from(_CUSTOMER_RECORDS_FROM)
    .where(record_customers.c.customer_id.in_(bindparam("customer_ids", expanding=True)))
)
# the same, writing the access-log entries of the candidates shown (`_log_in_reads`)
_CANDIDATE_RECORDS_LOGGED = logging_read_of_many(_CANDIDATE_RECORDS)
_ONE_RECORD = (
    select(*_RECORD_COLUMNS)
    .select_from(records.outerjoin(sources, sources.c.name == records.c.source))
    .where(records.c.id == bindparam("record_id"))
)
_INTERACTION_COLUMNS = (
    interactions.c.id,
    interactions.c.interaction_id,
    interactions.c.source,
    interactions.c.source_record_id,
    interactions.c.occurred_at,
    interactions.c.type,
    interactions.c.status,
    interactions.c.case_id,
    interactions.c.summary,
)
_CUSTOMER_INTERACTIONS_FROM = record_customers.join(
    records, records.c.id == record_customers.c.record_id
).join(
    interactions,
    and_(
        interactions.c.source == records.c.source,
        interactions.c.source_record_id == records.c.source_record_id,
    ),
)
_CUSTOMER_INTERACTIONS = (
    select(*_INTERACTION_COLUMNS)
    .select_from(_CUSTOMER_INTERACTIONS_FROM)
    .where(record_customers.c.customer_id == bindparam("customer_id"))
)
_RECORD_INTERACTIONS = select(*_INTERACTION_COLUMNS).where(
    interactions.c.source == bindparam("source"),
    interactions.c.source_record_id == bindparam("source_record_id"),
)


# -- one statement per lookup that finds someone -------------------------------------------
# A customer's view is its records and its interactions. Statements below read it with
# UNION ALL, one row per record (part 'r') or interaction (part 'i'), each leaving the
# other's columns NULL, cast to the column's type (PostgreSQL types a UNION pairwise);
# interaction columns are prefixed 'i_'. The records' part comes first: its column
# types are the result's (SQLite reads dates and JSON through them).
_NO_INTERACTION = tuple(cast(null(), c.type).label(f"i_{c.name}") for c in _INTERACTION_COLUMNS)
_NO_RECORD = tuple(cast(null(), c.type) for c in _RECORD_COLUMNS)


# Recorded consent events (part 'c') ride in the interaction columns, each slot named
# here; `_View.read` reads them back by the same names.
_CONSENT_SLOTS: Final = {
    "id": consent_events.c.id,
    "interaction_id": consent_events.c.recorded_by,
    "source": consent_events.c.source,
    "source_record_id": consent_events.c.channel,
    "occurred_at": consent_events.c.given_at,
    "type": consent_events.c.purpose,
    "status": consent_events.c.status,
    "summary": consent_events.c.evidence,
}
_CONSENT_NAMES: Final = {f"i_{slot}": column.name for slot, column in _CONSENT_SLOTS.items()}


def _consent_parts(customer: Any) -> list[Any]:
    # the slots' own columns as they are (SQLite would read CAST(... AS DATETIME) as a
    # number); PostgreSQL types each slot with the interaction column's compatible type
    slots = [_CONSENT_SLOTS.get(c.name, cast(null(), c.type)) for c in _INTERACTION_COLUMNS]
    return [
        select(literal("c"), *_NO_RECORD, cast(null(), String), *slots)
        .select_from(source)
        .where(condition)
        for source, condition in customer_event_reads(customer)
    ]


def _customer_view(customer: Any) -> tuple[Any, ...]:
    """The records part, the interactions part and the consent parts of `customer`'s
    view."""
    return (
        select(
            literal("r").label("part"),
            *_RECORD_COLUMNS,
            record_customers.c.customer_id,
            *_NO_INTERACTION,
        )
        .select_from(_CUSTOMER_RECORDS_FROM)
        .where(record_customers.c.customer_id == customer),
        select(literal("i"), *_NO_RECORD, cast(null(), String), *_INTERACTION_COLUMNS)
        .select_from(_CUSTOMER_INTERACTIONS_FROM)
        .where(record_customers.c.customer_id == customer),
        *_consent_parts(customer),
    )


def _holders(kind: str, key: Column[Any]) -> Any:
    """The records holding `:key`, at most MAX_HOLDERS + 1 by each way of holding it: as
    their own `key` column, and for phones and e-mails also as a further identifier
    (`record_identifiers`, by its (kind, key) index)."""
    own = (
        select(*_HOLDER_COLUMNS, record_customers.c.customer_id)
        .select_from(_WITH_CUSTOMER)
        .where(key == bindparam("key"))
        .limit(MAX_HOLDERS + 1)
    )
    if kind not in IDENTIFIER_KINDS:
        return own.cte("holders")
    further = (
        select(*_HOLDER_COLUMNS, record_customers.c.customer_id)
        .select_from(
            record_identifiers.join(
                records, records.c.id == record_identifiers.c.record_id
            ).outerjoin(record_customers, record_customers.c.record_id == records.c.id)
        )
        .where(record_identifiers.c.kind == kind, record_identifiers.c.key == bindparam("key"))
        .limit(MAX_HOLDERS + 1)
    )
    # each part in its own subquery: SQLite takes no LIMIT on a member of a UNION
    parts = [select(*part.subquery().c) for part in (own, further)]
    return union(*parts).cte("holders")


def _holders_and_view(kind: str, key: Column[Any], *, logged: bool = False) -> Any:
    """The records holding `:key` (part 'h', the few columns a candidate list needs) and,
    when they belong to one customer, that customer's view: all a lookup that finds
    someone reads, in one statement (`logged`: which also logs that customer's read)."""
    holders = _holders(kind, key)
    single_customer = (
        select(func.min(holders.c.customer_id))
        .having(
            and_(
                func.count(func.distinct(holders.c.customer_id)) == 1,
                func.count() <= MAX_HOLDERS,
            )
        )
        .scalar_subquery()
    )
    records_part, *other_parts = _customer_view(single_customer)
    holders_part = select(
        literal("h"),
        *(
            holders.c[c.name] if c.name in holders.c else cast(null(), c.type)
            for c in _RECORD_COLUMNS
        ),
        holders.c.customer_id,
        *_NO_INTERACTION,
    )
    read = union_all(records_part, holders_part, *other_parts)
    return logging_read(read, single_customer) if logged else read


_HOLDERS = {kind: _holders_and_view(kind, column) for kind, column in _KEY_COLUMNS.items()}
_CUSTOMER_VIEW = union_all(*_customer_view(bindparam("customer_id")))
# the same reads writing the access-log entry of the customer they find, for a reader
# (`Strategy.writes_in_reads`): an active customer asked by its ID has records
_HOLDERS_LOGGED = {
    kind: _holders_and_view(kind, column, logged=True) for kind, column in _KEY_COLUMNS.items()
}
_CUSTOMER_VIEW_LOGGED = logging_read(
    _CUSTOMER_VIEW,
    select(record_customers.c.customer_id)
    .where(record_customers.c.customer_id == bindparam("customer_id"))
    .limit(1)
    .scalar_subquery(),
)


# -- the identifier asked for -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    """One identifier, normalized. `settled` is an outcome known before any read."""

    kind: str
    key: str | None = None
    record: RecordRef | None = None
    settled: tuple[LookupStatus, LookupReason] | None = None


def parse_query(
    *,
    phone: str | None = None,
    email: str | None = None,
    national_id: str | None = None,
    handle: str | None = None,
    customer_id: str | None = None,
    record: tuple[str, str] | RecordRef | None = None,
    country: str | None = None,
) -> Query:
    """Check that exactly one identifier is given and normalize it as ingest does.

    Raises:
        InputError: none or several identifiers, an empty one, `country` where it does
            not apply, or a phone in national format without `country`.
    """
    given = {
        "phone": phone,
        "email": email,
        "national_id": national_id,
        "handle": handle,
        "customer_id": customer_id,
        "record": record,
    }
    named = [name for name, value in given.items() if value is not None]
    if len(named) != 1:
        got = f"got {len(named)}: {', '.join(named)}" if named else "got none"
        raise InputError(f"give exactly one identifier of {', '.join(IDENTIFIERS)} ({got})")
    kind = named[0]
    if country is not None and kind not in ("phone", "national_id"):
        raise InputError("country applies to phone and national_id lookups only")
    if country is not None:
        country = country.strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise InputError("country must be an ISO 3166 alpha-2 code, e.g. 'CO'")
    if kind == "record":
        return Query(kind, record=record_ref(record))
    # the same reading as ingest: stripped text, then the normalizer of its column
    text = str(given[kind]).strip()
    if not text:
        raise InputError(f"the {kind} to look up is empty")
    if kind == "customer_id":
        return Query(kind, key=text)
    read: NormalizedPhone | NormalizedEmail | NormalizedNationalId | None
    if kind == "phone":
        read = normalize_phone(text, country)
        if read is not None and read.issue == "no_country":
            raise InputError("a phone in national format needs its country, e.g. 'CO'")
    elif kind == "email":
        read = normalize_email(text)
    elif kind == "national_id":
        read = normalize_national_id(text, country)
    else:
        handle_key = normalize_handle(text)
        if handle_key is None:
            return Query(kind, settled=("not_found", "invalid"))
        return Query(kind, key=handle_key)
    if read is not None and read.placeholder:
        return Query(kind, settled=("ambiguous", "placeholder"))
    if read is None or read.match_key is None:
        return Query(kind, settled=("not_found", "invalid"))
    return Query(kind, key=read.match_key)


def record_ref(record: object) -> RecordRef:
    """A record given as a `RecordRef` or `(source, source_record_id)`."""
    if isinstance(record, RecordRef):
        return record
    if (
        isinstance(record, tuple | list)
        and len(record) == 2
        and all(isinstance(part, str) and part.strip() for part in record)
    ):
        return RecordRef(source=record[0], source_record_id=record[1])
    raise InputError("record must be (source, source_record_id), e.g. ('whatsapp', 'wa-1')")


# -- finding the customer -----------------------------------------------------------------


_INTERACTION_NAMES = tuple(c.name for c in _INTERACTION_COLUMNS)
_PREFIXED = tuple(f"i_{name}" for name in _INTERACTION_NAMES)


@dataclass(slots=True)
class _View:
    """What a one-statement lookup read, by part (see `_customer_view`)."""

    records: list[Row] = field(default_factory=list)
    holders: list[Row] = field(default_factory=list)
    interactions: list[Row] = field(default_factory=list)
    consents: list[Row] = field(default_factory=list)

    @classmethod
    def read(cls, rows: Iterable[Row]) -> _View:
        view = cls()
        for row in rows:
            part = row["part"]
            if part == "r":
                view.records.append(row)
            elif part == "h":
                view.holders.append(row)
            elif part == "c":
                view.consents.append({name: row[i] for i, name in _CONSENT_NAMES.items()})
            else:
                values = row
                view.interactions.append(
                    dict(zip(_INTERACTION_NAMES, (values[c] for c in _PREFIXED), strict=True))
                )
        return view


@dataclass(slots=True)
class _Outcome:
    status: LookupStatus
    reason: LookupReason | None = None
    customer_id: str | None = None
    alias: str | None = None
    record_id: int | None = None  # the record of a provisional profile
    candidates: list[Candidate] = field(default_factory=list)
    candidate_count: int = 0
    unresolved: list[RecordRef] = field(default_factory=list)
    view: _View | None = None  # the customer's records and interactions, if already read
    logged: bool = False  # the read wrote its access-log entry (`logging_read`)

    def fields(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "customer_id": self.customer_id,
            "alias": self.alias,
            "candidates": self.candidates,
            "candidate_count": self.candidate_count,
            "unresolved": self.unresolved,
        }


def _ref(row: Row) -> RecordRef:
    return RecordRef(source=row["source"], source_record_id=row["source_record_id"])


def _find(conn: Connection, query: Query, rules: SurvivorshipRules, log: Log) -> _Outcome:
    """`log`: the parameters of the reads that write their access-log entry, or None."""
    if query.settled is not None:
        return _Outcome(*query.settled)
    if query.kind == "customer_id":
        return _find_customer(conn, str(query.key), log)
    if query.kind == "record":
        assert query.record is not None
        return _find_record(conn, query.record)
    return _find_by_key(conn, query, rules, log)


def _find_customer(conn: Connection, asked: str, log: Log) -> _Outcome:
    # an active customer has records (a merged one has none left): read its view at once
    params: dict[str, Any] = {"customer_id": asked}
    if log is None:
        view = _View.read(fetch_mappings(conn, _CUSTOMER_VIEW, params))
    else:
        view = _View.read(fetch_mappings(conn, _CUSTOMER_VIEW_LOGGED, params | log))
    if view.records:
        return _Outcome("found", customer_id=asked, view=view, logged=log is not None)
    current = asked
    for _ in range(_MAX_ALIAS_HOPS):
        row = conn.execute(_CUSTOMER, {"customer_id": current}).first()
        if row is None:
            return _Outcome("not_found", "no_match")
        if row.status != "merged":
            return _Outcome("found", customer_id=current, alias=asked if current != asked else None)
        if not row.merged_into:
            return _Outcome("not_found", "no_match")
        current = row.merged_into
    return _Outcome("not_found", "no_match")


def _find_record(conn: Connection, ref: RecordRef) -> _Outcome:
    row = conn.execute(
        _RECORD_BY_KEY, {"source": ref.source, "source_record_id": ref.source_record_id}
    ).first()
    if row is None:
        return _Outcome("not_found", "no_match")
    if row.customer_id is not None:
        return _Outcome("found", customer_id=row.customer_id)
    return _Outcome("found", record_id=row.id, unresolved=[ref])


def _find_by_key(conn: Connection, query: Query, rules: SurvivorshipRules, log: Log) -> _Outcome:
    if log is None:
        view = _View.read(fetch_mappings(conn, _HOLDERS[query.kind], {"key": query.key}))
    else:
        read = _HOLDERS_LOGGED[query.kind]
        view = _View.read(fetch_mappings(conn, read, {"key": query.key, **log}))
    holders = view.holders
    if not holders:
        return _Outcome("not_found", "no_match")
    by_customer: dict[str, list[Row]] = {}
    unresolved: list[Row] = []
    for row in holders:
        if row["customer_id"] is None:
            unresolved.append(row)
        else:
            by_customer.setdefault(row["customer_id"], []).append(row)
    pending = [_ref(r) for r in unresolved]
    groups = len(by_customer) + len(unresolved)
    if len(holders) <= MAX_HOLDERS:
        if len(by_customer) == 1:
            found = next(iter(by_customer))
            # the statement logged this customer's read: it read its view
            logged = log is not None
            return _Outcome(
                "found", customer_id=found, unresolved=pending, view=view, logged=logged
            )
        if groups == 1:
            return _Outcome("found", record_id=unresolved[0]["id"], unresolved=pending)
    candidates, logged = _candidates(conn, by_customer, unresolved, rules, log)
    return _Outcome(
        "ambiguous",
        "shared",
        candidates=candidates[:MAX_CANDIDATES],
        candidate_count=groups,
        unresolved=pending,
        logged=logged,
    )


def _candidates(
    conn: Connection,
    by_customer: dict[str, list[Row]],
    unresolved: list[Row],
    rules: SurvivorshipRules,
    log: Log,
) -> tuple[list[Candidate], bool]:
    """The candidates an ambiguous lookup shows, best first, with the names of those in
    a customer read in one statement, which with `log` also writes the access-log entry
    of each candidate shown; and whether it did."""
    found = [
        Candidate(
            customer_id=customer_id,
            records_with_identifier=len(rows),
            sources=sorted({r["source"] for r in rows}),
        )
        for customer_id, rows in by_customer.items()
    ] + [
        Candidate(
            customer_id=None,
            record=_ref(row),
            name=" ".join(p for p in (row["given_names"], row["surnames"]) if p) or None,
            records_with_identifier=1,
            sources=[row["source"]],
        )
        for row in unresolved
    ]
    found.sort(key=lambda c: (-c.records_with_identifier, c.customer_id or "~", str(c.record)))
    ids_shown = [c.customer_id for c in found[:MAX_CANDIDATES]]
    shown = [customer_id for customer_id in ids_shown if customer_id is not None]
    if not shown:
        return found, False
    params: dict[str, Any] = {"customer_ids": shown}
    if log is not None:
        params |= log | {"log_customers": ids_shown}
    rows_of: dict[str, list[Row]] = {}
    read = _CANDIDATE_RECORDS if log is None else _CANDIDATE_RECORDS_LOGGED
    for row in conn.execute(read, params):
        rows_of.setdefault(row.customer_id, []).append(row._mapping)
    for candidate in found:
        if candidate.customer_id in rows_of:
            name = golden_value(rows_of[candidate.customer_id], "name", rules.name)
            candidate.name = name.value if name else None
    return found, log is not None


# -- reading and building -----------------------------------------------------------------


def _consents(conn: Connection, outcome: _Outcome, rows: list[Row]) -> list[ConsentEvent]:
    """The customer's recorded consents: read with its view, or else now."""
    if outcome.view is not None:
        return events_of_rows(outcome.view.consents)
    return recorded_events(conn, outcome.customer_id, rows[0]["id"])


def _load(conn: Connection, outcome: _Outcome) -> tuple[list[Row], list[Row]]:
    if outcome.view is not None:
        return outcome.view.records, outcome.view.interactions
    if outcome.customer_id is not None:
        params = {"customer_id": outcome.customer_id}
        rows: list[Row] = [r._mapping for r in conn.execute(_CUSTOMER_RECORDS, params)]
        return rows, [r._mapping for r in conn.execute(_CUSTOMER_INTERACTIONS, params)]
    rows = [r._mapping for r in conn.execute(_ONE_RECORD, {"record_id": outcome.record_id})]
    if not rows:  # deleted between the two reads
        raise NotFoundError("the record found was removed while reading it")
    key = {"source": rows[0]["source"], "source_record_id": rows[0]["source_record_id"]}
    return rows, [r._mapping for r in conn.execute(_RECORD_INTERACTIONS, key)]


def _log_in_reads(conn: Connection, reader: Reader | None, view: AccessView, now: datetime) -> Log:
    """The parameters of the reads that log themselves, where the database writes in a
    read (`Strategy.writes_in_reads`) and someone reads; None otherwise."""
    if reader is None or not strategy_of(conn).writes_in_reads:
        return None
    return entry_params(reader, view, now)


def _read_ids(outcome: _Outcome) -> list[str | None]:
    """The customers a lookup showed, for the access log: the one found (None: a record
    not in a customer yet), or every candidate of an ambiguous one (their names are
    shown), or none."""
    if outcome.status == "found":
        return [outcome.customer_id]
    return [candidate.customer_id for candidate in outcome.candidates]


def _log(conn: Connection, reader: Reader | None, view: AccessView, outcome: _Outcome,
         now: datetime) -> None:  # fmt: skip
    """Log the lookup's read unless its statement did (`_log_in_reads`)."""
    if reader is not None and not outcome.logged:
        log_read(conn, reader, view, _read_ids(outcome), now)


def lookup_profile(
    store: Store, query: Query, rules: SurvivorshipRules, limit: int, reader: Reader | None = None
) -> ProfileLookup:
    """The customer's profile if one customer (or unresolved record) holds the identifier;
    with a `reader`, the read logged in the access log before this returns."""
    if limit < 0:
        raise InputError("limit must be >= 0")
    now = utcnow()
    with store.lookup_connection() as conn:
        outcome = _find(conn, query, rules, _log_in_reads(conn, reader, "profile", now))
        profile = None
        if outcome.status == "found":
            rows, interaction_rows = _load(conn, outcome)
            recorded = _consents(conn, outcome, rows)
            profile = build_profile(
                outcome.customer_id, rows, interaction_rows, rules, limit, recorded
            )
        _log(conn, reader, "profile", outcome, now)
    return ProfileLookup(identifier=query.kind, profile=profile, **outcome.fields())


def lookup_context(
    store: Store, query: Query, rules: SurvivorshipRules, reader: Reader | None = None
) -> ContextLookup:
    """The customer's context card if one customer (or unresolved record) holds it; with a
    `reader`, the read logged in the access log before this returns."""
    now = utcnow()
    with store.lookup_connection() as conn:
        outcome = _find(conn, query, rules, _log_in_reads(conn, reader, "context", now))
        card = None
        if outcome.status == "found":
            rows, interaction_rows = _load(conn, outcome)
            recorded = _consents(conn, outcome, rows)
            card = build_context(outcome.customer_id, rows, interaction_rows, rules, recorded)
        _log(conn, reader, "context", outcome, now)
    return ContextLookup(identifier=query.kind, context=card, **outcome.fields())
