"""Batch resolution of everything in the store: records in, customers out.

Steps: load the normalized features → train the model once (or reuse the stored one) →
score candidate pairs (Splink on DuckDB, or on Spark with `engine="spark"`) → cluster
strongest-first under the guards → give clusters stable customer IDs → write all of it in
one transaction.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

import duckdb
import numpy as np
import pyarrow as pa
from sqlalchemy import Connection, delete, func, insert, select, update

from cx360._errors import ConfigurationError
from cx360.models import ResolveReport
from cx360.resolve._cluster import ClusterResult, cluster
from cx360.resolve._evidence import (
    DEFAULT_MATCH_WEIGHT,
    DEFAULT_NAME_ONLY_MATCH_WEIGHT,
    DEFAULT_SOLE_HOLDER_MATCH_WEIGHT,
    LinkRule,
    PairEvidence,
    linking_pairs,
    pair_evidence,
)
from cx360.resolve._features import FEATURE_COLUMNS, TF_COLUMNS
from cx360.resolve._guards import GuardLimits
from cx360.resolve._ids import Assignment, assign_ids
from cx360.resolve._incremental import (
    chunks,
    dirty_records,
    features_table,
    load_rows,
    override_seeds,
    scoring_scope,
    touched_component,
)
from cx360.resolve._overrides import ActiveOverrides, active_overrides
from cx360.resolve._spark import SparkEngine, SparkOptions
from cx360.resolve._splink import (
    SplinkRun,
    SplinkSession,
    predict_edges,
    term_frequency_tables,
)
from cx360.resolve._training import train
from cx360.store import Store, utcnow
from cx360.store._schema import (
    customers,
    match_edges,
    models,
    record_customers,
    record_links,
    records,
    resolution_runs,
    term_frequencies,
)
from cx360.store._writes import insert_many

log = logging.getLogger("cx360.resolve")

_GUARD_COLUMNS = (*FEATURE_COLUMNS, "national_id_kind")
_LOAD_CHUNK = 50_000
ENGINES: tuple[str, ...] = ("duckdb", "spark")


@dataclass(frozen=True, slots=True)
class ResolveOptions:
    # identifier-backed pairs at or above `match_weight` link, name-only ones at or above
    # `name_only_match_weight` (see `cx360.resolve._evidence`)
    match_weight: float = DEFAULT_MATCH_WEIGHT
    name_only_match_weight: float = DEFAULT_NAME_ONLY_MATCH_WEIGHT
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

    @property
    def rule(self) -> LinkRule:
        return LinkRule(
            self.match_weight, self.name_only_match_weight, self.sole_holder_match_weight
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
    wanted = [records.c.id.label("unique_id"), *(records.c[c] for c in _GUARD_COLUMNS)]
    query = select(*wanted).order_by(records.c.id)
    batches: list[pa.RecordBatch] = []
    names = ["unique_id", *_GUARD_COLUMNS]
    schema = pa.schema([("unique_id", pa.int64())] + [(c, pa.string()) for c in _GUARD_COLUMNS])
    result = conn.execution_options(yield_per=_LOAD_CHUNK).execute(query)
    for partition in result.partitions():
        columns = list(zip(*partition, strict=True))
        batches.append(pa.record_batch([pa.array(col) for col in columns], names=names))
    if not batches:
        return schema.empty_table()
    return pa.Table.from_batches(batches).cast(schema)


def _latest_model(conn: Connection) -> tuple[int, dict[str, Any]] | None:
    row = conn.execute(
        select(models.c.id, models.c.params).order_by(models.c.id.desc()).limit(1)
    ).first()
    return (int(row.id), dict(row.params)) if row else None


def _positions(
    ids: np.ndarray[Any, Any], pairs: Sequence[tuple[int, int, int]]
) -> tuple[list[int], list[tuple[int, int]]]:
    """Overrides' record ids as positions in `ids` (sorted), with their override ids.

    Overrides on records no longer in the store are left out.
    """
    if not pairs:
        return [], []
    wanted = np.array([[a, b] for _, a, b in pairs], dtype=np.int64)
    found = np.minimum(np.searchsorted(ids, wanted), max(len(ids) - 1, 0))
    present = (ids[found] == wanted).all(axis=1) if len(ids) else np.zeros(len(pairs), bool)
    kept = [k for k in range(len(pairs)) if present[k]]
    return [pairs[k][0] for k in kept], [(int(found[k, 0]), int(found[k, 1])) for k in kept]


@dataclass(frozen=True, slots=True)
class _LastRun:
    model_id: int
    match_weight: float
    name_only_match_weight: float
    sole_holder_match_weight: float | None
    limits: dict[str, Any]
    max_batch_id: int
    overrides: list[int] | None  # active override ids (None: runs before they were noted)


def _last_run(conn: Connection) -> _LastRun | None:
    """The latest finished run, if it left what an incremental run builds on."""
    row = conn.execute(
        select(resolution_runs.c.model_id, resolution_runs.c.stats)
        .where(resolution_runs.c.status == "done")
        .order_by(resolution_runs.c.id.desc())
        .limit(1)
    ).first()
    state = (row.stats or {}).get("incremental_state") if row else None
    if row is None or row.model_id is None or not state:
        return None
    return _LastRun(
        int(row.model_id),
        state["match_weight"],
        # runs before name-only pairs had their own weight used one for every pair
        state.get("name_only_match_weight", state["match_weight"]),
        # runs before sole-holder links kept no pairs below the link weight
        state.get("sole_holder_match_weight"),
        state["limits"],
        state["max_batch_id"],
        state.get("overrides"),
    )


def _frozen_frequencies(conn: Connection, model_id: int) -> dict[str, pa.Table] | None:
    tables: dict[str, pa.Table] = {}
    for column in TF_COLUMNS:
        rows = conn.execute(
            select(term_frequencies.c.value, term_frequencies.c.frequency).where(
                term_frequencies.c.model_id == model_id,
                term_frequencies.c.column_name == column,
            )
        ).all()
        if not rows:
            return None
        values, freqs = zip(*rows, strict=True)
        tables[column] = pa.table(
            {"value": pa.array(values, pa.string()), "frequency": pa.array(freqs, pa.float64())}
        )
    return tables


def resolve_store(store: Store, options: ResolveOptions | None = None) -> ResolveReport:
    """Resolve every record in the store into customers (see module docstring).

    After a first run, a run is incremental when it can be: same model, link weight and
    guard limits as the last run. It scores only pairs that involve records new or
    changed since then and re-clusters only the connected components of scored pairs
    that hold such a record (`_incremental`), so it gives the customers a full run
    (`options.full`) would give.
    """
    options = options or ResolveOptions()
    if options.engine not in ENGINES:
        raise ConfigurationError(
            f"unknown resolution engine {options.engine!r} (one of {', '.join(ENGINES)})"
        )
    started = time.perf_counter()
    with store.connection() as conn:
        stored_model = None if options.retrain else _latest_model(conn)
        last = _last_run(conn)
        model_id, model = stored_model if stored_model else (None, None)
        frequencies = _frozen_frequencies(conn, model_id) if model_id is not None else None
    if (
        not options.full
        and model_id is not None
        and model is not None
        and frequencies is not None
        and last is not None
        and last.model_id == model_id
        and last.match_weight == options.match_weight
        and last.name_only_match_weight == options.name_only_match_weight
        and last.sole_holder_match_weight == options.sole_holder_match_weight
        and last.limits == asdict(options.limits)
    ):
        return _resolve_increment(store, options, last, model_id, model, frequencies, started)
    return _resolve_all(store, options, model_id, model, frequencies, started)


def _duckdb(spill: str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(
        config={
            "temp_directory": spill,
            "preserve_insertion_order": False,
            "memory_limit": _duckdb_memory_limit(),
        }
    )


@contextmanager
def _engine(
    options: ResolveOptions, seconds: dict[str, float]
) -> Iterator[duckdb.DuckDBPyConnection | SparkEngine]:
    """Where Splink runs for one resolution: a fresh DuckDB connection spilling to a
    temporary directory, or a Spark session with its work directory."""
    if options.engine == "spark":
        step = time.perf_counter()
        with SparkEngine.start(options.spark or SparkOptions()) as engine:
            seconds["spark_start"] = time.perf_counter() - step
            yield engine
        return
    with tempfile.TemporaryDirectory(prefix="cx360-duckdb-") as spill:
        con = _duckdb(spill)
        try:
            yield con
        finally:
            con.close()


def _resolve_all(
    store: Store,
    options: ResolveOptions,
    model_id: int | None,
    model: dict[str, Any] | None,
    frequencies: dict[str, pa.Table] | None,
    started: float,
) -> ResolveReport:
    """A full run: score every candidate pair, cluster every record."""
    seconds: dict[str, float] = {}
    options.stage("load")
    with store.connection() as conn:
        max_batch_id = conn.execute(select(func.max(records.c.batch_id))).scalar() or 0
        table = load_features(conn)
        steward = active_overrides(conn)
        previous = {
            int(rid): cid
            for rid, cid in conn.execute(
                select(record_customers.c.record_id, record_customers.c.customer_id)
            )
        }
    seconds["load"] = time.perf_counter() - started

    run = SplinkRun()
    new_frequencies = None
    with _engine(options, seconds) as engine:
        step = time.perf_counter()
        session = SplinkSession(engine, table)
        seconds["session"] = time.perf_counter() - step
        rows = _Rows({c: table.column(c).to_pylist() for c in _GUARD_COLUMNS})
        if model is None:
            options.stage("train")
            model = train(session, table, rows, limits=options.limits, run=run)
        if frequencies is None:
            frequencies = new_frequencies = term_frequency_tables(session)
        options.stage("score")
        edges = predict_edges(
            session,
            model,
            min_match_weight=options.rule.scoring_floor,
            frequencies=frequencies,
            run=run,
        )
    edges = linking_pairs(edges, table, options.rule)
    seconds.update(run.seconds)

    step = time.perf_counter()
    options.stage("cluster")
    ids = table.column("unique_id").to_numpy()
    clustered, refused = _cluster(table, rows, edges, steward, options)
    seconds["cluster"] = time.perf_counter() - step

    step = time.perf_counter()
    options.stage("write")
    record_ids = ids.tolist()
    assignment = assign_ids(clustered.labels, record_ids, previous)
    now = utcnow()
    with store.transaction() as conn:
        if model_id is None:
            model_id = int(
                conn.execute(
                    insert(models)
                    .values(kind="splink", params=model, trained_on=len(ids), created_at=now)
                    .returning(models.c.id)
                ).scalar_one()
            )
        if new_frequencies is not None:
            _write_frequencies(conn, model_id, new_frequencies)
        _write_edges(conn, model_id, edges, None)
        changed = _write_customers(conn, record_ids, clustered.labels, assignment, previous, now)
        report = ResolveReport(
            records=len(record_ids),
            customers=len(set(clustered.labels)),
            new_customers=len(assignment.created),
            merged_customers=len(assignment.merged),
            split_customers=len(assignment.split),
            records_reassigned=changed,
            mode="full",
            records_scored=len(record_ids),
            candidate_pairs=edges.num_rows,
            links=len(clustered.links),
            sole_holder_links=len(clustered.sole_holder),
            blocked_by_guards=dict(clustered.blocked),
            override_links=len(clustered.forced),
            overrides_refused=refused,
            model_id=model_id,
            seconds=seconds,
        )
        run_id = _finish_run(conn, report, options, int(max_batch_id), steward, now)
        _write_links(conn, _run_links(record_ids, clustered, run_id, now))
    seconds["write"] = time.perf_counter() - step
    seconds["total"] = time.perf_counter() - started
    report.seconds = seconds
    return report


def _resolve_increment(
    store: Store,
    options: ResolveOptions,
    last: _LastRun,
    model_id: int,
    model: dict[str, Any],
    frequencies: dict[str, pa.Table],
    started: float,
) -> ResolveReport:
    """An incremental run (see `_incremental`): score the pairs of the dirty records,
    re-cluster the components they touch, leave every other customer as it is."""
    seconds: dict[str, float] = {}
    options.stage("load")
    with store.connection() as conn:
        max_batch_id = conn.execute(select(func.max(records.c.batch_id))).scalar() or 0
        steward = active_overrides(conn)
        scope = scoring_scope(conn, dirty_records(conn, last.max_batch_id))
    seconds["load"] = time.perf_counter() - started

    run = SplinkRun()
    options.stage("score")
    if scope.dirty:
        with _engine(options, seconds) as engine:
            scoped = scope.table()
            session = SplinkSession(
                engine,
                scoped,
                pa.array(scope.dirty, pa.int64()),
                block_sizes=scope.block_sizes,
            )
            scored = linking_pairs(
                predict_edges(
                    session,
                    model,
                    min_match_weight=options.rule.scoring_floor,
                    frequencies=frequencies,
                    run=run,
                ),
                scoped,
                options.rule,
            )
    else:
        scored = _edges_schema().empty_table()
    seconds.update(run.seconds)

    step = time.perf_counter()
    options.stage("components")
    new_edges = list(
        zip(
            scored.column("unique_id_l").to_pylist(),
            scored.column("unique_id_r").to_pylist(),
            scored.column("match_weight").to_pylist(),
            strict=True,
        )
    )
    active = [i for i, _, _ in (*steward.links, *steward.separations)]
    with store.connection() as conn:
        seeds = set(scope.dirty) | override_seeds(conn, active, last.overrides)
        component = touched_component(
            conn,
            seeds,
            [(left, right) for left, right, _ in new_edges],
            [(left, right) for _, left, right in steward.links],
        )
        rows = {i: scope.rows[i] for i in component.ids if i in scope.rows}
        load_rows(conn, component.ids, rows)
    seconds["components"] = time.perf_counter() - step

    step = time.perf_counter()
    options.stage("cluster")
    # pairs kept from earlier runs still hold unless they touch a record scored again
    rescored = set(scope.dirty)
    weights = {
        pair: weight
        for pair, weight in component.kept.items()
        if pair[0] not in rescored and pair[1] not in rescored
    }
    weights.update({(left, right): weight for left, right, weight in new_edges})
    pairs = [(pair, w) for pair, w in weights.items() if pair[0] in rows and pair[1] in rows]
    edges = pa.table(
        {
            "unique_id_l": pa.array([p[0] for p, _ in pairs], pa.int64()),
            "unique_id_r": pa.array([p[1] for p, _ in pairs], pa.int64()),
            "match_weight": pa.array([w for _, w in pairs], pa.float64()),
        }
    )
    table = features_table(rows)
    ids = table.column("unique_id").to_numpy()
    clustered, refused = _cluster(
        table,
        _Rows({c: table.column(c).to_pylist() for c in _GUARD_COLUMNS}),
        edges,
        steward,
        options,
    )
    seconds["cluster"] = time.perf_counter() - step

    step = time.perf_counter()
    options.stage("write")
    record_ids = ids.tolist()
    previous = {i: component.previous[i] for i in record_ids if i in component.previous}
    assignment = assign_ids(clustered.labels, record_ids, previous)
    now = utcnow()
    with store.transaction() as conn:
        _write_edges(conn, model_id, scored, scope.dirty)
        changed = _write_customers(conn, record_ids, clustered.labels, assignment, previous, now)
        _delete_links(conn, record_ids)
        total = conn.execute(select(func.count()).select_from(records)).scalar_one()
        distinct = func.count(func.distinct(record_customers.c.customer_id))
        kept_links: dict[str, int] = dict(
            conn.execute(
                select(record_links.c.kind, func.count())
                .where(record_links.c.kind.in_(("model", "sole_holder")))
                .group_by(record_links.c.kind)
            ).all()
        )
        report = ResolveReport(
            records=int(total),
            customers=int(conn.execute(select(distinct)).scalar_one()),
            new_customers=len(assignment.created),
            merged_customers=len(assignment.merged),
            split_customers=len(assignment.split),
            records_reassigned=changed,
            mode="incremental",
            records_scored=len(scope.dirty),
            candidate_pairs=scored.num_rows,
            links=int(kept_links.get("model", 0)) + len(clustered.links),
            sole_holder_links=int(kept_links.get("sole_holder", 0)) + len(clustered.sole_holder),
            blocked_by_guards=dict(clustered.blocked),
            override_links=len(clustered.forced),
            overrides_refused=refused,
            model_id=model_id,
            seconds=seconds,
        )
        run_id = _finish_run(conn, report, options, int(max_batch_id), steward, now)
        insert_many(conn, record_links, _run_links(record_ids, clustered, run_id, now))
    seconds["write"] = time.perf_counter() - step
    seconds["total"] = time.perf_counter() - started
    report.seconds = seconds
    return report


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
        evidence = PairEvidence(
            edges.column("links").to_numpy(zero_copy_only=False),
            edges.column("contacts").to_numpy(zero_copy_only=False),
        )
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


def _finish_run(
    conn: Connection,
    report: ResolveReport,
    options: ResolveOptions,
    max_batch_id: int,
    steward: ActiveOverrides,
    now: datetime,
) -> int:
    """Record the run, with what the next incremental run builds on; its id."""
    state = {
        "match_weight": options.match_weight,
        "name_only_match_weight": options.name_only_match_weight,
        "sole_holder_match_weight": options.sole_holder_match_weight,
        "limits": asdict(options.limits),
        "max_batch_id": max_batch_id,
        "overrides": sorted(i for i, _, _ in (*steward.links, *steward.separations)),
    }
    return int(
        conn.execute(
            insert(resolution_runs)
            .values(
                model_id=report.model_id,
                status="done",
                started_at=now,
                finished_at=utcnow(),
                stats={**report.model_dump(mode="json"), "incremental_state": state},
            )
            .returning(resolution_runs.c.id)
        ).scalar_one()
    )


def _duckdb_memory_limit() -> str:
    """DuckDB's memory cap: `CX360_DUCKDB_MEMORY` (e.g. "4GB"), else a quarter of the
    machine's memory. DuckDB's own default (80%) let a 1M-record run peak at 12.5 GB; with
    a cap it spills to disk (the run's temporary directory) instead."""
    configured = os.environ.get("CX360_DUCKDB_MEMORY")
    if configured:
        return configured
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "4GB"
    return f"{max(1, total // 4 // 2**30)}GB"


def _edges_schema() -> pa.Schema:
    return pa.schema(
        [("unique_id_l", pa.int64()), ("unique_id_r", pa.int64()), ("match_weight", pa.float64())]
    )


def _write_frequencies(conn: Connection, model_id: int, tables: dict[str, pa.Table]) -> None:
    conn.execute(delete(term_frequencies).where(term_frequencies.c.model_id == model_id))
    for column, table in tables.items():
        insert_many(
            conn,
            term_frequencies,
            [
                {"model_id": model_id, "column_name": column, "value": value, "frequency": freq}
                for value, freq in zip(
                    table.column("value").to_pylist(),
                    table.column("frequency").to_pylist(),
                    strict=True,
                )
            ],
        )


def _write_edges(
    conn: Connection, model_id: int, scored: pa.Table, dirty_ids: Sequence[int] | None
) -> None:
    """Keep the scored pairs for later incremental runs: a full run replaces them all, an
    incremental one replaces those touching the records it scored again."""
    if dirty_ids is None:
        conn.execute(delete(match_edges))
    else:
        for part in chunks(dirty_ids):
            conn.execute(delete(match_edges).where(match_edges.c.record_id_l.in_(part)))
            conn.execute(delete(match_edges).where(match_edges.c.record_id_r.in_(part)))
    insert_many(
        conn,
        match_edges,
        [
            {
                "record_id_l": left,
                "record_id_r": right,
                "match_weight": weight,
                "model_id": model_id,
            }
            for left, right, weight in zip(
                scored.column("unique_id_l").to_pylist(),
                scored.column("unique_id_r").to_pylist(),
                scored.column("match_weight").to_pylist(),
                strict=True,
            )
        ],
    )


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


def link_rows(
    record_ids: Sequence[int],
    links: Sequence[tuple[int, int, float | None]],
    *,
    kind: str,
    run_id: int | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """`record_links` rows for links given by record position (as `cluster` returns them)."""
    return [
        {
            "record_id_l": record_ids[left],
            "record_id_r": record_ids[right],
            "match_weight": weight,
            "kind": kind,
            "run_id": run_id,
            "created_at": now,
        }
        for left, right, weight in links
    ]


def _write_links(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Replace the stored links with `rows`, every kind at once (model, override).

    The links are those of the latest run only: together they join each customer's
    records, which is what explanations walk; older runs' links would join records that
    have since been split apart.
    """
    conn.execute(delete(record_links))
    insert_many(conn, record_links, rows)


def _delete_links(conn: Connection, touched: Sequence[int]) -> None:
    """Delete the stored links of some records (whole components: a link never leaves
    one), for an incremental run to write theirs again."""
    for part in chunks(touched):
        conn.execute(delete(record_links).where(record_links.c.record_id_l.in_(part)))
        conn.execute(delete(record_links).where(record_links.c.record_id_r.in_(part)))


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
    if assignment.created:
        insert_many(
            conn,
            customers,
            [
                {
                    "customer_id": cid,
                    "status": "active",
                    "merged_into": None,
                    "created_at": now,
                    "updated_at": now,
                }
                for cid in assignment.created
            ],
        )
    for old, survivor in assignment.merged.items():
        conn.execute(
            update(customers)
            .where(customers.c.customer_id == old)
            .values(status="merged", merged_into=survivor, updated_at=now)
        )
        # earlier aliases of the merged id now point at the survivor too
        conn.execute(
            update(customers)
            .where(customers.c.merged_into == old)
            .values(merged_into=survivor, updated_at=now)
        )
    moved = [
        (rid, customer_of[label])
        for rid, label in zip(record_ids, labels, strict=True)
        if previous.get(rid) != customer_of[label]
    ]
    stale = [rid for rid, _ in moved if rid in previous]
    for part in chunks(stale):
        conn.execute(delete(record_customers).where(record_customers.c.record_id.in_(part)))
    insert_many(
        conn,
        record_customers,
        [{"record_id": rid, "customer_id": cid, "assigned_at": now} for rid, cid in moved],
    )
    return len(moved)
