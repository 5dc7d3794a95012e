"""Batch, incremental and real time scoring the same pairs: the differential check that
tests of new evidence run on their own records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from cx360 import Hub
from cx360.store import Store
from cx360.store._schema import match_edges

Edges = dict[tuple[int, int], float]


def edges(store: Store) -> Edges:
    """The store's scored pairs (records' ids) and their match weights."""
    with store.connection() as conn:
        query = select(
            match_edges.c.record_id_l, match_edges.c.record_id_r, match_edges.c.match_weight
        )
        return {(int(a), int(b)): float(w) for a, b, w in conn.execute(query)}


@dataclass(frozen=True)
class ThreeWays:
    before: Edges  # the first half's pairs (a full run)
    new: Edges  # the pairs the second half added (incremental run = real time)
    batch: Edges  # every pair, from a full run over both halves


def scored_three_ways(
    store: Store, first: Sequence[Mapping[str, Any]], second: Sequence[Mapping[str, Any]]
) -> ThreeWays:
    """`first` ingested and resolved; `second` streamed through `resolve_record`, then
    resolved incrementally, then everything in full. Asserts that the incremental run
    scores what the full run scores, and real time what the increment adds, with the
    same weights."""
    hub = Hub(store)
    hub.ingest(records=list(first))
    initial = hub.resolve()
    before = edges(store)
    for row in second:
        hub.resolve_record(row)
    streamed = {pair: w for pair, w in edges(store).items() if pair not in before}
    step = hub.resolve()
    assert step.mode == "incremental" and step.model_id == initial.model_id
    incremental = edges(store)
    assert hub.resolve(full=True).mode == "full"
    batch = edges(store)
    assert set(incremental) == set(batch)
    assert all(abs(batch[p] - w) < 1e-9 for p, w in incremental.items())
    # real time's pairs are those of the increment: each record against those before it
    new = {p: w for p, w in incremental.items() if p not in before}
    assert set(streamed) == set(new)
    assert all(abs(new[p] - w) < 1e-6 for p, w in streamed.items())
    hub.close()
    return ThreeWays(before, new, batch)
