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
erasures go in chunks, each chunk one transaction, worked out together: a statement per
table for the whole chunk rather than per erasure (on PostgreSQL each is a round trip),
each row removed counted to the erasure that, erasing one at a time, would have removed
it. Requests of a chunk that share a record or a customer are taken in turn.

A chunk holds the locks real time takes for the records it erases (`_erase_chunk`), so a
`resolve_record` about the same person runs wholly before or after it. On SQLite the
erasing connection overwrites what it deletes (`secure_delete`), so the bytes leave the
file at the next checkpoint.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import pyarrow as pa
from sqlalchemy import (
    Connection,
    delete,
    desc,
    exists,
    insert,
    literal,
    select,
    tuple_,
    union,
    union_all,
)

from cx360._errors import InputError
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
    suppress_many,
)
from cx360.privacy._tables import consent_events, erasures
from cx360.profile._lookup import parse_query
from cx360.profile._measures import MAX_ALIAS_HOPS
from cx360.profile._survivorship import aware
from cx360.resolve._batch import _EDGES, ResolveOptions, _cluster, _rows_of
from cx360.resolve._ids import assign_ids
from cx360.resolve._incremental import ROW_COLUMNS, features_table, load_rows
from cx360.resolve._overrides import ActiveOverrides
from cx360.resolve._run_state import RunState, last_finished_run
from cx360.resolve.realtime import lock_names
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
    _R.surname_key, _R.version, _R.content_hash, record_customers.c.customer_id,
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
        receipts.extend(_erase_chunk(store, part, reason, by, countries, quarantined))
    forget_salt(store)  # this process's real-time calls check the list from now on
    log.info("erased %s subjects", len(receipts))
    return receipts


@dataclass(slots=True)
class _Locks:
    """The locks a chunk's transaction holds: real time's names and customers for the
    records in `read` (what the subjects named when they were worked out)."""

    names: set[str] = field(default_factory=set)
    customer_ids: set[str] = field(default_factory=set)
    read: list[_Held] = field(default_factory=list)

    def cover(self, conn: Connection, held: list[_Held]) -> None:
        """Raise `_LockMore` unless these locks cover what the subjects name now: the
        same records as read, unchanged (their version and customers), or records whose
        locks are all held."""
        if _same_records(held, self.read):
            return
        names, customer_ids = _locks_needed(conn, held)
        if not (names <= self.names and customer_ids <= self.customer_ids):
            raise _LockMore(_Locks(self.names | names, self.customer_ids | customer_ids, held))


class _LockMore(Exception):  # noqa: N818  (not an error: the chunk starts again)
    """The records a chunk erases need locks its transaction does not hold yet."""

    def __init__(self, locks: _Locks) -> None:
        super().__init__()
        self.locks = locks


def _erase_chunk(
    store: Store,
    part: Sequence[Subject],
    reason: str,
    by: str,
    countries: Mapping[str, str],
    quarantined: _QuarantineIndex,
) -> list[ErasureReceipt]:
    """One transaction of whole erasures, under the locks real time takes for the same
    records (`_locks_needed`): a `resolve_record` about one of them runs wholly before
    or after.

    Where locks are taken by name (PostgreSQL), the records are read first, outside the
    transaction, which starts holding their locks (taken later, with others held, they
    could deadlock with real time's, which take names, then customers); read again under
    them, the same records need nothing more, and only records that came in or changed
    meanwhile may make it start again holding more."""
    strategy = store.strategy
    locks: _Locks | None = None
    if strategy.named_locks:
        with store.lookup_connection() as conn:
            held = _held_all(conn, part)
            locks = _Locks(*_locks_needed(conn, held), held)
    for attempt in range(_LOCK_ATTEMPTS):
        last = attempt == _LOCK_ATTEMPTS - 1
        names = sorted(locks.names) if locks is not None else []
        try:
            with strategy.locked_transaction(store.engine, names) as conn:
                if locks is not None:
                    strategy.lock_customers(conn, locks.customer_ids)
                with strategy.erasing(conn):
                    return _erase_locked(
                        conn, part, reason, by, countries, quarantined, None if last else locks
                    )
        except _LockMore as more:
            locks = more.locks
    raise AssertionError("unreachable: the last attempt takes no more locks")


_LOCK_ATTEMPTS: Final = 3


