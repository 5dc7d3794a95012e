"""Real-time calls: resolve one record as it arrives, record one interaction.

`RealtimeResolver.resolve(record)` (behind `Hub.resolve_record`) answers "who is this?"
the way a batch run would have:

1. The record is normalized as ingest does (`prepare_record`); a row ingest would
   quarantine is refused with a `SchemaError` naming the column, and nothing is stored.
2. One transaction (`store/_realtime.locked_transaction`: SQLite's write lock, or
   PostgreSQL advisory locks on the record's blocking keys) stores the record (insert, or
   update keeping history, as ingest does) and, seeing everything written before it under
   the same locks:
3. finds candidates with one query whose branches mirror the batch blocking rules
   (`_splink.PREDICTION_BLOCKS` and `CROSS_BLOCKS`, pinned by a test), each an index
   lookup (migration 0005);
4. scores them with the latest model in pure Python (`Scorer`, with the term
   frequencies frozen with the model: the very weights batch runs compute);
5. decides like batch clustering over the record's pairs at or above the last run's link
   weight: candidate customers strongest pair first, the record joining the first whose
   guard profile (built from all its records) has no conflict with it, and each further
   one that fits everything joined so far merging in (a record that bridges two
   customers makes them one, as a batch run would, unless its only pair into the second
   is weak: `GuardLimits.bridge_match_weight`); else a customer of its own;
6. writes the assignment (`record_customers`), the links that decided it (`record_links`,
   kind 'model') and every pair at or above the link weight (`match_edges`, l < r), which
   the next incremental batch run clusters over.

Left to the next batch `resolve()`, which rescores real-time records (they carry an
ingest batch newer than the last run): splitting a customer that a changed record held
together, and records ingested but never resolved (pairs with them are kept in
`match_edges`, but they have no customer to join).

The model, link weight and guard limits are read once per model and run and kept per
resolver (one per `Hub`); each call checks with one cheap query that no newer model or run
has appeared. Term frequencies are read per value on first use and kept.
"""

from __future__ import annotations

import copy
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    Connection,
    String,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql

from cx360._errors import SchemaError
from cx360.ingest._prepare import Quarantined, prepare_interaction, prepare_record
from cx360.models import InteractionResult, Match, MatchAlternative, RecordRef
from cx360.models._realtime import MatchStatus
from cx360.resolve._cluster import WEAK_BRIDGE
from cx360.resolve._evidence import (
    DEFAULT_MATCH_WEIGHT,
    LinkRule,
    contacts_agree,
    identifiers_agree,
)
from cx360.resolve._explain import pair_explanation
from cx360.resolve._features import FEATURE_COLUMNS, email_user
from cx360.resolve._guards import GuardLimits, conflict, overridden
from cx360.resolve._guards import Profile as GuardProfile
from cx360.resolve._ids import new_customer_id
from cx360.resolve._scoring import Scorer, TermFrequencies, match_probability
from cx360.resolve._splink import NAME_BLOCK_MAX_RECORDS, SWAPPED_NAMES_BLOCK
from cx360.store import Store, utcnow
from cx360.store._realtime import (
    Appends,
    PinnedConnection,
    RecordWrite,
    WalCheckpointer,
    count_in_batch,
    customer_of_record,
    execute_on_driver,
    insert_interaction_autocommit,
    lock_customers,
    lock_params,
    locked_transaction,
    move_to_batch,
    open_batch,
    record_values,
    record_written,
    with_customer_locks,
    with_generic_plans,
    with_locks,
    with_new_record,
    write_appends,
    write_interaction,
    write_record,
)
from cx360.store._schema import (
    ADDRESS_PREFIX_CHARS,
    address_prefix,
    customers,
    match_edges,
    models,
    overrides,
    record_customers,
    record_links,
    records,
    resolution_runs,
    term_frequencies,
)
from cx360.store._schema import email_user as sql_email_user

_GUARD_COLUMNS: Final = (*FEATURE_COLUMNS, "national_id_kind")
# Per blocking rule, at most this many candidates: a value shared by more records (a
# call-center phone) would make one call as slow as a batch. Batch scores them all.
BRANCH_LIMIT: Final = 1000
_SOURCE_COUNTRIES_TTL = 10.0  # seconds a resolver trusts its copy of the source defaults
_MAX_CACHED_FREQUENCIES = 1_000_000
_MAX_PRELOADED_FREQUENCIES = 200_000
_UNKNOWN: Any = object()

# -- candidates: one branch per batch blocking rule ---------------------------------------

_R = records.c
_P = bindparam  # short: the branches below read like the blocking rules

