"""CX measures from the unified timeline, per customer and for the whole store.

Contact counts are aggregated in the database (one GROUP BY per report). Case measures
need each case's contacts in time order, so cases are streamed ordered by
`(case_id, occurred_at)` in chunks and folded one case at a time: memory holds one case's
contacts plus one float per resolved case (for the time-to-resolution percentiles), never
all interactions. The definitions, with formulas, are in docs/measures.md.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from itertools import groupby, pairwise
from operator import itemgetter
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, Select, and_, distinct, func, select

from cx360._errors import InputError, NotFoundError
from cx360.models import (
    CaseMeasures,
    ChannelContacts,
    ContactMeasures,
    CxReport,
    DurationStats,
    UnresolvedInteractions,
)
from cx360.store import Store
from cx360.store._schema import customers, interactions, record_customers, records

# Statuses that close a case (ingest folds these three case-insensitively).
RESOLVED_STATUSES = frozenset(("resolved", "closed"))
_CHUNK = 20_000
# The most merged_into links followed from an ID to its active customer, here and by
# erasure: resolution keeps the chains flat, so the bound only guards against a cycle.
MAX_ALIAS_HOPS: Final = 16

_record_join = and_(
    records.c.source == interactions.c.source,
    records.c.source_record_id == interactions.c.source_record_id,
)


def _utc(value: datetime | date | None) -> datetime | None:
    """A bound as an aware UTC datetime; a date is its midnight UTC, naive means UTC."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class _Scope:
    customer_id: str | None
    since: datetime | None
    until: datetime | None
    channel: str | None
    naive: bool  # the store keeps datetimes naive (UTC): `Strategy.naive_datetimes`

    def bind(self, value: datetime) -> datetime:
        # an aware bound would be compared with its offset
        return value.replace(tzinfo=None) if self.naive else value

    def time_filters(self) -> list[ColumnElement[bool]]:
        filters: list[ColumnElement[bool]] = []
        if self.since is not None:
            filters.append(interactions.c.occurred_at >= self.bind(self.since))
        if self.until is not None:
            filters.append(interactions.c.occurred_at < self.bind(self.until))
        return filters


def build_report(
    store: Store,
    customer_id: str | None = None,
    *,
    since: datetime | date | None = None,
    until: datetime | date | None = None,
    channel: str | None = None,
) -> CxReport:
    """The CX measures of one customer (any of its IDs, merged ones too) or of the store.

    Raises:
        InputError: `since` is not before `until`.
        NotFoundError: no customer has this ID.
    """
    start, end = _utc(since), _utc(until)
    if start is not None and end is not None and start >= end:
        raise InputError("report window: since must be before until")
    with store.connection() as conn:
        if customer_id is not None:
            customer_id = current_customer(conn, customer_id)
        scope = _Scope(customer_id, start, end, channel, store.strategy.naive_datetimes)
        contacts = _contacts(conn, scope)
        cases, by_channel = _cases(conn, scope)
    return CxReport(
        customer_id=customer_id,
        since=start,
        until=end,
        channel=channel,
        contacts=contacts,
        cases=cases,
        cases_by_channel=by_channel,
    )


def current_customer(conn: Connection, customer_id: str) -> str:
    """The active customer an ID stands for (a merged ID leads to its survivor)."""
    current = customer_id
    for _ in range(MAX_ALIAS_HOPS):
        row = conn.execute(
            select(customers.c.status, customers.c.merged_into).where(
                customers.c.customer_id == current
            )
        ).first()
        if row is None:
            break
        if row.status != "merged" or row.merged_into is None:
            return current
        current = row.merged_into
    # customer IDs are opaque (no personal data), so the message may name it
    raise NotFoundError(f"no customer {customer_id!r}")


# -- contacts (aggregated in SQL) ---------------------------------------------------------


def _contacts(conn: Connection, scope: _Scope) -> ContactMeasures:
    customer = record_customers.c.customer_id
    joined = interactions.outerjoin(records, _record_join).outerjoin(
        record_customers, record_customers.c.record_id == records.c.id
    )
    filters = scope.time_filters()
    if scope.channel is not None:
        filters.append(interactions.c.source == scope.channel)
    if scope.customer_id is not None:
        filters.append(customer == scope.customer_id)

    def scoped(query: Select[Any]) -> Select[Any]:
        return query.select_from(joined).where(*filters)

    rows = conn.execute(
        scoped(
            select(
                interactions.c.source,
                func.count(),
                func.count(records.c.id),
                func.count(customer),
                func.count(distinct(customer)),
            ).group_by(interactions.c.source)
        )
    ).all()
    total_customers = int(conn.execute(scoped(select(func.count(distinct(customer))))).scalar_one())
    unresolved = UnresolvedInteractions()
    by_channel: dict[str, ChannelContacts] = {}
    total = resolved = 0
    for source, count, with_record, with_customer, reached in sorted(rows):
        by_channel[source] = ChannelContacts(
            interactions=count,
            resolved_interactions=with_customer,
            customers=reached,
            per_customer=_ratio(with_customer, total_customers),
        )
        total += count
        resolved += with_customer
        if count > with_customer:
            unresolved.by_channel[source] = count - with_customer
            unresolved.without_record += count - with_record
            unresolved.not_resolved += with_record - with_customer
    unresolved.interactions = total - resolved
    return ContactMeasures(
        interactions=total,
        resolved_interactions=resolved,
        customers=total_customers,
        per_customer=_ratio(resolved, total_customers),
        by_channel=by_channel,
        unresolved=unresolved,
    )


# -- cases (streamed, one case at a time) ----------------------------------------------------


@dataclass(frozen=True)
class _Case:
    start_channel: str
    contacts: int
    hops: int
    resolved: bool
    hours_to_resolution: float | None


