"""The lock an ingest holds on its batch while it runs, per database (see
`cx360.ingest._batches`: a batch whose lock nobody holds was left by a process that died).

- PostgreSQL: a session advisory lock on the batch (and the store's schema), taken on a
  connection kept for the ingest before its batch row is committed. A killed client's
  connection closes, and the server drops its locks.
- SQLite: an open-file-description lock (Linux `F_OFD_SETLK`) on the batch's byte of a
  file beside the database (`<database>-batches`): not on the database itself, whose
  POSIX locks SQLite holds per process and any close of the file would drop. Where the
  system has no such locks, or for a database in memory, no lock is had.
"""

from __future__ import annotations

import contextlib
import os
import struct
from typing import Any, Final, Protocol

from sqlalchemy import Connection, text

try:
    import fcntl
except ImportError:  # Windows: no such locks, batches are never marked
    fcntl = None  # type: ignore[assignment]

_PG_KEY: Final = "hashtextextended('cx360 ingest batch ' || current_schema() || ':' || :id, 0)"
_OFD_SETLK: Final[int | None] = getattr(fcntl, "F_OFD_SETLK", None)
_OFD_GETLK: Final[int] = getattr(fcntl, "F_OFD_GETLK", 0)


class BatchLock(Protocol):
    """Held by the ingest writing a batch, for as long as its process lives."""

    def take(self, conn: Connection, batch_id: int) -> None: ...

    def release(self, conn: Connection, batch_id: int) -> None: ...

    def owned(self, conn: Connection, batch_id: int) -> bool: ...


def file_lock_for(database: str | None) -> BatchLock:
    """SQLite's batch lock for the database file `database` (none in memory)."""
    if _OFD_SETLK is None or not database or database == ":memory:":
        return NoBatchLock()
    if database.startswith("file:"):  # a URI database (shared memory, options)
        return NoBatchLock()
    return FileBatchLock(os.path.abspath(database) + "-batches")


class AdvisoryBatchLock:
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


class NoBatchLock:
    """No lock to be had (a database in memory, a system without OFD locks): every
    'running' batch counts as owned."""

    def take(self, conn: Connection, batch_id: int) -> None:
        pass

    def release(self, conn: Connection, batch_id: int) -> None:
        pass

    def owned(self, conn: Connection, batch_id: int) -> bool:
        return True


class FileBatchLock:
    """SQLite: the file beside the database whose byte N is batch N's lock."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.held: dict[int, int] = {}  # batch -> the descriptor holding its lock

    def take(self, conn: Connection, batch_id: int) -> None:
        assert _OFD_SETLK is not None  # `file_lock_for` gives no file lock without it
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
