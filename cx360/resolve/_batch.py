"""Batch resolution of everything in the store: records in, customers out.

Steps: load the normalized features → train the model once (or reuse the stored one) →
score candidate pairs (Splink on DuckDB, or on Spark with `engine="spark"`) → cluster
strongest-first under the guards → give clusters stable customer IDs → write all of it in
one transaction (through `store/_customers.py`, the one writer of customers and links).

A full run and an incremental one take these same steps (`_Run`); their scope decides
which records are scored and clustered again: every record (`_FullScope`), or those new
or changed since the last run and the components they touch (`_IncrementalScope`).
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar, Literal

import duckdb
import numpy as np
import pyarrow as pa
from sqlalchemy import Connection, delete, func, insert, select

from cx360._errors import ConfigurationError, ResolutionError
from cx360.models import ResolveReport
from cx360.resolve._blocking import OTHERS_COLUMN, others_text
from cx360.resolve._cluster import ClusterResult, cluster
from cx360.resolve._declared_comparisons import store_attributes
from cx360.resolve._evidence import (
    DEFAULT_MATCH_WEIGHT,
    DEFAULT_SOLE_HOLDER_MATCH_WEIGHT,
    MAX_PRIOR_SHIFT,
    PRIOR_PAIRS_FLOOR,
    LinkRule,
    PairEvidence,
    linking_pairs,
    pair_evidence,
    prior_shift,
)
from cx360.resolve._features import TF_COLUMNS, comparisons_for
from cx360.resolve._guards import GuardLimits
from cx360.resolve._ids import Assignment, assign_ids
from cx360.resolve._incremental import (
    GUARD_COLUMNS,
    Component,
    Features,
    ScoringScope,
    dirty_records,
    features_table,
    load_rows,
    override_seeds,
    scoring_scope,
    touched_component,
)
from cx360.resolve._overrides import ActiveOverrides, active_overrides
from cx360.resolve._run_state import FinishedRun, RunState, last_finished_run
from cx360.resolve._scoring import TermFrequencies, fits_comparisons
from cx360.resolve._spark import SparkEngine, SparkOptions
from cx360.resolve._splink import (
    SplinkRun,
    SplinkSession,
    has_trained_m,
    predict_edges,
    term_frequency_tables,
)
from cx360.resolve._training import guard_limits, train
from cx360.store import Store, utcnow
from cx360.store._customers import (
    add_links,
    alias_customers,
    assign_records,
    create_customers,
    delete_links,
    link_rows,
    replace_pairs,
)
from cx360.store._schema import (
    matching_models,
    record_customers,
    record_identifiers,
    record_links,
    records,
    resolution_runs,
    term_frequencies,
)
from cx360.store._writes import insert_many

log = logging.getLogger("cx360.resolve")

_LOAD_CHUNK = 50_000
# Taken by a run's write: two runs write one after the other, and the later one checks
# that no run finished since it started (PostgreSQL: an advisory lock; SQLite's write
# transaction is the lock)
_RUN_LOCK = "resolve:run"
_EDGES = pa.schema(
    [("unique_id_l", pa.int64()), ("unique_id_r", pa.int64()), ("match_weight", pa.float64())]
)
_TF = pa.schema([("value", pa.string()), ("frequency", pa.float64())])
ENGINES: tuple[str, ...] = ("duckdb", "spark")


@dataclass(frozen=True, slots=True)
class ResolveOptions:
    # identifier-backed pairs at or above `match_weight` link, name-only ones at or above
    # `name_only_match_weight`; None: derived from the model and the store's scored pairs
    # (`LinkRule.calibrated`, see `cx360.resolve._evidence`)
    match_weight: float | None = None
    name_only_match_weight: float | None = None
    # pairs sharing a contact identifier are kept from this weight for sole-holder links;
    # None: no such links
    sole_holder_match_weight: float | None = DEFAULT_SOLE_HOLDER_MATCH_WEIGHT
    retrain: bool = False
    full: bool = False  # score every pair again even when an incremental run would do
    limits: GuardLimits = field(default_factory=GuardLimits)
    # where Splink runs: "duckdb" in this process, or "spark" (see `_spark.SparkOptions`)
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark: SparkOptions | None = None
    # told the name of each stage as it starts (`RESOLVE_STAGES`), e.g. for a progress bar
    progress: Callable[[str], None] | None = field(default=None, compare=False)
    # the re-estimated prior's shift the weights not given derive from, once known (the
    # last run's with the same model, or this run's: `_Run._score`); None: not yet
    prior_shift: float | None = None

    @property
    def derives(self) -> bool:
        """Whether a link weight is derived rather than given."""
        return self.match_weight is None or self.name_only_match_weight is None

    @property
    def rule(self) -> LinkRule:
        return LinkRule.calibrated(
            self.prior_shift or 0.0,
            self.match_weight,
            self.name_only_match_weight,
            self.sole_holder_match_weight,
        )

    def stage(self, name: str) -> None:
        if self.progress is not None:
            self.progress(name)


# The stages a run reports to `ResolveOptions.progress`, in order ("train" only when a
# model is trained, "components" only in incremental runs).
RESOLVE_STAGES = ("load", "train", "score", "components", "cluster", "write")


class _Rows(Sequence[dict[str, Any]]):
    """Records by position, built on demand from column lists (no dict per record kept)."""

    def __init__(self, columns: dict[str, list[Any]]) -> None:
        self._columns = columns
        self._length = len(next(iter(columns.values())))

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> dict[str, Any]:  # type: ignore[override]
        return {name: values[index] for name, values in self._columns.items()}


def load_features(conn: Connection) -> pa.Table:
    """Every stored record's id and match features, as an Arrow table ordered by id."""
    query = select(records.c.id, *(records.c[c] for c in GUARD_COLUMNS)).order_by(records.c.id)
    names = ["unique_id", *GUARD_COLUMNS]
    schema = pa.schema([("unique_id", pa.int64())] + [(c, pa.string()) for c in GUARD_COLUMNS])
    result = conn.execution_options(yield_per=_LOAD_CHUNK).execute(query)
    batches = [
        pa.record_batch([pa.array(column) for column in zip(*partition, strict=True)], names=names)
        for partition in result.partitions()
    ]
    table = pa.Table.from_batches(batches).cast(schema) if batches else schema.empty_table()
    return _with_others(conn, table)


