"""Erasure: a person's records and everything that follows them leave the store.

What is erased is a set of records: a customer's (every record, its aliases and its
customer-level consents), one record, or every record holding an identifier (a phone a
family shares erases every record holding it: an identifier names whoever holds it).
With the records go their versions, their interactions and those versions, their scored
pairs and links, the steward's overrides naming them, their consent events, the
quarantine rows holding their keys or identifiers, and their given names and surnames
from the matching models' frozen term frequencies when no remaining record holds them.
The identifiers suppressed (and matched in the quarantine) are those every version of an
erased record held, not only its current one: an e-mail a person changed is still theirs.

What remains of a customer that lost a record is resolved again from the scored pairs
and the steward's overrides among its remaining records, by batch's own clustering (the
group engine): the erased record may have been the bridge between two halves, and then
the larger half keeps the customer ID and the other gets a new one (`_ids.assign_ids`).

Each erasure is written whole in one transaction with its receipt (who, when, why, the
hashed references, rows removed per table) and its keys on the suppression list; many
erasures go in chunks, each chunk one transaction. On SQLite the erasing connection
overwrites what it deletes (`secure_delete`), so the bytes leave the file at the next
checkpoint.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import pyarrow as pa
from sqlalchemy import Connection, delete, desc, exists, insert, select, tuple_, union

from cx360._errors import InputError, NotFoundError
from cx360.ingest._prepare import Quarantined, prepare_record
from cx360.models._explain import RecordRef
from cx360.models._privacy import ErasureReceipt, ErasureSubject
from cx360.privacy._calls import survivor
from cx360.privacy._suppress import (
    IDENTIFIER_COLUMNS,
    digest,
    forget_salt,
    keys_of,
    record_value,
    salt_of,
    suppress,
)
from cx360.privacy._tables import consent_events, erasures
from cx360.profile._lookup import parse_query
from cx360.profile._survivorship import aware
from cx360.resolve._batch import _EDGES, ResolveOptions, _cluster, _rows_of
from cx360.resolve._ids import assign_ids
from cx360.resolve._incremental import features_table, load_rows
from cx360.resolve._overrides import ActiveOverrides
from cx360.resolve._run_state import RunState, last_finished_run
from cx360.store import Store, utcnow
from cx360.store._customers import (
    add_links,
    assign_records,
    create_customers,
    delete_links,
    link_rows,
)
from cx360.store._schema import (
    IDENTIFIER_KINDS,
    customers,
    extra_identifiers_of,
    interaction_versions,
    interactions,
    match_edges,
    overrides,
    parse_extra_identifiers,
    quarantine,
    record_customers,
    record_identifiers,
    record_links,
    record_versions,
    records,
    term_frequencies,
)
from cx360.store._writes import EXTRA_IDENTIFIERS, chunks

log = logging.getLogger("cx360.privacy")

# Erasures written per transaction by `erase_many`.
CHUNK: Final = 100
_TF_COLUMNS: Final = ("given_key", "surname_key")
_R = records.c
_HELD = (
    _R.id, _R.source, _R.source_record_id, _R.email_key, _R.email_display, _R.phone_key,
    _R.phone_e164, _R.national_id, _R.national_id_key, _R.handle_key, _R.given_key,
    _R.surname_key, record_customers.c.customer_id,
    extra_identifiers_of(_R.id).label(EXTRA_IDENTIFIERS),
)  # fmt: skip
# The tables an erasure removes rows from (each receipt counts every one).
_TABLES: Final = (
    "consent_events", "customers", "interaction_versions", "interactions", "match_edges",
    "overrides", "quarantine", "record_customers", "record_identifiers", "record_links",
    "record_versions", "records", "term_frequencies",
)  # fmt: skip
_PHONE_TAIL: Final = 9  # the last digits of a phone that quarantine rows are matched on
_SPLIT_LINE: Final = re.compile(r"[,;|\t]")


@dataclass(frozen=True, slots=True)
class Subject:
    """What one erasure asks: a customer ID, a record (`record_value`), or an identifier
    key (normalized as lookups normalize it), by kind."""

    kind: ErasureSubject
    value: str


@dataclass(slots=True)
class _Erased:
    """One erasure as it is worked out: what went, and what the quarantine is matched on."""

    subject: Subject
    removed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_TABLES, 0))
    refs: list[str] = field(default_factory=list)
    overrides: list[dict[str, Any]] = field(default_factory=list)
    after: dict[str, int] = field(default_factory=lambda: {"resolved": 0, "new": 0})
    suppressed: list[tuple[str, str]] = field(default_factory=list)
    keys: set[tuple[str, str]] = field(default_factory=set)
    texts: set[str] = field(default_factory=set)
    phone_tails: set[str] = field(default_factory=set)

    def count(self, table: str, rows: int) -> None:
        self.removed[table] = self.removed.get(table, 0) + rows


def erase(
    store: Store, subjects: Sequence[Subject], *, reason: str, by: str
) -> list[ErasureReceipt]:
    """Erase each subject (module docstring), `CHUNK` to a transaction; their receipts."""
    if not reason.strip() or not by.strip():
        raise InputError("an erasure needs a reason and who asks for it (by)")
    if len(by) > 128:
        raise InputError("by must be at most 128 characters")
    receipts: list[ErasureReceipt] = []
    countries = store.source_countries()
    quarantined = _QuarantineIndex()
    for part in chunks(subjects, CHUNK):
        with store.transaction() as conn, store.strategy.erasing(conn):
            now = utcnow()
            salt = salt_of(conn, create=True)
            assert salt is not None
            run = last_finished_run(conn)
            state = (run.state if run is not None else None) or RunState()
            done = [_erase_one(conn, subject, salt, state, now, countries) for subject in part]
            quarantined.forget(conn, done)
            receipts.extend(_receipt(conn, one, salt, reason, by, now) for one in done)
    forget_salt(store)  # this process's real-time calls check the list from now on
    log.info("erased %s subjects", len(receipts))
    return receipts


def _held(conn: Connection, subject: Subject) -> tuple[list[Any], str | None]:
    """The records a subject names (with their customers), and the customer erased
    whole (a customer ID subject's survivor)."""
    query = select(*_HELD).outerjoin(record_customers, record_customers.c.record_id == _R.id)
    if subject.kind == "customer":
        try:
            owner = survivor(conn, subject.value)
        except NotFoundError:  # erased already (a request made twice): nothing held
            return [], None
        return list(conn.execute(query.where(record_customers.c.customer_id == owner))), owner
    if subject.kind == "record":
        source, key = subject.value.split("\x1f", 1)
        found = query.where(_R.source == source, _R.source_record_id == key)
        return list(conn.execute(found)), None
    column = _R[IDENTIFIER_COLUMNS[subject.kind]]
    holding = select(_R.id).where(column == subject.value)
    if subject.kind in IDENTIFIER_KINDS:  # held as a further phone or e-mail, too
        further = select(record_identifiers.c.record_id).where(
            record_identifiers.c.kind == subject.kind, record_identifiers.c.key == subject.value
        )
        holding = union(holding, further)  # type: ignore[assignment]
    return list(conn.execute(query.where(_R.id.in_(holding)))), None


def _erase_one(
    conn: Connection,
    subject: Subject,
    salt: bytes,
    state: RunState,
    now: datetime,
    countries: Mapping[str, str],
) -> _Erased:
    held, owner = _held(conn, subject)
    erased = _Erased(subject)
    ids = [int(row.id) for row in held]
    keys = [(row.source, row.source_record_id) for row in held]
    if subject.kind != "customer":
        erased.suppressed.append((subject.kind, subject.value))
    for held_row in [*(_with_extras(row) for row in held), *_earlier(conn, held, countries)]:
        erased.suppressed.extend(keys_of(held_row))
        _note_tokens(erased, held_row)
    erased.refs = sorted({digest(salt, "record", record_value(*key)) for key in keys})
    _delete_interactions(conn, keys, erased)
    _delete_by_record(conn, ids, erased)
    emptied = _resolve_remaining(conn, held, owner, state, erased, now)
    _delete_customers(conn, emptied, erased)
    erased.refs += sorted(digest(salt, "customer", cid) for cid in emptied)
    _forget_frequencies(conn, held, erased)
    return erased


def _with_extras(row: Any) -> Mapping[str, Any]:
    """A held record's columns, its further identifiers as a prepared record has them."""
    found = dict(row._mapping)
    found[EXTRA_IDENTIFIERS] = tuple(parse_extra_identifiers(found[EXTRA_IDENTIFIERS]))
    return found


def _earlier(
    conn: Connection, held: Sequence[Any], countries: Mapping[str, str]
) -> Iterator[Mapping[str, Any]]:
    """The held records' earlier versions as ingest prepares them (versions keep the row
    as given, not its keys): the identifiers a record held before its latest version."""
    by_id = {int(row.id): row for row in held}
    query = select(record_versions.c.record_id, record_versions.c.raw)
    for part in chunks(list(by_id)):
        for record_id, raw in conn.execute(query.where(record_versions.c.record_id.in_(part))):
            row = by_id[int(record_id)]
            given = {**(raw if isinstance(raw, dict) else {}), "source": row.source,
                     "source_record_id": row.source_record_id}  # fmt: skip
            prepared = prepare_record(given, None, countries, strict=False)
            if not isinstance(prepared, Quarantined):
                yield prepared


def _note_tokens(erased: _Erased, row: Mapping[str, Any]) -> None:
    """What a quarantine row holding this record's key or identifiers is matched on."""
    erased.keys.add((row["source"], row["source_record_id"]))
    for column in ("email_key", "email_display", "national_id", "national_id_key", "handle_key"):
        value = row[column]
        if value:
            erased.texts.add(str(value).strip().casefold())
    phones = [row["phone_e164"], row["phone_key"]]
    for kind, key in row.get(EXTRA_IDENTIFIERS) or ():
        if kind == "phone":
            phones.append(key)
        else:
            erased.texts.add(key.casefold())
    for phone in phones:
        digits = _digits(phone)
        if len(digits) >= _PHONE_TAIL:
            erased.phone_tails.add(digits[-_PHONE_TAIL:])


def _digits(value: object) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())


