"""Audit the over-merge guards and the link weight against ground truth.

    python benchmarks/guard_audit.py bench-data/accuracy/synthetic-15000-s11 --match-weight 0

Ingests a generated dataset (records + truth, CSV or Parquet) into a temporary SQLite
store, trains the model, scores pairs at or above the link weight, and replays the
constrained clustering, counting for every join considered whether the two groups
were the same person (by majority truth label) and what the guards decided.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sqlalchemy import select

import cx360
from cx360.resolve._batch import _Rows, load_features
from cx360.resolve._cluster import cluster
from cx360.resolve._guards import GuardLimits
from cx360.resolve._incremental import GUARD_COLUMNS
from cx360.resolve._splink import SplinkSession, predict_edges, train_model
from cx360.store import Store
from cx360.store._schema import records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="folder with records.* and truth.*")
    parser.add_argument("--match-weight", type=float, default=0.0)
    args = parser.parse_args()
    fmt = "parquet" if (args.data / "records.parquet").exists() else "csv"
    truth = (
        pd.read_parquet(args.data / "truth.parquet")
        if fmt == "parquet"
        else pd.read_csv(args.data / "truth.csv", dtype=str)
    ).astype(str)
    person_of = dict(zip(truth.source + "|" + truth.source_record_id, truth.person_id, strict=True))

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/audit.db")
        hub = cx360.Hub(store)
        hub.ingest_files(args.data / f"records.{fmt}")
        with store.connection() as conn:
            table = load_features(conn)
            keys = {
                r.id: f"{r.source}|{r.source_record_id}"
                for r in conn.execute(
                    select(records.c.id, records.c.source, records.c.source_record_id)
                )
            }
        hub.close()
    con = duckdb.connect()
    session = SplinkSession(con, table)
    edges = predict_edges(session, train_model(session), min_match_weight=args.match_weight)
    ids = table.column("unique_id").to_numpy()
    left = np.searchsorted(ids, edges.column("unique_id_l").to_numpy()).tolist()
    right = np.searchsorted(ids, edges.column("unique_id_r").to_numpy()).tolist()
    persons = [person_of[keys[i]] for i in ids.tolist()]
    members: dict[int, list[int]] = {i: [i] for i in range(len(persons))}
    decisions: Counter[tuple[str, str]] = Counter()

    def majority(root: int) -> str:
        return Counter(persons[i] for i in members[root]).most_common(1)[0][0]

    def on_decision(a: int, b: int, reason: str | None) -> None:
        same = majority(a) == majority(b)
        decisions[(reason or "joined", "same person" if same else "different people")] += 1
        if reason is None:
            root, child = (a, b) if a < b else (b, a)
            members[root].extend(members.pop(child))

    rows = _Rows({c: table.column(c).to_pylist() for c in GUARD_COLUMNS})
    cluster(
        rows,
        left,
        right,
        edges.column("match_weight").to_pylist(),
        limits=GuardLimits(),
        on_decision=on_decision,
    )
    print(f"{len(persons):,} records, {edges.num_rows:,} pairs at weight >= {args.match_weight}")
    for (decision, truth_label), count in sorted(decisions.items()):
        print(f"  {decision:<12} {truth_label:<17} {count:>8,}")


if __name__ == "__main__":
    main()
