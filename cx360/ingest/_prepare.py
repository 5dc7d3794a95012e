"""Turn one input row into a storable, normalized row, or into a quarantine entry.

This is the ingest hot path: it runs once per row, in worker processes for large files.
Row-level problems (no key, unreadable timestamp, a value of the wrong type) quarantine
the row with a reason code; value-level problems (an invalid phone, a placeholder email)
keep the row and are listed in its `issues` column, the raw value kept verbatim.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from json.encoder import encode_basestring
from typing import Any

import phonenumbers

from cx360.models import QuarantineReason
from cx360.normalize.addresses import normalize_address, normalize_city
from cx360.normalize.dates import normalize_birth_date, parse_timestamp
from cx360.normalize.emails import email_reading
from cx360.normalize.handles import normalize_handle
from cx360.normalize.names import canonical_given_name, name_parts
from cx360.normalize.national_ids import normalize_national_id
from cx360.normalize.phones import phone_reading
from cx360.store._engine import SerializedJSON, json_default

_KNOWN_REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)
# Limits of the store's key columns.
_MAX_KEY = {"source": 64, "source_record_id": 255, "interaction_id": 255}
# The columns of a prepared record, in the order of `prepare_record_values` (the store's
# column order: `store._writes.prepared_columns(RECORDS)`, checked by a test).
RECORD_VALUE_COLUMNS = (
    "source", "source_record_id", "observed_at", "country", "content_hash", "raw",
    "given_names", "surnames", "given_key", "given_canonical", "given_keys", "surname_key",
    "surname2_key", "email_display", "email_key", "phone_e164", "phone_key", "phone_kind",
    "national_id", "national_id_key", "national_id_kind", "national_id_valid", "birth_date",
    "address_key", "city_key", "handle_key", "issues",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A row that could not be stored, with the reason and, where known, the column."""

    row_number: int | None
    reason: QuarantineReason
    column: str | None
    raw: dict[str, Any]

    def __reduce__(
        self,
    ) -> tuple[type[Quarantined], tuple[int | None, QuarantineReason, str | None, dict[str, Any]]]:
        # Pickled through the constructor, so that unpickling works the same when this
        # module is compiled (mypyc would otherwise assign to the frozen fields).
        return (Quarantined, (self.row_number, self.reason, self.column, self.raw))


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


def _key(row: Mapping[str, Any], column: str) -> str:
    value = _text(row, column)
    if value is None:
        raise _RejectedRowError(QuarantineReason.MISSING_KEY, column)
    if len(value) > _MAX_KEY[column]:
        raise _RejectedRowError(QuarantineReason.VALUE_TOO_LONG, column)
    return value


def _timestamp(row: Mapping[str, Any], column: str) -> datetime | None:
    value = row.get(column)
    if isinstance(value, datetime):
        return parse_timestamp(value.isoformat())
    if isinstance(value, date):
        return parse_timestamp(value.isoformat())
    try:
        return parse_timestamp(_text(row, column))
    except ValueError:
        raise _RejectedRowError(QuarantineReason.UNPARSEABLE_TIMESTAMP, column) from None


def _country(row: Mapping[str, Any], default: str | None) -> str | None:
    value = _text(row, "country")
    if value is None:
        return default
    code = value.upper()
    if code not in _KNOWN_REGIONS:
        raise _RejectedRowError(QuarantineReason.INVALID_COUNTRY, "country")
    return code


_NO_NAME = (None,) * 7
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


def _national_id_columns(raw: str | None, country: str | None) -> tuple[Columns, str | None]:
    """national_id, national_id_key, national_id_kind, national_id_valid, and the issue."""
    found = normalize_national_id(raw, country)
    if found is None:
        return _NO_NATIONAL_ID, None
    columns = (found.value, found.match_key, found.kind, found.valid)
    return columns, f"national_id:{found.issue}" if found.issue else None


