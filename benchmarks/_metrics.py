"""Accuracy of a clustering (predicted entity per record) against ground truth.

All counts come from the (cluster, person) contingency table — no record pairs are ever
enumerated — so evaluating 1M records takes about a second:

- a pair of records is *predicted* when both are in the same cluster, *true* when both
  belong to the same person; true positives are pairs that are both:
  ``TP = Σ_cells C(n_cp, 2)``, ``predicted = Σ_c C(n_c, 2)``, ``true = Σ_p C(n_p, 2)``;
- pairwise precision = TP / predicted, recall = TP / true, F1 their harmonic mean
  (precision is 1.0 when nothing is linked, recall 1.0 when no person has two records);
- a predicted cluster with ≥ 2 records is *mixed* when it holds records of ≥ 2 persons;
- a person is *split* when its records fall in ≥ 2 predicted clusters;
- B-cubed precision/recall (per-record averages) come from the same table.

Inputs are mappings record key → id: a pandas Series (index = key; a 2-level index such as
(source, source_record_id) is joined to ``"source|source_record_id"``), a DataFrame
(key columns ``unique_id`` or ``source`` + ``source_record_id``, plus one id column), or a
dict. Evaluation is over the records of the truth: a truth record without a prediction
counts as a cluster of its own; predictions for records outside the truth are ignored
(both are counted in the result).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

KEY_SEPARATOR = "|"
_KEY_COLUMNS = ("source", "source_record_id")


@dataclass(frozen=True, slots=True)
class ClusteringMetrics:
    """Accuracy of a predicted clustering against the true persons."""

    records: int
    persons: int
    clusters: int
    true_pairs: int
    predicted_pairs: int
    true_positive_pairs: int
    precision: float
    recall: float
    f1: float
    #: predicted clusters with ≥ 2 records, and those among them holding ≥ 2 persons
    multi_record_clusters: int
    mixed_clusters: int
    #: mixed_clusters / multi_record_clusters (0.0 when there is no such cluster)
    mixed_cluster_share: float
    #: persons with ≥ 2 records, and persons whose records fall in ≥ 2 clusters
    multi_record_persons: int
    split_persons: int
    #: split_persons / persons (all persons) and / multi_record_persons
    split_person_share: float
    split_multi_record_person_share: float
    #: mean number of predicted clusters a person's records fall in (≥ 1.0)
    mean_clusters_per_person: float
    bcubed_precision: float
    bcubed_recall: float
    #: truth records without a prediction (scored as singletons)
    missing_predictions: int
    #: predicted records not in the truth (ignored)
    extra_predictions: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def as_key_series(mapping: Any, name: str = "value", *, check_unique: bool = True) -> pd.Series:
    """A Series of ids indexed by a single string record key, from any accepted input."""
    if isinstance(mapping, pd.DataFrame):
        frame = mapping
        if "unique_id" in frame.columns:
            keys = frame["unique_id"].astype(str)
            rest = [c for c in frame.columns if c != "unique_id"]
        elif all(c in frame.columns for c in _KEY_COLUMNS):
            keys = _join_keys(frame["source"], frame["source_record_id"])
            rest = [c for c in frame.columns if c not in _KEY_COLUMNS]
        else:
            keys = _index_keys(frame.index)
            rest = list(frame.columns)
        if len(rest) != 1:
            raise ValueError(
                f"a DataFrame mapping needs key columns and exactly one id column; got {rest}"
            )
        series = pd.Series(frame[rest[0]].to_numpy(), index=pd.Index(keys.to_numpy()))
    elif isinstance(mapping, pd.Series):
        series = pd.Series(mapping.to_numpy(), index=pd.Index(_index_keys(mapping.index)))
    elif isinstance(mapping, Mapping):
        keys = [
            KEY_SEPARATOR.join(map(str, k)) if isinstance(k, tuple) else str(k) for k in mapping
        ]
        series = pd.Series(list(mapping.values()), index=pd.Index(keys, dtype=object))
    else:
        raise TypeError(f"cannot read record key → id pairs from {type(mapping).__name__}")
    if check_unique and series.index.has_duplicates:
        _raise_duplicates(series.index.to_numpy(), name)
    series.name = name
    return series


def _raise_duplicates(keys: np.ndarray, name: str) -> None:
    dupes = pd.Index(keys)
    raise ValueError(f"duplicate record keys in {name}: {dupes[dupes.duplicated()][:5].tolist()}")


def _join_keys(source: pd.Series, record_id: pd.Series) -> pd.Series:
    return source.astype(str) + KEY_SEPARATOR + record_id.astype(str)


def _index_keys(index: pd.Index) -> pd.Series:
    if isinstance(index, pd.MultiIndex):
        if index.nlevels != 2:
            raise ValueError("a MultiIndex key must have two levels (source, source_record_id)")
        return _join_keys(
            pd.Series(index.get_level_values(0)), pd.Series(index.get_level_values(1))
        )
    return pd.Series(index.astype(str))


def _pairs(counts: np.ndarray) -> int:
    counts = counts.astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def _ratio(numerator: float, denominator: float, empty: float) -> float:
    return float(numerator) / float(denominator) if denominator else empty


def evaluate(predicted: Any, truth: Any) -> ClusteringMetrics:
    """Score `predicted` (record key → cluster id) against `truth` (record key → person id).

    Null ids count as singletons: a record with no cluster id is its own cluster; a record
    with no person id is its own person.
    """
    truth_s = as_key_series(truth, "truth", check_unique=False)
    pred_s = as_key_series(predicted, "predicted", check_unique=False)

    # one hash pass over all keys: codes shared by both sides
    n_truth = len(truth_s)
    key_codes, key_values = pd.factorize(
        np.concatenate([truth_s.index.to_numpy(), pred_s.index.to_numpy()])
    )
    truth_keys, pred_keys = key_codes[:n_truth], key_codes[n_truth:]
    for side, keys, series in (("truth", truth_keys, truth_s), ("predicted", pred_keys, pred_s)):
        if len(keys) and np.bincount(keys).max() > 1:
            _raise_duplicates(series.index.to_numpy(), side)
    by_key = np.full(len(key_values), None, dtype=object)
    by_key[pred_keys] = pred_s.to_numpy()
    pred_aligned = pd.Series(by_key[truth_keys], dtype=object)
    in_truth = np.zeros(len(key_values), dtype=bool)
    in_truth[truth_keys] = True
    missing = int(pred_aligned.isna().sum())
    extra = int((~in_truth[pred_keys]).sum())

    n = len(truth_s)
    if n == 0:
        raise ValueError("the truth is empty")
    cluster = _codes(pred_aligned)
    person = _codes(truth_s)
    n_clusters = int(cluster.max()) + 1
    n_persons = int(person.max()) + 1

    cluster_size = np.bincount(cluster, minlength=n_clusters)
    person_size = np.bincount(person, minlength=n_persons)
    cell_key, cell_size = np.unique(cluster * np.int64(n_persons) + person, return_counts=True)
    cell_cluster = cell_key // n_persons
    cell_person = cell_key % n_persons

    true_pairs = _pairs(person_size)
    predicted_pairs = _pairs(cluster_size)
    tp = _pairs(cell_size)
    precision = _ratio(tp, predicted_pairs, 1.0)
    recall = _ratio(tp, true_pairs, 1.0)
    f1 = _ratio(2 * precision * recall, precision + recall, 0.0)

    persons_per_cluster = np.bincount(cell_cluster, minlength=n_clusters)
    clusters_per_person = np.bincount(cell_person, minlength=n_persons)
    multi_clusters = int((cluster_size >= 2).sum())
    mixed = int((persons_per_cluster >= 2).sum())
    multi_persons = int((person_size >= 2).sum())
    split = int((clusters_per_person >= 2).sum())

    sq = cell_size.astype(np.float64) ** 2
    bcubed_p = float((sq / cluster_size[cell_cluster]).sum() / n)
    bcubed_r = float((sq / person_size[cell_person]).sum() / n)

    return ClusteringMetrics(
        records=n,
        persons=n_persons,
        clusters=n_clusters,
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        true_positive_pairs=tp,
        precision=precision,
        recall=recall,
        f1=f1,
        multi_record_clusters=multi_clusters,
        mixed_clusters=mixed,
        mixed_cluster_share=_ratio(mixed, multi_clusters, 0.0),
        multi_record_persons=multi_persons,
        split_persons=split,
        split_person_share=_ratio(split, n_persons, 0.0),
        split_multi_record_person_share=_ratio(split, multi_persons, 0.0),
        mean_clusters_per_person=float(clusters_per_person.mean()),
        bcubed_precision=bcubed_p,
        bcubed_recall=bcubed_r,
        missing_predictions=missing,
        extra_predictions=extra,
    )


def _codes(ids: pd.Series) -> np.ndarray:
    """Dense int64 codes 0..k-1 for the ids; each null gets a code of its own."""
    codes, _ = pd.factorize(ids, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    nulls = codes < 0
    if nulls.any():
        start = int(codes.max()) + 1
        codes[nulls] = np.arange(start, start + int(nulls.sum()), dtype=np.int64)
    return codes
