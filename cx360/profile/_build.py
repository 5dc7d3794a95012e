"""Profiles and context cards, built from one customer's records and interactions.

Pure functions over rows already read (see `_lookup.py` for the reads): the golden record
(`_survivorship.py`), every known identifier, the timeline and open cases
(`_timeline.py`), consents, and the compact context card.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from cx360.models._explain import RecordRef
from cx360.models._privacy import ConsentEvent
from cx360.models._profile import (
    Consent,
    ContextCard,
    IdentifierKind,
    KnownIdentifier,
    Profile,
    VerifiedIdentifier,
)
from cx360.privacy._consent import (
    CONSENT_COLUMN,
    consent_granted,
    current_states,
    events_of_records,
)
from cx360.profile._survivorship import (
    SurvivorshipRules,
    aware,
    golden_name,
    golden_record,
    raw_text,
)
from cx360.profile._timeline import newest_first, open_cases, timeline_item
from cx360.store._schema import parse_identifier_forms

Row = Mapping[Any, Any]  # a SQLAlchemy RowMapping, or a dict in tests

RECENT_INTERACTIONS: Final = 5
_KIND_ORDER: Final[dict[IdentifierKind, int]] = {
    "national_id": 0,
    "phone": 1,
    "email": 2,
    "handle": 3,
}
# (kind, raw column, key column, display column, detail column)
_IDENTIFIER_COLUMNS: Final[tuple[tuple[IdentifierKind, str, str, str, str | None], ...]] = (
    ("national_id", "national_id", "national_id_key", "national_id", "national_id_kind"),
    ("phone", "phone", "phone_key", "phone_e164", "phone_kind"),
    ("email", "email", "email_key", "email_display", None),
    ("handle", "handle", "handle_key", "handle_key", None),
)
_EXTRA_KINDS: Final[dict[str, IdentifierKind]] = {"phone": "phone", "email": "email"}


@dataclass(slots=True)
class _Seen:
    kind: IdentifierKind
    value: str
    match_key: str | None
    detail: str | None
    placeholder: bool
    sources: list[str] = field(default_factory=list)
    records: int = 0
    first: datetime | None = None
    last: datetime | None = None


def _readings(row: Row) -> list[tuple[IdentifierKind, str, str | None, str | None, bool]]:
    """(kind, value, match key, detail, placeholder) of each identifier a record holds:
    its identifier columns, then its further phones and e-mails (valid, by match key)."""
    issues = set((row["issues"] or "").split())
    out: list[tuple[IdentifierKind, str, str | None, str | None, bool]] = []
    for kind, raw_column, key_column, display_column, detail_column in _IDENTIFIER_COLUMNS:
        key = row[key_column]
        value = key if kind == "handle" else row[display_column]
        value = value or raw_text(row, raw_column)
        if value is not None:
            detail = row[detail_column] if detail_column else None
            out.append((kind, value, key, detail, f"{raw_column}:placeholder" in issues))
    for extra in parse_identifier_forms(row.get("extra_identifiers")):
        if extra.kind in _EXTRA_KINDS:
            # shown as the first value is (E.164, the e-mail as written); a row stored
            # without its forms shows its key
            value = extra.display or extra.key
            out.append((_EXTRA_KINDS[extra.kind], value, extra.key, extra.phone_kind, False))
    return out


def identifiers(rows: Sequence[Row]) -> list[KnownIdentifier]:
    """Every identifier on the records, first or further values alike: valid ones by
    match key (with the sources and times of the records holding them), the others as
    typed."""
    seen: dict[tuple[str, str], _Seen] = {}
    for row in rows:
        when = aware(row["observed_at"])
        for kind, value, key, detail, placeholder in _readings(row):
            entry = seen.get((kind, key or f"~{value}"))
            if entry is None:
                entry = _Seen(kind, value, key, detail, placeholder)
                seen[(kind, key or f"~{value}")] = entry
            elif entry.detail is None:  # a phone's kind, from whichever record gives it
                entry.detail = detail
            entry.records += 1
            if row["source"] not in entry.sources:
                entry.sources.append(row["source"])
            if when is not None:
                entry.first = when if entry.first is None else min(entry.first, when)
                entry.last = when if entry.last is None else max(entry.last, when)
    found = [
        KnownIdentifier(
            kind=s.kind,
            value=s.value,
            match_key=s.match_key,
            detail=s.detail,
            placeholder=s.placeholder,
            valid=s.match_key is not None,
            sources=sorted(s.sources),
            records=s.records,
            first_seen=s.first,
            last_seen=s.last,
        )
        for s in seen.values()
    ]
    # per kind: valid first, then the most recently seen (never seen at a known time: last)
    found.sort(
        key=lambda i: (
            _KIND_ORDER[i.kind],
            not i.valid,
            -i.last_seen.timestamp() if i.last_seen else float("inf"),
        )
    )
    return found


def consents(rows: Sequence[Row]) -> list[Consent]:
    """Per consent column, the value of the latest record (by observed_at) that gives one."""
    latest: dict[str, tuple[tuple[float, int], Consent]] = {}
    for row in rows:
        raw = row["raw"]
        if not isinstance(raw, dict):
            continue
        when = aware(row["observed_at"])
        order = (when.timestamp() if when else float("-inf"), row["id"])
        for name, value in raw.items():
            if not CONSENT_COLUMN.search(name) or value is None or str(value).strip() == "":
                continue
            current = latest.get(name)
            if current is not None and current[0] >= order:
                continue
            latest[name] = (
                order,
                Consent(
                    name=name,
                    granted=consent_granted(value),
                    value=str(value).strip(),
                    source=row["source"],
                    source_record_id=row["source_record_id"],
                    observed_at=when,
                ),
            )
    return [consent for _, consent in sorted(latest.values(), key=lambda c: c[1].name)]


def _refs(rows: Sequence[Row]) -> list[RecordRef]:
    return sorted(
        (RecordRef(source=r["source"], source_record_id=r["source_record_id"]) for r in rows),
        key=lambda ref: (ref.source, ref.source_record_id),
    )


def build_profile(
    customer_id: str | None,
    rows: Sequence[Row],
    interaction_rows: Sequence[Row],
    rules: SurvivorshipRules,
    limit: int,
    recorded: Sequence[ConsentEvent] = (),
) -> Profile:
    ordered = newest_first(interaction_rows)
    return Profile(
        customer_id=customer_id,
        provisional=customer_id is None,
        records=_refs(rows),
        sources=sorted({r["source"] for r in rows}),
        golden=golden_record(rows, rules),
        identifiers=identifiers(rows),
        interactions=[timeline_item(r) for r in ordered[:limit]],
        interaction_count=len(ordered),
        open_cases=open_cases(ordered),
        consent_state=current_states([*events_of_records(rows), *recorded]),
    )


def build_context(
    customer_id: str | None,
    rows: Sequence[Row],
    interaction_rows: Sequence[Row],
    rules: SurvivorshipRules,
    recorded: Sequence[ConsentEvent] = (),
) -> ContextCard:
    ordered = newest_first(interaction_rows)
    name, given_names = golden_name(rows, rules)
    contacts = Counter(r["source"] for r in ordered)
    # most contacts; ties go to the channel used most recently (first met in `ordered`)
    recency = {source: i for i, source in reversed(list(enumerate(r["source"] for r in ordered)))}
    preferred = min(contacts, key=lambda s: (-contacts[s], recency[s])) if contacts else None
    verified = [
        VerifiedIdentifier(
            kind=i.kind, value=i.value, detail=i.detail, sources=i.sources, last_seen=i.last_seen
        )
        for i in identifiers(rows)
        if i.valid and i.kind != "handle"
    ]
    return ContextCard(
        customer_id=customer_id,
        provisional=customer_id is None,
        name=name,
        given_names=given_names,
        verified=verified,
        open_cases=open_cases(ordered),
        recent_interactions=[timeline_item(r) for r in ordered[:RECENT_INTERACTIONS]],
        interaction_count=len(ordered),
        preferred_channel=preferred,
        last_channel=ordered[0]["source"] if ordered else None,
        last_contact=aware(ordered[0]["occurred_at"]) if ordered else None,
        sources=sorted({r["source"] for r in rows}),
        consents=consents(rows),
        consent_state=current_states([*events_of_records(rows), *recorded]),
    )
