"""Checkpoints of a SQLite store's write-ahead log, from a thread of their own: a commit
that fills the log would otherwise copy it into the database itself, making that call
slow (SQLite's advice for such writers)."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger("cx360.store")


class WalCheckpointer:
    """Checkpoints a SQLite store's WAL from a daemon thread, on its own connection: every
    `interval` seconds PASSIVE (blocks no one). Under a steady stream of writes that never
    catches up with the log's end, and SQLite starts the log over only once one has, so at
    `reset_frames` pages a RESTART (little left to copy by then; it gives up after 100 ms
    rather than wait long for a reader) makes the next writer start it over."""

    def __init__(self, database: str, *, interval: float = 0.5, reset_frames: int = 32768) -> None:
        self._database = database
        self._interval = interval
        self._reset_frames = reset_frames
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cx360-wal-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            # mode=rw: never create a database that has gone away
            uri = f"{Path(self._database).resolve().as_uri()}?mode=rw"
            con = sqlite3.connect(uri, uri=True, isolation_level=None)
        except sqlite3.Error as error:
            log.debug("WAL checkpoints not run: %s", type(error).__name__)
            return
        try:
            con.execute("PRAGMA busy_timeout=100")
            while not self._stopped.wait(self._interval):
                self._checkpoint(con)
            self._checkpoint(con)  # a last one when the store closes
        finally:
            con.close()

    def _checkpoint(self, con: sqlite3.Connection) -> None:
        try:
            _busy, frames, _copied = con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if frames >= self._reset_frames:
                con.execute("PRAGMA wal_checkpoint(RESTART)")
        except sqlite3.Error as error:  # busy, or the store is gone: try again next time
            log.debug("WAL checkpoint skipped: %s", type(error).__name__)

    def stop(self) -> None:
        """Stop the thread, after a last checkpoint."""
        self._stopped.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