def _erase_locked(
    conn: Connection,
    part: Sequence[Subject],
    reason: str,
    by: str,
    countries: Mapping[str, str],
    quarantined: _QuarantineIndex,
    locks: _Locks | None,
) -> list[ErasureReceipt]:
    """A chunk's erasures in its transaction, the `locks` it holds checked to cover what
    it erases (None: nothing to check)."""
    now = utcnow()
    salt = salt_of(conn, create=True)
    assert salt is not None
    run = last_finished_run(conn)
    state = (run.state if run is not None else None) or RunState()
    held = _held_all(conn, part)
    if locks is not None:
        locks.cover(conn, held)
    done: list[_Erased] = []
    while len(done) < len(part):
        group = _independent(held)
        done += _erase_group(conn, part[len(done) : len(done) + group], held[:group], salt,
                             state, now, countries)  # fmt: skip
        if len(done) < len(part):  # what the others hold after this group's erasures
            held = _held_all(conn, part[len(done) :])
    quarantined.forget(conn, done)
    return _receipts(conn, done, salt, reason, by, now)


# -- what the subjects hold -----------------------------------------------------------------


@dataclass(slots=True)
class _Held:
    """What one subject names: its records (`_HELD` rows) and the customer it erases
    whole (a customer ID subject's survivor, None otherwise)."""

    rows: list[Any] = field(default_factory=list)
    owner: str | None = None

    def customer_ids(self) -> set[str]:
        found = {row.customer_id for row in self.rows if row.customer_id is not None}
        return found | ({self.owner} if self.owner is not None else set())


def _held_all(conn: Connection, subjects: Sequence[Subject]) -> list[_Held]:
    """What each subject names, read a few statements for all of them (per kind)."""
    held = [_Held() for _ in subjects]
    query = select(*_HELD).outerjoin(record_customers, record_customers.c.record_id == _R.id)
    by_kind: dict[str, list[int]] = {}
    for index, subject in enumerate(subjects):
        by_kind.setdefault(subject.kind, []).append(index)
    for kind, indexes in by_kind.items():
        wanted = [subjects[i].value for i in indexes]
        if kind == "customer":
            _held_by_customers(conn, query, wanted, [held[i] for i in indexes])
        elif kind == "record":
            _held_by_keys(conn, query, wanted, [held[i] for i in indexes])
        else:
            _held_by_identifier(conn, query, kind, wanted, [held[i] for i in indexes])
    return held


def _survivors(conn: Connection, customer_ids: Sequence[str]) -> dict[str, str]:
    """The active customer behind each ID that names one (`survivor`, for many): an ID
    that names none (erased already) is left out."""
    found: dict[str, str] = {}
    current = {cid: cid for cid in customer_ids}  # asked -> where its chain has got to
    columns = (customers.c.customer_id, customers.c.status, customers.c.merged_into)
    for _ in range(MAX_ALIAS_HOPS):
        if not current:
            break
        rows: dict[str, Any] = {}
        for part in chunks(sorted(set(current.values()))):
            rows.update((r.customer_id, r) for r in conn.execute(select(*columns).where(
                customers.c.customer_id.in_(part))))  # fmt: skip
        following: dict[str, str] = {}
        for asked, at in current.items():
            row = rows.get(at)
            if row is None:
                continue
            if row.status != "merged" or row.merged_into is None:
                found[asked] = at
            else:
                following[asked] = row.merged_into
        current = following
    return found


def _held_by_customers(
    conn: Connection, query: Any, wanted: Sequence[str], into: Sequence[_Held]
) -> None:
    owners = _survivors(conn, wanted)
    rows: dict[str, list[Any]] = {}
    for part in chunks(sorted(set(owners.values()))):
        for row in conn.execute(query.where(record_customers.c.customer_id.in_(part))):
            rows.setdefault(row.customer_id, []).append(row)
    for asked, held in zip(wanted, into, strict=True):
        held.owner = owners.get(asked)
        held.rows = list(rows.get(held.owner, ())) if held.owner is not None else []


def _held_by_keys(
    conn: Connection, query: Any, wanted: Sequence[str], into: Sequence[_Held]
) -> None:
    keys = [_record_key(value) for value in wanted]
    rows: dict[tuple[str, str], list[Any]] = {}
    for part in chunks(sorted(set(keys)), 400):
        for row in conn.execute(query.where(tuple_(_R.source, _R.source_record_id).in_(part))):
            rows.setdefault((row.source, row.source_record_id), []).append(row)
    for key, held in zip(keys, into, strict=True):
        held.rows = list(rows.get(key, ()))


