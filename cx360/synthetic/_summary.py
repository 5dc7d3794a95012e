"""Summary statistics of a generated dataset (for reports, benchmarks and the demo).

Holds per-person and per-value counters in memory, so use it on datasets of up to a few
hundred thousand records; generation itself does not need it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from cx360.synthetic import _data as ref
from cx360.synthetic._generator import (
    RECORD_COLUMNS,
    SOURCES,
    Bundle,
    CollectedDataset,
    SyntheticDataset,
)

__all__ = ["summarize"]

_FIELDS = RECORD_COLUMNS[3:]
_PHONE_PLACEHOLDERS = frozenset(re.sub(r"\D", "", v) for v in ref.PHONE_PLACEHOLDERS)
_EMAIL_PLACEHOLDERS = frozenset(ref.EMAIL_PLACEHOLDERS)
_ID_PLACEHOLDERS = frozenset(ref.ID_PLACEHOLDERS)
_DOB_PLACEHOLDERS = frozenset(ref.DOB_PLACEHOLDERS)
_NICKNAMES = frozenset(n.lower() for names in ref.NICKNAMES.values() for n in names)
_NON_DIGIT = re.compile(r"\D")


def _bundles(data: SyntheticDataset | CollectedDataset | Iterable[Bundle]) -> Iterable[Bundle]:
    if isinstance(data, CollectedDataset):
        from cx360.synthetic._generator import INTERACTION_COLUMNS, TRUTH_COLUMNS

        by_key: dict[tuple[str, str], list[tuple[str, ...]]] = defaultdict(list)
        for row in data.interactions:
            by_key[(row["source"], row["source_record_id"])].append(
                tuple(row[c] for c in INTERACTION_COLUMNS)
            )
        truth = {(t["source"], t["source_record_id"]): t for t in data.truth}
        for rec in data.records:
            key = (rec["source"], rec["source_record_id"])
            t = truth[key]
            yield Bundle(
                tuple(rec[c] for c in RECORD_COLUMNS),
                tuple(by_key.get(key, ())),
                tuple(t[c] for c in TRUTH_COLUMNS),  # type: ignore[arg-type]
            )
        return
    yield from data


def _phone_key(text: str) -> str:
    digits = _NON_DIGIT.sub("", text)
    return digits[-9:] if len(digits) >= 9 else digits


def summarize(data: SyntheticDataset | CollectedDataset | Iterable[Bundle]) -> dict[str, Any]:
    """Counts and shares describing a dataset: records per person, fill rate of each
    field per channel, placeholder shares, household sharing, interactions and cases."""
    per_person: Counter[str] = Counter()
    person_household: dict[str, str] = {}
    by_source: Counter[str] = Counter()
    filled: dict[str, Counter[str]] = {s: Counter() for s in SOURCES}
    placeholders: Counter[str] = Counter()
    present: Counter[str] = Counter()
    src_placeholders: Counter[tuple[str, str]] = Counter()
    src_present: Counter[tuple[str, str]] = Counter()
    phone_people: dict[str, set[str]] = defaultdict(set)
    email_people: dict[str, set[str]] = defaultdict(set)
    nickname_records = 0
    types: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    case_sources: dict[str, set[str]] = defaultdict(set)
    n_interactions = 0
    countries: Counter[str] = Counter()
    for b in _bundles(data):
        rec = b.record
        source = rec[0]
        pid, hid = b.truth[2], b.truth[3]
        per_person[pid] += 1
        person_household[pid] = hid
        by_source[source] += 1
        countries[rec[RECORD_COLUMNS.index("country")]] += 1
        values = dict(zip(_FIELDS, rec[3:], strict=True))
        for name, value in values.items():
            if value:
                filled[source][name] += 1
        phone, email = values["phone"], values["email"]
        nid, dob = values["national_id"], values["date_of_birth"]
        checks = (
            ("phone", phone, phone and _NON_DIGIT.sub("", phone) in _PHONE_PLACEHOLDERS),
            ("email", email, email.lower() in _EMAIL_PLACEHOLDERS),
            ("national_id", nid, nid in _ID_PLACEHOLDERS),
            ("date_of_birth", dob, dob in _DOB_PLACEHOLDERS),
        )
        for name, value, is_placeholder in checks:
            if value:
                present[name] += 1
                src_present[(source, name)] += 1
                if is_placeholder:
                    placeholders[name] += 1
                    src_placeholders[(source, name)] += 1
        if phone and not checks[0][2]:
            phone_people[_phone_key(phone)].add(pid)
        if email and not checks[1][2]:
            email_people[email.lower()].add(pid)
        name_text = f"{values['first_name']} {values['full_name']}".lower()
        if any(tok in _NICKNAMES for tok in name_text.split()):
            nickname_records += 1
        for row in b.interactions:
            n_interactions += 1
            types[row[4]] += 1
            statuses[row[5]] += 1
            if row[6]:
                case_sources[row[6]].add(row[0])

    n_records = sum(by_source.values())
    counts = Counter(per_person.values())
    buckets = {"1": 0, "2": 0, "3": 0, "4-5": 0, "6-9": 0, "10+": 0}
    for k, v in counts.items():
        label = str(k) if k <= 3 else ("4-5" if k <= 5 else ("6-9" if k <= 9 else "10+"))
        buckets[label] += v
    n_people = len(per_person)
    household_sizes: Counter[str] = Counter(person_household.values())
    size_hist = Counter(min(v, 6) for v in household_sizes.values())
    shared_phones = sum(1 for people in phone_people.values() if len(people) > 1)
    shared_emails = sum(1 for people in email_people.values() if len(people) > 1)
    cross = sum(1 for s in case_sources.values() if len(s) > 1)
    return {
        "records": n_records,
        "people": n_people,
        "households": len(household_sizes),
        "records_per_person_mean": round(n_records / n_people, 3) if n_people else 0.0,
        "records_per_person": {k: round(v / n_people, 4) for k, v in buckets.items()}
        if n_people
        else {},
        "max_records_per_person": max(per_person.values(), default=0),
        "records_by_source": {s: by_source[s] for s in SOURCES},
        "records_by_country": dict(sorted(countries.items())),
        "fill_rate": {
            s: {f: round(filled[s][f] / by_source[s], 3) for f in _FIELDS}
            for s in SOURCES
            if by_source[s]
        },
        "placeholder_share": {
            f: round(placeholders[f] / present[f], 4) if present[f] else 0.0
            for f in ("phone", "email", "national_id", "date_of_birth")
        },
        "placeholder_share_by_source": {
            s: {
                f: round(src_placeholders[(s, f)] / src_present[(s, f)], 4)
                for f in ("phone", "email", "national_id", "date_of_birth")
                if src_present[(s, f)]
            }
            for s in ("call_center", "store")
        },
        "records_with_nickname": round(nickname_records / n_records, 4) if n_records else 0.0,
        "household_size_people_with_records": {
            (str(k) if k < 6 else "6+"): v for k, v in sorted(size_hist.items())
        },
        "people_in_multi_person_households": round(
            sum(v for v in household_sizes.values() if v > 1) / n_people, 4
        )
        if n_people
        else 0.0,
        "phone_values_shared_by_several_people": shared_phones,
        "email_values_shared_by_several_people": shared_emails,
        "interactions": n_interactions,
        "interaction_types": dict(types.most_common()),
        "interaction_statuses": dict(statuses.most_common()),
        "cases": len(case_sources),
        "cases_spanning_several_channels": cross,
    }
