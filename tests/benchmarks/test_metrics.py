"""benchmarks._metrics against brute-force pair enumeration on small random clusterings."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks._metrics import as_key_series, evaluate


def _brute_force(pred: dict[str, object], truth: dict[str, object]) -> dict[str, float]:
    keys = list(truth)
    cluster = {k: pred.get(k, ("singleton", k)) for k in keys}
    tp = fp = fn = 0
    for a, b in itertools.combinations(keys, 2):
        same_c = cluster[a] == cluster[b]
        same_p = truth[a] == truth[b]
        tp += same_c and same_p
        fp += same_c and not same_p
        fn += same_p and not same_c
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    members: dict[object, list[str]] = {}
    for k in keys:
        members.setdefault(cluster[k], []).append(k)
    multi = [m for m in members.values() if len(m) >= 2]
    mixed = [m for m in multi if len({truth[k] for k in m}) >= 2]
    persons: dict[object, list[str]] = {}
    for k in keys:
        persons.setdefault(truth[k], []).append(k)
    per_person = [len({cluster[k] for k in m}) for m in persons.values()]
    multi_persons = [m for m in persons.values() if len(m) >= 2]
    split = sum(n >= 2 for n in per_person)
    # B-cubed, record by record
    bp = sum(
        sum(truth[o] == truth[k] for o in members[cluster[k]]) / len(members[cluster[k]])
        for k in keys
    ) / len(keys)
    br = sum(
        sum(cluster[o] == cluster[k] for o in persons[truth[k]]) / len(persons[truth[k]])
        for k in keys
    ) / len(keys)
    return {
        "records": len(keys),
        "persons": len(persons),
        "clusters": len(members),
        "true_positive_pairs": tp,
        "predicted_pairs": tp + fp,
        "true_pairs": tp + fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "multi_record_clusters": len(multi),
        "mixed_clusters": len(mixed),
        "mixed_cluster_share": len(mixed) / len(multi) if multi else 0.0,
        "multi_record_persons": len(multi_persons),
        "split_persons": split,
        "split_person_share": split / len(persons),
        "split_multi_record_person_share": split / len(multi_persons) if multi_persons else 0.0,
        "mean_clusters_per_person": sum(per_person) / len(per_person),
        "bcubed_precision": bp,
        "bcubed_recall": br,
    }


def _check(pred: dict[str, object], truth: dict[str, object]) -> None:
    got = evaluate(pred, truth).as_dict()
    want = _brute_force(pred, truth)
    for name, value in want.items():
        assert math.isclose(got[name], value, rel_tol=1e-12, abs_tol=1e-12), name


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 6), st.booleans()), min_size=1, max_size=40
    )
)
def test_matches_brute_force(rows: list[tuple[int, int, bool]]) -> None:
    truth = {f"r{i}": f"p{p}" for i, (p, _, _) in enumerate(rows)}
    # some truth records get no prediction: they count as singletons
    pred = {f"r{i}": c for i, (_, c, has) in enumerate(rows) if has}
    _check(pred, truth)


@pytest.mark.parametrize("seed", range(10))
def test_matches_brute_force_seeded(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 120)
    n_persons = rng.randint(1, n)
    n_clusters = rng.randint(1, n)
    truth = {f"s|{i}": rng.randrange(n_persons) for i in range(n)}
    pred = {f"s|{i}": f"c{rng.randrange(n_clusters)}" for i in range(n)}
    _check(pred, truth)


def test_perfect_and_all_singletons() -> None:
    truth = {"a": 1, "b": 1, "c": 2, "d": 3, "e": 3}
    perfect = evaluate(dict(truth), truth)
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    assert perfect.mixed_clusters == 0
    assert perfect.split_persons == 0
    assert perfect.mean_clusters_per_person == 1.0
    alone = evaluate({k: k for k in truth}, truth)
    assert alone.predicted_pairs == 0
    assert alone.precision == 1.0
    assert alone.recall == 0.0
    assert alone.f1 == 0.0
    assert alone.split_multi_record_person_share == 1.0
    lumped = evaluate(dict.fromkeys(truth, "x"), truth)
    assert lumped.recall == 1.0
    assert lumped.precision == pytest.approx(2 / 10)
    assert lumped.mixed_cluster_share == 1.0


def test_input_shapes_agree() -> None:
    rng = np.random.default_rng(3)
    n = 200
    sources = rng.choice(["web", "app", "store"], n)
    ids = [f"id{i}" for i in range(n)]
    persons = rng.integers(0, 60, n)
    clusters = rng.integers(0, 80, n)
    want = evaluate(
        {f"{s}|{i}": c for s, i, c in zip(sources, ids, clusters, strict=True)},
        {f"{s}|{i}": p for s, i, p in zip(sources, ids, persons, strict=True)},
    )
    multi = pd.MultiIndex.from_arrays([sources, ids], names=["source", "source_record_id"])
    frame = pd.DataFrame({"source": sources, "source_record_id": ids, "person_id": persons})
    uid = pd.DataFrame({"unique_id": [f"{s}|{i}" for s, i in zip(sources, ids, strict=True)]})
    uid["cluster_id"] = clusters
    # shuffled order must not matter
    order = rng.permutation(n)
    got = [
        evaluate(pd.Series(clusters, index=multi), frame),
        evaluate(uid.iloc[order], pd.Series(persons, index=multi).iloc[order]),
        evaluate(pd.Series(clusters, index=uid["unique_id"]), frame.iloc[order]),
    ]
    for g in got:
        assert g.as_dict() == pytest.approx(want.as_dict())


def test_missing_extra_and_null_predictions() -> None:
    truth = {"a": 1, "b": 1, "c": 1, "d": 2}
    m = evaluate({"a": "x", "b": "x", "c": None, "zz": "x"}, truth)
    assert m.missing_predictions == 2  # c: null prediction, d: none
    assert m.extra_predictions == 1  # zz not in truth
    assert m.records == 4
    assert m.clusters == 3  # {a, b}, {c}, {d}
    assert m.true_positive_pairs == 1
    assert m.true_pairs == 3
    assert m.recall == pytest.approx(1 / 3)


def test_rejects_duplicates_and_bad_frames() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        as_key_series(pd.Series([1, 2], index=["a", "a"]))
    with pytest.raises(ValueError, match="exactly one id column"):
        as_key_series(pd.DataFrame({"unique_id": ["a"], "x": [1], "y": [2]}))
    with pytest.raises(ValueError, match="empty"):
        evaluate({}, {})


def test_large_input_is_evaluated() -> None:
    # 200k records: the metrics are vectorized (a quadratic pair count would not finish);
    # how fast is for benchmarks to say, not for a test on a shared machine
    rng = np.random.default_rng(0)
    n = 200_000
    persons = rng.integers(0, 60_000, n)
    clusters = np.where(rng.random(n) < 0.05, rng.integers(n, 2 * n, n), persons)
    index = pd.Index([f"k{i}" for i in range(n)])
    m = evaluate(pd.Series(clusters, index=index), pd.Series(persons, index=index))
    assert 0.8 < m.recall < 1.0
    assert m.precision > 0.99