def _with_others(conn: Connection, table: pa.Table) -> pa.Table:
    """`table` with its records' phones and e-mails beyond the first (`OTHERS_COLUMN`,
    NULL where none), read in one pass over `record_identifiers`."""
    ids = record_identifiers.c
    found: dict[int, list[tuple[str, str]]] = {}
    query = select(ids.record_id, ids.kind, ids.key).order_by(ids.record_id, ids.kind, ids.position)
    for record_id, kind, key in conn.execute(query):
        found.setdefault(int(record_id), []).append((kind, key))
    values: list[str | None] = [None] * table.num_rows
    if found:
        positions = {int(i): n for n, i in enumerate(table.column("unique_id").to_numpy())}
        for record_id, items in found.items():
            if record_id in positions:
                values[positions[record_id]] = others_text(items)
    return table.append_column(OTHERS_COLUMN, pa.array(values, pa.string()))


def holds_declared_identifiers(conn: Connection) -> bool:
    """Whether a record holds a declared identifier (its first is its `declared_key`):
    the store's model then compares them (`_features.comparisons_for`)."""
    held = select(records.c.id).where(records.c.declared_key.is_not(None)).limit(1)
    return conn.execute(held).first() is not None


def _latest_model(conn: Connection) -> tuple[int, dict[str, Any]] | None:
    row = conn.execute(
        select(matching_models.c.id, matching_models.c.params)
        .order_by(matching_models.c.id.desc())
        .limit(1)
    ).first()
    return (int(row.id), dict(row.params)) if row else None


