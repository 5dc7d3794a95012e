"""Survivorship: which of a customer's values becomes the golden one, attribute by attribute.

Each attribute has an ordered chain of rules. Candidate values are the *valid* ones
(placeholders and unreadable values never survive), grouped by their match key (so
``+57 300 123 4567`` on two channels is one value held by two records). Values are
ranked by the first rule of the chain, ties broken by the next, then by recency and
frequency, and last by the value itself (so the outcome never depends on row order):

- ``source_priority``: the highest `sources.priority` among the records holding it
  (a store that checks ID outranks a WhatsApp display name);
- ``most_recent``: the latest `observed_at` among them (unknown is oldest);
- ``most_frequent``: how many records hold it;
- ``most_complete`` (names): the most name words;
- ``valid`` (national IDs): check digit verified beats "cannot be checked";
- ``mobile`` (phones): mobile beats "fixed line or mobile" beats the rest.

The golden value's provenance is the record that best supports it under the same chain.

A record's phones and e-mails are all candidates, its first and its further ones
(`record_identifiers`) alike: a customer whose mobile is the second number of a CRM record
has that mobile as golden phone, and a value held by several records, first here and
second there, counts each of them. When no rule tells two of them apart, the records' own
order does: the value a record gives first (its `phone` before its `phone_2`) wins
(`record_order`), the order the records' writers chose.

Values written by people (a name, an address, a city, a region) are grouped on a folded key, so
``Londoño`` and ``LONDONO`` are one value. The golden one is shown in its best form
attested on the customer's records (`_best_written`): the one keeping the most accented
letters (they cannot be put back once lost), then mixed case over all capitals or all
lower case, then the form most records write; its provenance is the best record writing
it that way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Final, get_args

from cx360._errors import ConfigurationError
from cx360.models._profile import GoldenRecord, GoldenValue, SurvivorshipRule
from cx360.store._schema import IdentifierForm, parse_identifier_forms

Row = Mapping[Any, Any]  # a SQLAlchemy RowMapping, or a dict in tests

_ANY_ATTRIBUTE: Final = frozenset({"source_priority", "most_recent", "most_frequent"})
_ONLY_FOR: Final = {"most_complete": "name", "valid": "national_id", "mobile": "phone"}
_OLDEST: Final = datetime.min.replace(tzinfo=UTC)
_MOBILE_RANK: Final = {"mobile": 2, "fixed_line_or_mobile": 1}
# Attributes whose display is written by people, in forms the key does not tell apart.
_WRITTEN: Final = frozenset({"name", "address", "city", "region"})


@dataclass(frozen=True, slots=True)
class SurvivorshipRules:
    """The rule chain per attribute (first rule first). Pass to `connect()` or per call.

    ``SurvivorshipRules(email=("source_priority", "most_recent"))`` changes one attribute
    and keeps the defaults for the others. Rules: ``source_priority``, ``most_recent``,
    ``most_frequent`` for any attribute; ``most_complete`` for `name`, ``valid`` for
    `national_id`, ``mobile`` for `phone`.
    """

    name: tuple[SurvivorshipRule, ...] = (
        "source_priority",
        "most_frequent",
        "most_complete",
        "most_recent",
    )
    email: tuple[SurvivorshipRule, ...] = ("most_recent", "most_frequent")
    phone: tuple[SurvivorshipRule, ...] = ("mobile", "most_recent", "most_frequent")
    national_id: tuple[SurvivorshipRule, ...] = (
        "source_priority",
        "valid",
        "most_frequent",
        "most_recent",
    )
    birth_date: tuple[SurvivorshipRule, ...] = ("source_priority", "most_frequent", "most_recent")
    address: tuple[SurvivorshipRule, ...] = ("most_recent", "source_priority")
    city: tuple[SurvivorshipRule, ...] = ("most_recent", "source_priority")
    postcode: tuple[SurvivorshipRule, ...] = ("most_recent", "source_priority")
    region: tuple[SurvivorshipRule, ...] = ("most_recent", "source_priority")
    handle: tuple[SurvivorshipRule, ...] = ("most_recent", "most_frequent")

    def __post_init__(self) -> None:
        known = set(get_args(SurvivorshipRule))
        for field in fields(self):
            chain = getattr(self, field.name)
            if isinstance(chain, str):  # a bare "most_recent" would iterate as letters
                chain = (chain,)
            chain = tuple(chain)
            if not chain:
                raise ConfigurationError(f"survivorship rules for {field.name!r} are empty")
            if len(set(chain)) != len(chain):
                raise ConfigurationError(f"survivorship rules for {field.name!r} repeat a rule")
            for rule in chain:
                if rule not in known:
                    raise ConfigurationError(
                        f"unknown survivorship rule {rule!r}; choose among {sorted(known)}"
                    )
                if rule not in _ANY_ATTRIBUTE and _ONLY_FOR[rule] != field.name:
                    raise ConfigurationError(
                        f"survivorship rule {rule!r} applies to {_ONLY_FOR[rule]!r} only"
                    )
            object.__setattr__(self, field.name, chain)

    def chain(self, attribute: str) -> tuple[SurvivorshipRule, ...]:
        chain: tuple[SurvivorshipRule, ...] = getattr(self, attribute)
        return chain


DEFAULT_RULES: Final = SurvivorshipRules()


def aware(value: datetime | None) -> datetime | None:
    """UTC-aware datetimes whatever the store (SQLite gives naive UTC ones back)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def raw_text(row: Row, column: str) -> str | None:
    """A raw input column as stripped text; None when absent or empty."""
    raw = row["raw"] or {}
    value = raw.get(column) if isinstance(raw, dict) else None
    if value is None or isinstance(value, dict | list):
        return None
    return str(value).strip() or None


