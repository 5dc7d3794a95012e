"""Turn one input row into a storable, normalized row, or into a quarantine entry.

This is the ingest hot path: it runs once per row, in worker processes for large files.
Only a row that cannot be stored is quarantined, with a reason code: one without its key
(`source`, `source_record_id`, `interaction_id`), or a key the store cannot hold (too
long, not text). A bad value anywhere else (an unreadable timestamp, country or birth
date, an invalid phone, a number where text belongs) keeps the row: that field is unknown,
the raw value is kept verbatim, and the row's `issues` column lists `<column>:<issue>`.

Several phones or e-mails (``300 123 4567 / 310 555 1234`` in one cell, or further
columns stored as ``phone_2``, ``email_2``): the first valid one is the record's
`phone_key` / `email_key`, as with one value, and the other valid, distinct ones are the
record's further identifiers (`extra_identifiers`, stored in `record_identifiers`), used
for lookups and erasure like the first. A valid second value is not a problem, so it is no
issue; a value that is not valid is flagged ``<column>:extra_values`` (the raw row keeps
every value as given). A national ID or handle is read once: further values are flagged.

Real time (`prepare_record`, `prepare_interaction`, `strict=True`) refuses a row whose
value is unreadable or of the wrong type instead: its caller is there to send it again,
fixed, and learns which column was wrong from the refusal.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from json.encoder import encode_basestring
from typing import Any

import phonenumbers

from cx360.models import QuarantineReason
from cx360.normalize.addresses import (
    normalize_address,
    normalize_city,
    normalize_region,
    postcode_reading,
)
from cx360.normalize.attributes import attribute_values
from cx360.normalize.countries import normalize_country
from cx360.normalize.dates import birth_date_reading, parse_local_timestamp
from cx360.normalize.emails import email_reading
from cx360.normalize.handles import normalize_handle
from cx360.normalize.identifiers import normalize_declared_identifier
from cx360.normalize.names import canonical_given_name, name_parts, name_suffix
from cx360.normalize.national_ids import normalize_national_id
from cx360.normalize.phones import phone_reading
from cx360.normalize.vocabulary import case_status
from cx360.store._engine import SerializedJSON, json_default
from cx360.store._schema import DECLARED_KIND
from cx360.store._writes import EXTRA_FORMS, EXTRA_IDENTIFIERS

_KNOWN_REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)
# Limits of the store's key columns.
_MAX_KEY = {"source": 64, "source_record_id": 255, "interaction_id": 255}
# Limits of the interactions' short text columns: a longer value is a value issue.
_MAX_TEXT = {"type": 64, "status": 64, "case_id": 255}
# Columns a record may give several of, read as `<column>_2`, `<column>_3`, ...
_NUMBERED = re.compile(
    r"(first_name|last_name|address|email|phone|national_id|handle)_([1-9][0-9]*)"
)
# Between several phones or e-mails written in one cell.
_PHONE_SEPARATORS = re.compile(r"\s*(?:[/;,|\n]|\s(?:y|o|ó|or|and)\s)\s*")
_EMAIL_SEPARATORS = re.compile(r"[\s;,/|]+")
# A prepared record's phones and e-mails beyond the first (`EXTRA_IDENTIFIERS`, after the
# table's columns): ((kind, match key), ...), phones first, each kind in the record's order;
# () when there are none (nearly every record). `store._writes` writes them as the rows of
# `record_identifiers`, with their forms (`EXTRA_FORMS`, item for item: (display, phone
# kind)).
ExtraIdentifiers = tuple[tuple[str, str], ...]
ExtraForms = tuple[tuple[str | None, str | None], ...]
# The columns of a prepared record, in the order of `prepare_record_values` (the store's
# column order: `store._writes.prepared_columns(RECORDS)`, checked by a test).
RECORD_VALUE_COLUMNS = (
    "source", "source_record_id", "observed_at", "country", "content_hash", "raw",
    "given_names", "surnames", "given_key", "given_canonical", "given_keys", "surname_key",
    "surname2_key", "name_suffix", "email_display", "email_key", "phone_e164", "phone_key",
    "phone_kind", "national_id", "national_id_key", "national_id_kind", "national_id_valid",
    "birth_date", "birth_date_parts", "address_key", "city_key", "postcode_key", "region_key",
    "handle_key", "declared_key", "attribute_values", "issues", EXTRA_IDENTIFIERS, EXTRA_FORMS,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A row that could not be stored, with the reason and, where known, the column and
    the row's key (so that a later ingest that stores the row can forget this one)."""

    row_number: int | None
    reason: QuarantineReason
    column: str | None
    raw: dict[str, Any]
    source: str | None = None
    key: str | None = None

    def __reduce__(
        self,
    ) -> tuple[
        type[Quarantined],
        tuple[int | None, QuarantineReason, str | None, dict[str, Any], str | None, str | None],
    ]:
        # Pickled through the constructor, so that unpickling works the same when this
        # module is compiled (mypyc would otherwise assign to the frozen fields).
        return (
            Quarantined,
            (self.row_number, self.reason, self.column, self.raw, self.source, self.key),
        )


