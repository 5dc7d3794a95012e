"""Values of the attributes a store declares to compare (`Hub.declare_attribute`).

Each kind reads a value its own way, so that the matching model compares like with like:

* ``exact``: the text case-folded (NFKC), its spaces trimmed and collapsed; compared
  equal or not (a membership tier, a plan code, a blood group);
* ``text``: folded as names are (`text.fold`: no accents, no punctuation), compared
  for similarity (a company, a school, a street of one's own);
* ``date``: read as birth dates are read (`dates.calendar_date_reading`), without their
  range checks, as ``YYYY-MM-DD``;
* ``number``: a decimal number, as a float. A separator written once is the decimal one
  (``12,5`` and ``12.5`` are one number), as spreadsheets of either habit write them;
  several of one kind group thousands (``1.234.567``, ``1,234,567``); with both, the
  last is the decimal one (``1.234,56``, ``1,234.56``).

A value that cannot be read has no value (the comparison takes it as unknown) and an
issue (``unparseable``, ``impossible``, ``too_long``), as other bad values have: the raw
row keeps it as it came.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Final

from cx360.normalize.dates import calendar_date_reading
from cx360.normalize.text import fold

__all__ = [
    "MAX_ATTRIBUTE_CHARS",
    "AttributeValue",
    "attribute_reading",
    "attribute_values",
    "value_key",
]

# Longer text is a note, not a value to match on.
MAX_ATTRIBUTE_CHARS: Final = 255
# A read value (text, ISO date or float) or its issue; (None, None) for no value.
AttributeValue = tuple[str | float | None, str | None]
_NONE: Final[AttributeValue] = (None, None)
_UNPARSEABLE: Final[AttributeValue] = (None, "unparseable")
_NUMBER: Final = re.compile(r"[+-]?[0-9.,]*[0-9][0-9.,]*")
_GROUPED: Final = re.compile(r"[0-9]{1,3}([.,])[0-9]{3}(\1[0-9]{3})*")


def value_key(kind: str, name: str) -> str:
    """The key of an attribute's value in a record's values: "<kind>_<attribute>" (the
    kind in the key lets the values describe themselves)."""
    return f"{kind}_{name}"


def attribute_values(
    row: Mapping[str, object],
    compared: tuple[tuple[str, str, str], ...],
    country: str | None = None,
) -> tuple[str | None, tuple[str, ...]]:
    """A row's values of the compared attributes ((name, input column, kind), ...), as
    the JSON text `records.attribute_values` holds (None: none), and the issues of the
    values that could not be read ("<attribute>:<issue>")."""
    values: dict[str, str | float] = {}
    issues: list[str] = []
    for name, column, kind in compared:
        value, issue = attribute_reading(kind, row.get(column), country)
        if value is not None:
            values[value_key(kind, name)] = value
        elif issue is not None:
            issues.append(f"{name}:{issue}")
    if not values:
        return None, tuple(issues)
    text = json.dumps(dict(sorted(values.items())), ensure_ascii=False, separators=(",", ":"))
    return text, tuple(issues)


def attribute_reading(kind: str, value: object, country: str | None = None) -> AttributeValue:
    """The value of a declared compared attribute of `kind`, or its issue.

    Args:
        kind: 'exact', 'text', 'date' or 'number'.
        value: the cell as given (text; a number or a date as a reader typed it).
        country: the record's country, for the day/month order of dates.
    """
    if value is None or isinstance(value, bool):
        return _NONE if value is None else _UNPARSEABLE
    if kind == "number":
        return _number(value)
    if kind == "date":
        return _date(value, country)
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return (None, "wrong_type")
    if len(value) > MAX_ATTRIBUTE_CHARS:
        return (None, "too_long")
    key = _text_key(value) if kind == "text" else _exact_key(value)
    return (key or None, None)


@lru_cache(maxsize=65_536)
def _exact_key(raw: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", raw).casefold().split())


@lru_cache(maxsize=65_536)
def _text_key(raw: str) -> str:
    return fold(raw)


def _date(value: object, country: str | None) -> AttributeValue:
    if isinstance(value, datetime):
        return (value.date().isoformat(), None)
    if isinstance(value, date):
        return (value.isoformat(), None)
    if not isinstance(value, str):
        return (None, "wrong_type")
    found = calendar_date_reading(value, country)
    return _NONE if found is None else found


def _number(value: object) -> AttributeValue:
    if isinstance(value, int):
        return _finite(float(value))
    if isinstance(value, float):
        return _finite(value)
    if not isinstance(value, str):
        return (None, "wrong_type")
    return _number_text(value)


def _finite(number: float) -> AttributeValue:
    return (number, None) if math.isfinite(number) else _UNPARSEABLE


@lru_cache(maxsize=65_536)
def _number_text(raw: str) -> AttributeValue:
    text = "".join(unicodedata.normalize("NFKC", raw).split())  # "1 234,5"
    if not text:
        return _NONE
    if len(text) > 64 or _NUMBER.fullmatch(text) is None:
        return _UNPARSEABLE
    sign, digits = ("-", text[1:]) if text[0] == "-" else ("", text.lstrip("+"))
    plain = _plain_decimal(digits)
    if plain is None:
        return _UNPARSEABLE
    return _finite(float(sign + plain))


def _plain_decimal(digits: str) -> str | None:
    """`digits` (digits, "." and ",") with "." as the only, decimal, separator."""
    dots, commas = digits.count("."), digits.count(",")
    if dots and commas:
        decimal = "." if digits.rfind(".") > digits.rfind(",") else ","
        whole, _, fraction = digits.rpartition(decimal)
        grouping = "," if decimal == "." else "."
        if decimal in whole or _GROUPED.fullmatch(whole) is None or grouping not in whole:
            return None
        return whole.replace(grouping, "") + "." + fraction
    if dots + commas > 1:
        return digits.replace(",", "").replace(".", "") if _GROUPED.fullmatch(digits) else None
    plain = digits.replace(",", ".")
    return plain if plain[-1] != "." else plain + "0"