def _delete_interactions(
    conn: Connection, keys: Sequence[tuple[str, str]], erased: _Erased
) -> None:
    key = tuple_(interactions.c.source, interactions.c.source_record_id)
    for part in chunks(keys, 400):
        pks = [
            int(i) for i in conn.execute(select(interactions.c.id).where(key.in_(part))).scalars()
        ]
        if not pks:
            continue
        for pk_part in chunks(pks):
            versions = delete(interaction_versions).where(
                interaction_versions.c.interaction_pk.in_(pk_part)
            )
            erased.count("interaction_versions", conn.execute(versions).rowcount or 0)
            gone = conn.execute(delete(interactions).where(interactions.c.id.in_(pk_part)))
            erased.count("interactions", gone.rowcount or 0)


def _delete_by_record(conn: Connection, ids: Sequence[int], erased: _Erased) -> None:
    """The records and every row naming them (overrides noted by id, kind and author:
    their reasons are free text and may name the person)."""
    for part in chunks(ids):
        for row in conn.execute(
            select(
                overrides.c.id, overrides.c.kind, overrides.c.created_by, overrides.c.created_at
            ).where(overrides.c.record_id_l.in_(part) | overrides.c.record_id_r.in_(part))
        ):
            erased.overrides.append(
                {"id": int(row.id), "kind": row.kind, "created_by": row.created_by,
                 "created_at": row.created_at.isoformat()}
            )  # fmt: skip
        for table, columns in (
            (record_versions, (record_versions.c.record_id,)),
            (record_identifiers, (record_identifiers.c.record_id,)),
            (consent_events, (consent_events.c.record_id,)),
            (match_edges, (match_edges.c.record_id_l, match_edges.c.record_id_r)),
            (record_links, (record_links.c.record_id_l, record_links.c.record_id_r)),
            (overrides, (overrides.c.record_id_l, overrides.c.record_id_r)),
            (record_customers, (record_customers.c.record_id,)),
            (records, (_R.id,)),
        ):
            for column in columns:
                result = conn.execute(delete(table).where(column.in_(part)))
                erased.count(table.name, result.rowcount or 0)