def _birth_date_column(raw: str | None, country: str | None) -> tuple[Any, Any]:
    """birth_date and the issue."""
    found = normalize_birth_date(raw, country)
    if found is None:
        return None, None
    return found.iso, f"date_of_birth:{found.issue}" if found.issue else None


def prepare_record_values(
    row: Mapping[str, Any],
    row_number: int | None,
    source_countries: Mapping[str, str] | None = None,
) -> tuple[Any, ...] | Quarantined:
    """`prepare_record` as a tuple of values in `RECORD_VALUE_COLUMNS` order (the ingest
    hot path: no dict is built)."""
    try:
        source = _key(row, "source")
        source_record_id = _key(row, "source_record_id")
        observed_at = _timestamp(row, "observed_at")
        country = _country(row, (source_countries or {}).get(source))
        first = _text(row, "first_name")
        last = _text(row, "last_name")
        full = _text(row, "full_name")
        email_raw = _text(row, "email")
        phone_raw = _text(row, "phone")
        national_id_raw = _text(row, "national_id")
        address_raw = _text(row, "address")
        city_raw = _text(row, "city")
        handle_raw = _text(row, "handle")
        dob_value = row.get("date_of_birth")
        dob_raw = (
            dob_value.isoformat()
            if isinstance(dob_value, date) and not isinstance(dob_value, datetime)
            else _text(row, "date_of_birth")
        )
    except _RejectedRowError as problem:
        return Quarantined(row_number, problem.reason, problem.column, dict(row))

    payload, content_hash = serialize(row)
    name, name_issue = _name_columns(first, last, full, country)
    email, email_issue = _email_columns(email_raw)
    phone, phone_issue = _phone_columns(phone_raw, country)
    national_id, national_id_issue = _national_id_columns(national_id_raw, country)
    birth_date, birth_date_issue = _birth_date_column(dob_raw, country)
    issues = [
        issue
        for issue in (name_issue, email_issue, phone_issue, national_id_issue, birth_date_issue)
        if issue is not None
    ]
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
        birth_date,
        normalize_address(address_raw),
        normalize_city(city_raw),
        normalize_handle(handle_raw),
        " ".join(issues) or None,
    )


def prepare_record(
    row: Mapping[str, Any],
    row_number: int | None,
    source_countries: Mapping[str, str] | None = None,
) -> dict[str, Any] | Quarantined:
    """Normalize one channel record into the `records` table's columns.

    Args:
        row: the record as given: contract columns plus any extra columns.
        row_number: 1-based position in the input, for quarantine rows.
        source_countries: default country per source, for records without `country`.
    """
    values = prepare_record_values(row, row_number, source_countries)
    if isinstance(values, Quarantined):
        return values
    return dict(zip(RECORD_VALUE_COLUMNS, values, strict=True))


def prepare_interaction(
    row: Mapping[str, Any], row_number: int | None
) -> dict[str, Any] | Quarantined:
    """Validate one interaction into the `interactions` table's columns."""
    raw = dict(row)
    try:
        out: dict[str, Any] = {
            "source": _key(row, "source"),
            "source_record_id": _key(row, "source_record_id"),
            "interaction_id": _key(row, "interaction_id"),
            "occurred_at": _timestamp(row, "occurred_at"),
            "type": _text(row, "type"),
            "status": _text(row, "status"),
            "case_id": _text(row, "case_id"),
            "summary": _text(row, "summary"),
        }
    except _RejectedRowError as problem:
        return Quarantined(row_number, problem.reason, problem.column, raw)
    for column in ("type", "status"):
        value = out[column]
        if value is not None and len(value) > 64:
            return Quarantined(row_number, QuarantineReason.VALUE_TOO_LONG, column, raw)
    if out["status"] is not None:
        # statuses are matched case-insensitively (Open/OPEN/open); other values kept as given
        folded = out["status"].casefold()
        if folded in ("open", "resolved", "closed"):
            out["status"] = folded
    out["raw"], out["content_hash"] = serialize(raw)
    return out
