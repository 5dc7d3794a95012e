"""A store that fills up while it writes: ingest, resolve and erase fail with cx360's
`StoreError` saying the database or disk is full (none of the records' values in it),
and leave the store as it was: no half ingest (the rows of the transaction that failed
are not there), no half merge (the partition into customers is the one before), no half
erasure, the store's invariants kept. Once there is room again, the same operations
complete to what an uninterrupted life of the store holds.

Three ways to fill it: SQLite's own limit on the database's pages (`PRAGMA
max_page_count`, which fails writes with SQLITE_FULL, as a full disk does); a SQLite file
on a file system that is really full (a small tmpfs); and a PostgreSQL store whose tables
and indexes live in a tablespace on such a file system (the server then fails to extend a
table's file: SQLSTATE 53100, disk_full), while its write-ahead log stays on the server's
own disk, as a full data volume beside a separate WAL volume would. The tmpfs needs root
and the tablespace a superuser role on a server of this machine: CI has both, and there a
missing one fails the test instead of skipping it.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import NullPool, create_engine, event, text

import cx360
from cx360.store import resolve_store_url
from cx360.store._engine import translate_errors
from tests._stores import scratch_store
from tests.conftest import IN_CI, POSTGRES_URL
from tests.faults._harness import (
    clone_store,
    erasure_violations,
    read_rows,
    schema_of,
    snapshot,
    violations,
)
from tests.faults.conftest import Reference, backend_of


def _personal_values(path: Path) -> list[str]:
    keep = ("email", "phone", "national_id", "last_name")
    return [r[c] for r in read_rows(path)[:200] for c in keep if len(r.get(c) or "") >= 6]


def _fails_full(
    name: str, attempt: Callable[[], Any], personal: list[str], before: Any, url: str
) -> None:
    """`attempt` fails with the store full, leaving the store's content as `before`."""
    with pytest.raises(cx360.StoreError, match=_SAYS_FULL[backend_of(url)]) as raised:
        attempt()
    message = str(raised.value)
    assert not [v for v in personal if v in message], f"{name}: {message}"
    assert violations(url) == {}, name
    after = snapshot(url)
    assert after == before, f"{name}: {after.differences(before)}"
    assert erasure_violations(url, before) == {}, name


# what the error says: SQLite's own message; PostgreSQL's SQLSTATE 53100 in words
_SAYS_FULL = {
    "sqlite": "database or disk is full",
    "postgresql": r"the database server's disk is full \(SQLSTATE 53100",
}


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
            assert re.search(_SAYS_FULL[backend_of(url)], failure), failure
            assert snapshot(url) == before
        assert violations(url) == {}
        assert erasure_violations(url, before) == {}
    room()


