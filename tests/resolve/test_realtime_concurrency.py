"""Two processes calling resolve_record and record_interaction on one store at once
(SQLite and PostgreSQL): nothing is lost, and one new person arriving in both processes
at the same moment becomes one customer."""

from __future__ import annotations

import csv
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import cx360
from cx360.ingest._prepare import prepare_record
from cx360.resolve import DEFAULT_MATCH_WEIGHT
from cx360.resolve._batch import _latest_model
from cx360.resolve._scoring import Scorer, TermFrequencies
from cx360.store import Store
from cx360.store._schema import interaction_versions, interactions, records
from cx360.synthetic import write_dataset
from tests.resolve._support import assignments

PEOPLE = 40
INTERACTIONS = 150


def _worker(
    url: str,
    rows: list[dict[str, Any]],
    calls: list[dict[str, Any]],
    barrier: Any,
) -> None:
    hub = cx360.connect(url)
    try:
        barrier.wait(timeout=120)  # both processes start together
        for index in range(max(len(rows), len(calls))):
            if index < len(rows):
                hub.resolve_record(rows[index])
            if index < len(calls):
                hub.record_interaction(**calls[index])
    finally:
        hub.close()


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _interactions(process: int, shared: int) -> list[dict[str, Any]]:
    """Each process's own interactions, and shared ones both record: open, then resolved
    a few calls later (the same order in both processes, so the writes collide)."""

    def call(interaction_id: str, status: str) -> dict[str, Any]:
        return {
            "source": "web",
            "source_record_id": f"cc-{process}-web",
            "interaction_id": interaction_id,
            "type": "case",
            "status": status,
        }

    out = []
    for k in range(INTERACTIONS + 5):
        if k < INTERACTIONS:
            out.append(call(f"ci-{process}-{k}", "open"))
        if k < shared:
            out.append(call(f"ci-shared-{k}", "open"))
        if 0 <= k - 5 < shared:
            out.append(call(f"ci-shared-{k - 5}", "resolved"))
    return out


@pytest.mark.slow
def test_two_processes_lose_nothing_and_make_one_customer_per_person(
    store_url: str, tmp_path: Path
) -> None:
    data = write_dataset(tmp_path / "data", n_records=900, seed=77, fmt="csv")
    rows = _read(data.records_path)
    person = {(r["source"], r["source_record_id"]): r["person_id"] for r in _read(data.truth_path)}
    base, held = rows[:600], rows[600:]
    hub = cx360.connect(store_url)
    hub.ingest(records=base)
    hub.resolve()
    hub.close()
    store = Store.open(store_url)
    with store.connection() as conn:
        stored = _latest_model(conn)
        assert stored is not None
        scorer = Scorer(stored[1], TermFrequencies.from_model(conn, stored[0]))
    store.close()

    def links_to_a_copy(row: dict[str, str]) -> bool:
        # a record with only a nickname and a phone is too weak to link even to itself
        features = prepare_record(row, None)
        assert isinstance(features, dict)
        return scorer.match_weight(features, features) >= DEFAULT_MATCH_WEIGHT

    # new people (no stored record) whose record links to a copy of itself
    known = {person[(r["source"], r["source_record_id"])] for r in base}
    fresh: dict[str, dict[str, str]] = {}
    for row in held:
        who = person[(row["source"], row["source_record_id"])]
        if who not in known and who not in fresh and links_to_a_copy(row):
            fresh[who] = row
    arrivals = list(fresh.values())[:PEOPLE]
    assert len(arrivals) >= 20

    def stream(process: int) -> list[dict[str, Any]]:
        # the same person arriving on two channels at once (one copy in each process),
        # and the very same record sent by both
        out = []
        for i, row in enumerate(arrivals):
            out.append(
                dict(row, source="web" if process == 0 else "app", source_record_id=f"rtcc-{i}")
            )
            out.append(dict(row, source="store", source_record_id=f"rtcc-{i}-same"))
        return out

    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    shared = 30
    workers = [
        context.Process(
            target=_worker, args=(store_url, stream(p), _interactions(p, shared), barrier)
        )
        for p in (0, 1)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=600)
    assert [w.exitcode for w in workers] == [0, 0]

    store = Store.open(store_url)
    try:
        assigned = assignments(store)
        # nothing lost: every record stored once and resolved
        for i in range(len(arrivals)):
            keys = [("web", f"rtcc-{i}"), ("app", f"rtcc-{i}"), ("store", f"rtcc-{i}-same")]
            assert all(key in assigned for key in keys), i
            # one customer for the person, whichever process got there first
            assert len({assigned[key] for key in keys}) == 1, i
        with store.connection() as conn:
            count = conn.execute(
                select(func.count())
                .select_from(records)
                .where(records.c.source_record_id.like("rtcc-%"))
            ).scalar_one()
            assert count == 3 * len(arrivals)
            stored = {
                row.interaction_id: row
                for row in conn.execute(
                    select(
                        interactions.c.id,
                        interactions.c.interaction_id,
                        interactions.c.status,
                        interactions.c.version,
                    )
                )
            }
            history = dict(
                conn.execute(
                    select(interaction_versions.c.interaction_pk, func.count()).group_by(
                        interaction_versions.c.interaction_pk
                    )
                ).all()
            )
        expected = {f"ci-{p}-{k}" for p in (0, 1) for k in range(INTERACTIONS)}
        expected |= {f"ci-shared-{k}" for k in range(shared)}
        assert set(stored) == expected
        for k in range(shared):
            row = stored[f"ci-shared-{k}"]
            # the last write was someone's 'resolved'; every replaced version is kept
            assert row.status == "resolved"
            assert history.get(row.id, 0) == row.version - 1
    finally:
        store.close()