def _positions(
    ids: np.ndarray[Any, Any], pairs: Sequence[tuple[int, int, int]]
) -> tuple[list[int], list[tuple[int, int]]]:
    """Overrides' record ids as positions in `ids` (sorted), with their override ids
    (overrides on records no longer in the store left out)."""
    if not pairs:
        return [], []
    wanted = np.array([[a, b] for _, a, b in pairs], dtype=np.int64)
    found = np.minimum(np.searchsorted(ids, wanted), max(len(ids) - 1, 0))
    present = (ids[found] == wanted).all(axis=1) if len(ids) else np.zeros(len(pairs), bool)
    kept = [k for k in range(len(pairs)) if present[k]]
    return [pairs[k][0] for k in kept], [(int(found[k, 0]), int(found[k, 1])) for k in kept]


def _frozen_frequencies(conn: Connection, model_id: int) -> dict[str, pa.Table] | None:
    """The term frequencies frozen with the model, as Splink takes them; None when a
    column has none (the model was stored without them)."""
    frozen = TermFrequencies.from_model(conn, model_id)
    if frozen is None or not set(TF_COLUMNS) <= set(frozen.columns):
        return None
    columns = {column: frozen.of_column(column) for column in TF_COLUMNS}
    return {c: pa.table([list(f), list(f.values())], schema=_TF) for c, f in columns.items()}


@dataclass(slots=True)
class _Model:
    """The matching model a run scores with: the stored one (its id, parameters and the
    term frequencies frozen with it), or what this run trains and computes."""

    id: int | None = None
    params: dict[str, Any] | None = None
    frequencies: dict[str, pa.Table] | None = None
    new_frequencies: bool = False  # computed by this run: stored with the model
    notes: tuple[str, ...] = ()  # for the report: why the stored model was not used

    @classmethod
    def stored(cls, conn: Connection) -> _Model:
        latest = _latest_model(conn)
        # a model of default parameters is made again by each run, until one can be trained
        if latest is None or not has_trained_m(latest[1]):
            return cls()
        held = comparisons_for(holds_declared_identifiers(conn), store_attributes(conn))
        if not fits_comparisons(latest[1], held):
            note = (
                f"the stored model {latest[0]} was trained on other comparisons than the "
                "store's now (an earlier version's, or before its records held declared "
                "identifiers or attributes): a new model was trained"
            )
            return cls(notes=(note,))
        return cls(*latest, _frozen_frequencies(conn, latest[0]))

    def builds_on(self, last: FinishedRun | None, options: ResolveOptions) -> RunState | None:
        """The last run's state when this run can be incremental: same model (with its
        frequencies), link rule and guard limits as the last run, and `full` not asked.
        Derived weights are compared as the last run derived them."""
        if options.full or self.id is None or self.params is None or self.frequencies is None:
            return None
        state = self.last_state(last)
        if state is None or (options.derives and state.prior_shift is None):
            return None
        limits = guard_limits(options.limits, self.params)
        rule = replace(options, prior_shift=state.prior_shift).rule
        return state if state.settings_match(rule, limits) else None

    def last_state(self, last: FinishedRun | None) -> RunState | None:
        """The last run's state when it resolved with this (stored) model."""
        if self.id is None or last is None or last.model_id != self.id:
            return None
        return last.state

    def known_shift(self, last: FinishedRun | None) -> float | None:
        """The prior shift the last run derived with this model: a full run with the same
        model links at the same weights as incremental runs do."""
        state = self.last_state(last)
        return None if state is None else state.prior_shift


