"""Explanations as text tables and self-contained HTML pages (for `cx360 explain`).

Compared values are shown masked (`mask`): a terminal scroll-back or a shared HTML file
should not become a copy of customers' personal data.
"""

from __future__ import annotations

from html import escape

from cx360._errors import mask
from cx360.models import PairExplanation, RecordExplanation, RecordRef

_GREEN = "#2e7d32"
_RED = "#c62828"
_GREY = "#546e7a"


def _kind(pair: PairExplanation) -> str:
    return (
        "(for pairs sharing an identifier)"
        if pair.identifier_backed
        else "(for pairs sharing only names)"
    )


def _signed(value: float) -> str:
    return f"{value:+.2f}"


def _masked(values: dict[str, str | None]) -> str:
    shown = [mask(v) for v in values.values() if v is not None]
    return " ".join(shown) or "-"


def pair_text(pair: PairExplanation) -> str:
    """The waterfall as a table: prior, each comparison's level and weight, the total."""
    lines = [
        f"{pair.left}  vs  {pair.right}  (matching model #{pair.model_id})",
        "",
        f"{'comparison':<13} {'level':<28} {'left':<18} {'right':<18} {'weight':>8}  tf",
        f"{'prior':<13} {'':<28} {'':<18} {'':<18} {_signed(pair.prior_match_weight):>8}",
    ]
    for part in pair.comparisons:
        tf = f"  {_signed(part.tf_adjustment)}" if part.tf_adjustment else ""
        lines.append(
            f"{part.comparison:<13} {part.level[:28]:<28} {_masked(part.values_left)[:18]:<18} "
            f"{_masked(part.values_right)[:18]:<18} {_signed(part.match_weight):>8}{tf}"
        )
    verdict = "above" if pair.above_threshold else "below"
    lines += [
        "",
        f"match weight {_signed(pair.match_weight)} (probability {pair.match_probability:.4f}), "
        f"{verdict} the link threshold {pair.threshold:g} {_kind(pair)}",
        "guards: " + _guards(pair),
        _customers(pair),
    ]
    return "\n".join(lines)


def _guards(pair: PairExplanation) -> str:
    if pair.guard_conflict is None:
        return "no conflict"
    return f"would keep them apart ({pair.guard_conflict})"


def _customers(pair: PairExplanation) -> str:
    if pair.same_customer:
        return f"same customer: yes ({pair.left_customer_id})"
    left = pair.left_customer_id or "unresolved"
    right = pair.right_customer_id or "unresolved"
    apart = ""
    if pair.customer_conflict is not None:
        apart = f"; the guards keep the customers apart ({pair.customer_conflict})"
    return f"same customer: no ({left} / {right}){apart}"


def _hop_text(path_start: RecordRef, hops: list[tuple[str, RecordRef]]) -> str:
    return str(path_start) + "".join(f" —[{label}]→ {ref}" for label, ref in hops)


def record_text(explanation: RecordExplanation) -> str:
    """Each other record of the customer with the chain of links that reaches it."""
    if explanation.customer_id is None:
        return f"{explanation.record}: not resolved into a customer yet"
    count = 1 + len(explanation.paths) + len(explanation.unreachable)
    lines = [f"{explanation.record} is in customer {explanation.customer_id} ({count} records)"]
    for path in explanation.paths:
        hops = [(_link_label(h.kind, h.match_weight), h.right) for h in path.hops]
        lines.append(f"  {path.record!s:<32} {_hop_text(explanation.record, hops)}")
    for ref in explanation.unreachable:
        lines.append(f"  {ref!s:<32} no stored link leads here")
    if not explanation.paths and not explanation.unreachable:
        lines.append("  the only record of its customer")
    return "\n".join(lines)


def _link_label(kind: str, weight: float | None) -> str:
    return kind if weight is None else f"{kind} {weight:.1f}"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2em;color:#263238}}