def _resolve_remaining(
    conn: Connection,
    held: Sequence[Any],
    owner: str | None,
    state: RunState,
    erased: _Erased,
    now: datetime,
) -> list[str]:
    """Resolve again each customer that lost a record; the customers left with none."""
    touched = sorted({row.customer_id for row in held if row.customer_id is not None})
    if owner is not None and owner not in touched:
        touched.append(owner)
    emptied: list[str] = []
    for customer_id in touched:
        members = [
            int(i)
            for i in conn.execute(
                select(record_customers.c.record_id).where(
                    record_customers.c.customer_id == customer_id
                )
            ).scalars()
        ]
        if not members:
            emptied.append(customer_id)
        elif len(members) > 1:
            erased.after["resolved"] += 1
            erased.after["new"] += _cluster_again(conn, customer_id, members, state, now)
    return emptied


def _pairs_among(conn: Connection, ids: Sequence[int]) -> list[tuple[int, int, float]]:
    inside = set(ids)
    found: list[tuple[int, int, float]] = []
    columns = (match_edges.c.record_id_l, match_edges.c.record_id_r, match_edges.c.match_weight)
    for part in chunks(ids):
        for left, right, weight in conn.execute(
            select(*columns).where(match_edges.c.record_id_l.in_(part))
        ):
            if int(right) in inside:
                found.append((int(left), int(right), float(weight)))
    return found