def resolve_store(store: Store, options: ResolveOptions | None = None) -> ResolveReport:
    """Resolve every record in the store into customers (see module docstring); a run is
    incremental when it can be (same model, link rule and guard limits as the last run),
    giving the customers a full run (`options.full`) would give."""
    options = options or ResolveOptions()
    if options.engine not in ENGINES:
        raise ConfigurationError(
            f"unknown resolution engine {options.engine!r} (one of {', '.join(ENGINES)})"
        )
    started = time.perf_counter()
    with store.connection() as conn:
        model = _Model() if options.retrain else _Model.stored(conn)
        last = last_finished_run(conn)
    state = model.builds_on(last, options)
    options = replace(options, prior_shift=model.known_shift(last))
    load: Callable[[Connection], _Scope] = (
        _FullScope.load if state is None else functools.partial(_IncrementalScope.load, state)
    )
    return _Run(store, options, model, started, last.run_id if last else None).resolve(load)


@contextmanager
def _engine(
    options: ResolveOptions, seconds: dict[str, float]
) -> Iterator[duckdb.DuckDBPyConnection | SparkEngine]:
    """Where Splink runs for one resolution: a fresh DuckDB connection spilling to a
    temporary directory, or a Spark session with its work directory."""
    if options.engine == "spark":
        started = time.perf_counter()
        with SparkEngine.start(options.spark or SparkOptions()) as engine:
            seconds["spark_start"] = time.perf_counter() - started
            yield engine
        return
    with tempfile.TemporaryDirectory(prefix="cx360-duckdb-") as spill:
        # capped so that DuckDB spills to the run's directory rather than fill the memory
        memory = {"temp_directory": spill, "memory_limit": _duckdb_memory_limit()}
        with duckdb.connect(config={**memory, "preserve_insertion_order": False}) as con:
            yield con


@dataclass(frozen=True, slots=True)
class _Scoring:
    """What a run scores: records (ordered by id) with their features (`rows`, by
    position, when the scope has them), and for an incremental run the records whose
    pairs are scored and the sizes of the name blocks in the whole store."""

    table: pa.Table
    rows: Sequence[dict[str, Any]] | None = None
    dirty: pa.Array | None = None
    block_sizes: pa.Table | None = None


@dataclass(slots=True)
class _Clustering:
    """What a run clusters: records (ordered by id) with their features, the scored pairs
    among them, and their customers before the run."""

    table: pa.Table
    rows: Sequence[dict[str, Any]]
    edges: pa.Table
    previous: dict[int, str]


@dataclass(frozen=True, slots=True)
class _Totals:
    """What the store holds after a run's writes: records, customers, and the links
    (by kind) of the records the run did not cluster again."""

    records: int
    customers: int
    kept_links: Mapping[str, int]