def _cannot(reason: str) -> None:
    """A precondition of this machine is missing: a failure in CI (where the test must
    run), else a skip."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}: the full-store tests must run")
    pytest.skip(reason)


# SQLite's own page limit: PostgreSQL has none (its store fills a tablespace below)
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_store_at_its_page_limit_fails_writes_clearly_and_stays_whole(
    store_url: str, reference: Reference, scratch: Callable[[str], str]
) -> None:
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
def _small_file_system(megabytes: int, owner: str | None = None) -> Iterator[Path]:
    """A tmpfs of `megabytes`, its root owned by the OS user `owner` (default: this
    process's), mounted under the system's temporary directory (which any user may
    cross, unlike pytest's), unmounted afterwards."""
    mount = Path(tempfile.mkdtemp(prefix="cx360-full-"))
    options = f"size={megabytes}m"
    if owner is not None:
        user = pwd.getpwnam(owner)
        options += f",uid={user.pw_uid},gid={user.pw_gid},mode=0700"
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        mount.rmdir()
        _cannot(f"no tmpfs can be mounted here (needs root; uid {os.geteuid()})")
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
    store_url: str, reference: Reference, scratch: Callable[[str], str]
) -> None:
    if backend_of(store_url) == "postgresql":
        _postgres_on_a_full_file_system(reference)
        return
    source = scratch("sqlite")
    clone_store(reference.copies["resolve"], source)
    size = Path(source.removeprefix("sqlite:///")).stat().st_size
    with _small_file_system(size // 2**20 + 64) as mount:
        url = f"sqlite:///{mount / 'store.db'}"
        clone_store(source, url)

        def fill(hub: cx360.Hub) -> None:
            hub.status()  # opened: its WAL and shared memory files exist
            _fill_up(mount, leave=64 * 1024)

        _fill_and_recover(url, reference, fill, room=(mount / "ballast").unlink)


# -- PostgreSQL: a tablespace on a small file system -------------------------------------------


def _postgres_on_a_full_file_system(reference: Reference) -> None:
    """The reference's store after its first resolve, copied into a schema whose tables
    and indexes are created in a tablespace on a small tmpfs (`default_tablespace` for
    the store's connections), then filled and emptied as the SQLite case is."""
    assert POSTGRES_URL is not None
    source = reference.copies["resolve"]
    admin = create_engine(resolve_store_url(POSTGRES_URL), poolclass=NullPool,
                          isolation_level="AUTOCOMMIT")  # fmt: skip
    try:
        server_user = _local_superuser_server(admin)
        size = _schema_bytes(admin, schema_of(source))
        with (
            _small_file_system(size // 2**20 + 64, owner=server_user) as mount,
            _tablespace(admin, mount) as tablespace,
            scratch_store("postgresql", mount, POSTGRES_URL) as scratch_url,
        ):
            url = scratch_url.replace("options=", f"options=-cdefault_tablespace%3D{tablespace}%20")
            clone_store(source, url)
            _assert_all_in(admin, schema_of(url), tablespace)

            def fill(hub: cx360.Hub) -> None:
                _fill_up(mount, leave=64 * 1024)

            _fill_and_recover(url, reference, fill, room=(mount / "ballast").unlink)
    finally:
        admin.dispose()


def _local_superuser_server(admin: Any) -> str:
    """The OS user running the PostgreSQL server, which must run on this machine (its
    data directory here) and be reached as a superuser (who may create tablespaces)."""
    with admin.connect() as conn:
        superuser = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        data_directory = Path(conn.execute(text("SHOW data_directory")).scalar_one())
        if not superuser.scalar_one():
            _cannot("the PostgreSQL test role is not a superuser (needed for a tablespace)")
    if not data_directory.is_dir():
        _cannot("the PostgreSQL server does not run on this machine")
    return pwd.getpwuid(data_directory.stat().st_uid).pw_name


def _schema_bytes(admin: Any, schema: str) -> int:
    sql = (
        "SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = :schema AND c.relkind IN ('r', 'm')"
    )
    with admin.connect() as conn:
        return int(conn.execute(text(sql), {"schema": schema}).scalar_one())


@contextlib.contextmanager
def _tablespace(admin: Any, location: Path) -> Iterator[str]:
    """A tablespace at `location` (the server's OS user owns it), dropped afterwards:
    after the schemas in it (the caller's inner contexts) are."""
    name = f"cx360_full_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE TABLESPACE {name} LOCATION '{location}'"))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP TABLESPACE IF EXISTS {name}"))


def _assert_all_in(admin: Any, schema: str, tablespace: str) -> None:
    """Every table and index of the store is in the tablespace (else a write could find
    room on the server's own disk, and the test would not fill what it fills)."""
    sql = (
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " LEFT JOIN pg_tablespace t ON t.oid = c.reltablespace"
        " WHERE n.nspname = :schema AND c.relkind IN ('r', 'i', 't')"
        " AND c.relpersistence = 'p' AND t.spcname IS DISTINCT FROM :tablespace"
    )
    with admin.connect() as conn:
        elsewhere = conn.execute(text(sql), {"schema": schema, "tablespace": tablespace})
        assert elsewhere.scalars().all() == []


def test_postgresql_resource_errors_say_what_ran_out(postgres_url: str) -> None:
    """SQLSTATE class 53 in words: here 53400, a configured limit (a sort larger than
    `temp_file_limit` allows), raised by a real server."""
    engine = create_engine(resolve_store_url(postgres_url), poolclass=NullPool)

    def sort_beyond_the_limit() -> None:
        with translate_errors(), engine.begin() as conn:
            conn.execute(text("SET LOCAL temp_file_limit = '64kB'"))
            conn.execute(text("SET LOCAL work_mem = '64kB'"))
            conn.execute(text("SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC")).all()

    try:
        with pytest.raises(cx360.StoreError) as raised:
            sort_beyond_the_limit()
    finally:
        engine.dispose()
    assert "a configured limit of the database server was reached" in str(raised.value)
    assert "SQLSTATE 53400" in str(raised.value)
