"""The unified timeline (every interaction of every record, newest first) and open cases.

A case is the set of interactions sharing a `case_id`. Its status is the status of its
latest interaction (by `occurred_at`; an unknown time is oldest; ingest order breaks
ties). A case is open unless that status closes it (`CLOSED_STATUSES`): channels use
more than 'open' for cases still in progress ('pending', 'escalated', ...), and an agent
must see those too. An interaction without a status does not change its case's status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from cx360.models._profile import OpenCase, TimelineItem
from cx360.profile._survivorship import aware

Row = Mapping[Any, Any]  # a SQLAlchemy RowMapping, or a dict in tests

# Statuses that end a case; compared case-insensitively (ingest folds only open/resolved/
# closed, other values are kept as the channel wrote them).
CLOSED_STATUSES: Final = frozenset(
    {"resolved", "closed", "completed", "cancelled", "canceled", "done", "solved"}
)
_OLDEST: Final = datetime.min.replace(tzinfo=UTC)


def _order(row: Row) -> tuple[datetime, int]:
    return aware(row["occurred_at"]) or _OLDEST, row["id"]


def newest_first(rows: Iterable[Row]) -> list[Row]:
    return sorted(rows, key=_order, reverse=True)


def timeline_item(row: Row) -> TimelineItem:
    return TimelineItem(
        interaction_id=row["interaction_id"],
        source=row["source"],
        source_record_id=row["source_record_id"],
        occurred_at=aware(row["occurred_at"]),
        type=row["type"],
        status=row["status"],
        case_id=row["case_id"],
        summary=row["summary"],
    )


def is_open(status: str | None) -> bool:
    return status is not None and status.casefold() not in CLOSED_STATUSES


def open_cases(ordered: Sequence[Row]) -> list[OpenCase]:
    """Open cases among interactions given newest first; latest contact first."""
    by_case: dict[str, list[Row]] = {}
    for row in ordered:
        if row["case_id"]:
            by_case.setdefault(row["case_id"], []).append(row)
    found: list[OpenCase] = []
    for case_id, rows in by_case.items():  # rows newest first
        status = next((r["status"] for r in rows if r["status"] is not None), None)
        if not is_open(status):
            continue
        sources = list(dict.fromkeys(r["source"] for r in reversed(rows)))
        latest = rows[0]
        found.append(
            OpenCase(
                case_id=case_id,
                status=status,
                sources=sources,
                contacts=len(rows),
                first_contact=aware(rows[-1]["occurred_at"]),
                last_contact=aware(latest["occurred_at"]),
                last_type=latest["type"],
                last_summary=latest["summary"],
            )
        )
    return found  # dicts keep insertion order: cases whose latest contact is newest first