class RowPlan:
    """What applies to every row of one input: the source given for all (an input
    without a source column), more case-status words (folded word -> state), the store's
    declared identifiers ((attribute, input column), ...: `declared_identifiers`) and
    compared attributes ((attribute, input column, kind), ...: `attribute_values`)."""

    def __init__(
        self,
        source: str | None = None,
        statuses: Mapping[str, str] | None = None,
        identifiers: tuple[tuple[str, str], ...] = (),
        compared: tuple[tuple[str, str, str], ...] = (),
    ):
        self.source = source
        self.statuses: dict[str, str] = dict(statuses or {})
        self.identifiers = identifiers
        self.compared = compared

    def with_identifiers(
        self,
        identifiers: tuple[tuple[str, str], ...],
        compared: tuple[tuple[str, str, str], ...] = (),
    ) -> RowPlan:
        """The plan with the store's declared identifiers and compared attributes."""
        return RowPlan(self.source, self.statuses, identifiers, compared)

    def __reduce__(
        self,
    ) -> tuple[
        type[RowPlan],
        tuple[
            str | None,
            dict[str, str],
            tuple[tuple[str, str], ...],
            tuple[tuple[str, str, str], ...],
        ],
    ]:
        return (RowPlan, (self.source, self.statuses, self.identifiers, self.compared))


class _RejectedRowError(Exception):
    def __init__(self, reason: QuarantineReason, column: str | None) -> None:
        self.reason = reason
        self.column = column


# One encoder for every row: json.dumps with `default=` builds a new encoder per call.
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=json_default)
# Per column layout seen (a file's rows all share one): the keys in sorted order, and each
# key as JSON followed by the separator.
_TEXT_ROW_PLANS: dict[tuple[Any, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}
_MAX_TEXT_ROW_PLANS = 64


def _encode_text_row(raw: Mapping[str, Any]) -> str | None:
    """`_ENCODER.encode(dict(raw))` for a row whose keys and values are all text (every
    CSV row): the same characters, without building an encoder and sorting the items on
    every call. None for any other row."""
    columns = tuple(raw)
    plan = _TEXT_ROW_PLANS.get(columns)
    if plan is None:
        if len(_TEXT_ROW_PLANS) >= _MAX_TEXT_ROW_PLANS:
            return None
        for column in columns:
            if not isinstance(column, str):
                return None
        order = tuple(sorted(columns))
        plan = (order, tuple(encode_basestring(k) + ": " for k in order))
        _TEXT_ROW_PLANS[columns] = plan
    order, prefixes = plan
    parts: list[str] = []
    for i in range(len(order)):
        value = raw[order[i]]
        if value.__class__ is not str:
            return None
        parts.append(prefixes[i] + encode_basestring(value))
    return "{" + ", ".join(parts) + "}"


def serialize(raw: Mapping[str, Any]) -> tuple[SerializedJSON, str]:
    """The row as JSON text (keys sorted, non-ASCII kept), serialized once, and its digest
    (re-ingesting it is a no-op)."""
    payload = _encode_text_row(raw)
    if payload is None:
        payload = _ENCODER.encode(dict(raw))
    return SerializedJSON(payload), hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


def _text(row: Mapping[str, Any], column: str) -> str | None:
    """A column's value as text; None when unknown. Floats and containers are wrong types."""
    value = row.get(column)
    if type(value) is str:  # the common case first (14 times a row); a native strip
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):  # bool is an int: check it first
        raise _RejectedRowError(QuarantineReason.WRONG_TYPE, column)
    if isinstance(value, int):
        return str(value)
    # floats silently lose leading zeros and digits of phones and IDs: refuse them
    raise _RejectedRowError(QuarantineReason.WRONG_TYPE, column)