def _overrides_among(conn: Connection, ids: Sequence[int]) -> ActiveOverrides:
    inside = set(ids)
    found = ActiveOverrides()
    query = select(
        overrides.c.id, overrides.c.kind, overrides.c.record_id_l, overrides.c.record_id_r
    )
    rows: list[Any] = []
    for part in chunks(ids):
        rows += conn.execute(
            query.where(overrides.c.revoked_at.is_(None), overrides.c.record_id_l.in_(part))
        ).all()
    for override_id, kind, left, right in sorted(rows):
        if int(right) in inside:
            target = found.links if kind == "link" else found.separations
            target.append((int(override_id), int(left), int(right)))
    return found


def _cluster_again(
    conn: Connection, customer_id: str, members: list[int], state: RunState, now: datetime
) -> int:
    """Cluster a customer's remaining records over their stored pairs and the steward's
    overrides among them, as batch clusters (`resolve._batch._cluster`); the largest
    group keeps the ID, the others become new customers (how many)."""
    rows: dict[int, Any] = {}
    load_rows(conn, members, rows)
    table = features_table(rows)
    ids = table.column("unique_id").to_pylist()
    pairs = _pairs_among(conn, ids)
    edges = pa.table(
        {
            "unique_id_l": pa.array([p[0] for p in pairs], pa.int64()),
            "unique_id_r": pa.array([p[1] for p in pairs], pa.int64()),
            "match_weight": pa.array([p[2] for p in pairs], pa.float64()),
        },
        schema=_EDGES,
    )
    options = ResolveOptions(
        match_weight=state.match_weight,
        name_only_match_weight=state.name_only_match_weight,
        sole_holder_match_weight=state.sole_holder_match_weight,
        limits=state.limits,
    )
    clustered, _ = _cluster(table, _rows_of(table), edges, _overrides_among(conn, ids), options)
    assignment = assign_ids(clustered.labels, ids, dict.fromkeys(ids, customer_id))
    create_customers(conn, assignment.created, now)
    customer_of = assignment.customer_of_label
    moved = [
        (rid, customer_of[label])
        for rid, label in zip(ids, clustered.labels, strict=True)
        if customer_of[label] != customer_id
    ]
    assign_records(conn, moved, [rid for rid, _ in moved], now)
    # the links written again as batch orders its joins (real time replays them so)
    delete_links(conn, ids)
    add_links(
        conn,
        link_rows(ids, clustered.forced, kind="override", run_id=None, now=now)
        + link_rows(ids, clustered.links, kind="model", run_id=None, now=now)
        + link_rows(ids, clustered.sole_holder, kind="sole_holder", run_id=None, now=now),
    )
    return len(assignment.created)


def _delete_customers(conn: Connection, emptied: Sequence[str], erased: _Erased) -> None:
    """Customers left with no record go, with their aliases and customer-level consents."""
    if not emptied:
        return
    aliases = select(customers.c.customer_id).where(customers.c.merged_into.in_(emptied))
    gone = [*emptied, *(str(c) for c in conn.execute(aliases).scalars())]
    for part in chunks(gone):
        result = conn.execute(delete(consent_events).where(consent_events.c.customer_id.in_(part)))
        erased.count("consent_events", result.rowcount or 0)
        result = conn.execute(delete(customers).where(customers.c.customer_id.in_(part)))
        erased.count("customers", result.rowcount or 0)


def _forget_frequencies(conn: Connection, held: Sequence[Any], erased: _Erased) -> None:
    """Drop the erased records' names from the frozen term frequencies when no remaining
    record holds them (a name others hold says nothing about the person)."""
    for column in _TF_COLUMNS:
        for value in sorted({row._mapping[column] for row in held} - {None}):
            if conn.execute(select(exists().where(_R[column] == value))).scalar():
                continue
            result = conn.execute(
                delete(term_frequencies).where(
                    term_frequencies.c.column_name == column, term_frequencies.c.value == value
                )
            )
            erased.count("term_frequencies", result.rowcount or 0)


