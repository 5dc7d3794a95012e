"""Profiles and context cards as text, for `cx360 profile` and `cx360 context`.

The card shows the customer's data as stored: it is what an agent asked to see. Lookups
that do not end in one customer say why, and what to do next.
"""

from __future__ import annotations

from datetime import datetime

from cx360.models._profile import (
    ContextLookup,
    GoldenValue,
    Lookup,
    OpenCase,
    Profile,
    ProfileLookup,
    TimelineItem,
)

_LABELS = {
    "phone": "phone",
    "email": "e-mail",
    "national_id": "national ID",
    "handle": "handle",
    "customer_id": "customer id",
    "record": "record",
}


def _when(value: datetime | None, with_time: bool = True) -> str:
    if value is None:
        return "-"
    return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def _cut(text: str | None, width: int) -> str:
    if not text:
        return "-"
    return text if len(text) <= width else text[: width - 1] + "…"


def _outcome(lookup: Lookup) -> list[str]:
    """Why there is no card: not found, placeholder, or the candidates."""
    what = _LABELS.get(lookup.identifier, lookup.identifier)
    if lookup.status == "not_found":
        if lookup.reason == "invalid":
            return [f"not found: this {what} is not a valid value, so no record can hold it"]
        return [f"not found: no customer or record has this {what}"]
    if lookup.reason == "placeholder":
        return [
            f"ambiguous: this {what} is a placeholder (typed when there is none); it "
            "identifies nobody. Ask for another identifier."
        ]
    lines = [
        f"ambiguous: {lookup.candidate_count} customers or unresolved records hold this "
        f"{what}. Ask for another identifier to tell them apart:"
    ]
    for candidate in lookup.candidates:
        who = candidate.customer_id or f"record {candidate.record} (not resolved yet)"
        lines.append(
            f"  {who:<40} {_cut(candidate.name, 32):<32} "
            f"{candidate.records_with_identifier} record(s) on {', '.join(candidate.sources)}"
        )
    if lookup.candidate_count > len(lookup.candidates):
        lines.append(f"  ... and {lookup.candidate_count - len(lookup.candidates)} more")
    return lines


def _who(lookup: Lookup, customer_id: str | None) -> str:
    if customer_id is None:
        return "provisional (a record not resolved into a customer yet)"
    if lookup.alias:
        return f"customer {customer_id} (asked for {lookup.alias}, merged into it)"
    return f"customer {customer_id}"


def _golden_line(label: str, value: GoldenValue | None) -> str:
    if value is None:
        return f"  {label:<12} -"
    origin = f"{value.source} {_when(value.observed_at, with_time=False)}, {value.rule}"
    return f"  {label:<12} {_cut(value.value, 44):<44} ({origin})"


def _case_line(case: OpenCase) -> str:
    return (
        f"  {case.case_id:<16} {case.status or '-':<10} {', '.join(case.sources):<22} "
        f"{case.contacts} contact(s), last {_when(case.last_contact)}: "
        f"{_cut(case.last_summary, 50)}"
    )


def _item_line(item: TimelineItem) -> str:
    return (
        f"  {_when(item.occurred_at)}  {item.source:<12} {item.type or '-':<10} "
        f"{item.status or '-':<10} {item.case_id or '-':<16} {_cut(item.summary, 50)}"
    )


def _unresolved(lookup: Lookup) -> list[str]:
    if lookup.status != "found" or lookup.customer_id is None or not lookup.unresolved:
        return []
    refs = ", ".join(str(r) for r in lookup.unresolved)
    return [f"note: also held by record(s) not resolved yet: {refs}"]


def profile_text(lookup: ProfileLookup) -> str:
    """The profile as a card, or why there is none."""
    if lookup.profile is None:
        return "\n".join(_outcome(lookup))
    profile: Profile = lookup.profile
    golden = profile.golden
    lines = [
        f"{_who(lookup, profile.customer_id)}: {len(profile.records)} record(s) on "
        f"{', '.join(profile.sources) or '-'}"
    ]
    lines += _unresolved(lookup)
    lines.append("golden record:")
    for label, value in (
        ("name", golden.name),
        ("e-mail", golden.email),
        ("phone", golden.phone),
        ("national ID", golden.national_id),
        ("birth date", golden.birth_date),
        ("address", golden.address),
        ("city", golden.city),
        ("postcode", golden.postcode),
        ("region", golden.region),
        ("handle", golden.handle),
    ):
        lines.append(_golden_line(label, value))
    lines.append("identifiers:")
    for ident in profile.identifiers:
        flag = "placeholder" if ident.placeholder else ("" if ident.valid else "invalid")
        lines.append(
            f"  {_LABELS[ident.kind]:<12} {_cut(ident.value, 34):<34} {ident.detail or '':<22} "
            f"{', '.join(ident.sources):<24} {_when(ident.first_seen, False)} … "
            f"{_when(ident.last_seen, False)} {flag}".rstrip()
        )
    lines.append(f"open cases ({len(profile.open_cases)}):")
    lines += [_case_line(case) for case in profile.open_cases] or ["  none"]
    shown = len(profile.interactions)
    lines.append(f"interactions ({profile.interaction_count}, newest {shown} shown):")
    lines += [_item_line(item) for item in profile.interactions] or ["  none"]
    return "\n".join(lines)


def context_text(lookup: ContextLookup) -> str:
    """The context card, or why there is none."""
    if lookup.context is None:
        return "\n".join(_outcome(lookup))
    card = lookup.context
    lines = [
        f"{card.name or '(no name known)'} — {_who(lookup, card.customer_id)}",
        f"on {', '.join(card.sources) or '-'}",
    ]
    lines += _unresolved(lookup)
    lines.append("verified (no need to ask again):")
    lines += [
        f"  {_LABELS[v.kind]:<12} {_cut(v.value, 34):<34} on {', '.join(v.sources)}"
        for v in card.verified
    ] or ["  none"]
    lines.append(
        f"channels: prefers {card.preferred_channel or '-'}, last contact on "
        f"{card.last_channel or '-'} {_when(card.last_contact)} "
        f"({card.interaction_count} contacts in all)"
    )
    lines.append(f"open cases ({len(card.open_cases)}):")
    lines += [_case_line(case) for case in card.open_cases] or ["  none"]
    lines.append("recent interactions:")
    lines += [_item_line(item) for item in card.recent_interactions] or ["  none"]
    lines.append("consents:")
    lines += [
        f"  {c.name:<24} {'yes' if c.granted else 'no' if c.granted is False else c.value:<6} "
        f"({c.source} {_when(c.observed_at, False)})"
        for c in card.consents
    ] or ["  none recorded"]
    return "\n".join(lines)
