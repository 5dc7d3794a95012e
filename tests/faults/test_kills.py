"""SIGKILL at random points of ingest, batch and incremental resolve, a stream of
`resolve_record` calls and erasures, on SQLite and PostgreSQL: after every kill the store
keeps its invariants (a resolve left the old customers or the new, nothing between; each
erasure, each chunk of an `erase_many` call, whole with its receipt or not at all), and the
operation run again completes to what an uninterrupted life of a fresh store holds: the
same records, versions and interactions, and the same partition of records into customers.

A modest, seeded number of kills here; `benchmarks/kill_test.py` runs the full count.
"""

from __future__ import annotations

import random

from tests.faults._harness import FaultData, run_kill_chain, summary
from tests.faults.conftest import Reference, backend_of

# kills per step; the first resolve is killed while training and while writing customers
KILLS = {
    "ingest": 1,
    "resolve": 2,
    "second ingest": 1,
    "incremental resolve": 1,
    "resolve_record stream": 1,
    "final resolve": 0,
    "erase": 1,
}
STAGES = {"resolve": ("train", "write"), "incremental resolve": ("write",)}


def test_killed_operations_leave_a_sound_store_and_complete_as_uninterrupted(
    store_url: str, fault_data: FaultData, reference: Reference
) -> None:
    seed = f"kills-{backend_of(store_url)}"
    results = run_kill_chain(
        store_url, fault_data, reference.steps, random.Random(seed), KILLS, STAGES
    )
    said = f"seed {seed!r}: {summary(results)}"
    assert all(result.ok for result in results), said
    # a step may end before its kill point (its duration varies with the machine's load);
    # the resolves' kills, drawn within a stage from its start, land
    assert sum(r.kills for r in results) >= sum(KILLS.values()) - 2, said
    killed_in = [point for r in results if r.name == "resolve" for point in r.kill_points]
    assert [point.split(" +")[0] for point in killed_in][:1] == ["stage train"], said
