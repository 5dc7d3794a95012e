"""Helpers shared by the resolution tests."""

from __future__ import annotations

import csv
from itertools import combinations
from pathlib import Path

from sqlalchemy import select

from cx360.store import Store
from cx360.store._schema import record_customers, records


def assignments(store: Store) -> dict[tuple[str, str], str]:
    """Customer of every resolved record, by (source, source_record_id)."""
    with store.connection() as conn:
        rows = conn.execute(
            select(
                records.c.source, records.c.source_record_id, record_customers.c.customer_id
            ).join(record_customers, record_customers.c.record_id == records.c.id)
        ).all()
    return {(s, r): c for s, r, c in rows}


Key = tuple[str, str]


def truth(path: Path) -> dict[Key, str]:
    """The generator's truth file: person of every record, by (source, source_record_id)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            (r["source"], r["source_record_id"]): r["person_id"] for r in csv.DictReader(handle)
        }


def pairwise(predicted: dict[Key, str], expected: dict[Key, str]) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering against the truth."""

    def pairs(labels: dict[Key, str]) -> set[frozenset[Key]]:
        groups: dict[str, list[Key]] = {}
        for key, label in labels.items():
            groups.setdefault(label, []).append(key)
        return {frozenset(p) for g in groups.values() for p in combinations(g, 2)}

    got, want = pairs(predicted), pairs(expected)
    tp = len(got & want)
    return tp / max(len(got), 1), tp / max(len(want), 1)


def pairwise_f1(predicted: dict[Key, str], expected: dict[Key, str]) -> float:
    precision, recall = pairwise(predicted, expected)
    return 2 * precision * recall / (precision + recall)