@dataclass(slots=True)
class _Run:
    """One resolution run: load, score, cluster, write, the same steps whatever its scope
    (`_Scope`: which records are scored and clustered again, and whose kept pairs and links
    the run replaces: `rescored`, `reclustered`, None for every record's)."""

    store: Store
    options: ResolveOptions
    model: _Model
    started: float
    built_on: int | None  # the last finished run when this one started (None: none)
    seconds: dict[str, float] = field(default_factory=dict)
    splink: SplinkRun = field(default_factory=SplinkRun)
    steward: ActiveOverrides = field(default_factory=ActiveOverrides)
    max_batch_id: int = 0

    def resolve(self, load: Callable[[Connection], _Scope]) -> ResolveReport:
        options, seconds = self.options, self.seconds
        options.stage("load")
        with self.store.connection() as conn:
            self.max_batch_id = int(
                conn.execute(select(func.max(records.c.batch_id))).scalar() or 0
            )
            self.steward = active_overrides(conn)
            scope = load(conn)
        seconds["load"] = time.perf_counter() - self.started
        scored = self._score(scope.to_score())
        # the guards as the store's model has them (see `_training.guard_limits`)
        limits = guard_limits(options.limits, self.model.params)
        self.options = options = replace(self.options, limits=limits)
        seconds.update(self.splink.seconds)
        work = scope.clustering(self, scored)

        step = time.perf_counter()
        options.stage("cluster")
        clustered, refused = _cluster(work.table, work.rows, work.edges, self.steward, options)
        seconds["cluster"] = time.perf_counter() - step

        step = time.perf_counter()
        options.stage("write")
        report = self._write(scope, scored, work, clustered, refused)
        seconds["write"] = time.perf_counter() - step
        seconds["total"] = time.perf_counter() - self.started
        report.seconds = seconds
        return report

    def _score(self, scoring: _Scoring | None) -> pa.Table:
        """The linking pairs among the records to score (see `_Scoring`), training the
        model first when there is none, down to the lowest weight at which a pair can
        link."""
        options, model = self.options, self.model
        if scoring is None:
            options.stage("score")
            return _EDGES.empty_table()
        with _engine(options, self.seconds) as engine:
            step = time.perf_counter()
            table = scoring.table
            session = SplinkSession(engine, table, scoring.dirty, scoring.block_sizes)
            self.seconds["session"] = time.perf_counter() - step
            if model.params is None:
                options.stage("train")
                rows = _rows_of(table) if scoring.rows is None else scoring.rows
                model.params = train(session, table, rows, limits=options.limits, run=self.splink)
            if model.frequencies is None:
                model.frequencies = term_frequency_tables(session)
                model.new_frequencies = True
            options.stage("score")
            edges = predict_edges(
                session,
                model.params,
                min_match_weight=self._scoring_floor(),
                frequencies=model.frequencies,
                run=self.splink,
            )
        if self.options.derives and self.options.prior_shift is None:
            self.options = replace(self.options, prior_shift=self._prior_shift(edges, table))
        return linking_pairs(edges, table, self.options.rule)

    def _scoring_floor(self) -> float:
        """The lowest weight to score pairs down to: the rule's, and where the link
        weights are still to derive, also what the prior's re-estimate and the lowest
        derived weights need."""
        floor = self.options.rule.scoring_floor
        if not self.options.derives or self.options.prior_shift is not None:
            return floor
        return min(floor, PRIOR_PAIRS_FLOOR, DEFAULT_MATCH_WEIGHT - MAX_PRIOR_SHIFT)

    def _prior_shift(self, edges: pa.Table, table: pa.Table) -> float:
        """This run's re-estimated prior shift (`_evidence.prior_shift`); 0.0 for a model
        of default parameters, whose prior is a placeholder."""
        params = self.model.params
        if params is None or self.splink.default_parameters or not has_trained_m(params):
            return 0.0
        weights = edges.column("match_weight").to_numpy()
        prior = float(params["probability_two_random_records_match"])
        return prior_shift(weights, table.num_rows, prior)

    def _write(
        self,
        scope: _Scope,
        scored: pa.Table,
        work: _Clustering,
        clustered: ClusterResult,
        refused: list[int],
    ) -> ResolveReport:
        """Write the run's outcome in one transaction: the model if new, the kept pairs,
        the customers, the links and the run itself; its report."""
        record_ids = work.table.column("unique_id").to_numpy().tolist()
        assignment = assign_ids(clustered.labels, record_ids, work.previous)
        now = utcnow()
        store = self.store
        with store.strategy.locked_transaction(store.engine, [_RUN_LOCK]) as conn:
            self._check_still_latest(conn)
            model_id = self._store_model(conn, len(record_ids), now)
            replace_pairs(conn, model_id, _pairs(scored), scope.rescored)
            changed = _write_customers(
                conn, record_ids, clustered.labels, assignment, work.previous, now
            )
            delete_links(conn, scope.reclustered(record_ids))
            totals = scope.totals(conn, record_ids, clustered.labels)
            kept = totals.kept_links
            report = ResolveReport(
                records=totals.records,
                customers=totals.customers,
                new_customers=len(assignment.created),
                merged_customers=len(assignment.merged),
                split_customers=len(assignment.split),
                records_reassigned=changed,
                mode=scope.mode,
                records_scored=scope.records_scored,
                candidate_pairs=scored.num_rows,
                links=kept.get("model", 0) + len(clustered.links),
                sole_holder_links=kept.get("sole_holder", 0) + len(clustered.sole_holder),
                blocked_by_guards=dict(clustered.blocked),
                override_links=len(clustered.forced),
                overrides_refused=refused,
                model_id=model_id,
                seconds=self.seconds,
                notes=[*self.model.notes, *self.splink.notes],
            )
            run_id = _finish_run(conn, report, self, now)
            add_links(conn, _run_links(record_ids, clustered, run_id, now))
        return report

    def _check_still_latest(self, conn: Connection) -> None:
        """Refuse to write over a run that finished while this one worked: its customers
        were computed from a store that has changed under it."""
        last = last_finished_run(conn)
        if (last.run_id if last else None) != self.built_on:
            raise ResolutionError(
                "another resolve finished while this one ran; nothing was written: run "
                "resolve again"
            )

    def _store_model(self, conn: Connection, records_seen: int, now: datetime) -> int:
        """The model's id, storing it (and the frequencies this run computed) when new."""
        model = self.model
        if model.id is None:
            kind = "default" if self.splink.default_parameters else "splink"
            row = dict(kind=kind, params=model.params, trained_on=records_seen, created_at=now)
            insert_model = insert(matching_models).values(row).returning(matching_models.c.id)
            model.id = int(conn.execute(insert_model).scalar_one())
        if model.new_frequencies:
            assert model.frequencies is not None
            _write_frequencies(conn, model.id, model.frequencies)
        return model.id