def _record_key(value: str) -> tuple[str, str]:
    source, key = value.split("\x1f", 1)
    return source, key


def _held_by_identifier(
    conn: Connection, query: Any, kind: str, wanted: Sequence[str], into: Sequence[_Held]
) -> None:
    name = IDENTIFIER_COLUMNS[kind]
    rows: dict[int, Any] = {}
    for part in chunks(sorted(set(wanted))):
        holding = select(_R.id).where(_R[name].in_(part))
        if kind in IDENTIFIER_KINDS:  # held as a further phone or e-mail, too
            further = select(record_identifiers.c.record_id).where(
                record_identifiers.c.kind == kind, record_identifiers.c.key.in_(part)
            )
            holding = union(holding, further)  # type: ignore[assignment]
        rows.update((int(r.id), r) for r in conn.execute(query.where(_R.id.in_(holding))))
    holders: dict[str, list[Any]] = {}
    for row in sorted(rows.values(), key=lambda r: int(r.id)):
        values = {row._mapping[name]}
        values.update(key for k, key in parse_extra_identifiers(row.extra_identifiers) if k == kind)
        for value in values:
            holders.setdefault(value, []).append(row)
    for value, held in zip(wanted, into, strict=True):
        held.rows = list(holders.get(value, ()))


def _independent(held: Sequence[_Held]) -> int:
    """How many subjects from the first share no record or customer with one another:
    their erasures are worked out together, as erasing them one by one would."""
    records_seen: set[int] = set()
    customers_seen: set[str] = set()
    for count, one in enumerate(held):
        ids = {int(row.id) for row in one.rows}
        touched = one.customer_ids()
        if count and (ids & records_seen or touched & customers_seen):
            return count
        records_seen |= ids
        customers_seen |= touched
    return len(held)


def _locks_needed(conn: Connection, held: Sequence[_Held]) -> tuple[set[str], set[str]]:
    """The names real time would lock for every record held, and their customers."""
    needed = stored_lock_names(conn, [row for one in held for row in one.rows])
    return needed, {cid for one in held for cid in one.customer_ids()}


def _same_records(held: Sequence[_Held], read: Sequence[_Held]) -> bool:
    """Whether the subjects name the same records, at the same versions and in the same
    customers, as when `read` (the locks real time takes for them are then the same)."""
    return len(held) == len(read) and all(
        now.owner == then.owner
        and {tuple(row) for row in now.rows} == {tuple(row) for row in then.rows}
        for now, then in zip(held, read, strict=True)
    )


def stored_lock_names(conn: Connection, rows: Sequence[Any]) -> set[str]:
    """The names real time locks for stored records (`realtime.lock_names`, from the
    same features it reads), given their rows' id, source and source_record_id."""
    features: dict[int, Any] = {}
    load_rows(conn, [int(row.id) for row in rows], features)
    names: set[str] = set()
    for row in rows:
        given = dict(zip(ROW_COLUMNS, features.get(int(row.id), ()), strict=False))
        names.update(lock_names({**given, "source": row.source,
                                 "source_record_id": row.source_record_id}))  # fmt: skip
    return names


# -- one group of independent erasures ------------------------------------------------------


@dataclass(slots=True)
class _Group:
    """Independent erasures worked out together: each one's `_Erased`, and which of them
    (by position) each record erased is of."""

    erased: list[_Erased]
    of_record: dict[int, int]

    def first(self, *record_ids: Any) -> int:
        """The first erasure, in order, of any of these records (the one that, erasing
        them one by one, would remove a row naming them)."""
        return min(self.of_record[int(i)] for i in record_ids if int(i) in self.of_record)


def _erase_group(
    conn: Connection,
    subjects: Sequence[Subject],
    held: Sequence[_Held],
    salt: bytes,
    state: RunState,
    now: datetime,
    countries: Mapping[str, str],
) -> list[_Erased]:
    group = _Group([_Erased(subject) for subject in subjects], {})
    all_rows: list[Any] = []
    for index, (subject, one) in enumerate(zip(subjects, held, strict=True)):
        erased = group.erased[index]
        if subject.kind != "customer":
            erased.suppressed.append((subject.kind, subject.value))
        for row in one.rows:
            group.of_record[int(row.id)] = index
            held_row = _with_extras(row)
            erased.suppressed.extend(keys_of(held_row))
            _note_tokens(erased, held_row)
        keys = {record_value(row.source, row.source_record_id) for row in one.rows}
        erased.refs = sorted(digest(salt, "record", key) for key in keys)
        all_rows += one.rows
    for record_id, earlier in _earlier(conn, all_rows, countries):
        erased = group.erased[group.of_record[record_id]]
        erased.suppressed.extend(keys_of(earlier))
        _note_tokens(erased, earlier)
    _delete_interactions(conn, all_rows, group)
    _delete_by_record(conn, group)
    emptied = _resolve_remaining(conn, held, group, state, now)
    _delete_customers(conn, emptied, group)
    for index, erased in enumerate(group.erased):
        gone = (cid for cid, of in emptied.items() if of == index)
        erased.refs += sorted(digest(salt, "customer", cid) for cid in gone)
    _forget_frequencies(conn, held, group)
    return group.erased