def _field(row: Mapping[str, Any], column: str, issues: list[str]) -> str | None:
    """`_text` of a value column: a value of the wrong type is unknown, and an issue."""
    value = row.get(column)
    if type(value) is str:
        return value.strip() or None
    if value is None:
        return None
    try:
        return _text(row, column)
    except _RejectedRowError:
        issues.append(column + ":wrong_type")
        return None


def _key(row: Mapping[str, Any], column: str) -> str:
    value = _text(row, column)
    if value is None:
        raise _RejectedRowError(QuarantineReason.MISSING_KEY, column)
    if len(value) > _MAX_KEY[column]:
        raise _RejectedRowError(QuarantineReason.VALUE_TOO_LONG, column)
    return value


def _row_key(row: Mapping[str, Any], plan: RowPlan | None, column: str) -> tuple[Any, ...]:
    """(source, key) of a row set aside, as far as they can be read and stored."""
    out: list[str | None] = []
    for name in ("source", column):
        value = plan.source if name == "source" and plan is not None else None
        if value is None:
            raw = row.get(name)
            value = raw.strip() if isinstance(raw, str) else None
        out.append(value if value and len(value) <= _MAX_KEY[name] else None)
    return tuple(out)


def _timestamp(
    row: Mapping[str, Any], column: str, country: str | None, issues: list[str]
) -> datetime | None:
    value = row.get(column)
    if isinstance(value, datetime):
        return parse_local_timestamp(value.isoformat())
    if isinstance(value, date):
        return parse_local_timestamp(value.isoformat())
    text = _field(row, column, issues)
    if text is None:
        return None
    try:
        return parse_local_timestamp(text, country)
    except ValueError:
        issues.append(column + ":unparseable")
        return None


def _country(row: Mapping[str, Any], default: str | None, issues: list[str]) -> str | None:
    """The record's ISO alpha-2 country: a code, an alpha-3 code or a name; the source's
    default when there is none or it names no country (an issue)."""
    value = _field(row, "country", issues)
    if value is None:
        return default
    code = value.upper()
    if code in _KNOWN_REGIONS:
        return code
    found = normalize_country(value)
    if found is not None and found in _KNOWN_REGIONS:
        return found
    issues.append("country:invalid")
    return default


# Per column layout seen: each column's further columns (`phone_2`, `phone_5`, ...) in
# their numbers' order; most layouts have none. A file's rows share one layout.
_NUMBERED_PLANS: dict[tuple[Any, ...], dict[str, tuple[str, ...]]] = {}
_MAX_NUMBERED_PLANS = 64