@dataclass(slots=True)
class _FullScope:
    """Every record scored and clustered (a first run, another model or settings, or
    `full` asked)."""

    table: pa.Table
    rows: _Rows  # the records' features, by position in `table`
    previous: dict[int, str]
    mode: ClassVar[Literal["full", "incremental"]] = "full"
    rescored: ClassVar[Sequence[int] | None] = None  # the scored pairs replace every kept pair

    @classmethod
    def load(cls, conn: Connection) -> _FullScope:
        members = select(record_customers.c.record_id, record_customers.c.customer_id)
        table = load_features(conn)
        return cls(table, _rows_of(table), dict(conn.execute(members).all()))

    @property
    def records_scored(self) -> int:
        return int(self.table.num_rows)

    def to_score(self) -> _Scoring:
        return _Scoring(self.table, self.rows)

    def clustering(self, run: _Run, scored: pa.Table) -> _Clustering:
        return _Clustering(self.table, self.rows, scored, self.previous)

    def reclustered(self, record_ids: list[int]) -> list[int] | None:
        return None

    def totals(self, conn: Connection, record_ids: list[int], labels: list[int]) -> _Totals:
        return _Totals(len(record_ids), len(set(labels)), {})


@dataclass(slots=True)
class _IncrementalScope:
    """The records new or changed since the last run (and their candidates) scored, the
    components they touch clustered again (see `_incremental`)."""

    last: RunState
    scoring: ScoringScope
    mode: ClassVar[Literal["full", "incremental"]] = "incremental"

    @classmethod
    def load(cls, last: RunState, conn: Connection) -> _IncrementalScope:
        return cls(last, scoring_scope(conn, dirty_records(conn, last.max_batch_id)))

    @property
    def records_scored(self) -> int:
        return len(self.scoring.dirty)

    @property
    def rescored(self) -> Sequence[int] | None:
        return self.scoring.dirty

    def to_score(self) -> _Scoring | None:
        """The pairs of the dirty records (with the name blocks' sizes in the whole store,
        so that Splink blocks them as a full run would); None when there are none."""
        if not self.scoring.dirty:
            return None
        dirty = pa.array(self.scoring.dirty, pa.int64())
        return _Scoring(self.scoring.table(), None, dirty, self.scoring.block_sizes)

    def clustering(self, run: _Run, scored: pa.Table) -> _Clustering:
        """The components the dirty records (and overrides changed since) touch, with
        the pairs among their records: kept ones unless rescored, and the new ones."""
        step = time.perf_counter()
        run.options.stage("components")
        new_edges = list(_pairs(scored))
        component, rows = self._component(run, new_edges)
        run.seconds["components"] = time.perf_counter() - step
        # pairs kept from earlier runs still hold unless they touch a record scored again
        rescored = set(self.scoring.dirty)
        weights = {
            pair: weight
            for pair, weight in component.kept.items()
            if pair[0] not in rescored and pair[1] not in rescored
        }
        weights.update({(left, right): weight for left, right, weight in new_edges})
        edges = pa.Table.from_pylist(
            [
                {"unique_id_l": left, "unique_id_r": right, "match_weight": weight}
                for (left, right), weight in weights.items()
                if left in rows and right in rows
            ],
            schema=_EDGES,
        )
        table = features_table(rows)
        previous = {i: component.previous[i] for i in sorted(rows) if i in component.previous}
        return _Clustering(table, _rows_of(table), edges, previous)

    def _component(
        self, run: _Run, new_edges: list[tuple[int, int, float]]
    ) -> tuple[Component, dict[int, Features]]:
        """The records whose customers may change, and their features."""
        steward = run.steward
        active = [i for i, _, _ in (*steward.links, *steward.separations)]
        noted = None if self.last.overrides is None else list(self.last.overrides)
        with run.store.connection() as conn:
            seeds = set(self.scoring.dirty) | override_seeds(conn, active, noted)
            component = touched_component(
                conn,
                seeds,
                [(left, right) for left, right, _ in new_edges],
                [(left, right) for _, left, right in steward.links],
            )
            rows = {i: self.scoring.rows[i] for i in component.ids if i in self.scoring.rows}
            load_rows(conn, component.ids, rows)
        return component, rows

    def reclustered(self, record_ids: list[int]) -> list[int] | None:
        return record_ids

    def totals(self, conn: Connection, record_ids: list[int], labels: list[int]) -> _Totals:
        """Counted in the store, where the other components' customers and links are."""
        total = conn.execute(select(func.count()).select_from(records)).scalar_one()
        distinct = func.count(func.distinct(record_customers.c.customer_id))
        kept_links: dict[str, int] = dict(
            conn.execute(
                select(record_links.c.kind, func.count())
                .where(record_links.c.kind.in_(("model", "sole_holder")))
                .group_by(record_links.c.kind)
            ).all()
        )
        return _Totals(int(total), int(conn.execute(select(distinct)).scalar_one()), kept_links)