def _with_extras(row: Any) -> Mapping[str, Any]:
    """A held record's columns, its further identifiers as a prepared record has them."""
    found = dict(row._mapping)
    found[EXTRA_IDENTIFIERS] = tuple(parse_extra_identifiers(found[EXTRA_IDENTIFIERS]))
    return found


def _earlier(
    conn: Connection, held: Sequence[Any], countries: Mapping[str, str]
) -> Iterator[tuple[int, Mapping[str, Any]]]:
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
                yield int(record_id), prepared


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


def _delete_interactions(conn: Connection, held: Sequence[Any], group: _Group) -> None:
    """The held records' interactions and their versions, a statement per table and part."""
    of_key = {(row.source, row.source_record_id): group.of_record[int(row.id)] for row in held}
    key = tuple_(interactions.c.source, interactions.c.source_record_id)
    found = select(interactions.c.id, interactions.c.source, interactions.c.source_record_id)
    of_pk: dict[int, int] = {}
    for part in chunks(sorted(of_key), 400):
        for pk, source, source_record_id in conn.execute(found.where(key.in_(part))):
            of_pk[int(pk)] = of_key[(source, source_record_id)]
    versions = interaction_versions.c.interaction_pk
    for pk_part in chunks(sorted(of_pk)):
        gone = conn.execute(delete(interaction_versions).where(versions.in_(pk_part))
                            .returning(versions))  # fmt: skip
        for (pk,) in gone:
            group.erased[of_pk[int(pk)]].count("interaction_versions", 1)
        gone = conn.execute(delete(interactions).where(interactions.c.id.in_(pk_part))
                            .returning(interactions.c.id))  # fmt: skip
        for (pk,) in gone:
            group.erased[of_pk[int(pk)]].count("interactions", 1)


# The tables naming records, by the columns that do, in the order their rows go.
_BY_RECORD: Final = (
    (record_versions, (record_versions.c.record_id,)),
    (record_identifiers, (record_identifiers.c.record_id,)),
    (consent_events, (consent_events.c.record_id,)),
    (match_edges, (match_edges.c.record_id_l, match_edges.c.record_id_r)),
    (record_links, (record_links.c.record_id_l, record_links.c.record_id_r)),
    (overrides, (overrides.c.record_id_l, overrides.c.record_id_r)),
    (record_customers, (record_customers.c.record_id,)),
    (records, (_R.id,)),
)


def _delete_by_record(conn: Connection, group: _Group) -> None:
    """The records and every row naming them, each row counted to the first erasure of
    a record it names (overrides noted by id, kind and author: their reasons are free
    text and may name the person)."""
    ids = sorted(group.of_record)
    o = overrides.c
    named = select(o.id, o.kind, o.created_by, o.created_at, o.record_id_l, o.record_id_r)
    noted: dict[int, Any] = {}
    for part in chunks(ids):
        where = overrides.c.record_id_l.in_(part) | overrides.c.record_id_r.in_(part)
        noted.update((int(row.id), row) for row in conn.execute(named.where(where)))
    for _, row in sorted(noted.items()):
        group.erased[group.first(row.record_id_l, row.record_id_r)].overrides.append(
            {"id": int(row.id), "kind": row.kind, "created_by": row.created_by,
             "created_at": row.created_at.isoformat()}
        )  # fmt: skip
    for table, columns in _BY_RECORD:
        for column in columns:
            for part in chunks(ids):
                gone = conn.execute(delete(table).where(column.in_(part)).returning(*columns))
                for named_ids in gone:
                    group.erased[group.first(*named_ids)].count(table.name, 1)