# The batch rule (columns that must be equal) each branch mirrors; the name block (given
# name + surname) counts only when at most NAME_BLOCK_MAX_RECORDS records share it.
NAME_BLOCK: Final = ("name_block",)
HANDLE_IS_EMAIL_USER: Final = ('l."handle_key" = r."email_user"',)
EMAIL_USER_IS_HANDLE: Final = ('l."email_user" = r."handle_key"',)
SWAPPED_NAMES: Final = (SWAPPED_NAMES_BLOCK,)
_BRANCHES: Final[dict[tuple[str, ...], tuple[Any, ...]]] = {
    ("phone_key",): (_R.phone_key == _P("phone_key"),),
    ("email_key",): (_R.email_key == _P("email_key"),),
    ("national_id_key",): (_R.national_id_key == _P("national_id_key"),),
    ("handle_key",): (_R.handle_key == _P("handle_key"),),
    ("surname_key", "birth_date"): (
        _R.birth_date == _P("birth_date"),
        _R.surname_key == _P("surname_key"),
    ),
    ("given_canonical", "birth_date"): (
        _R.birth_date == _P("birth_date"),
        _R.given_canonical == _P("given_canonical"),
    ),
    NAME_BLOCK: (
        _R.surname_key == _P("surname_key"),
        _R.given_canonical == _P("given_canonical"),
    ),
    # only the indexed prefix in SQL; the surname and the whole address are compared in
    # Python (`_scored`). Given in SQL, SQLite would either pick the surname index (and
    # read every record with a common surname) or substitute the address value into the
    # prefix expression, which then no longer matches the index: a scan either way.
    ("surname_key", "address_key"): (address_prefix(_R.address_key) == _P("address_prefix"),),
    # the candidate's handle is this record's e-mail user name, and the other way round
    HANDLE_IS_EMAIL_USER: (_R.handle_key == _P("email_user"),),
    EMAIL_USER_IS_HANDLE: (sql_email_user(_R.email_key) == _P("handle_key"),),
    # the candidate's surname is this record's given name and the other way round
    SWAPPED_NAMES: (
        _R.surname_key == _P("given_canonical"),
        _R.given_canonical == _P("surname_key"),
    ),
}
_RULES: Final = tuple(_BRANCHES)
_NAME_BLOCK_RULE: Final = _RULES.index(NAME_BLOCK)
_SWAPPED_NAMES_RULE: Final = _RULES.index(SWAPPED_NAMES)
_SURNAME_ADDRESS_RULE: Final = _RULES.index(("surname_key", "address_key"))
# rules that count only when their block holds at most NAME_BLOCK_MAX_RECORDS records: one
# row more than that is enough to tell
_CAPPED_RULES: Final = (_NAME_BLOCK_RULE, _SWAPPED_NAMES_RULE)


def _branch(number: int, conditions: tuple[Any, ...]) -> Any:
    """One rule's candidates with what scoring needs; each branch reads its rows itself
    (measured: twice as fast on SQLite as a union of ids joined to `records` afterwards)."""
    limit = NAME_BLOCK_MAX_RECORDS + 1 if number in _CAPPED_RULES else BRANCH_LIMIT
    inner = (
        select(
            literal_column(str(number)).label("rule"),
            _R.id,
            _R.source,
            _R.source_record_id,
            *(_R[c] for c in _GUARD_COLUMNS),
            record_customers.c.customer_id,
        )
        .select_from(records.outerjoin(record_customers, record_customers.c.record_id == _R.id))
        .where(*conditions)
        .limit(limit)
        .subquery()
    )
    return select(inner)


# One statement for every rule: a round trip per rule would cost more than the lookups.
_CANDIDATES = union_all(
    *(_branch(number, conditions) for number, conditions in enumerate(_BRANCHES.values()))
)


def _pg_candidates() -> Any:
    """PostgreSQL: the candidates themselves, each once: the rules' hits (ids), kept as
    `_kept` keeps them, then their rows. Read by primary key after the lookups, which
    costs the server little, while the statement's text stays short enough for psycopg
    to keep its parsed form (it re-parses texts over 4 KiB on every call) and a third of
    the rows come back (a record is often found by several rules)."""
    hits = union_all(
        *(
            select(literal_column(str(number)).label("rule"), _R.id)
            .where(*conditions)
            .limit(NAME_BLOCK_MAX_RECORDS + 1 if number in _CAPPED_RULES else BRANCH_LIMIT)
            for number, conditions in enumerate(_BRANCHES.values())
        )
    ).cte("hits")
    rule = hits.c.rule
    name_block: Any = literal_column(str(_NAME_BLOCK_RULE))
    swapped: Any = literal_column(str(_SWAPPED_NAMES_RULE))
    surname_address: Any = literal_column(str(_SURNAME_ADDRESS_RULE))
    in_name_block = select(func.count()).select_from(hits).where(rule == name_block)
    in_swapped = select(func.count()).select_from(hits).where(rule == swapped)
    small_name = in_name_block.scalar_subquery() <= NAME_BLOCK_MAX_RECORDS
    return (
        select(_R.id, _R.source, _R.source_record_id, *(_R[c] for c in _GUARD_COLUMNS))
        .add_columns(record_customers.c.customer_id)
        .ext(postgresql.distinct_on(_R.id))
        .select_from(
            hits.join(records, _R.id == hits.c.id).outerjoin(
                record_customers, record_customers.c.record_id == _R.id
            )
        )
        .where(
            or_(rule != name_block, small_name),
            or_(
                rule != swapped,
                and_(small_name, in_swapped.scalar_subquery() <= NAME_BLOCK_MAX_RECORDS),
            ),
            or_(
                rule != surname_address,
                and_(_R.surname_key == _P("surname_key"), _R.address_key == _P("address_key")),
            ),
        )
    )


_PG_CANDIDATES = _pg_candidates()
_CANDIDATES_LOCKING_CUSTOMERS = with_customer_locks(_PG_CANDIDATES)


_MEMBERS = (
    select(record_customers.c.customer_id, _R.id, *(_R[c] for c in _GUARD_COLUMNS))
    .select_from(record_customers.join(records, _R.id == record_customers.c.record_id))
    .where(
        record_customers.c.customer_id.in_(_P("customers", expanding=True)),
        record_customers.c.record_id != _P("record_id"),
    )
)


