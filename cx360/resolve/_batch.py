"""Batch resolution of everything in the store: records in, customers out.

Steps: load the normalized features → train the model once (or reuse the stored one) →
score candidate pairs (Splink on DuckDB) → cluster strongest-first under the guards →
give clusters stable customer IDs → write all of it in one transaction.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, delete, func, insert, select, update

from cx360.models import ResolveReport
from cx360.resolve._cluster import cluster
from cx360.resolve._features import FEATURE_COLUMNS, TF_COLUMNS
from cx360.resolve._guards import GuardLimits
from cx360.resolve._ids import Assignment, assign_ids
from cx360.resolve._overrides import active_overrides
from cx360.resolve._splink import (
    SplinkRun,
    SplinkSession,
    predict_edges,
    term_frequency_tables,
    train_model,
)
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

# Pairs at or above this match weight (log2 odds; 6.0 ≈ probability 0.985) are links.
DEFAULT_MATCH_WEIGHT = 6.0
_GUARD_COLUMNS = (*FEATURE_COLUMNS, "national_id_kind")
_LOAD_CHUNK = 50_000
_IN_CHUNK = 900  # ids per IN (...) list, under SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class ResolveOptions:
    match_weight: float = DEFAULT_MATCH_WEIGHT
    retrain: bool = False
    full: bool = False  # score every pair again even when an incremental run would do
    limits: GuardLimits = field(default_factory=GuardLimits)


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
    limits: dict[str, Any]
    max_batch_id: int


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
        int(row.model_id), state["match_weight"], state["limits"], state["max_batch_id"]
    )


def _dirty_records(
    conn: Connection, record_ids: pa.Array, previous: dict[int, str], last: _LastRun
) -> list[int]:
    """Records new since the last run (no customer yet) or changed since (a later batch)."""
    changed = {
        int(rid)
        for (rid,) in conn.execute(
            select(records.c.id).where(records.c.batch_id > last.max_batch_id)
        )
    }
    unassigned = {rid for rid in record_ids.to_pylist() if rid not in previous}
    return sorted(changed | unassigned)


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


def _stored_edges(conn: Connection) -> pa.Table:
    result = conn.execution_options(yield_per=_LOAD_CHUNK).execute(
        select(match_edges.c.record_id_l, match_edges.c.record_id_r, match_edges.c.match_weight)
    )
    columns: list[list[Any]] = [[], [], []]
    for partition in result.partitions():
        for column, values in zip(columns, zip(*partition, strict=True), strict=True):
            column.extend(values)
    return pa.table(
        {
            "unique_id_l": pa.array(columns[0], pa.int64()),
            "unique_id_r": pa.array(columns[1], pa.int64()),
            "match_weight": pa.array(columns[2], pa.float64()),
        }
    )


def resolve_store(store: Store, options: ResolveOptions | None = None) -> ResolveReport:
    """Resolve every record in the store into customers (see module docstring).

    After a first run, a run is incremental when it can be: same model, link weight and
    guard limits as the last run. It scores only pairs that involve records new or
    changed since then, adds the pairs kept from earlier runs, and clusters over all of
    them, so it gives the customers a full run (`options.full`) would give.
    """
    options = options or ResolveOptions()
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    with store.connection() as conn:
        table = load_features(conn)
        stored_model = None if options.retrain else _latest_model(conn)
        steward = active_overrides(conn)
        previous = {
            int(rid): cid
            for rid, cid in conn.execute(
                select(record_customers.c.record_id, record_customers.c.customer_id)
            )
        }
        max_batch_id = conn.execute(select(func.max(records.c.batch_id))).scalar() or 0
        last = _last_run(conn)
        model_id, model = stored_model if stored_model else (None, None)
        frequencies = _frozen_frequencies(conn, model_id) if model_id is not None else None
        incremental = (
            not options.full
            and model_id is not None
            and frequencies is not None
            and last is not None
            and last.model_id == model_id
            and last.match_weight == options.match_weight
            and last.limits == asdict(options.limits)
        )
        dirty = (
            _dirty_records(conn, table.column("unique_id"), previous, last)
            if incremental and last
            else None
        )
        kept = _stored_edges(conn) if incremental else None
    seconds["load"] = time.perf_counter() - started

    run = SplinkRun()
    new_frequencies = None
    dirty_ids: pa.Array | None = None
    if incremental and not dirty:
        edges = _edges_schema().empty_table()  # nothing new: re-cluster the kept pairs only
        dirty_ids = pa.array([], pa.int64())
    else:
        with tempfile.TemporaryDirectory(prefix="cx360-duckdb-") as spill:
            con = duckdb.connect(
                config={
                    "temp_directory": spill,
                    "preserve_insertion_order": False,
                    "memory_limit": _duckdb_memory_limit(),
                }
            )
            try:
                session = SplinkSession(
                    con, table, pa.array(dirty, pa.int64()) if dirty is not None else None
                )
                if model is None:
                    model = train_model(session, run)
                if frequencies is None:
                    frequencies = new_frequencies = term_frequency_tables(session)
                if incremental:
                    dirty_ids = session.dirty_ids()
                edges = predict_edges(
                    session,
                    model,
                    min_match_weight=options.match_weight,
                    frequencies=frequencies,
                    run=run,
                )
            finally:
                con.close()
    seconds.update(run.seconds)
    scored = edges
    if kept is not None and dirty_ids is not None:
        # pairs from earlier runs still hold unless they touch a record scored again
        stale = pc.or_(
            pc.is_in(kept.column("unique_id_l"), value_set=dirty_ids),
            pc.is_in(kept.column("unique_id_r"), value_set=dirty_ids),
        )
        edges = pa.concat_tables([kept.filter(pc.invert(stale)), edges.select(kept.column_names)])

    step = time.perf_counter()
    ids = table.column("unique_id").to_numpy()
    left = np.searchsorted(ids, edges.column("unique_id_l").to_numpy()).tolist()
    right = np.searchsorted(ids, edges.column("unique_id_r").to_numpy()).tolist()
    weights = edges.column("match_weight").to_pylist()
    rows = _Rows({c: table.column(c).to_pylist() for c in _GUARD_COLUMNS})
    link_ids, must_link = _positions(ids, steward.links)
    _, cannot_link = _positions(ids, steward.separations)
    clustered = cluster(
        rows,
        left,
        right,
        weights,
        limits=options.limits,
        must_link=must_link,
        cannot_link=cannot_link,
    )
    refused = [link_ids[index] for index in clustered.refused]
    for override_id in refused:
        log.warning("link override %s not honoured: it joins records kept apart", override_id)
    seconds["cluster"] = time.perf_counter() - step

    step = time.perf_counter()
    record_ids = ids.tolist()
    assignment = assign_ids(clustered.labels, record_ids, previous)
    now = utcnow()
    assert model is not None
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
        _write_edges(conn, model_id, scored, dirty_ids if incremental else None)
        changed = _write_customers(conn, record_ids, clustered.labels, assignment, previous, now)
        report = ResolveReport(
            records=len(record_ids),
            customers=len(set(clustered.labels)),
            new_customers=len(assignment.created),
            merged_customers=len(assignment.merged),
            split_customers=len(assignment.split),
            records_reassigned=changed,
            mode="incremental" if incremental else "full",
            records_scored=len(dirty_ids) if dirty_ids is not None else len(record_ids),
            candidate_pairs=scored.num_rows,
            links=len(clustered.links),
            blocked_by_guards=dict(clustered.blocked),
            override_links=len(clustered.forced),
            overrides_refused=refused,
            model_id=model_id,
            seconds=seconds,
        )
        state = {
            "match_weight": options.match_weight,
            "limits": asdict(options.limits),
            "max_batch_id": int(max_batch_id),
        }
        run_id = conn.execute(
            insert(resolution_runs)
            .values(
                model_id=model_id,
                status="done",
                started_at=now,
                finished_at=utcnow(),
                stats={**report.model_dump(mode="json"), "incremental_state": state},
            )
            .returning(resolution_runs.c.id)
        ).scalar_one()
        _write_links(
            conn,
            link_rows(record_ids, clustered.links, kind="model", run_id=run_id, now=now)
            + link_rows(record_ids, clustered.forced, kind="override", run_id=run_id, now=now),
        )
    seconds["write"] = time.perf_counter() - step
    seconds["total"] = time.perf_counter() - started
    report.seconds = seconds
    return report


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
    conn: Connection, model_id: int, scored: pa.Table, dirty_ids: pa.Array | None
) -> None:
    """Keep the scored pairs for later incremental runs: a full run replaces them all, an
    incremental one replaces those touching the records it scored again."""
    if dirty_ids is None:
        conn.execute(delete(match_edges))
    else:
        dirty = dirty_ids.to_pylist()
        for start in range(0, len(dirty), _IN_CHUNK):
            part = dirty[start : start + _IN_CHUNK]
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
    for start in range(0, len(stale), 900):
        conn.execute(
            delete(record_customers).where(
                record_customers.c.record_id.in_(stale[start : start + 900])
            )
        )
    insert_many(
        conn,
        record_customers,
        [{"record_id": rid, "customer_id": cid, "assigned_at": now} for rid, cid in moved],
    )
    return len(moved)
