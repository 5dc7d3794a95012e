"""Who owns an ingest batch, and batches whose owner is gone.

An ingest batch is 'running' while its ingest writes. A process killed mid-ingest (or a
machine that lost power) cannot mark its batch, so every ingest holds a lock naming its
batch for as long as it runs, which the operating system or the database server drops
when the process dies; the next ingest marks each 'running' batch whose lock nobody
holds as 'interrupted' (finished at the time it was found; its counts stay as they were
when it started, since a killed ingest never wrote them; the rows it wrote stay, and
running the same input again completes them without duplicates). A batch of a live
ingest in another process, or in this one, keeps its 'running' status.

The lock, per database (with the other per-database differences it belongs in
`store._dialects.Strategy`, which has no hook for it yet):

- PostgreSQL: a session advisory lock on the batch (and the store's schema), taken on a
  connection kept for the ingest before its batch row is committed. A killed client's
  connection closes, and the server drops its locks.
- SQLite: an open-file-description lock (Linux `F_OFD_SETLK`) on the batch's byte of a
  file beside the database (`<database>-batches`): not on the database itself, whose
  POSIX locks SQLite holds per process and any close of the file would drop. Where the
  system has no such locks, or for a database in memory, batches are never marked.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import struct
from collections.abc import Iterator
from typing import Any, Final

from sqlalchemy import Connection, select, text, update

from cx360.store import Store, utcnow
from cx360.store._engine import translate_errors
from cx360.store._schema import ingest_batches
from cx360.store._writes import start_batch

try:
    import fcntl
except ImportError:  # Windows: no such locks, batches are never marked
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("cx360.ingest")

INTERRUPTED: Final = "interrupted"
_PG_KEY: Final = "hashtextextended('cx360 ingest batch ' || current_schema() || ':' || :id, 0)"
_OFD_SETLK: Final[int | None] = getattr(fcntl, "F_OFD_SETLK", None)
_OFD_GETLK: Final[int] = getattr(fcntl, "F_OFD_GETLK", 0)


@contextlib.contextmanager
def owned_batch(store: Store, *, kind: str, origin: str | None) -> Iterator[int]:
    """A new 'running' batch whose lock this process holds until the block ends (on a
    connection kept for it: PostgreSQL's lock lives as long as its session)."""
    with store.engine.connect() as conn:
        lock = _lock_for(store, conn)
        with translate_errors(), conn.begin():  # the lock is taken before the row is seen
            batch_id = start_batch(conn, kind=kind, origin=origin, now=utcnow())
            lock.take(conn, batch_id)
        try:
            yield batch_id
        finally:
            lock.release(conn, batch_id)


def mark_interrupted(store: Store) -> list[int]:
    """Mark each 'running' batch whose owner is gone as 'interrupted'; their IDs."""
    running = select(ingest_batches.c.id).where(ingest_batches.c.status == "running")
    with store.connection() as conn:  # mostly none: no write lock asked for then
        if conn.execute(running.limit(1)).first() is None:
            return []
    with store.transaction() as conn:  # SQLite: the write lock, taken first
        ids = [int(i) for i in conn.execute(running).scalars()]
        if not ids:
            return []
        lock = _lock_for(store, conn)
        gone = [batch_id for batch_id in ids if not lock.owned(conn, batch_id)]
        if gone:
            conn.execute(
                update(ingest_batches)
                .where(ingest_batches.c.id.in_(gone), ingest_batches.c.status == "running")
                .values(status=INTERRUPTED, finished_at=utcnow())
            )
    if gone:
        log.warning("ingest batches %s were interrupted (their process ended)", gone)
    return gone


def _lock_for(store: Store, conn: Connection) -> _AdvisoryLock | _FileLock | _NoLock:
    # SQLite is told by its driver's connection, as no name of a database is tested
    # outside the store's strategies
    if not isinstance(conn.connection.driver_connection, sqlite3.Connection):
        return _AdvisoryLock()
    database = store.engine.url.database
    if (
        _OFD_SETLK is None
        or not database
        or database in (":memory:", "")
        or (
            database.startswith("file:")  # a URI database (shared memory, options)
        )
    ):
        return _NoLock()
    return _FileLock(os.path.abspath(database) + "-batches")


class _AdvisoryLock:
    """PostgreSQL: a session advisory lock per batch and schema."""

    def take(self, conn: Connection, batch_id: int) -> None:
        conn.execute(text(f"SELECT pg_advisory_lock({_PG_KEY})"), {"id": str(batch_id)})

    def release(self, conn: Connection, batch_id: int) -> None:
        with contextlib.suppress(Exception):  # the connection may be what failed
            conn.execute(text(f"SELECT pg_advisory_unlock({_PG_KEY})"), {"id": str(batch_id)})
            conn.commit()

    def owned(self, conn: Connection, batch_id: int) -> bool:
        # a transaction-level try: released at this transaction's end
        query = text(f"SELECT pg_try_advisory_xact_lock({_PG_KEY})")
        return not conn.execute(query, {"id": str(batch_id)}).scalar()


class _NoLock:
    """No lock to be had (a database in memory, a system without OFD locks): every
    'running' batch counts as owned."""

    def take(self, conn: Connection, batch_id: int) -> None:
        pass

    def release(self, conn: Connection, batch_id: int) -> None:
        pass

    def owned(self, conn: Connection, batch_id: int) -> bool:
        return True


class _FileLock:
    """SQLite: the file beside the database whose byte N is batch N's lock."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.held: dict[int, int] = {}  # batch -> the descriptor holding its lock

    def take(self, conn: Connection, batch_id: int) -> None:
        assert _OFD_SETLK is not None  # `_lock_for` gives no file lock without it
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.fcntl(fd, _OFD_SETLK, _flock(fcntl.F_WRLCK, batch_id))
        except BaseException:
            os.close(fd)
            raise
        self.held[batch_id] = fd

    def release(self, conn: Connection, batch_id: int) -> None:
        fd = self.held.pop(batch_id, None)
        if fd is not None:
            os.close(fd)

    def owned(self, conn: Connection, batch_id: int) -> bool:
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            return False  # no ingest since the file went: nobody holds a lock
        try:
            found = fcntl.fcntl(fd, _OFD_GETLK, _flock(fcntl.F_WRLCK, batch_id))
        finally:
            os.close(fd)
        return _lock_type(found) != fcntl.F_UNLCK


# struct flock as Linux lays it out: l_type, l_whence, l_start, l_len, l_pid (0 for OFD)
_FLOCK: Final = struct.Struct("hhqqi4x")


def _flock(kind: int, byte: int) -> bytes:
    return _FLOCK.pack(kind, os.SEEK_SET, byte, 1, 0)


def _lock_type(packed: Any) -> int:
    return int(_FLOCK.unpack(packed)[0])
