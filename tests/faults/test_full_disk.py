"""A store that fills up while it writes: ingest, resolve and erase fail with cx360's
`StoreError` saying the database or disk is full (none of the records' values in it),
and leave the store as it was: no half ingest (the rows of the transaction that failed
are not there), no half merge (the partition into customers is the one before), no half
erasure, the store's invariants kept. Once there is room again, the same operations
complete to what an uninterrupted life of the store holds.

Two ways to fill it, each a real SQLite file: SQLite's own limit on the database's pages
(`PRAGMA max_page_count`, which fails writes with SQLITE_FULL, as a full disk does), and,
where this process may mount one (root), a file system that is really full: a small
tmpfs holding the store. PostgreSQL fills up the same way only when its data directory's
file system does; that needs a tablespace on a small file system, which only a superuser
may create, so it is not run here.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

import cx360
from tests.faults._harness import (
    clone_store,
    erasure_violations,
    read_rows,
    snapshot,
    violations,
)
from tests.faults.conftest import Reference


def _personal_values(path: Path) -> list[str]:
    keep = ("email", "phone", "national_id", "last_name")
    return [r[c] for r in read_rows(path)[:200] for c in keep if len(r.get(c) or "") >= 6]


def _fails_full(
    name: str, attempt: Callable[[], Any], personal: list[str], before: Any, url: str
) -> None:
    """`attempt` fails with the store full, leaving the store's content as `before`."""
    with pytest.raises(cx360.StoreError, match="full") as raised:
        attempt()
    message = str(raised.value)
    assert not [v for v in personal if v in message], f"{name}: {message}"
    assert violations(url) == {}, name
    after = snapshot(url)
    assert after == before, f"{name}: {after.differences(before)}"
    assert erasure_violations(url, before) == {}, name


def _fill_and_recover(
    url: str, reference: Reference, fill: Callable[[cx360.Hub], None], room: Callable[[], None]
) -> None:
    """On the store at `url` (a copy of the reference after its first resolve): the
    second ingest, then the incremental resolve, then an erasure, each tried on the store
    filled up, then (ingest, resolve) completed with room again."""
    data = reference.data
    personal = _personal_values(data.second_records)
    steps: list[tuple[str, Callable[[cx360.Hub], Any], str]] = [
        ("ingest", lambda hub: hub.ingest_files(records=data.second_records), "second ingest"),
        ("resolve", lambda hub: hub.resolve(), "incremental resolve"),
    ]
    for name, step, reached in steps:
        with cx360.connect(url) as hub:
            fill(hub)
            before = snapshot(url)
            _fails_full(name, lambda: step(hub), personal, before, url)  # noqa: B023
        room()
        with cx360.connect(url) as hub:
            step(hub)
        assert snapshot(url) == reference.steps[reached].after, name
    with cx360.connect(url) as hub:
        fill(hub)
        before = snapshot(url)
        biggest = max(before.partition, key=lambda members: (len(members), sorted(members)))
        failure = None
        try:  # its deletes may fit in the pages they free: then it is whole
            hub.erase(record=sorted(biggest)[0], reason="full store test", by="faults")
        except cx360.StoreError as error:
            failure = str(error)
        if failure is not None:
            assert "full" in failure
            assert snapshot(url) == before
        assert violations(url) == {}
        assert erasure_violations(url, before) == {}
    room()


def _sqlite_only(store_url: str) -> None:
    if not store_url.startswith("sqlite"):
        pytest.skip("PostgreSQL: a full file system needs a superuser's tablespace")


def test_a_store_at_its_page_limit_fails_writes_clearly_and_stays_whole(
    store_url: str, reference: Reference, scratch: Callable[[str], str]
) -> None:
    _sqlite_only(store_url)
    url = scratch("sqlite")
    clone_store(reference.copies["resolve"], url)
    path = url.removeprefix("sqlite:///")

    def fill(hub: cx360.Hub) -> None:
        with contextlib.closing(sqlite3.connect(path)) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.execute("VACUUM")  # no free pages left to fill first
            pages = int(con.execute("PRAGMA page_count").fetchone()[0])

        def limit(dbapi_connection: Any, _record: object) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")

        event.listen(hub._store.engine, "connect", limit)
        hub._store.engine.dispose()  # connections from now on have the limit

    _fill_and_recover(url, reference, fill, room=lambda: None)  # a new hub has no limit


@contextlib.contextmanager
def _small_file_system(directory: Path, megabytes: int) -> Iterator[Path]:
    mount = directory / f"tmpfs-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(mount)],
        capture_output=True,
    )
    if made.returncode != 0:
        mount.rmdir()
        pytest.skip("no tmpfs can be mounted here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
        mount.rmdir()


def _fill_up(mount: Path, leave: int) -> None:
    """Fill the file system but for about `leave` bytes."""
    free = shutil.disk_usage(mount).free
    with open(mount / "ballast", "wb") as ballast:
        chunk = b"\0" * (1 << 20)
        left = free - leave
        while left > 0:
            ballast.write(chunk[: min(len(chunk), left)])
            left -= len(chunk)


def test_a_store_on_a_full_file_system_fails_writes_clearly_and_stays_whole(
    store_url: str, reference: Reference, scratch: Callable[[str], str], tmp_path: Path
) -> None:
    _sqlite_only(store_url)
    source = scratch("sqlite")
    clone_store(reference.copies["resolve"], source)
    size = Path(source.removeprefix("sqlite:///")).stat().st_size
    with _small_file_system(tmp_path, size // 2**20 + 64) as mount:
        url = f"sqlite:///{mount / 'store.db'}"
        clone_store(source, url)

        def fill(hub: cx360.Hub) -> None:
            hub.status()  # opened: its WAL and shared memory files exist
            _fill_up(mount, leave=64 * 1024)

        _fill_and_recover(url, reference, fill, room=(mount / "ballast").unlink)