_Scope = _FullScope | _IncrementalScope


def _rows_of(table: pa.Table) -> _Rows:
    return _Rows({c: table.column(c).to_pylist() for c in GUARD_COLUMNS})


def _pairs(scored: pa.Table) -> Iterator[tuple[int, int, float]]:
    """Scored pairs as (record_id_l, record_id_r, match_weight)."""
    columns = (scored.column(c).to_pylist() for c in ("unique_id_l", "unique_id_r", "match_weight"))
    return zip(*columns, strict=True)


def _cluster(
    table: pa.Table,
    rows: Sequence[dict[str, Any]],
    edges: pa.Table,
    steward: ActiveOverrides,
    options: ResolveOptions,
) -> tuple[ClusterResult, list[int]]:
    """Cluster the records of `table` (ordered by id; `rows` their features) over
    `edges` (with their `links`/`contacts` flags when `linking_pairs` gave them), with
    the steward's overrides among them; also the ids of link overrides not honoured."""
    ids = table.column("unique_id").to_numpy()
    left_positions = np.searchsorted(ids, edges.column("unique_id_l").to_numpy())
    right_positions = np.searchsorted(ids, edges.column("unique_id_r").to_numpy())
    weights = edges.column("match_weight").to_numpy()
    rule = options.rule
    if "links" in edges.column_names:
        flags = (edges.column(c).to_numpy(zero_copy_only=False) for c in ("links", "contacts"))
        evidence = PairEvidence(*flags)
    else:  # pairs gathered from several runs (incremental): flags worked out here
        evidence = pair_evidence(table, left_positions, right_positions, weights, rule)
    link_ids, must_link = _positions(ids, steward.links)
    _, cannot_link = _positions(ids, steward.separations)
    clustered = cluster(
        rows,
        left_positions.tolist(),
        right_positions.tolist(),
        weights.tolist(),
        limits=options.limits,
        must_link=must_link,
        cannot_link=cannot_link,
        links_on_weight=evidence.links.tolist(),
        contacts=(None if rule.sole_holder_match_weight is None else evidence.contacts.tolist()),
    )
    refused = [link_ids[index] for index in clustered.refused]
    for override_id in refused:
        log.warning("link override %s not honoured: it joins records kept apart", override_id)
    return clustered, refused