# -- what each attribute's value is, per record ------------------------------------------


@dataclass(frozen=True, slots=True)
class _Reading:
    key: str  # values are grouped on this
    display: str  # shown to people
    rank: int  # attribute-specific rule: completeness, validity or phone type
    position: int = 1  # the record's first value of the attribute, or its 2nd, 3rd, ...


def _name(row: Row) -> _Reading | None:
    display = " ".join(p for p in (row["given_names"], row["surnames"]) if p)
    if not display:
        return None
    key = f"{row['given_keys'] or ''}|{row['surname_key'] or ''}|{row['surname2_key'] or ''}"
    return _Reading(key, display, len(display.split()))


def _keyed(key_column: str, display_column: str | None = None) -> Callable[[Row], _Reading | None]:
    def read(row: Row) -> _Reading | None:
        key = row[key_column]
        if not key:
            return None
        display = row[display_column] if display_column else None
        return _Reading(key, display or key, 0)

    return read


def _phone(row: Row) -> _Reading | None:
    key = row["phone_key"]
    if not key:
        return None
    return _Reading(key, row["phone_e164"] or key, _MOBILE_RANK.get(row["phone_kind"] or "", 0))


def _national_id(row: Row) -> _Reading | None:
    key = row["national_id_key"]
    if not key:
        return None
    return _Reading(key, row["national_id"] or key, 1 if row["national_id_valid"] else 0)


def _raw_display(key_column: str, raw_column: str) -> Callable[[Row], _Reading | None]:
    # only the key is stored for addresses, cities, postcodes and regions: the value as
    # typed is in raw
    def read(row: Row) -> _Reading | None:
        key = row[key_column]
        if not key:
            return None
        return _Reading(key, raw_text(row, raw_column) or key, 0)

    return read


_READERS: Final[dict[str, Callable[[Row], _Reading | None]]] = {
    "name": _name,
    "email": _keyed("email_key", "email_display"),
    "phone": _phone,
    "national_id": _national_id,
    "birth_date": _keyed("birth_date"),
    "address": _raw_display("address_key", "address"),
    "city": _raw_display("city_key", "city"),
    "postcode": _raw_display("postcode_key", "postcode"),
    "region": _raw_display("region_key", "region"),
    "handle": _keyed("handle_key"),
}
ATTRIBUTES: Final = tuple(_READERS)
# Attributes a record may hold several values of (`record_identifiers` kinds).
_SEVERAL: Final = frozenset({"phone", "email"})


# -- ranking ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Held:
    """A record with what every attribute's ranking asks of it, computed once."""

    row: Row
    recency: datetime
    priority: int
    further: tuple[IdentifierForm, ...]  # its phones and e-mails beyond the first


def _held(rows: Iterable[Row]) -> list[_Held]:
    return [
        _Held(
            r,
            aware(r["observed_at"]) or _OLDEST,
            r.get("priority") or 0,
            tuple(parse_identifier_forms(r.get("extra_identifiers"))),
        )
        for r in rows
    ]


def _further_reading(form: IdentifierForm, position: int) -> _Reading:
    """A further phone or e-mail read as the first one is (`_phone`, `_keyed`); a row
    stored without its forms shows its key."""
    rank = _MOBILE_RANK.get(form.phone_kind or "", 0) if form.kind == "phone" else 0
    return _Reading(form.key, form.display or form.key, rank, position)


def _readings(held: _Held, attribute: str) -> list[_Reading]:
    """Every value of `attribute` a record holds, once each: its column's, then (phones
    and e-mails) its further ones."""
    first = _READERS[attribute](held.row)
    found = [first] if first is not None else []
    if attribute in _SEVERAL:
        keys = {r.key for r in found}
        for form in held.further:
            if form.kind == attribute and form.key not in keys:
                keys.add(form.key)
                found.append(_further_reading(form, len(found) + 1))
    return found


def _record_metric(rule: str, held: _Held, reading: _Reading) -> Any:
    if rule == "source_priority":
        return held.priority
    if rule == "most_recent":
        return held.recency
    if rule == "most_frequent":
        return 0  # a property of values, not of records
    return reading.rank