# PostgreSQL: an array parameter, one statement text whatever the number of customers
_PG_MEMBERS = (
    select(record_customers.c.customer_id, _R.id, *(_R[c] for c in _GUARD_COLUMNS))
    .select_from(record_customers.join(records, _R.id == record_customers.c.record_id))
    .where(
        record_customers.c.customer_id == any_(_P("customers", type_=postgresql.ARRAY(String))),
        record_customers.c.record_id != _P("record_id"),
    )
)
_FEATURES = select(*(_R[c] for c in _GUARD_COLUMNS)).where(_R.id == _P("record_id"))
_OTHER_MEMBER = (
    select(record_customers.c.record_id)
    .where(
        record_customers.c.customer_id == _P("customer_id"),
        record_customers.c.record_id != _P("record_id"),
    )
    .limit(1)
)
_STATE = select(
    select(func.max(models.c.id)).scalar_subquery(),
    select(resolution_runs.c.id)
    .where(resolution_runs.c.status == "done")
    .order_by(resolution_runs.c.id.desc())
    .limit(1)
    .scalar_subquery(),
)
# the locks protect the records and customers a decision reads, not models and runs, nor
# the record's own key: one statement takes them, reads the state and stores the record
_LOCKED_STATE_AND_RECORD = with_generic_plans(with_new_record(with_locks(_STATE)))
_FREQUENCIES = select(
    term_frequencies.c.column_name, term_frequencies.c.value, term_frequencies.c.frequency
).where(
    term_frequencies.c.model_id == _P("model_id"),
    term_frequencies.c.column_name.in_(_P("columns", expanding=True)),
    term_frequencies.c.value.in_(_P("values", expanding=True)),
)
_ALL_FREQUENCIES = (
    select(term_frequencies.c.column_name, term_frequencies.c.value, term_frequencies.c.frequency)
    .where(term_frequencies.c.model_id == _P("model_id"))
    .limit(_P("limit"))
)
_HAS_FREQUENCIES = (
    select(term_frequencies.c.model_id)
    .where(term_frequencies.c.model_id == _P("model_id"))
    .limit(1)
)
_OVERRIDES = (
    select(overrides.c.kind, overrides.c.record_id_l, overrides.c.record_id_r)
    .where(
        overrides.c.revoked_at.is_(None),
        or_(overrides.c.record_id_l == _P("record_id"), overrides.c.record_id_r == _P("record_id")),
    )
    .order_by(overrides.c.id)
)
_SEPARATIONS = select(overrides.c.record_id_l, overrides.c.record_id_r).where(
    overrides.c.kind == "separate",
    overrides.c.revoked_at.is_(None),
    overrides.c.record_id_l.in_(_P("ids", expanding=True)),
    overrides.c.record_id_r.in_(_P("ids", expanding=True)),
)
_CUSTOMERS_OF = select(record_customers.c.record_id, record_customers.c.customer_id).where(
    record_customers.c.record_id.in_(_P("ids", expanding=True))
)
_NEW_CUSTOMER = insert(customers)
_REASSIGN = (
    update(record_customers)
    .where(record_customers.c.record_id == _P("b_record_id"))
    .values(customer_id=_P("b_customer_id"), assigned_at=_P("b_now"), run_id=None)
)
_ALIAS = (
    update(customers)
    .where(customers.c.customer_id == _P("b_old"))
    .values(status="merged", merged_into=_P("b_new"), updated_at=_P("b_now"))
)
# a merged customer's records, and the aliases that pointed at it, go to the survivor
_MOVE_MEMBERS = (
    update(record_customers)
    .where(record_customers.c.customer_id == _P("b_old"))
    .values(customer_id=_P("b_new"), assigned_at=_P("b_now"), run_id=None)
)
_MOVE_ALIASES = (
    update(customers)
    .where(customers.c.merged_into == _P("b_old"))
    .values(merged_into=_P("b_new"), updated_at=_P("b_now"))
)
_STALE = (
    delete(match_edges).where(match_edges.c.record_id_l == _P("record_id")),
    delete(match_edges).where(match_edges.c.record_id_r == _P("record_id")),
    delete(record_links).where(record_links.c.record_id_l == _P("record_id")),
    delete(record_links).where(record_links.c.record_id_r == _P("record_id")),
)


class _Frequencies:
    """The term frequencies frozen with one model. A model's table is small (values of
    names: ~16,000 rows at a million records), so it is read whole when the model is
    first used and no call reads any; a larger one is read per value on first use and
    kept (misses too). Each call scores with its own snapshot of the values it needs
    (`for_rows`), so trimming the cache never changes a score under way."""

    __slots__ = ("_complete", "_known", "model_id")

    def __init__(self, model_id: int) -> None:
        self.model_id = model_id
        self._known: dict[tuple[str, str], float | None] = {}
        self._complete = False  # every value of the model is in _known: a miss is None

    @classmethod
    def read(cls, conn: Connection, model_id: int) -> _Frequencies:
        frequencies = cls(model_id)
        rows = conn.execute(
            _ALL_FREQUENCIES, {"model_id": model_id, "limit": _MAX_PRELOADED_FREQUENCIES + 1}
        ).all()
        if len(rows) <= _MAX_PRELOADED_FREQUENCIES:
            frequencies._known = {(c, v): float(f) for c, v, f in rows}
            frequencies._complete = True
        return frequencies

    def for_rows(
        self, conn: Connection, columns: tuple[str, ...], rows: Iterable[Mapping[str, Any]]
    ) -> TermFrequencies:
        wanted = {(c, row[c]) for row in rows for c in columns if row[c] is not None}
        known = self._known
        snapshot: dict[tuple[str, str], float | None] = {}
        missing = []
        for key in wanted:  # get(), not `in` then []: another thread may trim the cache
            frequency = known.get(key, None if self._complete else _UNKNOWN)
            if frequency is _UNKNOWN:
                missing.append(key)
            else:
                snapshot[key] = frequency
        if missing:
            found = conn.execute(
                _FREQUENCIES,
                {
                    "model_id": self.model_id,
                    "columns": sorted({c for c, _ in missing}),
                    "values": sorted({v for _, v in missing}),
                },
            )
            read = {(c, v): float(f) for c, v, f in found}
            for key in missing:
                snapshot[key] = read.get(key)
            if len(known) > _MAX_CACHED_FREQUENCIES:
                known.clear()  # bounded memory: start over
            known.update({key: snapshot[key] for key in missing})
        by_column: dict[str, dict[str, float]] = {}
        for (column, value), frequency in snapshot.items():
            if frequency is not None:
                by_column.setdefault(column, {})[value] = frequency
        return TermFrequencies(by_column)


