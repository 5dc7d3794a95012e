"""The true pairs cx360 misses on a dataset of the accuracy suite, and what stopped each.

    python benchmarks/misses.py febrl3 --show 10
    python benchmarks/misses.py synthetic-households --seed 31 --records 15000 --without RULE

Resolves the dataset as `benchmarks/accuracy.py` does (a fresh SQLite store, kept under
--store-dir when given), then takes every pair of records of one true person that ended
in two customers and asks `Hub.explain_pair` why, counting pairs by cause:

- `below the link weight (identifier-backed | name-only)`: the model's weight is short;
- `not blocked`: at or above its link weight, but no blocking rule brings the pair;
- `blocked, not kept`: batch scored it under its link weight (the weight explained is
  the model's after its last refinement);
- `guard on the pair: REASON`: the two records themselves conflict, and the pair's own
  evidence does not override the guard;
- `customers conflict: REASON`: the pair links (or overrides its guard), but the two
  customers it would join conflict (a record of one side objects);
- `linked pair, joined elsewhere`: the pair links and fits, but its records were taken
  by other customers first (the weak-bridge rule, or the order of joins).

With the counts, how the missed pairs' national IDs and birth dates compare (equal, one
typo apart, different, missing), and a sample of pairs with their normalized features.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import create_engine, select

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # running as `python benchmarks/misses.py`
    sys.path.insert(0, str(ROOT))

from benchmarks.accuracy import (  # noqa: E402
    ABLATIONS,
    DATASETS,
    PROFILE_DATASETS,
    load_dataset,
    resolve_in,
)
from cx360.resolve._batch import load_features  # noqa: E402
from cx360.resolve._blocking import RULES  # noqa: E402
from cx360.resolve._guards import GuardLimits, overridden  # noqa: E402
from cx360.resolve._similarity import transposition_distance  # noqa: E402
from cx360.store._schema import match_edges, records  # noqa: E402

SHOWN = (
    "given_keys",
    "surname_key",
    "surname2_key",
    "birth_date",
    "national_id_key",
    "national_id_kind",
    "email_key",
    "phone_key",
    "address_key",
)


def compared(a: str | None, b: str | None) -> str:
    """How two values of a field compare: equal, one typo apart, different, missing."""
    if a is None or b is None:
        return "missing"
    if a == b:
        return "equal"
    return "one typo" if transposition_distance(a, b) <= 1 else "different"


def missed_pairs(truth: pd.Series, customer: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Pairs of record keys of one true person in two customers."""
    by_person: dict[str, list[str]] = defaultdict(list)
    for key, person in truth.items():
        by_person[str(person)].append(str(key))
    for keys in by_person.values():
        for a, b in combinations(sorted(keys), 2):
            if customer[a] != customer[b]:
                yield a, b


def cause(explanation: Any, scored: bool, left: dict[str, Any], right: dict[str, Any]) -> str:
    """What stopped a pair: its weight, blocking, a guard between its records (that its
    own evidence does not override), or the customers it would join."""
    if not explanation.above_threshold:
        kind = "identifier-backed" if explanation.identifier_backed else "name-only"
        return f"below the link weight ({kind})"
    if not scored:
        if not any(rule.blocks(left, right) for rule in RULES):
            return "not blocked (no blocking rule brings it)"
        return "blocked, not kept (batch scored it below its link weight)"
    reason = explanation.guard_conflict
    weight = explanation.match_weight
    if reason is not None and not overridden(left, right, weight, reason, GuardLimits()):
        return f"guard on the pair: {reason}"
    if explanation.customer_conflict is not None:
        return f"customers conflict: {explanation.customer_conflict}"
    return "linked pair, joined elsewhere"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", choices=DATASETS)
    parser.add_argument("--seed", type=int, default=31, help="generator datasets' seed")
    parser.add_argument("--records", type=int, default=15_000, help="generator records")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench-data" / "accuracy")
    parser.add_argument("--store-dir", type=Path, default=None, help="keep the store here")
    parser.add_argument("--show", type=int, default=5, help="sample pairs per cause")
    parser.add_argument("--without", action="append", choices=sorted(ABLATIONS), default=[])
    opts = parser.parse_args(argv)
    opts.format, opts.workers, opts.seeds = "parquet", None, [opts.seed]
    seed = opts.seed if opts.dataset in PROFILE_DATASETS else None
    ds = load_dataset(opts.dataset, seed, opts)
    with tempfile.TemporaryDirectory(prefix="cx360-misses-") as tmp:
        directory = opts.store_dir or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        report(ds, directory, opts)
    return 0


def report(ds: Any, directory: Path, opts: argparse.Namespace) -> None:
    import cx360
    from cx360.resolve._rules import switched_off

    # resolved exactly as the suite resolves it, the store kept in `directory`
    (directory / "cx360.db").unlink(missing_ok=True)
    assigned = resolve_in(directory, ds, opts).clusters.to_dict()
    url = f"sqlite:///{directory}/cx360.db"
    engine = create_engine(url)
    with engine.connect() as conn:
        keys = {r.id: f"{r.source}|{r.source_record_id}" for r in conn.execute(select(records))}
        features = load_features(conn).to_pandas().set_index("unique_id")
        scored = {
            frozenset((keys[r.record_id_l], keys[r.record_id_r]))
            for r in conn.execute(select(match_edges.c.record_id_l, match_edges.c.record_id_r))
        }
    engine.dispose()
    feature_of = {keys[int(i)]: row for i, row in features.iterrows()}
    causes: Counter[str] = Counter()
    fields: dict[str, Counter[str]] = {f: Counter() for f in ("national_id_key", "birth_date")}
    samples: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    hub = cx360.connect(url)
    rules = [rule for name in opts.without for rule in ABLATIONS[name].rules]
    try:
        with switched_off(rules):
            for a, b in missed_pairs(ds.truth, assigned):
                explained = hub.explain_pair(_ref(a), _ref(b))
                records_ab = _row(feature_of[a]), _row(feature_of[b])
                found = cause(explained, frozenset((a, b)) in scored, *records_ab)
                causes[found] += 1
                samples[found].append((a, b, explained.match_weight))
                for name, tally in fields.items():
                    tally[compared(_value(feature_of[a], name), _value(feature_of[b], name))] += 1
    finally:
        hub.close()
    print(f"{ds.name}: {sum(causes.values()):,} missed true pairs")
    for found, count in causes.most_common():
        print(f"{count:8,}  {found}")
    for name, tally in fields.items():
        print(f"{name}: " + ", ".join(f"{k} {v:,}" for k, v in tally.most_common()))
    rng = random.Random(1)
    for found, _ in causes.most_common():
        for a, b, weight in rng.sample(samples[found], min(opts.show, len(samples[found]))):
            print(f"\n== {found} (weight {weight:.1f})")
            shown = pd.DataFrame([feature_of[a][list(SHOWN)], feature_of[b][list(SHOWN)]])
            print(shown.to_string(header=False))


def _ref(key: str) -> tuple[str, str]:
    source, record_id = key.split("|", 1)
    return source, record_id


def _row(row: pd.Series) -> dict[str, Any]:
    return {name: _value(row, name) for name in row.index}


def _value(row: pd.Series, name: str) -> str | None:
    value = row[name]
    return None if value is None or value != value else str(value)


if __name__ == "__main__":
    raise SystemExit(main())