@dataclass(slots=True)
class _QuarantineIndex:
    """The quarantine's rows by what an erasure matches them on (key, text cell, phone
    tail): the table is read once per `erase` call and then, per chunk, only the rows
    added since (ids above `seen`), not whole for every chunk. A row a concurrent ingest
    commits under an id below one already read is left, as is any row committed after
    the call."""

    seen: int = 0
    by_token: dict[str, list[int]] = field(default_factory=dict)
    taken: set[int] = field(default_factory=set)

    def forget(self, conn: Connection, done: Sequence[_Erased]) -> None:
        """Delete the rows holding an erased record's key or identifiers (each counted
        to the first erasure of the call it matches)."""
        if not any(one.keys for one in done):
            return
        self._read_new(conn)
        for one in done:
            tokens = [_key_token(*key) for key in one.keys]
            tokens += ["t\x1f" + text for text in one.texts]
            tokens += ["p\x1f" + tail for tail in one.phone_tails]
            matched = {i for token in tokens for i in self.by_token.get(token, ())} - self.taken
            self.taken |= matched
            for part in chunks(sorted(matched)):
                gone = conn.execute(delete(quarantine).where(quarantine.c.id.in_(part)))
                one.count("quarantine", gone.rowcount or 0)

    def _read_new(self, conn: Connection) -> None:
        query = select(
            quarantine.c.id, quarantine.c.source, quarantine.c.record_key, quarantine.c.raw
        ).where(quarantine.c.id > self.seen)
        for entry_id, source, key, raw in conn.execute(query):
            tokens = {_key_token(source, key)} if key is not None else set()
            for cell in _cells(raw):
                tokens.add("t\x1f" + cell.strip().casefold())
                digits = _digits(cell)
                if len(digits) >= _PHONE_TAIL:
                    tokens.add("p\x1f" + digits[-_PHONE_TAIL:])
            for token in tokens:
                self.by_token.setdefault(token, []).append(int(entry_id))
            self.seen = max(self.seen, int(entry_id))


def _key_token(source: object, key: object) -> str:
    return f"k\x1f{source}\x1f{key}"


def _cells(raw: object) -> Iterator[str]:
    """A quarantined row's text cells (an unreadable row's line, split at delimiters)."""
    if isinstance(raw, dict):
        for name, value in raw.items():
            if name == "line" and isinstance(value, str):
                yield from (piece.strip(" \"'") for piece in _SPLIT_LINE.split(value))
            elif value is not None:
                yield str(value)


def _receipt(
    conn: Connection, one: _Erased, salt: bytes, reason: str, by: str, now: datetime
) -> ErasureReceipt:
    subject = one.subject
    row = {
        "erased_at": now,
        "erased_by": by,
        "reason": reason,
        "subject_kind": subject.kind,
        "subject": digest(salt, subject.kind, subject.value),
        "refs": one.refs,
        "removed": dict(sorted(one.removed.items())),
        "overrides": one.overrides,
        "customers_after": one.after,
    }
    erasure_id = int(
        conn.execute(insert(erasures).values(row).returning(erasures.c.id)).scalar_one()
    )
    suppress(conn, salt, one.suppressed, erasure_id, now)
    return _as_receipt({"id": erasure_id, **row})


def _as_receipt(row: Mapping[Any, Any]) -> ErasureReceipt:
    return ErasureReceipt(
        id=row["id"],
        erased_at=aware(row["erased_at"]) or row["erased_at"],
        erased_by=row["erased_by"],
        reason=row["reason"],
        subject_kind=row["subject_kind"],
        subject=row["subject"],
        references=list(row["refs"]),
        removed=dict(row["removed"]),
        overrides=list(row["overrides"]),
        customers_after=dict(row["customers_after"]),
    )


def receipts(store: Store, limit: int) -> list[ErasureReceipt]:
    """Erasure receipts, newest first."""
    query = select(erasures).order_by(desc(erasures.c.id)).limit(limit)
    with store.connection() as conn:
        return [_as_receipt(row) for row in conn.execute(query).mappings()]


def check_customer(store: Store, customer_id: str) -> None:
    """Raise NotFoundError when no customer has that ID (or alias)."""
    with store.connection() as conn:
        survivor(conn, customer_id)


def subject_of(
    *,
    customer_id: str | None = None,
    record: tuple[str, str] | RecordRef | None = None,
    email: str | None = None,
    phone: str | None = None,
    national_id: str | None = None,
    handle: str | None = None,
    country: str | None = None,
) -> Subject:
    """What an erasure names, read as a lookup reads it (`parse_query`)."""
    query = parse_query(
        customer_id=customer_id, record=record, email=email, phone=phone,
        national_id=national_id, handle=handle, country=country,
    )  # fmt: skip
    if query.settled is not None:
        if query.settled[1] == "placeholder":
            raise InputError(
                f"that {query.kind} is a placeholder many records hold: erase by "
                "customer_id or record"
            )
        raise InputError(f"that {query.kind} is not a valid one: nothing to erase")
    if query.record is not None:
        return Subject("record", record_value(query.record.source, query.record.source_record_id))
    assert query.key is not None
    if query.kind == "customer_id":
        return Subject("customer", query.key)
    kind: ErasureSubject = query.kind  # type: ignore[assignment]
    return Subject(kind, query.key)