@dataclass(frozen=True, slots=True)
class _ModelState:
    """What deciding needs from the latest model and run (kept until either changes)."""

    model_id: int
    run_id: int | None
    scorer: Scorer  # without term frequencies: each call copies it and adds its own
    frequencies: _Frequencies | None  # None: a model stored before they were frozen
    rule: LinkRule
    limits: GuardLimits
    max_batch_id: int


@dataclass(frozen=True, slots=True)
class _Candidate:
    record_id: int
    weight: float
    features: dict[str, Any]
    key: tuple[str, str]  # (source, source_record_id)
    customer_id: str | None

    @property
    def ref(self) -> RecordRef:  # a model built for the few candidates an answer shows
        return RecordRef(source=self.key[0], source_record_id=self.key[1])


class RealtimeResolver:
    """Real-time calls on one store: resolve records one at a time into its customers,
    record interactions. One per `Hub`; `close()` it with the hub.

    Keeps the scorer, term frequencies and source defaults between calls; threads may
    share it (each call has its own connection and transaction, and scores with its own
    snapshot of the caches). On SQLite it checkpoints the WAL from a background thread
    (see `store/_realtime.py`).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._state: _ModelState | None = None
        self._batch_id: int | None = None
        self._countries: dict[str, str] = {}
        self._countries_read = -_SOURCE_COUNTRIES_TTL
        self._checkpointer: WalCheckpointer | None = None
        # PostgreSQL: new interactions skip the pool and SQLAlchemy's execution (see there)
        self._pinned = (
            PinnedConnection(store.autocommit_engine) if store.dialect == "postgresql" else None
        )
        database = store.engine.url.database
        if store.dialect == "sqlite" and database and database != ":memory:":
            self._checkpointer = WalCheckpointer(database)
            # a hub dropped without close() stops its thread too
            weakref.finalize(self, self._checkpointer.stop)

    def close(self) -> None:
        if self._pinned is not None:
            self._pinned.close()
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None

    def _transaction(self, names: Iterable[str] = ()) -> Any:
        return locked_transaction(
            self.store, names, manual_checkpoints=self._checkpointer is not None
        )

    # -- the call ---------------------------------------------------------------------------

    def resolve(self, record: Mapping[str, Any]) -> Match:
        prepared = prepare_record(record, None, self._source_countries())
        if isinstance(prepared, Quarantined):
            raise SchemaError(f"record not stored: {prepared.reason.value}", column=prepared.column)
        ref = RecordRef(source=prepared["source"], source_record_id=prepared["source_record_id"])
        features = {c: prepared[c] for c in _GUARD_COLUMNS}
        features["email_user"] = email_user(features)
        now = utcnow()
        with self._transaction() as conn:
            state, batch_id, written = self._lock_and_write(conn, prepared, now)
            if state is None:
                count_in_batch(conn, batch_id, written.stored, now)
                match = Match(
                    record=ref,
                    stored=written.stored,
                    status="unresolved",
                    customer_id=written.customer_id,
                    threshold=DEFAULT_MATCH_WEIGHT,
                )
            else:
                if written.stored == "late":
                    # an older observation: the record stays as stored, so is resolved so
                    features = _stored_features(conn, written.record_id)
                appends = Appends(batch_id, written.stored, now, model_id=state.model_id)
                match = _Decision(conn, state, ref, features, written, appends).run()
                write_appends(conn, appends)
        self._batch_id = batch_id  # committed: safe to reuse
        return match

    def record_interaction(self, columns: Mapping[str, Any]) -> InteractionResult:
        """Store one interaction (see `Hub.record_interaction`)."""
        prepared = prepare_interaction(columns, None)
        if isinstance(prepared, Quarantined):
            raise SchemaError(
                f"interaction not recorded: {prepared.reason.value}", column=prepared.column
            )
        now = utcnow()
        fast = insert_interaction_autocommit(self.store, prepared, now=now, pinned=self._pinned)
        if fast is not None:
            written, customer_id = fast
        else:
            with self._transaction() as conn:
                written = write_interaction(conn, prepared, now=now)
                customer_id = customer_of_record(
                    conn, prepared["source"], prepared["source_record_id"]
                )
        return InteractionResult(
            interaction_id=prepared["interaction_id"],
            stored="updated" if written.stored == "late" else written.stored,
            version=written.version,
            customer_id=customer_id,
        )

    def _lock_and_write(
        self, conn: Connection, prepared: Mapping[str, Any], now: datetime
    ) -> tuple[_ModelState | None, int, RecordWrite]:
        """Take the call's locks, read the latest model and run, store the record.

        The record's batch must be newer than the last run's (the next run rescores
        its records). On PostgreSQL one statement does all three (the locks protect
        neither the model nor the record's own key, which its unique index guards), in
        the batch of the previous call; if a run has covered that batch since, the
        record moves to a new one.
        """
        names = lock_names(prepared)
        batch_id = self._batch_id
        if conn.dialect.name != "postgresql":  # the transaction holds the write lock
            state = self._current_state(conn, *conn.execute(_STATE).one())
            if batch_id is None or (state is not None and batch_id <= state.max_batch_id):
                batch_id = open_batch(conn, "records", "realtime", now)
            return state, batch_id, write_record(conn, prepared, batch_id=batch_id, now=now)
        if batch_id is None:
            batch_id = open_batch(conn, "records", "realtime", now)
        params = {**lock_params(names), **record_values(prepared, batch_id=batch_id, now=now)}
        row = execute_on_driver(conn, _LOCKED_STATE_AND_RECORD, params)[0]
        model_id, run_id, new_id = row[0], row[1], row[3]  # [2]: locks, [4]: plan mode
        state = self._current_state(conn, model_id, run_id)
        if state is not None and batch_id <= state.max_batch_id:
            batch_id = open_batch(conn, "records", "realtime", now)
            if new_id is not None:
                move_to_batch(conn, new_id, batch_id)
        return state, batch_id, record_written(conn, prepared, new_id, batch_id=batch_id, now=now)

    # -- caches -----------------------------------------------------------------------------

    def _source_countries(self) -> dict[str, str]:
        if time.monotonic() - self._countries_read > _SOURCE_COUNTRIES_TTL:
            self._countries = self.store.source_countries()
            self._countries_read = time.monotonic()
        return self._countries

    def _current_state(
        self, conn: Connection, model_id: int | None, run_id: int | None
    ) -> _ModelState | None:
        """What deciding needs from the latest model and run (read by `_STATE`)."""
        state = self._state
        if model_id is None:
            return None
        if state is not None and (state.model_id, state.run_id) == (model_id, run_id):
            return state
        params = conn.execute(select(models.c.params).where(models.c.id == model_id)).scalar_one()
        stats = (
            conn.execute(
                select(resolution_runs.c.stats).where(resolution_runs.c.id == run_id)
            ).scalar()
            if run_id is not None
            else None
        )
        last = (stats or {}).get("incremental_state") or {}
        if state is not None and state.model_id == model_id:
            frequencies = state.frequencies  # a new run, the same model: keep what is read
        elif conn.execute(_HAS_FREQUENCIES, {"model_id": model_id}).first() is not None:
            frequencies = _Frequencies.read(conn, int(model_id))
        else:
            frequencies = None
        self._state = _ModelState(
            model_id=int(model_id),
            run_id=None if run_id is None else int(run_id),
            scorer=Scorer(dict(params)),
            frequencies=frequencies,
            rule=_link_rule(last),
            limits=GuardLimits(**last.get("limits", {})),
            max_batch_id=int(last.get("max_batch_id", 0)),
        )
        return self._state


def _link_rule(last_run: Mapping[str, Any]) -> LinkRule:
    """The link rule of the last batch run (runs before name-only pairs had their own
    weight used one weight for every pair)."""
    if "match_weight" not in last_run:
        return LinkRule()
    weight = float(last_run["match_weight"])
    # runs before sole-holder links noted no weight for them, and made none
    sole_holder = last_run.get("sole_holder_match_weight")
    return LinkRule(
        weight,
        float(last_run.get("name_only_match_weight", weight)),
        None if sole_holder is None else float(sole_holder),
    )


def _stored_features(conn: Connection, record_id: int) -> dict[str, Any]:
    row = conn.execute(_FEATURES, {"record_id": record_id}).one()
    features = dict(row._mapping)
    features["email_user"] = email_user(features)
    return features


def lock_names(row: Mapping[str, Any]) -> list[str]:
    """The names a call locks on PostgreSQL: the record's key and one name per blocking
    rule it can meet another record on, so two records that could be candidates of each
    other always share one (calls about them take turns, the second sees the first)."""
    names = [f"record:{row['source']}\x1f{row['source_record_id']}"]
    for column in ("phone_key", "email_key", "national_id_key", "handle_key"):
        if row[column]:
            names.append(f"{column}:{row[column]}")
    # a handle and an e-mail user name meet in one name space (the cross rule)
    for user in (row["handle_key"], email_user(row)):
        if user:
            names.append(f"user:{user}")
    pairs = {
        "surname_dob": (row["surname_key"], row["birth_date"]),
        "given_dob": (row["given_canonical"], row["birth_date"]),
        "name": (row["given_canonical"], row["surname_key"]),
        "surname_address": (row["surname_key"], row["address_key"]),
    }
    for rule, (a, b) in pairs.items():
        if a and b:
            names.append(f"{rule}:{a}\x1f{b}")
    # given name and surname swapped between the records: one name for either order
    given, surname = row["given_canonical"], row["surname_key"]
    if given and surname:
        first, second = sorted((given, surname))
        names.append(f"names:{first}\x1f{second}")
    return names


def _kept(record: Mapping[str, Any], rows: Iterable[Sequence[Any]]) -> list[Sequence[Any]]:
    """`_CANDIDATES` rows (rule, id, ...) as `_PG_CANDIDATES` gives them: without the
    rule, each record once, and only rows that make a pair under their rule."""
    rows = list(rows)
    in_name_block = sum(1 for row in rows if row[0] == _NAME_BLOCK_RULE)
    name_block_counts = in_name_block <= NAME_BLOCK_MAX_RECORDS
    # the swapped name's block: both names' blocks must be small (batch: both name_block)
    in_swapped = sum(1 for row in rows if row[0] == _SWAPPED_NAMES_RULE)
    swapped_counts = name_block_counts and in_swapped <= NAME_BLOCK_MAX_RECORDS
    surname, address = record["surname_key"], record["address_key"]
    at = {c: 4 + n for n, c in enumerate(_GUARD_COLUMNS)}  # after rule, id, source, key
    kept: dict[int, Sequence[Any]] = {}
    for row in rows:
        rule, rid = row[0], row[1]
        if rid in kept:
            continue
        if rule == _NAME_BLOCK_RULE and not name_block_counts:
            continue  # a name too common to block on (batch drops it the same way)
        if rule == _SWAPPED_NAMES_RULE and not swapped_counts:
            continue
        if rule == _SURNAME_ADDRESS_RULE and (
            row[at["surname_key"]] != surname or row[at["address_key"]] != address
        ):
            continue  # not the same surname and address: not a pair of this rule
        kept[rid] = row[1:]
    return list(kept.values())


def _query_params(record: Mapping[str, Any]) -> dict[str, Any]:
    # an address counts only with a surname (the batch rule is surname + address)
    address = record["address_key"] if record["surname_key"] is not None else None
    return {
        "phone_key": record["phone_key"],
        "email_key": record["email_key"],
        "national_id_key": record["national_id_key"],
        "handle_key": record["handle_key"],
        "birth_date": record["birth_date"],
        "surname_key": record["surname_key"],
        "given_canonical": record["given_canonical"],
        "address_prefix": address[:ADDRESS_PREFIX_CHARS] if address is not None else None,
        "address_key": address,
        "email_user": record["email_user"],
    }


class _Decision:
    """One record's decision, inside the call's transaction (see the module docstring)."""

    def __init__(
        self,
        conn: Connection,
        state: _ModelState,
        ref: RecordRef,
        record: dict[str, Any],
        written: RecordWrite,
        appends: Appends,
    ) -> None:
        self.conn = conn
        self.state = state
        self.ref = ref
        self.record = record
        self.written = written
        self.record_id = written.record_id
        self.appends = appends  # written by the caller once decided
        self.customers_locked = False  # the locks of every candidate's customer are held
        self.now = appends.now
        self.scorer = state.scorer  # with this call's term frequencies once scored

    def run(self) -> Match:
        state, written = self.state, self.written
        scored = self._scored()
        record = self.record
        links = [
            c for c in scored if state.rule.links(c.weight, identifiers_agree(record, c.features))
        ]
        previous = written.customer_id
        if written.stored in ("unchanged", "late") and previous is not None:
            # the same record again (or an older observation of it): nothing to decide
            deciding = next((c for c in scored if c.customer_id == previous), None)
            return self._match("unchanged", previous, False, deciding, scored)

        separated, forced = self._overrides() if written.stored != "inserted" else (set(), None)
        # candidate customers, each by its strongest pair, strongest first
        strongest: dict[str, _Candidate | None] = {}
        for candidate in links:
            if candidate.customer_id is not None:
                strongest.setdefault(candidate.customer_id, candidate)
        if forced is not None:
            strongest = {forced[0]: strongest.get(forced[0]), **strongest}
        # calls that touch the same customer take turns (its guard profile must hold both)
        # (locked already when the candidates statement took them: only for a new record,
        # which has no steward overrides, so `forced` is then None)
        if not self.customers_locked:
            lock_customers(self.conn, strongest)
        members = self._members(strongest)
        profiles = {cid: GuardProfile.of_records(rows) for cid, rows in members.items()}
        # as batch clustering does with the record's pairs: the record's group takes in
        # each candidate customer in turn, strongest pair first, unless the guards (or a
        # steward's 'separate') object to everything the group holds so far
        group = GuardProfile.of(self.record)
        contact_pairs = [c for c in scored if self._contact_pair(c)]  # strongest first
        kept = {c.record_id: c for c in (*links, *contact_pairs)}  # the pairs batch keeps
        joined: dict[str, _Candidate | None] = {}
        apart: dict[str, set[str]] | None = None  # separations between candidate customers
        alternatives: list[MatchAlternative] = []
        for customer_id, strongest_pair in strongest.items():
            reason: str | None = None
            if forced is not None and customer_id == forced[0]:
                pass  # a steward's link: joined across the guards, as in batch
            elif customer_id in separated:
                reason = "override_separate"
            elif self._weak_bridge(customer_id, strongest_pair, joined, members, kept):
                reason = WEAK_BRIDGE
            else:
                if joined:
                    apart = apart if apart is not None else self._separations(members)
                    if apart.get(customer_id, set()) & joined.keys():
                        reason = "override_separate"
                reason = reason or conflict(
                    group, profiles.get(customer_id, GuardProfile()), state.limits
                )
                if (
                    reason not in (None, "override_separate")
                    and strongest_pair is not None
                    and overridden(
                        self.record,
                        strongest_pair.features,
                        strongest_pair.weight,
                        reason,
                        state.limits,
                    )
                ):
                    reason = None  # as in batch: a corroborated or overwhelming pair
            if reason is None:
                joined[customer_id] = strongest_pair
                group.absorb(profiles.get(customer_id, GuardProfile()))
            elif strongest_pair is not None:
                alternatives.append(
                    MatchAlternative(
                        customer_id=customer_id,
                        record=strongest_pair.ref,
                        match_weight=strongest_pair.weight,
                        match_probability=match_probability(strongest_pair.weight),
                        reason=reason,
                    )
                )
        sole_holder = None
        if not joined and forced is None:
            sole_holder = self._sole_holder(contact_pairs, separated, group, members, profiles)
            if sole_holder is not None and sole_holder.customer_id is not None:
                joined[sole_holder.customer_id] = sole_holder
        sizes = {cid: len(rows) for cid, rows in members.items()}
        customer_id, created, merged = self._assign(list(joined), sizes)
        self._write_pairs([c for c in scored if c.record_id in kept])
        for joined_customer, pair in joined.items():
            if forced is not None and joined_customer == forced[0]:
                self._write_link(forced[1], None, "override")
            elif pair is not None:
                kind = "sole_holder" if pair is sole_holder else "model"
                self._write_link(pair.record_id, pair.weight, kind)
        status: MatchStatus = "new"
        if alternatives and len(strongest) > 1:
            status = "ambiguous"
        elif merged:
            status = "merged"
        elif joined:
            status = "matched"
        deciding = next((c for c in joined.values() if c is not None), None)
        return self._match(status, customer_id, created, deciding, scored, alternatives, merged)

    def _weak_bridge(
        self,
        customer_id: str,
        pair: _Candidate | None,
        joined: Mapping[str, _Candidate | None],
        members: Mapping[str, Sequence[Any]],
        kept: Mapping[int, _Candidate],
    ) -> bool:
        """As batch clustering decides (`GuardLimits.bridge_match_weight`): once the record
        is in a customer, a pair below the bridge weight joins a second customer of several
        records only when another kept pair leads there too. A call sees its record's own
        pairs; batch also counts pairs between the two customers' other records, so the
        next batch run may join what a call left apart."""
        bridge = self.state.limits.bridge_match_weight
        if bridge is None or pair is None or pair.weight >= bridge or not joined:
            return False
        if len(members.get(customer_id, ())) < 2:
            return False
        return sum(1 for c in kept.values() if c.customer_id == customer_id) < 2

    def _contact_pair(self, candidate: _Candidate) -> bool:
        """Whether batch keeps this pair as a sole-holder candidate (see `_evidence`)."""
        floor = self.state.rule.sole_holder_match_weight
        return (
            floor is not None
            and candidate.weight >= floor
            and contacts_agree(self.record, candidate.features)
        )

    def _sole_holder(
        self,
        contact_pairs: list[_Candidate],
        separated: set[str],
        group: GuardProfile,
        members: dict[str, list[dict[str, Any]]],
        profiles: dict[str, GuardProfile],
    ) -> _Candidate | None:
        """As batch's sole-holder links: a record that joined no one on weight joins the
        one customer holding its contact identifiers (`contact_pairs`: its pairs kept for
        sharing one), if the guards allow; its pair."""
        holders: dict[str, _Candidate] = {}
        for candidate in contact_pairs:  # strongest first
            if candidate.customer_id is not None:
                holders.setdefault(candidate.customer_id, candidate)
        if len(holders) != 1:
            return None  # no one holds them, or a household does
        customer_id, pair = next(iter(holders.items()))
        if customer_id in separated:
            return None
        if customer_id not in members:
            if not self.customers_locked:
                lock_customers(self.conn, [customer_id])
            members.update(self._members({customer_id: pair}))
            profiles[customer_id] = GuardProfile.of_records(members[customer_id])
        if conflict(group, profiles[customer_id], self.state.limits) is not None:
            return None
        return pair

    # -- reading ----------------------------------------------------------------------------

    def _scored(self) -> list[_Candidate]:
        """Candidates found by the blocking lookups, scored, strongest first."""
        params = _query_params(self.record)
        rows: Iterable[Sequence[Any]]
        if self.conn.dialect.name != "postgresql":
            rows = _kept(self.record, self.conn.execute(_CANDIDATES, params).all())
        elif self.written.stored == "inserted":
            # the candidates' customers are locked as they are read (one statement less)
            read = execute_on_driver(self.conn, _CANDIDATES_LOCKING_CUSTOMERS, params)
            customers = {row[-2] for row in read} - {None}
            self.customers_locked = not customers or any(row[-1] for row in read)
            rows = [row[:-1] for row in read]
        else:
            rows = execute_on_driver(self.conn, _PG_CANDIDATES, params)
        found: dict[int, dict[str, Any]] = {}
        refs: dict[int, tuple[tuple[str, str], str | None]] = {}
        # rows are (id, source, source_record_id, *_GUARD_COLUMNS, customer_id), each once
        for rid, source, source_record_id, *values, customer_id in rows:
            if rid == self.record_id:
                continue
            features = dict(zip(_GUARD_COLUMNS, values, strict=True))
            features["email_user"] = email_user(features)
            found[rid] = features
            refs[rid] = ((source, source_record_id), customer_id)
        # the shared scorer, with this call's term frequencies (a shallow copy: cheap)
        scorer = self.scorer = copy.copy(self.state.scorer)
        rows_at_hand = [self.record, *found.values()]
        if self.state.frequencies is not None:
            scorer.term_frequencies = self.state.frequencies.for_rows(
                self.conn, scorer.tf_columns, rows_at_hand
            )
        else:  # a model stored before frequencies were frozen: the data's, as explain does
            wanted = {c: [row[c] for row in rows_at_hand] for c in scorer.tf_columns}
            scorer.term_frequencies = TermFrequencies.from_store(
                self.conn, scorer.tf_columns, values=wanted
            )
        candidates = [
            _Candidate(rid, scorer.match_weight(self.record, f), f, *refs[rid])
            for rid, f in found.items()
        ]
        candidates.sort(key=lambda c: (-c.weight, c.record_id))  # batch's order of pairs
        return candidates

    def _members(
        self, strongest: Mapping[str, _Candidate | None]
    ) -> dict[str, list[dict[str, Any]]]:
        """Every record (but this one) of the candidate customers, by customer."""
        found: dict[str, list[dict[str, Any]]] = {cid: [] for cid in strongest}
        if not strongest:
            return found
        params = {"customers": sorted(strongest), "record_id": self.record_id}
        rows: Iterable[Sequence[Any]]
        if self.conn.dialect.name == "postgresql":
            rows = execute_on_driver(self.conn, _PG_MEMBERS, params)
        else:
            rows = self.conn.execute(_MEMBERS, params)
        names = ("customer_id", "id", *_GUARD_COLUMNS)
        for row in rows:
            found[row[0]].append(dict(zip(names, row, strict=True)))
        return found

    def _separations(self, members: Mapping[str, list[dict[str, Any]]]) -> dict[str, set[str]]:
        """Customers a steward's 'separate' keeps apart, among the candidate ones."""
        customer_of = {m["id"]: cid for cid, rows in members.items() for m in rows}
        apart: dict[str, set[str]] = {}
        if len(members) < 2:
            return apart
        found = self.conn.execute(_SEPARATIONS, {"ids": sorted(customer_of)})
        for left, right in found:
            a, b = customer_of[left], customer_of[right]
            if a != b:
                apart.setdefault(a, set()).add(b)
                apart.setdefault(b, set()).add(a)
        return apart

    def _overrides(self) -> tuple[set[str], tuple[str, int] | None]:
        """A steward's decisions on this (already stored) record: the customers it must
        stay apart from, and the customer it must join with the record linked to it (the
        oldest link's), if any."""
        rows = self.conn.execute(_OVERRIDES, {"record_id": self.record_id}).all()
        if not rows:
            return set(), None
        partners = [
            (
                row.kind,
                int(row.record_id_r if row.record_id_l == self.record_id else row.record_id_l),
            )
            for row in rows
        ]
        ids = sorted({other for _, other in partners})
        customer_of = {int(r): str(c) for r, c in self.conn.execute(_CUSTOMERS_OF, {"ids": ids})}
        separated = {
            customer_of[other]
            for kind, other in partners
            if kind == "separate" and other in customer_of
        }
        for kind, other in partners:
            if kind == "link" and other in customer_of and customer_of[other] not in separated:
                return separated, (customer_of[other], other)
        return separated, None

    # -- writing ----------------------------------------------------------------------------

    def _assign(self, joined: list[str], sizes: Mapping[str, int]) -> tuple[str, bool, list[str]]:
        """Put the record in the customers it joined, made one (none: a customer of its
        own); returns (its customer, whether that ID is new, the IDs merged into it)."""
        conn, now, previous = self.conn, self.now, self.written.customer_id
        created = False
        merged: list[str] = []
        if joined:
            # the ID most records already have survives (batch's rule; ties: lowest ID)
            votes = {cid: sizes.get(cid, 0) + (cid == previous) for cid in joined}
            target = min(joined, key=lambda cid: (-votes[cid], cid))
            merged = [cid for cid in joined if cid != target]
            for old in merged:
                params = {"b_old": old, "b_new": target, "b_now": now}
                conn.execute(_MOVE_MEMBERS, params)
                conn.execute(_ALIAS, params)
                conn.execute(_MOVE_ALIASES, params)
        elif previous is not None and not self._has_others(previous):
            target = previous  # already a customer of its own
        else:
            target = new_customer_id()
            created = True
            if previous is None:  # written with the record's assignment, at the end
                self.appends.new_customer = target
            else:  # now: the record is moved to it below
                conn.execute(
                    _NEW_CUSTOMER,
                    {
                        "customer_id": target,
                        "status": "active",
                        "merged_into": None,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
        if previous is None:
            self.appends.assignment = (self.record_id, target)
        elif previous != target and previous not in merged:
            conn.execute(
                _REASSIGN,
                {"b_record_id": self.record_id, "b_customer_id": target, "b_now": now},
            )
            if not self._has_others(previous):
                # its only record moved: the old ID lives on as an alias, as in batch
                params = {"b_old": previous, "b_new": target, "b_now": now}
                conn.execute(_ALIAS, params)
                conn.execute(_MOVE_ALIASES, params)
                merged.append(previous)
        return target, created, merged

    def _has_others(self, customer_id: str) -> bool:
        found = self.conn.execute(
            _OTHER_MEMBER, {"customer_id": customer_id, "record_id": self.record_id}
        ).first()
        return found is not None

    def _write_pairs(self, links: list[_Candidate]) -> None:
        conn, record_id = self.conn, self.record_id
        if self.written.stored != "inserted":
            for statement in _STALE:  # pairs and links scored from its old content
                conn.execute(statement, {"record_id": record_id})
        self.appends.edges.extend(
            (min(record_id, c.record_id), max(record_id, c.record_id), c.weight) for c in links
        )

    def _write_link(self, other: int, weight: float | None, kind: str) -> None:
        """The link that put the record in its customer (what explanations walk)."""
        self.appends.links.append(
            (min(self.record_id, other), max(self.record_id, other), weight, kind)
        )

    # -- the answer -------------------------------------------------------------------------

    def _match(
        self,
        status: MatchStatus,
        customer_id: str,
        created: bool,
        deciding: _Candidate | None,
        scored: list[_Candidate],
        alternatives: list[MatchAlternative] | None = None,
        merged: list[str] | None = None,
    ) -> Match:
        shown = deciding or (scored[0] if scored else None)
        explanation = None
        if shown is not None:
            explanation = pair_explanation(
                self.scorer,
                self.state.model_id,
                (self.ref, self.record, customer_id),
                (shown.ref, shown.features, shown.customer_id),
                rule=self.state.rule,
                limits=self.state.limits,
            )
        return Match(
            record=self.ref,
            stored=self.written.stored,
            status=status,
            customer_id=customer_id,
            created=created,
            match_weight=None if shown is None else shown.weight,
            match_probability=None if shown is None else match_probability(shown.weight),
            matched_record=None if shown is None else shown.ref,
            threshold=(
                self.state.rule.match_weight if explanation is None else explanation.threshold
            ),
            candidates=len(scored),
            alternatives=alternatives or [],
            merged_customers=merged or [],
            explanation=explanation,
            model_id=self.state.model_id,
        )
