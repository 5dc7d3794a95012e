"""Who owns an ingest batch, and batches whose owner is gone.

An ingest batch is 'running' while its ingest writes. A process killed mid-ingest (or a
machine that lost power) cannot mark its batch, so every ingest holds a lock naming its
batch for as long as it runs (the store strategy's `batch_lock`: see
`cx360.store._batch_locks`), which the operating system or the database server drops
when the process dies; the next ingest marks each 'running' batch whose lock nobody
holds as 'interrupted' (finished at the time it was found; its counts stay as they were
when it started, since a killed ingest never wrote them; the rows it wrote stay, and
running the same input again completes them without duplicates). A batch of a live
ingest in another process, or in this one, keeps its 'running' status.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Final

from sqlalchemy import select, update

from cx360.store import Store, utcnow
from cx360.store._engine import translate_errors
from cx360.store._schema import ingest_batches
from cx360.store._writes import start_batch

log = logging.getLogger("cx360.ingest")

INTERRUPTED: Final = "interrupted"


@contextlib.contextmanager
def owned_batch(store: Store, *, kind: str, origin: str | None) -> Iterator[int]:
    """A new 'running' batch whose lock this process holds until the block ends (on a
    connection kept for it: PostgreSQL's lock lives as long as its session)."""
    with store.engine.connect() as conn:
        lock = store.strategy.batch_lock()
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
        lock = store.strategy.batch_lock()
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