def _full_chain(chain: Sequence[str]) -> tuple[str, ...]:
    # recency and frequency always break the remaining ties, in that order
    return tuple(chain) + tuple(r for r in ("most_recent", "most_frequent") if r not in chain)


@dataclass(slots=True)
class _Value:
    key: str
    holders: list[tuple[_Held, _Reading]]
    metrics: tuple[Any, ...] = ()  # the value's, one per rule of the chain
    order: int = 0  # minus its best position on a record (first given: -1)
    holder_metrics: list[tuple[Any, ...]] | None = None  # each holder's, likewise


def _measure(value: _Value, chain: Sequence[str]) -> None:
    # every metric once: sorting and explaining the winner would otherwise recompute them
    per_holder = [
        tuple(_record_metric(rule, held, reading) for rule in chain)
        for held, reading in value.holders
    ]
    value.holder_metrics = per_holder
    value.metrics = tuple(
        len(value.holders) if rule == "most_frequent" else max(m[i] for m in per_holder)
        for i, rule in enumerate(chain)
    )
    value.order = -min(reading.position for _, reading in value.holders)


def _best_holder(value: _Value, among: Sequence[int] | None = None) -> tuple[_Held, _Reading]:
    metrics, holders = value.holder_metrics, value.holders
    assert metrics is not None
    candidates = range(len(holders)) if among is None else among
    best = max(candidates, key=lambda i: (*metrics[i], holders[i][0].row["id"]))
    return holders[best]


def written_quality(text: str) -> tuple[int, bool]:
    """How much of a written form survives: accented letters, and mixed case."""
    accents = sum(1 for ch in text if not ch.isascii() and ch.isalpha())
    return accents, any(ch.isupper() for ch in text) and any(ch.islower() for ch in text)


def _best_written(value: _Value) -> tuple[_Held, _Reading]:
    """The holder of the value's best written form (see the module docstring); the best
    holder of all when every record writes it alike."""
    best = _best_holder(value)
    forms: dict[str, list[int]] = {}
    for i, (_, reading) in enumerate(value.holders):
        forms.setdefault(reading.display, []).append(i)
    if len(forms) == 1:
        return best
    chosen = max(
        forms,
        key=lambda d: (written_quality(d), len(forms[d]), d == best[1].display, d),
    )
    return best if chosen == best[1].display else _best_holder(value, forms[chosen])


def golden_value(
    rows: Iterable[Row], attribute: str, chain: Sequence[SurvivorshipRule]
) -> GoldenValue | None:
    """The surviving value of one attribute among `rows` (None when no valid value)."""
    return _golden_value(_held(rows), attribute, chain)


def _golden_value(
    records: Sequence[_Held], attribute: str, chain: Sequence[SurvivorshipRule]
) -> GoldenValue | None:
    values: dict[str, _Value] = {}
    for held in records:
        for reading in _readings(held, attribute):
            values.setdefault(reading.key, _Value(reading.key, [])).holders.append((held, reading))
    if not values:
        return None
    full = _full_chain(chain)
    for value in values.values():
        _measure(value, full)
    ranked = sorted(values.values(), key=lambda v: (v.metrics, v.order, v.key), reverse=True)
    winner = ranked[0]
    if len(ranked) == 1:
        rule = "only_value"
    else:
        runner_up = ranked[1]
        tied = "record_order" if winner.order != runner_up.order else "tie"
        rule = next(
            (r for r, a, b in zip(full, winner.metrics, runner_up.metrics, strict=True) if a != b),
            tied,
        )
    held, reading = _best_written(winner) if attribute in _WRITTEN else _best_holder(winner)
    row = held.row
    return GoldenValue(
        value=reading.display,
        source=row["source"],
        source_record_id=row["source_record_id"],
        observed_at=None if held.recency is _OLDEST else held.recency,
        rule=rule,
        records=len(winner.holders),
        alternatives=len(ranked) - 1,
    )


def golden_record(rows: Sequence[Row], rules: SurvivorshipRules) -> GoldenRecord:
    """The golden record of one customer's records."""
    records = _held(rows)
    values = {a: _golden_value(records, a, rules.chain(a)) for a in ATTRIBUTES}
    golden = GoldenRecord.model_validate(values)
    if golden.name is not None:
        holder = _holder(rows, golden.name)
        golden.given_names = holder["given_names"]
        golden.surnames = holder["surnames"]
    return golden


def golden_name(rows: Sequence[Row], rules: SurvivorshipRules) -> tuple[str | None, str | None]:
    """The golden record's name and given names alone (`golden_record`'s, for the context
    card, which shows nothing else of it: the other attributes are not ranked)."""
    name = _golden_value(_held(rows), "name", rules.chain("name"))
    if name is None:
        return None, None
    return name.value, _holder(rows, name)["given_names"]


def _holder(rows: Sequence[Row], value: GoldenValue) -> Row:
    """The record a golden value was taken from."""
    return next(
        r
        for r in rows
        if r["source"] == value.source and r["source_record_id"] == value.source_record_id
    )
