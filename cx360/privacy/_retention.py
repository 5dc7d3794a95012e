"""Retention: interactions and earlier versions older than a period are purged.

An interaction goes when it occurred before the cut-off (one with no time of its own:
when it was stored), with its versions, unless its case is still open: the case is
current business and its history is what an agent needs. An earlier version of a record
or an interaction goes when it was replaced before its cut-off; the current version of
every record stays, whatever its age (records leave the store by erasure, not by age).
Deletes run in chunks of ids, each chunk its own transaction, so a purge of millions of
rows neither holds one long lock nor leaves half a chunk behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, Table, and_, delete, func, not_, or_, select

from cx360._errors import InputError
from cx360.models._privacy import RetentionReport
from cx360.profile._timeline import newest_first, open_cases
from cx360.store import Store, utcnow
from cx360.store._schema import interaction_versions, interactions, record_versions
from cx360.store._writes import chunks

_CHUNK: Final = 5_000


def _cutoff(now: datetime, period: timedelta | None) -> datetime | None:
    if period is None:
        return None
    if period <= timedelta(0):
        raise InputError("a retention period must be positive")
    return now - period


def _open_cases(conn: Connection) -> set[str]:
    """Cases still open, by the rule profiles use (`open_cases`)."""
    query = select(
        interactions.c.id, interactions.c.case_id, interactions.c.occurred_at,
        interactions.c.status, interactions.c.source, interactions.c.type,
        interactions.c.summary,
    ).where(interactions.c.case_id.is_not(None))  # fmt: skip
    rows = newest_first(conn.execute(query).mappings())
    return {case.case_id for case in open_cases(rows)}


def _old_interactions(before: datetime, open_cases: set[str]) -> tuple[Any, Any]:
    """The old interactions to purge, and the old ones kept for their open case."""
    when = func.coalesce(interactions.c.occurred_at, interactions.c.ingested_at)
    old = when < before
    in_open_case = interactions.c.case_id.in_(sorted(open_cases)) if open_cases else None
    if in_open_case is None:
        return old, None
    return and_(old, or_(interactions.c.case_id.is_(None), not_(in_open_case))), and_(
        old, in_open_case
    )


def _ids(conn: Connection, table: Table, condition: ColumnElement[bool]) -> list[int]:
    return [row[0] for row in conn.execute(select(table.c.id).where(condition))]


def retain(
    store: Store,
    *,
    interactions_for: timedelta | None,
    versions_for: timedelta | None,
    dry_run: bool,
) -> RetentionReport:
    """Purge what is older than the periods (module docstring); counts either way."""
    now = utcnow()
    interactions_before = _cutoff(now, interactions_for)
    versions_before = _cutoff(now, versions_for)
    with store.connection() as conn:
        purged: list[int] = []
        kept_open = 0
        if interactions_before is not None:
            purge, keep = _old_interactions(interactions_before, _open_cases(conn))
            purged = _ids(conn, interactions, purge)
            if keep is not None:
                kept_open = len(_ids(conn, interactions, keep))
        old_records: list[int] = []
        old_interactions: list[int] = []
        if versions_before is not None:
            old_records = _ids(
                conn, record_versions, record_versions.c.replaced_at < versions_before
            )
            old_interactions = _ids(
                conn, interaction_versions, interaction_versions.c.replaced_at < versions_before
            )
        of_purged = [
            version_id
            for chunk in chunks(purged, _CHUNK)
            for version_id in _ids(
                conn, interaction_versions, interaction_versions.c.interaction_pk.in_(chunk)
            )
        ]
        versions = sorted(set(old_interactions) | set(of_purged))
    report = RetentionReport(
        dry_run=dry_run,
        interactions_before=interactions_before,
        versions_before=versions_before,
        interactions=len(purged),
        interaction_versions=len(versions),
        record_versions=len(old_records),
        kept_open=kept_open,
    )
    if not dry_run:
        _delete(store, interaction_versions, interaction_versions.c.id, versions)
        _delete(store, interactions, interactions.c.id, purged)
        _delete(store, record_versions, record_versions.c.id, old_records)
    return report


def _delete(store: Store, table: Table, column: Any, ids: Sequence[int]) -> None:
    for chunk in chunks(ids, _CHUNK):
        with store.transaction() as conn:
            conn.execute(delete(table).where(column.in_(chunk)))
