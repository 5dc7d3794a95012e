"""An ingest killed with SIGKILL leaves its batch 'running'; the next ingest marks it
'interrupted' (its owner's lock is gone with the process), and leaves a batch whose
ingest is alive (here, one waiting for its rows in a thread of this process) running.
Real processes, a real SQLite file and a real PostgreSQL schema."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

import cx360
from cx360.store._schema import ingest_batches
from tests.faults._harness import FaultData, kill_after, unfinished_batches


def _statuses(hub: cx360.Hub) -> dict[int, str]:
    with hub._store.connection() as conn:
        rows = conn.execute(select(ingest_batches.c.id, ingest_batches.c.status)).all()
    return {int(i): str(s) for i, s in rows}


def _kill_an_ingest(url: str, data: FaultData) -> None:
    """SIGKILL an ingest of records and interactions while one of its batches runs
    (just after its records are written: during the interactions)."""
    spec = {"op": "ingest", "url": url, "records": str(data.first_records),
            "interactions": str(data.first_interactions)}  # fmt: skip
    for delay in (0.05, 0.0, 0.2, 0.5):
        child = kill_after(spec, "rows", delay)
        assert child.process.returncode in (0, -9), child.describe()
        if unfinished_batches(url):
            return
    raise AssertionError("no kill landed while a batch was running")


def test_a_killed_ingest_is_marked_interrupted_and_a_live_one_is_not(
    store_url: str, fault_data: FaultData
) -> None:
    cx360.connect(store_url).close()
    _kill_an_ingest(store_url, fault_data)
    with cx360.connect(store_url) as hub:
        killed = [i for i, s in _statuses(hub).items() if s == "running"]
        assert len(killed) == 1
        release = threading.Event()
        live_report: list[Any] = []

        def rows() -> Iterator[dict[str, str]]:
            yield {"source": "web", "source_record_id": "live-1", "email": "vivo.uno@proton.me"}
            release.wait(60)

        before = len(_statuses(hub))
        live = threading.Thread(target=lambda: live_report.append(hub.ingest(records=rows())))
        live.start()
        try:
            for _ in range(500):  # until the live ingest's batch is there
                if len(_statuses(hub)) > before:
                    break
                threading.Event().wait(0.01)
            statuses = _statuses(hub)
            live_id = max(statuses)
            assert statuses[live_id] == "running"
            one = {"source": "web", "source_record_id": "next-1", "email": "sig.uno@proton.me"}
            hub.ingest(records=[one])
            statuses = _statuses(hub)
            assert [statuses[i] for i in killed] == ["interrupted"]
            assert statuses[live_id] == "running"  # its owner is alive
        finally:
            release.set()
            live.join(60)
        assert live_report[0].records.inserted == 1
        statuses = _statuses(hub)
        assert statuses[live_id] == "done"
        assert [statuses[i] for i in killed] == ["interrupted"]
        with hub._store.connection() as conn:
            finished = conn.execute(
                select(ingest_batches.c.finished_at).where(ingest_batches.c.id.in_(killed))
            ).scalar_one()
        assert finished is not None
        # running the killed input again completes it
        hub.ingest_files(
            records=fault_data.first_records, interactions=fault_data.first_interactions
        )
        assert "running" not in _statuses(hub).values()


def test_an_ingest_that_ends_releases_its_batch(store_url: str) -> None:
    """A batch whose ingest ended (done or failed) is never marked; nothing is left
    holding a lock (a later check finds nobody to mark)."""
    with cx360.connect(store_url) as hub:
        hub.ingest(records=[{"source": "web", "source_record_id": "a-1", "email": "a.b@proton.me"}])

        def broken() -> Iterator[dict[str, str]]:
            yield {"source": "web", "source_record_id": "a-2"}
            raise RuntimeError("the reader failed")

        with pytest.raises(RuntimeError):
            hub.ingest(records=broken())
        hub.ingest(records=[{"source": "web", "source_record_id": "a-3"}])
        assert sorted(_statuses(hub).values()) == ["done", "done", "failed"]
