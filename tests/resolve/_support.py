"""Helpers shared by the resolution tests."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from sqlalchemy import select

from cx360.resolve._blocking import OTHERS_COLUMN, RULES, others_sql
from cx360.store import Store
from cx360.store._schema import record_customers, records
from cx360.synthetic import write_dataset


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


Row = dict[str, str]


def _read_csv(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class Generated:
    """The generator's records (CSV rows, in its order) with each one's person and
    household (a person of no household is a household of one), for tests that change
    the records of a person or a household before ingesting them."""

    rows: list[Row]
    person: dict[Key, str]
    household: dict[Key, str]

    def person_of(self, row: Row) -> str:
        return self.person[(row["source"], row["source_record_id"])]

    def household_of(self, row: Row) -> str:
        return self.household[(row["source"], row["source_record_id"])]

    def by_person(self) -> list[list[Row]]:
        """The rows (the same dicts: changes to them are changes to `rows`) grouped by
        person, people in the order of their first record, records in the generator's."""
        groups: dict[str, list[Row]] = defaultdict(list)
        for row in self.rows:
            groups[self.person_of(row)].append(row)
        return list(groups.values())


def generated(directory: Path, *, n_records: int, seed: int) -> Generated:
    """`n_records` generated records (the `today` profile) written under `directory`."""
    files = dict(write_dataset(directory, n_records=n_records, seed=seed, fmt="csv"))
    person: dict[Key, str] = {}
    household: dict[Key, str] = {}
    for row in _read_csv(Path(files["truth"])):
        key = (row["source"], row["source_record_id"])
        person[key] = row["person_id"]
        household[key] = row["household_id"] or row["person_id"]
    return Generated(_read_csv(Path(files["records"])), person, household)


def record_ids(store: Store) -> dict[str, int]:
    """Each stored record's id, by its source record id."""
    with store.connection() as conn:
        query = select(records.c.source_record_id, records.c.id)
        return {str(source_id): int(i) for source_id, i in conn.execute(query)}


def _features(store: Store, record_id: int) -> dict[str, Any]:
    query = select(records, others_sql().label(OTHERS_COLUMN)).where(records.c.id == record_id)
    with store.connection() as conn:
        return dict(conn.execute(query).one()._mapping)


def blocked_by(store: Store, left: int, right: int) -> set[str]:
    """The blocking rules that pair two stored records (either way)."""
    a, b = _features(store, left), _features(store, right)
    return {rule.name for rule in RULES if rule.blocks(a, b) or rule.blocks(b, a)}
