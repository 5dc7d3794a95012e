"""Pair scoring speed: cx360's pure-Python `Scorer` against Splink scoring one pair.

    python benchmarks/scoring_speed.py --records 20000 [--baseline-pairs 200]

Generates (or reuses) a dataset, ingests it into a temporary SQLite store, resolves it,
then scores every candidate pair Splink found with the stored model:
- `Scorer.match_weight` (the real-time path) and `Scorer.score` (with the waterfall),
  checking on the way that every weight equals Splink's batch prediction to 1e-6;
- baseline, in the same run: Splink's own one-pair scoring (`compare_records` on DuckDB,
  SQL cached), on the first pairs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
from _common import ensure_dataset, machine

import cx360
from cx360.resolve._batch import _latest_model, load_features
from cx360.resolve._features import email_user
from cx360.resolve._scoring import Scorer, TermFrequencies
from cx360.resolve._splink import SplinkSession, predict_details
from cx360.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline-pairs", type=int, default=200)
    parser.add_argument("--data", type=Path, default=Path("bench-data/scoring"))
    args = parser.parse_args()
    paths = ensure_dataset(
        args.data / f"synthetic-{args.records}-s{args.seed}", args.records, args.seed
    )
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        hub = cx360.Hub(store)
        hub.ingest_files(paths["records"])
        hub.resolve()
        with store.connection() as conn:
            table = load_features(conn)
            stored = _latest_model(conn)
            assert stored is not None
            model = stored[1]
            started = time.perf_counter()
            frequencies = TermFrequencies.from_store(conn, ["given_key", "surname_key"])
            tf_seconds = time.perf_counter() - started
        hub.close()
    con = duckdb.connect()
    details = predict_details(SplinkSession(con, table), model)
    by_id = {row["unique_id"]: row for row in table.to_pylist()}
    pairs = [(by_id[p["unique_id_l"]], by_id[p["unique_id_r"]]) for p in details.to_pylist()]
    expected = details.column("match_weight").to_pylist()

    started = time.perf_counter()
    scorer = Scorer(model, frequencies)
    build = time.perf_counter() - started
    started = time.perf_counter()
    weights = [scorer.match_weight(a, b) for a, b in pairs]
    fast = (time.perf_counter() - started) / len(pairs)
    started = time.perf_counter()
    for a, b in pairs:
        scorer.score(a, b)
    detailed = (time.perf_counter() - started) / len(pairs)
    worst = max(abs(w - e) for w, e in zip(weights, expected, strict=True))

    from splink import DuckDBAPI
    from splink.internals.realtime import compare_records

    def with_tf(record: dict[str, object]) -> dict[str, object]:
        # what Splink's session derives (the e-mail user name, the name block) and the
        # term frequencies it would join
        tf = {f"tf_{c}": frequencies.frequency(c, record.get(c)) for c in scorer.tf_columns}
        return {**record, **tf, "email_user": email_user(record), "name_block": None}

    api = DuckDBAPI(connection=duckdb.connect())
    sample = pairs[: args.baseline_pairs]
    compare_records(with_tf(sample[0][0]), with_tf(sample[0][1]), model, api, "bench")
    started = time.perf_counter()
    splink_weights = [
        compare_records(with_tf(a), with_tf(b), model, api, sql_cache_key="bench").as_record_list()[
            0
        ]["match_weight"]
        for a, b in sample
    ]
    baseline = (time.perf_counter() - started) / len(sample)
    worst_one = max(abs(w - e) for w, e in zip(weights, splink_weights, strict=False))

    print(f"{table.num_rows:,} records, {len(pairs):,} candidate pairs")
    print(f"term frequencies from the store (2 GROUP BYs): {tf_seconds * 1e3:.1f} ms")
    print(f"Scorer construction: {build * 1e3:.2f} ms")
    print(f"Scorer.match_weight: {fast * 1e6:.1f} µs/pair (max |Δ| vs Splink {worst:.1e})")
    print(f"Scorer.score (waterfall): {detailed * 1e6:.1f} µs/pair")
    print(
        f"baseline, Splink compare_records (cached SQL): {baseline * 1e3:.2f} ms/pair "
        f"(max |Δ| vs Scorer {worst_one:.1e})"
    )
    print(f"Scorer.match_weight is {baseline / fast:,.0f}x the baseline")


if __name__ == "__main__":
    main()