def _fold_case(contacts: Sequence[tuple[str, datetime | None, str | None]]) -> _Case:
    """One case from its contacts (channel, occurred_at, status) in time order."""
    hops = sum(1 for a, b in pairwise(contacts) if a[0] != b[0])
    resolved = contacts[-1][2] in RESOLVED_STATUSES
    hours = None
    if resolved:
        opened = contacts[0][1]
        closed = next(c[1] for c in contacts if c[2] in RESOLVED_STATUSES)
        if opened is not None and closed is not None:
            hours = (closed - opened).total_seconds() / 3600
    return _Case(contacts[0][0], len(contacts), hops, resolved, hours)


@dataclass
class _Tally:
    cases: int = 0
    contacts: int = 0
    distribution: Counter[int] = field(default_factory=Counter)
    hops: int = 0
    crossing: int = 0
    resolved: int = 0
    resolved_contacts: int = 0
    fcr: int = 0
    # compact doubles: one per resolved case is the only state that grows with the data
    hours: array[float] = field(default_factory=lambda: array("d"))

    def add(self, case: _Case) -> None:
        self.cases += 1
        self.contacts += case.contacts
        self.distribution[case.contacts] += 1
        self.hops += case.hops
        self.crossing += case.hops > 0
        if case.resolved:
            self.resolved += 1
            self.resolved_contacts += case.contacts
            self.fcr += case.contacts == 1
            if case.hours_to_resolution is not None:
                self.hours.append(case.hours_to_resolution)

    def measures(self) -> CaseMeasures:
        repeats = sum(n for c, n in self.distribution.items() if c > 1)
        return CaseMeasures(
            cases=self.cases,
            contacts=self.contacts,
            repeat_contacts=self.contacts - self.cases,
            cases_with_repeats=repeats,
            repeat_case_share=_ratio(repeats, self.cases),
            contacts_per_case=_ratio(self.contacts, self.cases),
            contacts_distribution=dict(sorted(self.distribution.items())),
            channel_hops=self.hops,
            hops_per_case=_ratio(self.hops, self.cases),
            cross_channel_cases=self.crossing,
            cross_channel_share=_ratio(self.crossing, self.cases),
            resolved_cases=self.resolved,
            open_cases=self.cases - self.resolved,
            first_contact_resolutions=self.fcr,
            fcr_rate=_ratio(self.fcr, self.cases),
            fcr_rate_of_resolved=_ratio(self.fcr, self.resolved),
            time_to_resolution=duration_stats(self.hours),
            contacts_per_resolved_case=_ratio(self.resolved_contacts, self.resolved),
        )


def _case_query(scope: _Scope) -> Select[Any]:
    case_id = interactions.c.case_id
    query = select(
        case_id, interactions.c.source, interactions.c.occurred_at, interactions.c.status
    ).where(case_id.is_not(None))
    if scope.until is not None:
        # a case is seen as it stood at `until`: later contacts are not known yet
        query = query.where(interactions.c.occurred_at < scope.bind(scope.until))
    if scope.since is not None or scope.until is not None:
        # cases that started in the window (pushed down so old cases are not streamed)
        started = select(case_id).where(case_id.is_not(None)).group_by(case_id)
        opened = func.min(interactions.c.occurred_at)
        if scope.since is not None:
            started = started.having(opened >= scope.bind(scope.since))
        if scope.until is not None:
            started = started.having(opened < scope.bind(scope.until))
        query = query.where(case_id.in_(started))
    if scope.customer_id is not None:
        # the customer's cases: every case with a contact on one of its records
        theirs = (
            select(case_id)
            .select_from(
                interactions.join(records, _record_join).join(
                    record_customers, record_customers.c.record_id == records.c.id
                )
            )
            .where(record_customers.c.customer_id == scope.customer_id, case_id.is_not(None))
        )
        query = query.where(case_id.in_(theirs))
    # nulls last on both databases: an undated contact cannot have opened the case
    return query.order_by(
        case_id, interactions.c.occurred_at.asc().nulls_last(), interactions.c.interaction_id
    )


def _stream_cases(conn: Connection, scope: _Scope) -> Iterator[_Case]:
    result = conn.execution_options(yield_per=_CHUNK).execute(_case_query(scope))
    rows: Iterable[Any] = (row for part in result.partitions() for row in part)
    for _, group in groupby(rows, key=itemgetter(0)):
        contacts = [(r[1], _aware(r[2]), r[3]) for r in group]
        yield _fold_case(contacts)


def _cases(conn: Connection, scope: _Scope) -> tuple[CaseMeasures, dict[str, CaseMeasures]]:
    overall = _Tally()
    by_channel: dict[str, _Tally] = {}
    for case in _stream_cases(conn, scope):
        if scope.channel is not None and case.start_channel != scope.channel:
            continue
        overall.add(case)
        by_channel.setdefault(case.start_channel, _Tally()).add(case)
    return overall.measures(), {k: t.measures() for k, t in sorted(by_channel.items())}


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive UTC datetimes, PostgreSQL aware ones
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


# -- small arithmetic ---------------------------------------------------------------------


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def quantile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values, interpolating linearly between closest ranks
    (numpy's and pandas' default, so the figures can be checked with either)."""
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def duration_stats(hours: Iterable[float]) -> DurationStats:
    """Count, mean, median and p90 of durations in hours."""
    ordered = sorted(hours)
    if not ordered:
        return DurationStats()
    return DurationStats(
        count=len(ordered),
        mean_hours=math.fsum(ordered) / len(ordered),
        median_hours=quantile(ordered, 0.5),
        p90_hours=quantile(ordered, 0.9),
    )