def _numbered(row: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The row's further columns per column. Every one given is read, whatever its
    number and whether the numbers before it are there (a JSON row may leave `phone_2`
    out and give `phone_3`): none is left unread while the record says it holds it."""
    layout = tuple(row)
    plan = _NUMBERED_PLANS.get(layout)
    if plan is not None:
        return plan
    found: dict[str, list[tuple[int, str]]] = {}
    for name in layout:
        match = _NUMBERED.fullmatch(name) if isinstance(name, str) else None
        if match is not None:
            found.setdefault(match[1], []).append((int(match[2]), name))
    plan = {column: tuple(name for _, name in sorted(names)) for column, names in found.items()}
    if len(_NUMBERED_PLANS) < _MAX_NUMBERED_PLANS:
        _NUMBERED_PLANS[layout] = plan
    return plan


def _more(
    row: Mapping[str, Any],
    column: str,
    first: str | None,
    issues: list[str],
    further: tuple[str, ...],
) -> list[str]:
    """The values of `column` and of its `further` columns that are given, in order."""
    values = [first] if first is not None else []
    for name in further:
        value = _field(row, name, issues)
        if value is not None:
            values.append(value)
    return values


def _joined(
    row: Mapping[str, Any],
    column: str,
    first: str | None,
    issues: list[str],
    numbered: dict[str, tuple[str, ...]],
) -> Any:
    """A name or an address written over several columns, joined with spaces."""
    further = numbered.get(column)
    if not further:
        return first
    return " ".join(_more(row, column, first, issues, further)) or None


_NO_NAME = (None,) * 8
_NO_EMAIL = (None, None)
_NO_PHONE = (None, None, None)
_NO_NATIONAL_ID = (None, None, None, None)
Columns = tuple[Any, ...]


def _name_columns(
    first: str | None, last: str | None, full: str | None, country: str | None
) -> tuple[Columns, str | None]:
    """given_names ... surname2_key, and the issue."""
    # normalize_name's fields, without building the NormalizedName
    name = name_parts(first, last, full, country)
    if name is None:
        return _NO_NAME, None
    given_names, surnames, given_keys, keys, issue = name
    given_key = given_keys[0] if given_keys else None
    columns = (
        " ".join(given_names) or None,
        " ".join(surnames) or None,
        given_key,
        canonical_given_name(given_key) if given_key else None,
        " ".join(given_keys) or None,
        keys[0] if keys else None,
        keys[1] if len(keys) > 1 else None,
        name_suffix(first, last, full) if given_keys or keys else None,
    )
    return columns, f"name:{issue}" if issue else None


def _email_columns(raw: str | None) -> tuple[Columns, str | None]:
    """email_display, email_key, and the issue."""
    email = email_reading(raw)  # normalize_email's fields, without building it
    if email is None:
        return _NO_EMAIL, None
    display, match_key, _, issue = email
    return (display, match_key), f"email:{issue}" if issue else None


def _phone_columns(raw: str | None, country: str | None) -> tuple[Columns, str | None]:
    """phone_e164, phone_key, phone_kind, and the issue."""
    phone = phone_reading(raw, country)  # normalize_phone's fields, without building it
    if phone is None:
        return _NO_PHONE, None
    e164, kind, placeholder, issue = phone
    columns = (e164, None if placeholder else e164, kind)  # NormalizedPhone.match_key
    return columns, f"phone:{issue}" if issue else None


def _phones(
    row: Mapping[str, Any],
    raw: str | None,
    country: str | None,
    issues: list[str],
    further: tuple[str, ...],
) -> tuple[Columns, tuple[Columns, ...]]:
    """The phone columns: of the one value given (the common case), or of the first valid
    of several (in one cell, or in `phone_2`, ...); and the other valid phones' columns."""
    if not further:
        columns, issue = _phone_columns(raw, country)
        if issue is None or raw is None or _PHONE_SEPARATORS.search(raw) is None:
            if issue is not None:
                issues.append(issue)
            return columns, ()
    values = _more(row, "phone", raw, issues, further)
    parts = [p for v in values for p in _PHONE_SEPARATORS.split(v) if p]
    readings = [_phone_columns(p, country) for p in parts]
    return _first_valid(readings, "phone", issues, _NO_PHONE)


def _emails(
    row: Mapping[str, Any], raw: str | None, issues: list[str], further: tuple[str, ...]
) -> tuple[Columns, tuple[Columns, ...]]:
    """The e-mail columns and the other e-mails' columns, as `_phones` reads phones."""
    if not further:
        columns, issue = _email_columns(raw)
        if issue != "email:invalid" or raw is None or raw.count("@") < 2:
            if issue is not None:
                issues.append(issue)
            return columns, ()
    values = _more(row, "email", raw, issues, further)
    parts = [p for v in values for p in _EMAIL_SEPARATORS.split(v) if p]
    readings = [_email_columns(p) for p in parts]
    return _first_valid(readings, "email", issues, _NO_EMAIL)


# In the phone and e-mail columns: where the match key is.
_KEY_AT = 1


def _first_valid(
    readings: list[tuple[Columns, str | None]],
    column: str,
    issues: list[str],
    empty: Columns,
) -> tuple[Columns, tuple[Columns, ...]]:
    """The first reading with a match key (else the first), the columns of the others
    with distinct match keys, and the issues: the chosen one's own, and `extra_values`
    when another value has no match key (invalid, or a placeholder)."""
    if not readings:
        return empty, ()
    chosen = next((r for r in readings if r[0][_KEY_AT] is not None), readings[0])
    if chosen[1] is not None:
        issues.append(chosen[1])
    key = chosen[0][_KEY_AT]
    seen: set[str] = {key} if key is not None else set()
    others: list[Columns] = []
    invalid = False
    for reading in readings:
        other = reading[0][_KEY_AT]
        if reading is chosen:
            continue
        if other is None:
            invalid = True
        elif other not in seen:
            seen.add(other)
            others.append(reading[0])
    if invalid:
        issues.append(column + ":extra_values")
    return chosen[0], tuple(others) if key is not None else ()


def _single(
    row: Mapping[str, Any],
    column: str,
    first: str | None,
    issues: list[str],
    numbered: dict[str, tuple[str, ...]],
) -> str | None:
    """An identifier read once (national ID, handle): with `column_2`, ... the first
    given value is the record's, the others flagged."""
    further = numbered.get(column)
    if not further:
        return first
    values = _more(row, column, first, issues, further)
    if len(set(values)) > 1:
        issues.append(column + ":extra_values")
    return values[0] if values else None


def _national_id_columns(raw: str | None, country: str | None) -> tuple[Columns, str | None]:
    """national_id, national_id_key, national_id_kind, national_id_valid, and the issue."""
    found = normalize_national_id(raw, country)
    if found is None:
        return _NO_NATIONAL_ID, None
    columns = (found.value, found.match_key, found.kind, found.valid)
    return columns, f"national_id:{found.issue}" if found.issue else None


_NO_BIRTH_DATE = (None, None)


def _birth_date_columns(raw: str | None, country: str | None) -> tuple[Columns, str | None]:
    """birth_date, birth_date_parts (what a date that does not exist says), and the issue."""
    found = birth_date_reading(raw, country)
    if found is None:
        return _NO_BIRTH_DATE, None
    return (found.iso, found.parts), f"date_of_birth:{found.issue}" if found.issue else None


def _postcode_column(raw: str | None, country: str | None) -> tuple[str | None, str | None]:
    """postcode_key and the issue."""
    key, issue = postcode_reading(raw, country)
    return key, "postcode:" + issue if issue is not None else None


# Value issues a strict caller (real time) refuses, and the reason it gives.
_REFUSED = {
    "unparseable": QuarantineReason.UNPARSEABLE_TIMESTAMP,
    "wrong_type": QuarantineReason.WRONG_TYPE,
    "invalid": QuarantineReason.INVALID_COUNTRY,
    "too_long": QuarantineReason.VALUE_TOO_LONG,
}
_TIMESTAMPS = frozenset({"observed_at", "occurred_at"})


def _refusal(
    issues: list[str], row: Mapping[str, Any], row_number: int | None
) -> Quarantined | None:
    """The refusal of a strict caller: the first unreadable or wrongly typed value."""
    for issue in issues:
        column, _, code = issue.partition(":")
        if code == "unparseable" and column not in _TIMESTAMPS:
            continue  # a birth date: a value problem like an invalid phone
        if code == "invalid" and column != "country":
            continue
        reason = _REFUSED.get(code)
        if reason is not None:
            return Quarantined(row_number, reason, column, dict(row))
    return None


def prepare_record_values(
    row: Mapping[str, Any],
    row_number: int | None,
    source_countries: Mapping[str, str] | None = None,
    plan: RowPlan | None = None,
    strict: bool = False,
) -> tuple[Any, ...] | Quarantined:
    """`prepare_record` as a tuple of values in `RECORD_VALUE_COLUMNS` order (the ingest
    hot path: no dict is built)."""
    try:
        given = plan.source if plan is not None else None
        source = given if given is not None else _key(row, "source")
        source_record_id = _key(row, "source_record_id")
    except _RejectedRowError as problem:
        # other names than the key's: compiled, `source` is typed str
        known_source, known_key = _row_key(row, plan, "source_record_id")
        return Quarantined(
            row_number, problem.reason, problem.column, dict(row), known_source, known_key
        )
    issues: list[str] = []
    numbered = _numbered(row)
    country = _country(row, (source_countries or {}).get(source), issues)
    observed_at = _timestamp(row, "observed_at", country, issues)
    first = _joined(row, "first_name", _field(row, "first_name", issues), issues, numbered)
    last = _joined(row, "last_name", _field(row, "last_name", issues), issues, numbered)
    full = _field(row, "full_name", issues)
    email_raw = _field(row, "email", issues)
    phone_raw = _field(row, "phone", issues)
    national_id_raw = _single(
        row, "national_id", _field(row, "national_id", issues), issues, numbered
    )
    address_raw = _joined(row, "address", _field(row, "address", issues), issues, numbered)
    city_raw = _field(row, "city", issues)
    postcode_raw = _field(row, "postcode", issues)
    region_raw = _field(row, "region", issues)
    handle_raw = _single(row, "handle", _field(row, "handle", issues), issues, numbered)
    dob_value = row.get("date_of_birth")
    dob_raw = (
        dob_value.isoformat()
        if isinstance(dob_value, date) and not isinstance(dob_value, datetime)
        else _field(row, "date_of_birth", issues)
    )
    if strict and issues:
        refused = _refusal(issues, row, row_number)
        if refused is not None:
            return refused

    payload, content_hash = serialize(row)
    name, name_issue = _name_columns(first, last, full, country)
    email, more_emails = _emails(row, email_raw, issues, numbered.get("email", ()))
    phone, more_phones = _phones(row, phone_raw, country, issues, numbered.get("phone", ()))
    national_id, national_id_issue = _national_id_columns(national_id_raw, country)
    birth_date, birth_date_issue = _birth_date_columns(dob_raw, country)
    postcode_key, postcode_issue = _postcode_column(postcode_raw, country)
    for issue in (name_issue, national_id_issue, birth_date_issue, postcode_issue):
        if issue is not None:
            issues.append(issue)
    declared = declared_identifiers(row, plan.identifiers) if plan is not None else ()
    extras, forms = _extra_identifiers(more_phones, more_emails, declared[1:])
    compared: str | None = None
    if plan is not None and plan.compared:
        compared, compared_issues = attribute_values(row, plan.compared, country)
        issues.extend(compared_issues)
    return (
        source,
        source_record_id,
        observed_at,
        country,
        content_hash,
        payload,
        *name,
        *email,
        *phone,
        *national_id,
        *birth_date,
        normalize_address(address_raw),
        normalize_city(city_raw),
        postcode_key,
        normalize_region(region_raw, country),
        normalize_handle(handle_raw),
        declared[0] if declared else None,
        compared,
        " ".join(issues) or None,
        extras,
        forms,
    )


_NO_EXTRAS: tuple[ExtraIdentifiers, ExtraForms] = ((), ())


def _extra_identifiers(
    phones: tuple[Columns, ...], emails: tuple[Columns, ...], declared: tuple[str, ...] = ()
) -> tuple[ExtraIdentifiers, ExtraForms]:
    """The `extra_identifiers` of a record (its further phones, then e-mails, then
    declared identifiers) and their forms: a phone's E.164 form and kind
    (`_phone_columns`), an e-mail's written form (a declared identifier has none: its
    key is all that matching and lookups read)."""
    if not phones and not emails and not declared:
        return _NO_EXTRAS
    keys = [("phone", p[_KEY_AT]) for p in phones] + [("email", e[_KEY_AT]) for e in emails]
    keys += [(DECLARED_KIND, key) for key in declared]
    forms = [(p[0], p[2]) for p in phones] + [(e[0], None) for e in emails]
    forms += [(None, None)] * len(declared)
    return tuple(keys), tuple(forms)


# Between several values of a declared identifier in one cell ("LC-1 / LC-2").
_DECLARED_SEPARATORS = re.compile(r"\s*[;,|/\n]\s*")


def declared_identifiers(
    row: Mapping[str, Any], identifiers: tuple[tuple[str, str], ...]
) -> tuple[str, ...]:
    """A row's declared identifiers as keys "<attribute>=<key>", distinct, in the order of
    the declarations and of the values in a cell. A value that is no identifier (blank, a
    placeholder, not text or a whole number) is left out; the raw row keeps it."""
    found: list[str] = []
    for name, column in identifiers:
        value = row.get(column)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            continue
        for part in _DECLARED_SEPARATORS.split(value):
            key = normalize_declared_identifier(part)
            if key is not None and (item := f"{name}={key}") not in found:
                found.append(item)
    return tuple(found)


def prepare_record(
    row: Mapping[str, Any],
    row_number: int | None,
    source_countries: Mapping[str, str] | None = None,
    plan: RowPlan | None = None,
    strict: bool = True,
) -> dict[str, Any] | Quarantined:
    """Normalize one channel record into the `records` table's columns.

    Args:
        row: the record as given: contract columns plus any extra columns.
        row_number: 1-based position in the input, for quarantine rows.
        source_countries: default country per source, for records without `country`.
        plan: what applies to every row of the input (a source given for all).
        strict: refuse an unreadable timestamp or country, or a value of the wrong type
            (real time), instead of keeping the record with that field unknown (ingest).
    """
    values = prepare_record_values(row, row_number, source_countries, plan, strict)
    if isinstance(values, Quarantined):
        return values
    return dict(zip(RECORD_VALUE_COLUMNS, values, strict=True))


def _short(row: Mapping[str, Any], column: str, issues: list[str]) -> str | None:
    """A short text column of an interaction: too long for the store is unknown."""
    value = _field(row, column, issues)
    if value is not None and len(value) > _MAX_TEXT[column]:
        issues.append(column + ":too_long")
        return None
    return value


def prepare_interaction(
    row: Mapping[str, Any],
    row_number: int | None,
    source_countries: Mapping[str, str] | None = None,
    plan: RowPlan | None = None,
    strict: bool = True,
) -> dict[str, Any] | Quarantined:
    """Validate one interaction into the `interactions` table's columns.

    `occurred_at` written day first or month first is read by the source's default
    country; the status is folded to open / resolved / closed when it is a known word
    (`cx360.normalize.vocabulary`, plus `plan.statuses`). `strict` as for
    `prepare_record` (ingest passes False).
    """
    raw = dict(row)
    try:
        given = plan.source if plan is not None else None
        source = given if given is not None else _key(row, "source")
        source_record_id = _key(row, "source_record_id")
        interaction_id = _key(row, "interaction_id")
    except _RejectedRowError as problem:
        known_source, known_key = _row_key(row, plan, "interaction_id")
        return Quarantined(row_number, problem.reason, problem.column, raw, known_source, known_key)
    issues: list[str] = []
    country = (source_countries or {}).get(source)
    status = _short(row, "status", issues)
    if status is not None:
        status = case_status(status, plan.statuses if plan is not None else None)
    out: dict[str, Any] = {
        "source": source,
        "source_record_id": source_record_id,
        "interaction_id": interaction_id,
        "occurred_at": _timestamp(row, "occurred_at", country, issues),
        "type": _short(row, "type", issues),
        "status": status,
        "case_id": _short(row, "case_id", issues),
        "summary": _field(row, "summary", issues),
    }
    if strict and issues:
        refused = _refusal(issues, row, row_number)
        if refused is not None:
            return refused
    out["raw"], out["content_hash"] = serialize(raw)
    out["issues"] = " ".join(issues) or None
    return out
