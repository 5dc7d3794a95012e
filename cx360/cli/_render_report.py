"""A CX report as text tables (for `cx360 report`). Figures only: no personal data."""

from __future__ import annotations

from collections.abc import Callable

from cx360.models import CaseMeasures, CxReport


def _count(value: int) -> str:
    return f"{value:,}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


# (label, figure of a CaseMeasures as text), in the order the table shows them
_CASE_ROWS: list[tuple[str, Callable[[CaseMeasures], str]]] = [
    ("cases", lambda m: _count(m.cases)),
    ("contacts", lambda m: _count(m.contacts)),
    ("contacts per case", lambda m: _number(m.contacts_per_case)),
    ("repeat contacts", lambda m: _count(m.repeat_contacts)),
    ("cases with repeats", lambda m: _share(m.repeat_case_share)),
    ("channel hops", lambda m: _count(m.channel_hops)),
    ("hops per case", lambda m: _number(m.hops_per_case)),
    ("cross-channel cases", lambda m: _share(m.cross_channel_share)),
    ("resolved cases", lambda m: _count(m.resolved_cases)),
    ("open cases", lambda m: _count(m.open_cases)),
    ("FCR (of all cases)", lambda m: _share(m.fcr_rate)),
    ("FCR (of resolved)", lambda m: _share(m.fcr_rate_of_resolved)),
    ("TTR median (h)", lambda m: _hours(m.time_to_resolution.median_hours)),
    ("TTR p90 (h)", lambda m: _hours(m.time_to_resolution.p90_hours)),
    ("TTR mean (h)", lambda m: _hours(m.time_to_resolution.mean_hours)),
    ("effort: contacts/resolved", lambda m: _number(m.contacts_per_resolved_case)),
]


def report_text(report: CxReport) -> str:
    """The report as a header, a contacts-by-channel table and a cases table whose
    columns are all cases and the cases by the channel they started on."""
    who = f"customer {report.customer_id}" if report.customer_id else "whole store"
    since = f"{report.since:%Y-%m-%d %H:%M}" if report.since else "start"
    until = f"{report.until:%Y-%m-%d %H:%M}" if report.until else "now"
    lines = [
        f"CX report: {who}",
        f"window (UTC): {since} to {until} (until exclusive); channel: {report.channel or 'all'}",
        "",
    ]
    contacts = report.contacts
    lines.append(
        f"contacts: {_count(contacts.interactions)} interactions, "
        f"{_count(contacts.customers)} customers, "
        f"{_number(contacts.per_customer)} per customer"
    )
    lines.append(f"  {'channel':<14} {'interactions':>12} {'customers':>10} {'per customer':>13}")
    for channel, figures in contacts.by_channel.items():
        lines.append(
            f"  {channel[:14]:<14} {_count(figures.interactions):>12} "
            f"{_count(figures.customers):>10} {_number(figures.per_customer):>13}"
        )
    unresolved = contacts.unresolved
    if unresolved.interactions:
        where = ", ".join(f"{k} {_count(v)}" for k, v in unresolved.by_channel.items())
        lines.append(
            f"  unresolved (no customer yet): {_count(unresolved.interactions)} interactions "
            f"({_count(unresolved.without_record)} of records not ingested, "
            f"{_count(unresolved.not_resolved)} of records not resolved): {where}"
        )
    lines.append("")
    columns = [("all", report.cases), *report.cases_by_channel.items()]
    lines.append(
        f"{'cases (by start channel)':<26}" + "".join(f" {name[:11]:>11}" for name, _ in columns)
    )
    for label, figure in _CASE_ROWS:
        lines.append(f"{label:<26}" + "".join(f" {figure(m):>11}" for _, m in columns))
    spread = report.cases.contacts_distribution
    if spread:
        shown = ", ".join(f"{n} contact{'s' * (n > 1)}: {_count(c)}" for n, c in spread.items())
        lines.append(f"cases by number of contacts: {shown}")
    return "\n".join(lines)