def _resolve_remaining(
    conn: Connection, held: Sequence[_Held], group: _Group, state: RunState, now: datetime
) -> dict[str, int]:
    """Resolve again each customer that lost a record; the customers left with none (and
    which erasure emptied each)."""
    touched: dict[str, int] = {}
    for index, one in enumerate(held):
        for customer_id in sorted(one.customer_ids()):
            touched.setdefault(customer_id, index)
    members: dict[str, list[int]] = {}
    column = record_customers.c.customer_id
    query = select(record_customers.c.record_id, column)
    for part in chunks(sorted(touched)):
        for record_id, customer_id in conn.execute(query.where(column.in_(part))):
            members.setdefault(customer_id, []).append(int(record_id))
    emptied: dict[str, int] = {}
    several: dict[str, list[int]] = {}
    for customer_id, index in touched.items():
        remaining = sorted(members.get(customer_id, ()))
        if not remaining:
            emptied[customer_id] = index
        elif len(remaining) > 1:
            several[customer_id] = remaining
    for customer_id, created in _cluster_again(conn, several, state, now).items():
        after = group.erased[touched[customer_id]].after
        after["resolved"] += 1
        after["new"] += created
    return emptied


def _pairs_within(
    conn: Connection, customer_of: Mapping[int, str]
) -> dict[str, list[tuple[int, int, float]]]:
    """The stored pairs between two records of one customer, by customer."""
    found: dict[str, list[tuple[int, int, float]]] = {}
    columns = (match_edges.c.record_id_l, match_edges.c.record_id_r, match_edges.c.match_weight)
    for part in chunks(sorted(customer_of)):
        for left, right, weight in conn.execute(
            select(*columns).where(match_edges.c.record_id_l.in_(part))
        ):
            customer_id = customer_of[int(left)]
            if customer_of.get(int(right)) == customer_id:
                found.setdefault(customer_id, []).append((int(left), int(right), float(weight)))
    return {customer_id: sorted(pairs) for customer_id, pairs in found.items()}


def _overrides_within(
    conn: Connection, customer_of: Mapping[int, str]
) -> dict[str, ActiveOverrides]:
    """The steward's active overrides between two records of one customer, by customer."""
    found: dict[str, ActiveOverrides] = {}
    query = select(
        overrides.c.id, overrides.c.kind, overrides.c.record_id_l, overrides.c.record_id_r
    )
    rows: list[Any] = []
    for part in chunks(sorted(customer_of)):
        rows += conn.execute(
            query.where(overrides.c.revoked_at.is_(None), overrides.c.record_id_l.in_(part))
        ).all()
    for override_id, kind, left, right in sorted(rows):
        customer_id = customer_of[int(left)]
        if customer_of.get(int(right)) == customer_id:
            steward = found.setdefault(customer_id, ActiveOverrides())
            target = steward.links if kind == "link" else steward.separations
            target.append((int(override_id), int(left), int(right)))
    return found


def _edges(pairs: Sequence[tuple[int, int, float]]) -> pa.Table:
    return pa.table(
        {
            "unique_id_l": pa.array([p[0] for p in pairs], pa.int64()),
            "unique_id_r": pa.array([p[1] for p in pairs], pa.int64()),
            "match_weight": pa.array([p[2] for p in pairs], pa.float64()),
        },
        schema=_EDGES,
    )


def _cluster_again(
    conn: Connection, customers_of: Mapping[str, list[int]], state: RunState, now: datetime
) -> dict[str, int]:
    """Cluster each customer's remaining records (`customers_of`: customer -> records)
    over their stored pairs and the steward's overrides among them, as batch clusters
    (`resolve._batch._cluster`), one customer at a time but read and written together;
    in each, the largest group keeps the ID and the others become new customers (how
    many, per customer)."""
    customer_of = {rid: cid for cid, ids in customers_of.items() for rid in ids}
    if not customer_of:
        return {}
    features: dict[int, Any] = {}
    load_rows(conn, list(customer_of), features)
    pairs, steward = _pairs_within(conn, customer_of), _overrides_within(conn, customer_of)
    options = ResolveOptions(
        match_weight=state.match_weight,
        name_only_match_weight=state.name_only_match_weight,
        sole_holder_match_weight=state.sole_holder_match_weight,
        limits=state.limits,
    )
    created: dict[str, int] = {}
    new_customers: list[str] = []
    moved: list[tuple[int, str]] = []
    links: list[dict[str, Any]] = []
    for customer_id, members in customers_of.items():
        table = features_table({rid: features[rid] for rid in members if rid in features})
        ids = table.column("unique_id").to_pylist()
        clustered, _ = _cluster(
            table, _rows_of(table), _edges(pairs.get(customer_id, ())),
            steward.get(customer_id, ActiveOverrides()), options,
        )  # fmt: skip
        assignment = assign_ids(clustered.labels, ids, dict.fromkeys(ids, customer_id))
        created[customer_id] = len(assignment.created)
        new_customers += assignment.created
        label_customer = assignment.customer_of_label
        moved += [
            (rid, label_customer[label])
            for rid, label in zip(ids, clustered.labels, strict=True)
            if label_customer[label] != customer_id
        ]
        # the links written again as batch orders its joins (real time replays them so)
        links += link_rows(ids, clustered.forced, kind="override", run_id=None, now=now)
        links += link_rows(ids, clustered.links, kind="model", run_id=None, now=now)
        links += link_rows(ids, clustered.sole_holder, kind="sole_holder", run_id=None, now=now)
    create_customers(conn, new_customers, now)
    assign_records(conn, moved, [rid for rid, _ in moved], now)
    delete_links(conn, sorted(customer_of))
    add_links(conn, links)
    return created


