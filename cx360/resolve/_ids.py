"""Stable customer IDs across resolution runs.

A new cluster keeps the ID that most of its records already had (`survivor_rank`: batch
runs and real time merge customers by this one rule); an ID goes to one cluster only (the
one holding most of its records: when a customer splits, the larger part keeps the ID);
an ID whose records all joined another customer is kept as an alias of it
(`Assignment.merged`); a cluster of records never seen before gets a new opaque ID.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


def new_customer_id() -> str:
    """An opaque, random customer ID (never a row number)."""
    return f"cus_{uuid.uuid4().hex[:24]}"


def survivor_rank(records_holding: int, customer_id: str) -> tuple[int, str]:
    """How an ID ranks to be the ID of a customer made of several (lower first): by the
    records of it that already have the ID, the most first, so the fewest records change
    ID; ties to the lowest ID, so that the same data gives the same IDs."""
    return (-records_holding, customer_id)


def survivor(votes: Mapping[str, int]) -> str:
    """Of the IDs of customers that merge (each with its records that have it), the one
    the merged customer keeps."""
    return min(votes, key=lambda customer_id: survivor_rank(votes[customer_id], customer_id))


@dataclass(slots=True)
class Assignment:
    """Customer ID per cluster label, and what changed."""

    customer_of_label: dict[int, str]
    created: list[str] = field(default_factory=list)
    merged: dict[str, str] = field(default_factory=dict)  # old id -> survivor
    split: list[str] = field(default_factory=list)  # ids whose records now span clusters


def assign_ids(
    labels: Sequence[int],
    record_ids: Sequence[int],
    previous: Mapping[int, str],
) -> Assignment:
    """Give every cluster label a customer ID, reusing previous IDs where they fit."""
    members_by_label: dict[int, list[int]] = defaultdict(list)
    for position, label in enumerate(labels):
        members_by_label[label].append(position)
    votes: Counter[tuple[int, str]] = Counter()
    spread: dict[str, Counter[int]] = defaultdict(Counter)
    for label, members in members_by_label.items():
        for position in members:
            old = previous.get(record_ids[position])
            if old is not None:
                votes[(label, old)] += 1
                spread[old][label] += 1
    chosen: dict[int, str] = {}
    taken: set[str] = set()
    # the strongest claims first (ties: by label, so runs are reproducible)
    claims = sorted(votes.items(), key=lambda kv: (*survivor_rank(kv[1], kv[0][1]), kv[0][0]))
    for (label, old), _count in claims:
        if label in chosen or old in taken:
            continue
        chosen[label] = old
        taken.add(old)
    result = Assignment(chosen)
    for label in members_by_label:
        if label not in chosen:
            chosen[label] = new_customer_id()
            result.created.append(chosen[label])
    for old, labels_of_old in spread.items():
        if len(labels_of_old) > 1:
            result.split.append(old)
        if old not in taken:
            # all (or most) of its records now live in another customer: an alias of it
            survivor_label = max(labels_of_old.items(), key=lambda kv: (kv[1], -kv[0]))[0]
            result.merged[old] = chosen[survivor_label]
    return result
