"""The quarantine: rows ingest could not store, until a later ingest stores them.

A quarantined row stays listed (`Hub.quarantined`, `cx360 quarantine`) until it no longer
needs attention:

- a later ingest stores a row with its key (`source` + `source_record_id`, or the
  `interaction_id`): the fixed row is in, its entry goes, whatever file it came in;
- the same file is ingested again to the end: its earlier entries go, and the rows still
  bad are listed again with the new batch (a row without a key has nothing else to be
  recognized by).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, select

from cx360.ingest._prepare import Quarantined
from cx360.store import Store
from cx360.store._schema import ingest_batches, quarantine

# Keys of earlier entries are held in memory during an ingest; past this many, only the
# re-ingest of the same file forgets entries (a store with that many set aside rows has a
# file to fix rather than rows).
MAX_KEYED_ENTRIES = 1_000_000
_IN_CHUNK = 900


def entries(
    items: Iterable[Quarantined], *, batch_id: int, kind: str, now: datetime
) -> list[dict[str, Any]]:
    """Quarantine table rows for the rows set aside."""
    return [
        {
            "batch_id": batch_id,
            "kind": kind,
            "row_number": item.row_number,
            "reason": item.reason.value,
            "column_name": item.column,
            "source": item.source,
            "record_key": item.key,
            "raw": item.raw,
            "created_at": now,
        }
        for item in items
    ]


class StaleEntries:
    """Entries of earlier batches that carry a key: forgotten when a row with that key is
    stored. Records are keyed by (source, source_record_id), interactions by their id."""

    def __init__(self, kind: str, ids: dict[Any, list[int]]) -> None:
        self.kind = kind
        self._ids = ids

    @classmethod
    def load(cls, store: Store, kind: str, batch_id: int) -> StaleEntries:
        query = (
            select(quarantine.c.id, quarantine.c.source, quarantine.c.record_key)
            .where(
                quarantine.c.kind == kind,
                quarantine.c.record_key.is_not(None),
                quarantine.c.batch_id < batch_id,
            )
            .limit(MAX_KEYED_ENTRIES)
        )
        ids: dict[Any, list[int]] = {}
        with store.connection() as conn:
            for entry_id, source, key in conn.execute(query):
                if kind == "records" and source is None:
                    continue
                found = (source, key) if kind == "records" else key
                ids.setdefault(found, []).append(entry_id)
        return cls(kind, ids)

    def __bool__(self) -> bool:
        return bool(self._ids)

    def forget(self, conn: Connection, keys: Iterable[Any]) -> int:
        """Delete the entries of these stored keys; how many went."""
        if not self._ids:
            return 0
        gone: list[int] = []
        for key in keys:
            found = self._ids.pop(key, None)
            if found:
                gone.extend(found)
        _delete(conn, gone)
        return len(gone)


def _delete(conn: Connection, ids: Sequence[int]) -> None:
    for start in range(0, len(ids), _IN_CHUNK):
        conn.execute(delete(quarantine).where(quarantine.c.id.in_(ids[start : start + _IN_CHUNK])))


def forget_earlier_runs(conn: Connection, *, kind: str, origin: str, batch_id: int) -> int:
    """Delete the entries of earlier ingests of the same file (`origin`); how many went."""
    earlier = select(ingest_batches.c.id).where(
        and_(
            ingest_batches.c.origin == origin,
            ingest_batches.c.kind == kind,
            ingest_batches.c.id < batch_id,
        )
    )
    result = conn.execute(
        delete(quarantine).where(quarantine.c.kind == kind, quarantine.c.batch_id.in_(earlier))
    )
    return int(result.rowcount or 0)