def _delete_customers(conn: Connection, emptied: Mapping[str, int], group: _Group) -> None:
    """Customers left with no record go, with their aliases and customer-level consents."""
    if not emptied:
        return
    of_customer = dict(emptied)
    aliases = select(customers.c.customer_id, customers.c.merged_into)
    for part in chunks(sorted(emptied)):
        for alias, merged_into in conn.execute(aliases.where(customers.c.merged_into.in_(part))):
            of_customer.setdefault(str(alias), emptied[merged_into])
    for part in chunks(sorted(of_customer)):
        for table, column in (
            (consent_events, consent_events.c.customer_id),
            (customers, customers.c.customer_id),
        ):
            gone = conn.execute(delete(table).where(column.in_(part)).returning(column))
            for (customer_id,) in gone:
                group.erased[of_customer[customer_id]].count(table.name, 1)


def _forget_frequencies(conn: Connection, held: Sequence[_Held], group: _Group) -> None:
    """Drop the erased records' names from the frozen term frequencies when no remaining
    record holds them (a name others hold says nothing about the person); each counted to
    the last erasure holding it (erasing one by one, the earlier ones leave it held)."""
    for column in _TF_COLUMNS:
        last_of: dict[str, int] = {}
        for index, one in enumerate(held):
            for row in one.rows:
                value = row._mapping[column]
                if value is not None:
                    last_of[value] = index
        still: set[str] = set()
        for part in chunks(sorted(last_of), _COMPOUND):
            still.update(conn.execute(_still_held(column, part)).scalars())
        gone = sorted(set(last_of) - still)
        for part in chunks(gone):
            result = conn.execute(
                delete(term_frequencies)
                .where(term_frequencies.c.column_name == column, term_frequencies.c.value.in_(part))
                .returning(term_frequencies.c.value)
            )
            for (value,) in result:
                group.erased[last_of[value]].count("term_frequencies", 1)


# Values checked per statement: SQLite's limit on the selects of one UNION is 500.
_COMPOUND: Final = 200


def _still_held(column: str, values: Sequence[str]) -> Any:
    """The values some record still holds in `column`: one indexed probe each that stops
    at the first holder (a common name has thousands, which an IN list would all read)."""
    probes = [
        select(literal(value).label("value")).where(exists().where(_R[column] == value))
        for value in values
    ]
    return union_all(*probes)


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


def _receipts(
    conn: Connection, done: Sequence[_Erased], salt: bytes, reason: str, by: str, now: datetime
) -> list[ErasureReceipt]:
    """The chunk's receipts, in one insert, and its keys on the suppression list (each
    under the first erasure naming it)."""
    rows = [
        {
            "erased_at": now,
            "erased_by": by,
            "reason": reason,
            "subject_kind": one.subject.kind,
            "subject": digest(salt, one.subject.kind, one.subject.value),
            "refs": one.refs,
            "removed": dict(sorted(one.removed.items())),
            "overrides": one.overrides,
            "customers_after": one.after,
        }
        for one in done
    ]
    added = insert(erasures).returning(erasures.c.id, sort_by_parameter_order=True)
    ids = [int(i) for i in conn.execute(added, rows).scalars()]
    suppress_many(conn, salt, [(one.suppressed, i) for one, i in zip(done, ids, strict=True)], now)
    return [_as_receipt({"id": i, **row}) for i, row in zip(ids, rows, strict=True)]


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
