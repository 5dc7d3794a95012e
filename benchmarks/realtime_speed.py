"""Real-time speed: `resolve_record`, profile/context lookups and `record_interaction`
on a resolved store, with Splink's own one-pair scoring as the baseline (same run).

    python benchmarks/realtime_speed.py [--records 100000] [--holdout 2000] \\
        [--interactions 20000] [--store URL] [--copy] [--dataset DIR]

    # 1M: the first run builds the store (ingest + batch resolve: ~5 minutes); later runs
    # reuse it, each on a fresh copy of the file (--copy), so every run starts alike
    python benchmarks/realtime_speed.py --records 1000000 --store sqlite:///bench-data/rt-1m.db --copy

Generates (or reuses) N synthetic records; the last `--holdout` of them are kept out of
the store, which gets the others and one batch `resolve()` (skipped when `--store` points
at a store that already has a model; with `--copy`, a SQLite store is copied and the
copy is used, after `sync` so that no write-back of the copy lands in the timings; a
PostgreSQL store's database is copied with CREATE DATABASE ... TEMPLATE, which needs the
role to be allowed to create databases). Then,
in one process:
- `resolve_record` on each held-out record, timed one by one (after a short warm-up;
  each run gives them fresh ids, so a reused store gets new records every time), as a
  channel app calls it (no explanation; `--explain` asks for them);
- `hub.context` / `hub.profile` by the phone or e-mail of those records;
- `record_interaction` for `--interactions` interactions of the dataset, fresh ids;
- baseline: Splink's `linker.inference.score_pair` on the deciding pairs of the first
  `--baseline-pairs` calls (its weights are checked against cx360's on the way).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import logging
import statistics
import sys
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _common import copy_store, ensure_dataset, machine

import cx360
from cx360.models import Match


def percentiles(seconds: Sequence[float]) -> str:
    ordered = sorted(seconds)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3

    return (
        f"p50 {at(0.50):6.2f} ms  p95 {at(0.95):6.2f} ms  p99 {at(0.99):6.2f} ms  "
        f"max {ordered[-1] * 1e3:7.2f} ms  mean {statistics.fmean(ordered) * 1e3:6.2f} ms  "
        f"(n={len(ordered):,})"
    )


def timed_calls(calls: Sequence[Callable[[], Any]]) -> tuple[list[float], list[Any]]:
    seconds, results = [], []
    for call in calls:
        started = time.perf_counter()
        results.append(call())
        seconds.append(time.perf_counter() - started)
    return seconds, results


class CpuTimer:
    """This process's CPU time per call over a block: the library's own work (the rest
    is the database's, and waiting), steadier than wall time when other jobs run."""

    def __enter__(self) -> CpuTimer:
        self.started = time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.process_time() - self.started

    def per_call(self, calls: int) -> str:
        return f"CPU in this process {self.seconds / max(1, calls) * 1e3:.3f} ms per call"


def read_rows(path: Path, limit: int | None = None) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(itertools.islice(csv.DictReader(handle), limit))


def build_store(url: str, records: Path, holdout: int, work: Path) -> list[dict[str, str]]:
    """Ingest all but the last `holdout` records and resolve; the held-out rows."""
    with records.open(encoding="utf-8", newline="") as handle:
        total = sum(1 for _ in handle) - 1
    kept = work / "kept.csv"
    with records.open(encoding="utf-8", newline="") as src, kept.open("w", encoding="utf-8") as dst:
        for line in itertools.islice(src, total - holdout + 1):  # + the header
            dst.write(line)
    hub = cx360.connect(url)
    started = time.perf_counter()
    hub.ingest_files(kept)
    ingest = time.perf_counter() - started
    report = hub.resolve()
    print(
        f"built the store: {total - holdout:,} records ingested in {ingest:.0f} s, "
        f"resolved in {report.seconds.get('total', 0):.0f} s into {report.customers:,} customers"
    )
    hub.close()
    kept.unlink()
    return read_rows(records)[total - holdout :]


def splink_baseline(matches: Sequence[Match], store_url: str, pairs: int) -> None:
    """Splink scoring the same deciding pairs, one `score_pair` call each."""
    import duckdb
    import pyarrow as pa

    from cx360.resolve._batch import _latest_model
    from cx360.resolve._blocking import NAME_BLOCK_COLUMN, SPLINK_KEYS
    from cx360.resolve._features import FEATURE_COLUMNS
    from cx360.resolve._splink import SplinkSession
    from cx360.store import Store

    explained = [m for m in matches if m.explanation is not None][:pairs]
    if not explained:
        print("baseline: no scored pair to compare")
        return
    store = Store.open(store_url)
    with store.connection() as conn:
        stored = _latest_model(conn)
    store.close()
    assert stored is not None
    model = stored[1]

    def side(match: Match, left: bool) -> dict[str, Any]:
        # the pair's values, as the explanation shows them
        assert match.explanation is not None
        record: dict[str, Any] = dict.fromkeys(FEATURE_COLUMNS)
        for part in match.explanation.comparisons:
            record.update(part.values_left if left else part.values_right)
        # blocking-only columns take no part in the score
        blocking_only = dict.fromkeys((NAME_BLOCK_COLUMN, *(key.name for key in SPLINK_KEYS)))
        return {**record, **blocking_only, "unique_id": 1}

    # a Linker needs an input table for its settings: a tiny one does
    table = pa.table(
        {"unique_id": pa.array([1, 2], pa.int64())}
        | {c: pa.array([None, None], pa.string()) for c in (*FEATURE_COLUMNS, "national_id_kind")}
    )
    session = SplinkSession(duckdb.connect(), table)
    linker = session.linker(model)
    frozen = _frozen_tf(store_url, stored[0])

    def with_tf(record: dict[str, Any]) -> dict[str, Any]:
        # Splink takes each value's term frequency with the record (cx360 froze them)
        for column in ("given_key", "surname_key"):
            record[f"tf_{column}"] = frozen.get((column, record.get(column)))
        return record

    left, right = with_tf(side(explained[0], True)), with_tf(side(explained[0], False))
    linker.inference.score_pair(left, right).as_record_list()  # warm-up: SQL built once
    seconds, worst = [], 0.0
    for match in explained:
        a, b = with_tf(side(match, True)), with_tf(side(match, False))
        started = time.perf_counter()
        scored = linker.inference.score_pair(a, {**b, "unique_id": 2}).as_record_list()[0]
        seconds.append(time.perf_counter() - started)
        assert match.match_weight is not None
        worst = max(worst, abs(scored["match_weight"] - match.match_weight))
    print(f"baseline Splink score_pair (1 pair): {percentiles(seconds)}")
    print(f"  max |weight difference| vs cx360 on those pairs: {worst:.1e}")


def _frozen_tf(store_url: str, model_id: int) -> dict[tuple[str, str], float]:
    from sqlalchemy import select

    from cx360.store import Store
    from cx360.store._schema import term_frequencies as tf

    store = Store.open(store_url)
    with store.connection() as conn:
        rows = conn.execute(
            select(tf.c.column_name, tf.c.value, tf.c.frequency).where(tf.c.model_id == model_id)
        ).all()
    store.close()
    return {(c, v): f for c, v, f in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--holdout", type=int, default=2_000)
    parser.add_argument("--interactions", type=int, default=20_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--baseline-pairs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--store", help="store URL to build once and reuse (default: a temp file)")
    parser.add_argument(
        "--copy",
        action="store_true",
        help="time a fresh copy of --store (the SQLite file, or the PostgreSQL database)",
    )
    parser.add_argument("--dataset", type=Path, help="an existing dataset folder (records.csv)")
    parser.add_argument(
        "--explain", action="store_true", help="time resolve_record(..., explain=True)"
    )
    parser.add_argument("--data", type=Path, default=Path("bench-data/realtime"))
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # Splink's training chatter
    warnings.filterwarnings("ignore")

    paths = (
        {"records": args.dataset / "records.csv", "interactions": args.dataset / "interactions.csv"}
        if args.dataset
        else ensure_dataset(
            args.data / f"synthetic-{args.records}-s{args.seed}", args.records, args.seed
        )
    )
    print(machine())
    work = args.data / "work"
    work.mkdir(parents=True, exist_ok=True)
    url = args.store or f"sqlite:///{work / f'realtime-{uuid.uuid4().hex[:8]}.db'}"
    with cx360.connect(url) as hub:
        last_run = hub.status().last_run
    has_model = last_run is not None and last_run.matching_model is not None
    if has_model:
        print(f"reusing the resolved store {url.split('?')[0]}")
        held = read_rows(Path(paths["records"]))[-args.holdout :]
    else:
        held = build_store(url, Path(paths["records"]), args.holdout, work)
    if args.copy:
        url = copy_store(url, "copy", work if url.startswith("sqlite") else None)

    hub = cx360.connect(url)
    status = hub.status()
    store_records = status.records
    print(f"store: {status.backend}, {store_records:,} records")
    tag = uuid.uuid4().hex[:6]
    arrivals = [dict(r, source_record_id=f"{r['source_record_id']}~{tag}") for r in held]
    # warm-up (not timed): model, caches, first statements compiled
    first_started = time.perf_counter()
    hub.resolve_record(arrivals[0], explain=args.explain)
    first_call = time.perf_counter() - first_started
    for row in arrivals[1:50]:
        hub.resolve_record(row, explain=args.explain)
    with CpuTimer() as spent:
        seconds, matches = timed_calls(
            [lambda r=row: hub.resolve_record(r, explain=args.explain) for row in arrivals[50:]]
        )
    print(f"resolve_record: {percentiles(seconds)}")
    print(f"  {spent.per_call(len(seconds))}")
    print(f"  first call (loads the model): {first_call * 1e3:.0f} ms")
    print(f"  statuses: {dict(Counter(m.status for m in matches))}")
    print(
        f"  candidates per record: mean {statistics.fmean(m.candidates for m in matches):.1f}, "
        f"max {max(m.candidates for m in matches)}"
    )

    if hasattr(hub, "context"):
        keys = [
            (
                {"phone": r["phone"], "country": r["country"] or None}
                if r["phone"]
                else {"email": r["email"]}
            )
            for r in held
            if r["phone"] or r["email"]
        ][: args.lookups]
        hub.context(**keys[0])
        seconds, found = timed_calls([lambda k=k: hub.context(**k) for k in keys])
        print(f"context lookup: {percentiles(seconds)}  {dict(Counter(f.status for f in found))}")
        seconds, _ = timed_calls([lambda k=k: hub.profile(**k) for k in keys])
        print(f"profile lookup: {percentiles(seconds)}")
        # by the customer IDs the real-time calls returned (some merged away since: aliases)
        ids = list(dict.fromkeys(m.customer_id for m in matches if m.customer_id))[: args.lookups]
        seconds, found = timed_calls([lambda c=c: hub.profile(customer_id=c) for c in ids])
        statuses = dict(Counter(f.status for f in found))
        print(f"profile lookup by customer_id: {percentiles(seconds)}  {statuses}")
        seconds, _ = timed_calls([lambda c=c: hub.context(customer_id=c) for c in ids])
        print(f"context lookup by customer_id: {percentiles(seconds)}")

    calls = read_rows(Path(paths["interactions"]), args.interactions)
    fresh = [dict(c, interaction_id=f"{c['interaction_id']}~{tag}") for c in calls]
    started = time.perf_counter()
    with CpuTimer() as spent:
        seconds, _ = timed_calls([lambda c=c: hub.record_interaction(**c) for c in fresh])
    elapsed = time.perf_counter() - started
    print(
        f"record_interaction: {len(fresh) / elapsed:,.0f} per second sustained "
        f"({len(fresh):,} calls); {percentiles(seconds)}"
    )
    print(f"  {spent.per_call(len(fresh))}")
    updates = [dict(c, status="resolved") for c in fresh[: len(fresh) // 4]]
    started = time.perf_counter()
    for call in updates:
        hub.record_interaction(**call)
    print(
        f"  status updates (open -> resolved, history kept): "
        f"{len(updates) / (time.perf_counter() - started):,.0f} per second"
    )
    # the deciding pairs' waterfalls for the baseline: the same records again (unchanged)
    paired = [row for row, m in zip(arrivals[50:], matches, strict=True) if m.matched_record]
    explained = [hub.resolve_record(row, explain=True) for row in paired[: args.baseline_pairs]]
    hub.close()
    splink_baseline(explained, url, args.baseline_pairs)


if __name__ == "__main__":
    main()