table{{border-collapse:collapse;margin-top:1em}}
td,th{{padding:4px 10px;border-bottom:1px solid #eceff1;text-align:left}}
td.n{{text-align:right;font-variant-numeric:tabular-nums}}
</style></head><body>
<h1>{title}</h1>
{body}
</body></html>
"""


def pair_html(pair: PairExplanation) -> str:
    """A self-contained page: the waterfall as an inline SVG chart, and the table."""
    rows = [
        "<tr><th>comparison</th><th>level</th><th>left</th><th>right</th>"
        "<th>m</th><th>u</th><th>tf</th><th>weight</th></tr>",
        f"<tr><td>prior</td><td></td><td></td><td></td><td></td><td></td><td></td>"
        f'<td class="n">{_signed(pair.prior_match_weight)}</td></tr>',
    ]
    for part in pair.comparisons:
        m = "" if part.m_probability is None else f"{part.m_probability:.4g}"
        u = "" if part.u_probability is None else f"{part.u_probability:.4g}"
        tf = _signed(part.tf_adjustment) if part.tf_adjustment else ""
        rows.append(
            f"<tr><td>{escape(part.comparison)}</td><td>{escape(part.level)}</td>"
            f"<td>{escape(_masked(part.values_left))}</td>"
            f"<td>{escape(_masked(part.values_right))}</td>"
            f'<td class="n">{m}</td><td class="n">{u}</td><td class="n">{tf}</td>'
            f'<td class="n">{_signed(part.match_weight)}</td></tr>'
        )
    verdict = "above" if pair.above_threshold else "below"
    summary = (
        f"<p>Match weight <b>{_signed(pair.match_weight)}</b> (probability "
        f"{pair.match_probability:.4f}), {verdict} the link threshold {pair.threshold:g} "
        f"{_kind(pair)}; guards: {escape(_guards(pair))}; {escape(_customers(pair))}.</p>"
    )
    body = "".join([waterfall_svg(pair), summary, "<table>", *rows, "</table>"])
    title = f"Why {pair.left} and {pair.right} score {pair.match_weight:+.1f}"
    return _PAGE.format(title=escape(title), body=body)


def waterfall_svg(pair: PairExplanation) -> str:
    """Horizontal waterfall: each step moves the running match weight left or right."""
    steps = [("prior", 0.0, pair.prior_match_weight)]
    running = pair.prior_match_weight
    for part in pair.comparisons:
        steps.append((f"{part.comparison}: {part.level}", running, running + part.match_weight))
        running += part.match_weight
    steps.append(("match weight", 0.0, pair.match_weight))
    values = [0.0, pair.threshold] + [v for _, a, b in steps for v in (a, b)]
    low, high = min(values) - 1.0, max(values) + 1.0
    label_width, chart_width, row, top = 260, 480, 26, 20
    height = top + row * len(steps) + 24

    def x(value: float) -> float:
        return label_width + (value - low) / (high - low) * chart_width

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + chart_width + 70}" '
        f'height="{height}" role="img" aria-label="match weight waterfall" '
        'font-family="system-ui,sans-serif" font-size="12">'
    ]
    for index, (label, start, end) in enumerate(steps):
        y = top + index * row
        total = index in (0, len(steps) - 1)
        colour = _GREY if total else (_GREEN if end >= start else _RED)
        left, width = min(x(start), x(end)), max(abs(x(end) - x(start)), 1.0)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{left:.1f}" y="{y + 4}" width="{width:.1f}" height="{row - 8}" '
            f'fill="{colour}"><title>{escape(label)}: {end - start:+.3f}</title></rect>'
            f'<text x="{max(x(start), x(end)) + 4:.1f}" y="{y + 16}">{end - start:+.2f}</text>'
        )
    bottom = top + row * len(steps)
    parts.append(
        f'<line x1="{x(0):.1f}" y1="{top}" x2="{x(0):.1f}" y2="{bottom}" stroke="#90a4ae"/>'
        f'<line x1="{x(pair.threshold):.1f}" y1="{top - 8}" x2="{x(pair.threshold):.1f}" '
        f'y2="{bottom}" stroke="#ef6c00" stroke-dasharray="4 3"/>'
        f'<text x="{x(pair.threshold):.1f}" y="{bottom + 16}" text-anchor="middle" '
        f'fill="#ef6c00">threshold {pair.threshold:g}</text>'
        f'<text x="{x(0):.1f}" y="{top - 6}" text-anchor="middle" fill="#546e7a">0</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def record_html(explanation: RecordExplanation) -> str:
    """A self-contained page listing the chain of links to each record of the customer."""
    items = []
    for path in explanation.paths:
        chain = escape(str(explanation.record)) + "".join(
            f" —[{escape(_link_label(h.kind, h.match_weight))}]→ {escape(str(h.right))}"
            for h in path.hops
        )
        items.append(f"<tr><td>{escape(str(path.record))}</td><td>{chain}</td></tr>")
    for ref in explanation.unreachable:
        items.append(f"<tr><td>{escape(str(ref))}</td><td>no stored link leads here</td></tr>")
    customer = explanation.customer_id or "no customer yet"
    body = (
        f"<p>Customer: <b>{escape(customer)}</b></p><table>"
        "<tr><th>record</th><th>links from the explained record</th></tr>"
        + "".join(items)
        + "</table>"
    )
    return _PAGE.format(title=escape(f"Why {explanation.record} is in its customer"), body=body)