def _finish_run(conn: Connection, report: ResolveReport, run: _Run, now: datetime) -> int:
    """Record the run, with what the next runs and real time build on; its id."""
    overrides = sorted(i for i, _, _ in (*run.steward.links, *run.steward.separations))
    options = run.options
    shift = options.prior_shift if options.derives else None
    state = RunState.of(options.rule, options.limits, run.max_batch_id, overrides, shift)
    return int(
        conn.execute(
            insert(resolution_runs)
            .values(
                model_id=report.model_id,
                status="done",
                started_at=now,
                finished_at=utcnow(),
                stats={**report.model_dump(mode="json"), **state.to_stats()},
            )
            .returning(resolution_runs.c.id)
        ).scalar_one()
    )


def _duckdb_memory_limit() -> str:
    """DuckDB's memory cap: `CX360_DUCKDB_MEMORY` (e.g. "4GB"), else a quarter of the
    machine's memory; over it DuckDB spills to the run's temporary directory rather than
    take the 80% of its own default."""
    configured = os.environ.get("CX360_DUCKDB_MEMORY")
    if configured:
        return configured
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "4GB"
    return f"{max(1, total // 4 // 2**30)}GB"


def _write_frequencies(conn: Connection, model_id: int, tables: dict[str, pa.Table]) -> None:
    conn.execute(delete(term_frequencies).where(term_frequencies.c.model_id == model_id))
    for column, table in tables.items():
        rows = [{"model_id": model_id, "column_name": column, **row} for row in table.to_pylist()]
        insert_many(conn, term_frequencies, rows)


def _run_links(
    record_ids: Sequence[int], clustered: ClusterResult, run_id: int, now: datetime
) -> list[dict[str, Any]]:
    """A run's `record_links` rows: the scored pairs that joined groups, then the
    steward's links it honoured."""
    return (
        link_rows(record_ids, clustered.links, kind="model", run_id=run_id, now=now)
        + link_rows(record_ids, clustered.sole_holder, kind="sole_holder", run_id=run_id, now=now)
        + link_rows(record_ids, clustered.forced, kind="override", run_id=run_id, now=now)
    )


def _write_customers(
    conn: Connection,
    record_ids: list[int],
    labels: list[int],
    assignment: Assignment,
    previous: dict[int, str],
    now: datetime,
) -> int:
    """Apply an assignment: new customers, aliases, and changed memberships."""
    customer_of = assignment.customer_of_label
    create_customers(conn, assignment.created, now)
    alias_customers(conn, assignment.merged, now)
    moved = [
        (rid, customer_of[label])
        for rid, label in zip(record_ids, labels, strict=True)
        if previous.get(rid) != customer_of[label]
    ]
    assign_records(conn, moved, [rid for rid, _ in moved if rid in previous], now)
    return len(moved)
