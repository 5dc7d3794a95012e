"""Birth dates and event timestamps.

Birth dates (`normalize_birth_date`) come in whatever form a form or an agent
produced. Accepted:

* year first, always year-month-day: ``1985-03-07``, ``1985/3/7``,
  ``1985.03.07``, ISO date-times (``1985-03-07T00:00:00-05:00``: the date part
  is kept as written, never shifted to another time zone);
* ``YYYYMMDD`` (``19850307``), else ``DDMMYYYY``/``MMDDYYYY`` by the day/month rule;
* day and month numbers with ``/``, ``-``, ``.`` or spaces and a 2- or 4-digit
  year: ``07/03/1985``, ``7-3-1985``, ``07.03.85``;
* month names in English and Spanish, full or abbreviated, in any order with
  a day and a year: ``7 de marzo de 1985``, ``March 7th, 1985``, ``07-MAR-1985``,
  ``marzo 7 1985``, ``jueves, 7 de marzo de 1985``.

Day/month rule: month first for countries that write dates that way (the US and
its territories, the Philippines, Palau, the Marshall Islands, Micronesia),
day first for every other country and when the country is unknown. When only
one order gives a real date (``25/03/1985``, ``03/25/1985``) that order is
taken, whatever the country, with ``ambiguous=False``; when both do and differ
(``03/04/1985``) the country's order is taken and ``ambiguous=True``.

Two-digit years: ``yy`` greater than the current year's two digits is in the
1900s, otherwise in the 2000s (in 2026: ``85`` → 1985, ``26`` → 2026, ``27`` → 1927).

Issues: ``unparseable`` (no reading), ``impossible`` (the shape is a date but
the date does not exist: ``31/02/1990``, ``1990-13-01``), ``placeholder``
(system and agent defaults such as ``1900-01-01``; see `PLACEHOLDER_BIRTH_DATES`),
``out_of_range`` (before 1900 or after today). `NormalizedDate.iso` is set only
when there is no issue.

An impossible or out-of-range date still says something: ``1949-15-25`` is most
likely the 25th of some month of 1949, ``9185-10-14`` the 14th of October of some
year. When two of its three parts are valid on their own (a year from 1900 to this
year, a month from 1 to 12, a day from 1 to 31), `NormalizedDate.parts` keeps the
date as written, ``YYYY-MM-DD`` in the order the reading gave (year first; day and
month by the day/month rule), so that a comparison can still find the two parts
that agree with another record's date. It is never a date: the issue stays.

Timestamps (`parse_timestamp`) are strict: ISO 8601 (extended or basic,
``T`` or a space, fractional seconds, ``Z``/``UTC``/offsets; 8 digits are a
basic-format date), or epoch seconds (9-11 digits) or milliseconds (12-14
digits). They come back in UTC; text without an offset is taken as UTC.

`parse_local_timestamp` also reads timestamps the way spreadsheets and CRMs of a
country write them: a date as `normalize_birth_date` reads it (``14/06/2024``,
``6/14/2024`` in the US, ``14-jun-2024``, ``2024/06/14``) followed, or not, by a
time (``10:50``, ``10:50:33``, ``10:50 p. m.``, ``10:50 PM``, an offset). Day and
month follow the same rule as birth dates. Without an offset the time is taken as
UTC, as for ISO text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Final, NamedTuple

__all__ = [
    "MONTH_FIRST_COUNTRIES",
    "MONTH_NAMES",
    "PLACEHOLDER_BIRTH_DATES",
    "NormalizedDate",
    "calendar_date_reading",
    "normalize_birth_date",
    "parse_local_timestamp",
    "parse_timestamp",
]

# The parse is cached on the folded text, the reading on the text as given and today.
_CACHE_SIZE: Final = 2**17
_MAX_LEN: Final = 64
_MIN_BIRTH_YEAR: Final = 1900

# Countries writing numeric dates month first (CLDR short date patterns).
MONTH_FIRST_COUNTRIES: Final = frozenset(
    {"US", "PR", "GU", "VI", "AS", "MP", "UM", "PH", "PW", "MH", "FM"}
)

# Defaults of databases, spreadsheets and agents typing "any date".
PLACEHOLDER_BIRTH_DATES: Final = frozenset(
    {
        date(1, 1, 1),  # .NET / Java minimum
        date(1111, 11, 11),
        date(1753, 1, 1),  # SQL Server datetime minimum
        date(1800, 1, 1),
        date(1899, 12, 30),  # Excel / OLE automation day 0
        date(1899, 12, 31),
        date(1900, 1, 1),  # Excel day 1, common CRM default
        date(1901, 1, 1),
        date(2999, 12, 31),
        date(9999, 12, 31),  # "no end" maximum
    }
)

MONTH_NAMES: Final[dict[str, int]] = {
    # English
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
    # Spanish (accents are removed before lookup)
    "enero": 1,
    "ene": 1,
    "febrero": 2,
    "marzo": 3,
    "abril": 4,
    "abr": 4,
    "mayo": 5,
    "junio": 6,
    "julio": 7,
    "agosto": 8,
    "ago": 8,
    "septiembre": 9,
    "setiembre": 9,
    "set": 9,
    "octubre": 10,
    "noviembre": 11,
    "diciembre": 12,
    "dic": 12,
}

# Words that may surround a written date without changing it.
_FILLER_WORDS: Final = frozenset(
    {
        "de",
        "del",
        "of",
        "the",
        "el",
        "st",
        "nd",
        "rd",
        "th",
        "ro",
        "er",
        "o",
        "a",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "lunes",
        "martes",
        "miercoles",
        "jueves",
        "viernes",
        "sabado",
        "domingo",
    }
)

_TIME_SUFFIX: Final = (
    r"(?:(?:t|\s+)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:am|pm|a\.m\.|p\.m\.)?"
    r"\s*(?:z|utc|gmt|[+-]\d{2}(?::?\d{2})?)?)?"
)
_YMD_RE: Final = re.compile(r"(\d{4})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{1,2})" + _TIME_SUFFIX)
_YMD_SPACED_RE: Final = re.compile(r"(\d{4})\s+(\d{1,2})\s+(\d{1,2})")
_NUMERIC_RE: Final = re.compile(
    r"(\d{1,2})\s*(?:[-/.]\s*|\s)(\d{1,2})\s*(?:[-/.]\s*|\s)(\d{4}|\d{2})" + _TIME_SUFFIX
)
_TOKEN_RE: Final = re.compile(r"[a-z]+|\d+")
_ALLOWED_TEXT_RE: Final = re.compile(r"[a-z0-9\s,./\-]+")


@dataclass(frozen=True, slots=True)
class NormalizedDate:
    """A birth date read from one source value.

    Attributes:
        raw: The value exactly as given.
        iso: ``"YYYY-MM-DD"``; None whenever `issue` is set.
        issue: None, ``"unparseable"``, ``"impossible"``, ``"out_of_range"``
            or ``"placeholder"``.
        ambiguous: True when day and month could be swapped and the order came
            from the country rule (``03/04/1985``).
        parts: For an ``impossible`` or ``out_of_range`` date with two valid parts,
            the date as written, ``"YYYY-MM-DD"`` (``"1949-15-25"``); else None.
    """

    raw: str
    iso: str | None
    issue: str | None
    ambiguous: bool
    parts: str | None = None

    def __reduce__(
        self,
    ) -> tuple[type[NormalizedDate], tuple[str, str | None, str | None, bool, str | None]]:
        # Pickled through the constructor, so that unpickling works the same when this
        # module is compiled (mypyc would otherwise assign to the frozen fields).
        return (NormalizedDate, (self.raw, self.iso, self.issue, self.ambiguous, self.parts))


class _Parsed(NamedTuple):
    """A calendar date (or the reason there is none), before range checks; `written`,
    for an impossible date, its year, month and day as read."""

    value: date | None
    issue: str | None
    ambiguous: bool
    written: tuple[int, int, int] | None = None


_UNPARSEABLE: Final = _Parsed(None, "unparseable", False)


def _impossible(year: int, month: int, day: int) -> _Parsed:
    return _Parsed(None, "impossible", False, (year, month, day))


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _full_year(year_text: str, pivot: int) -> int:
    year = int(year_text)
    if len(year_text) == 2:
        return 1900 + year if year > pivot else 2000 + year
    return year


def _day_month(first: int, second: int, year: int, month_first: bool) -> _Parsed:
    """Resolve ``first/second/year`` where either number may be the day."""
    day_first = _make_date(year, second, first)
    month_first_date = _make_date(year, first, second)
    preferred, other = (
        (month_first_date, day_first) if month_first else (day_first, month_first_date)
    )
    if preferred is not None:
        return _Parsed(preferred, None, other is not None and other != preferred)
    if other is not None:
        return _Parsed(other, None, False)
    return _impossible(year, first, second) if month_first else _impossible(year, second, first)


def _fold(text: str) -> str:
    """Lowercase, NFKC, without accents (``miércoles`` → ``miercoles``)."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _parse_compact(digits: str, month_first: bool) -> _Parsed:
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    value = _make_date(year, month, day)
    if value is not None and value.year >= 1800:
        return _Parsed(value, None, False)
    read = _day_month(int(digits[:2]), int(digits[2:4]), int(digits[4:]), month_first)
    if read.value is None and year >= 1800:
        return _impossible(year, month, day)  # no reading either way: a year first
    return read


def _parse_named(text: str, pivot: int) -> _Parsed:
    """Dates with a month name: one month, one day and one year, in any order."""
    if _ALLOWED_TEXT_RE.fullmatch(text) is None:
        return _UNPARSEABLE
    month: int | None = None
    numbers: list[str] = []
    month_position = -1
    for token in _TOKEN_RE.findall(text):
        if token.isdigit():
            numbers.append(token)
        elif token in MONTH_NAMES and month is None:
            month = MONTH_NAMES[token]
            month_position = len(numbers)
        elif token not in _FILLER_WORDS:
            return _UNPARSEABLE
    if month is None or len(numbers) != 2:
        return _UNPARSEABLE
    first, second = numbers
    if len(first) <= 2 and len(second) in (2, 4) and month_position <= 1:
        day_text, year_text = first, second  # "7 mar 1985", "march 7 85", "07-mar-85"
    elif len(first) == 4 and len(second) <= 2:
        year_text, day_text = first, second  # "1985 mar 07", "1985-march-7"
    else:
        return _UNPARSEABLE
    year = _full_year(year_text, pivot)
    value = _make_date(year, month, int(day_text))
    return _impossible(year, month, int(day_text)) if value is None else _Parsed(value, None, False)


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_birth_date(text: str, month_first: bool, pivot: int) -> _Parsed:
    """Read a folded date text; `pivot` is the current year's last two digits."""
    if text.isdigit():
        return _parse_compact(text, month_first) if len(text) == 8 else _UNPARSEABLE
    match = _YMD_RE.fullmatch(text) or _YMD_SPACED_RE.fullmatch(text)
    if match is not None:
        groups = [g for g in match.groups() if g is not None and g.isdigit()]
        year, month, day = int(groups[0]), int(groups[1]), int(groups[2])
        value = _make_date(year, month, day)
        return _impossible(year, month, day) if value is None else _Parsed(value, None, False)
    match = _NUMERIC_RE.fullmatch(text)
    if match is not None:
        first, second, year_text = match.groups()
        return _day_month(int(first), int(second), _full_year(year_text, pivot), month_first)
    if any("a" <= ch <= "z" for ch in text):
        return _parse_named(text, pivot)
    return _UNPARSEABLE


def _check_range(parsed: _Parsed, today: date) -> tuple[str | None, str | None]:
    """(iso, issue) after placeholder and range checks."""
    value = parsed.value
    if value is None:
        return None, parsed.issue
    if value in PLACEHOLDER_BIRTH_DATES:
        return None, "placeholder"
    if value.year < _MIN_BIRTH_YEAR or value > today:
        return None, "out_of_range"
    return value.isoformat(), None


def _written_parts(parsed: _Parsed, issue: str | None, today: date) -> str | None:
    """`NormalizedDate.parts`: what an impossible or out-of-range date says, when two of
    its parts are valid on their own (one wrong part is one keying slip; with two wrong,
    the date says too little to compare)."""
    if issue == "impossible" and parsed.written is not None:
        year, month, day = parsed.written
    elif issue == "out_of_range" and parsed.value is not None:
        year, month, day = parsed.value.year, parsed.value.month, parsed.value.day
    else:
        return None
    valid = (_MIN_BIRTH_YEAR <= year <= today.year) + (1 <= month <= 12) + (1 <= day <= 31)
    if valid < 2 or year > 9999 or month > 99 or day > 99:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


class BirthDateReading(NamedTuple):
    """What `normalize_birth_date` reads from a value, without the value (see there)."""

    iso: str | None
    issue: str | None
    ambiguous: bool
    parts: str | None


_TOO_LONG: Final = BirthDateReading(None, "unparseable", False, None)


@lru_cache(maxsize=_CACHE_SIZE)
def _reading(raw: str, month_first: bool, today: date) -> BirthDateReading:
    parsed = _parse_birth_date(_fold(raw), month_first, today.year % 100)
    iso, issue = _check_range(parsed, today)
    parts = _written_parts(parsed, issue, today)
    return BirthDateReading(iso, issue, parsed.ambiguous and issue is None, parts)


class _Today:
    """Today's date, read from the clock once every `every` calls: a clock read costs as
    much as a cached reading (a system call on some virtual machines) and the date moves
    once a day."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.left = 0
        self.value = date.today()

    def get(self) -> date:
        self.left -= 1
        if self.left < 0:
            self.value = date.today()
            self.left = self.every
        return self.value


_today: Final = _Today(4096)


def birth_date_reading(raw: str | None, country: str | None = None) -> BirthDateReading | None:
    """`normalize_birth_date` without the `NormalizedDate` (ingest's fast path)."""
    if raw is None or not raw.strip():
        return None
    if len(raw) > _MAX_LEN:
        return _TOO_LONG
    month_first = country is not None and country.strip().upper() in MONTH_FIRST_COUNTRIES
    return _reading(raw, month_first, _today.get())


def normalize_birth_date(raw: str | None, country: str | None = None) -> NormalizedDate | None:
    """Read a birth date.

    Args:
        raw: The value as found in the source; may be None.
        country: The record's country as ISO 3166-1 alpha-2 (any case); it
            decides day-first or month-first reading of numeric dates.

    Returns:
        None for None or blank input; otherwise a `NormalizedDate`.
    """
    found = birth_date_reading(raw, country)
    return None if found is None or raw is None else NormalizedDate(raw, *found)


def calendar_date_reading(
    raw: str | None, country: str | None = None
) -> tuple[str | None, str | None] | None:
    """A date that is no birth date (a visit, a contract, an expiry), read in the forms
    and by the day/month rule of birth dates, without their range and placeholder checks
    (such a date may lie ahead, or be 1900-01-01): ``(iso, None)``, or ``(None, issue)``
    with ``"unparseable"`` or ``"impossible"``; None for None or blank input."""
    if raw is None or not raw.strip():
        return None
    if len(raw) > _MAX_LEN:
        return None, "unparseable"
    month_first = country is not None and country.strip().upper() in MONTH_FIRST_COUNTRIES
    parsed = _parse_birth_date(_fold(raw), month_first, _today.get().year % 100)
    if parsed.value is None:
        return None, parsed.issue
    return parsed.value.isoformat(), None


# --------------------------------------------------------------------------- #
# Timestamps
# --------------------------------------------------------------------------- #

_OFFSET: Final = r"(?:\s*(z|utc|gmt|[+-]\d{2}(?::?\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?))?"
_TS_EXTENDED_RE: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[t ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?" + _OFFSET + r")?"
)
_TS_BASIC_RE: Final = re.compile(
    r"(\d{4})(\d{2})(\d{2})"
    r"(?:t(\d{2})(\d{2})(?:(\d{2})(?:[.,](\d{1,9}))?)?" + _OFFSET + r")?"
)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_UNPARSEABLE_TIMESTAMP: Final = "unparseable timestamp"


def _offset(text: str | None) -> timezone:
    if text is None or text in ("z", "utc", "gmt"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    parts = text[1:].replace(":", "")
    hours = int(parts[:2])
    minutes = int(parts[2:4] or 0)
    seconds = float(text.rsplit(":", 1)[1]) if text.count(":") == 2 else 0.0
    if hours > 23 or minutes > 59:
        raise ValueError(_UNPARSEABLE_TIMESTAMP)
    return timezone(sign * timedelta(hours=hours, minutes=minutes, seconds=seconds))


def _parse_utc_seconds(text: str) -> datetime | None:
    """Fast path for the commonest export shape, `2024-03-07t10:15:00z` (already folded):
    the C parser instead of the regex. None when the text has another shape."""
    if len(text) != 20 or text[19] != "z" or text[10] not in "t " or not text[:19].isascii():
        return None
    if text[4] != "-" or text[7] != "-" or text[13] != ":" or text[16] != ":":
        return None
    if not (text[:4] + text[5:7] + text[8:10] + text[11:13] + text[14:16] + text[17:19]).isdigit():
        return None
    # with the offset in the text the C parser returns it aware (tzinfo `UTC` itself):
    # much cheaper than parsing naive and calling .replace(tzinfo=UTC)
    return datetime.fromisoformat(text[:19] + "+00:00")


# Not cached: event timestamps are nearly all distinct, and parsing costs ~3 µs.
def _parse_timestamp(text: str) -> datetime:
    fast = _parse_utc_seconds(text)
    if fast is not None:
        return fast
    if text.isascii() and text.isdigit():
        if 9 <= len(text) <= 11:
            return _EPOCH + timedelta(seconds=int(text))
        if 12 <= len(text) <= 14:
            return _EPOCH + timedelta(milliseconds=int(text))
        if len(text) != 8:
            raise ValueError(_UNPARSEABLE_TIMESTAMP)
    match = _TS_EXTENDED_RE.fullmatch(text) or _TS_BASIC_RE.fullmatch(text)
    if match is None:
        raise ValueError(_UNPARSEABLE_TIMESTAMP)
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    value = datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        micro,
        tzinfo=_offset(offset),
    )
    return value.astimezone(UTC)


def parse_timestamp(raw: str | None) -> datetime | None:
    """Read an event timestamp (``observed_at``, ``occurred_at``).

    Args:
        raw: ISO 8601 text (``2024-03-07``, ``2024-03-07T10:15:00Z``,
            ``2024-03-07 10:15:00.123+05:00``, ``20240307T101500Z``), or epoch
            seconds (9-11 digits) or milliseconds (12-14 digits); may be None.

    Returns:
        A timezone-aware datetime in UTC (text without an offset is taken as
        UTC), or None for None or blank input.

    Raises:
        ValueError: ``"unparseable timestamp"`` when the text is none of the
            above or names a time that does not exist. The value is never
            included in the message.
    """
    if raw is None:
        return None
    text = raw.strip().lower()
    if not text:
        return None
    if len(text) > _MAX_LEN:
        raise ValueError(_UNPARSEABLE_TIMESTAMP)
    try:
        return _parse_timestamp(text)
    except (ValueError, OverflowError):
        raise ValueError(_UNPARSEABLE_TIMESTAMP) from None


# A time after a written date: hours and minutes, maybe seconds and a fraction, maybe a
# 12-hour mark (``pm``, ``p. m.``, ``p.m.``), maybe an offset.
_LOCAL_TIME_RE: Final = re.compile(
    r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(?:([ap])\.?\s*m\.?)?" + _OFFSET
)
# Where the time starts: the first "h:mm" preceded by a space, a "t" or a comma.
_TIME_START_RE: Final = re.compile(r"[\s,t]+(?=\d{1,2}:\d{2})")


def _local_time(text: str) -> tuple[int, int, int, int, timezone]:
    """(hour, minute, second, microsecond, zone) of a written time; ValueError if none."""
    match = _LOCAL_TIME_RE.fullmatch(text)
    if match is None:
        raise ValueError(_UNPARSEABLE_TIMESTAMP)
    hour_text, minute, second, fraction, half, offset = match.groups()
    hour = int(hour_text)
    if half is not None:  # 12-hour clock: 12 a.m. is midnight, 12 p.m. noon
        if not 1 <= hour <= 12:
            raise ValueError(_UNPARSEABLE_TIMESTAMP)
        hour = hour % 12 + (12 if half == "p" else 0)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    return hour, int(minute), int(second or 0), micro, _offset(offset)


def _local_timestamp(text: str, month_first: bool) -> datetime:
    """A folded date, maybe followed by a time, read as `normalize_birth_date` reads
    dates; ValueError when it is not one."""
    start = _TIME_START_RE.search(text)
    date_text, time_text = (text[: start.start()], text[start.end() :]) if start else (text, "")
    parsed = _parse_birth_date(date_text.strip(), month_first, _today.get().year % 100)
    if parsed.value is None:
        raise ValueError(_UNPARSEABLE_TIMESTAMP)
    day = parsed.value
    if not time_text:
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    hour, minute, second, micro, zone = _local_time(time_text.strip())
    value = datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=zone)
    return value.astimezone(UTC)


def parse_local_timestamp(raw: str | None, country: str | None = None) -> datetime | None:
    """Read an event timestamp as ISO text (`parse_timestamp`) or as a country writes it.

    Args:
        raw: ``2024-06-14T10:50:00Z`` and the other forms of `parse_timestamp`, or a
            written date with an optional time: ``14/06/2024 10:50``,
            ``14/06/2024 10:50:33``, ``14/06/2024 10:50 p. m.``, ``6/14/2024 10:50 AM``
            (month first in the US), ``14-jun-2024 10:50``, ``2024/06/14 10:50``.
        country: ISO alpha-2 of the source's market; it decides day or month first
            (as for birth dates: day first unless the country writes month first).

    Returns:
        A timezone-aware datetime in UTC (text without an offset is taken as UTC), or
        None for None or blank input.

    Raises:
        ValueError: ``"unparseable timestamp"`` when the text is no timestamp.
    """
    try:
        return parse_timestamp(raw)
    except ValueError:
        pass
    text = unicodedata.normalize("NFKC", raw or "").strip().lower()
    month_first = country is not None and country.strip().upper() in MONTH_FIRST_COUNTRIES
    try:
        return _local_timestamp(_fold(text), month_first)
    except (ValueError, OverflowError):
        raise ValueError(_UNPARSEABLE_TIMESTAMP) from None


_TWO_DIGITS: Final = tuple(f"{n:02d}" for n in range(100))


def naive_text(value: datetime) -> str:
    """`value.isoformat(" ", "microseconds")[:26]`: the date and time fields as
    ``YYYY-MM-DD HH:MM:SS.ffffff``, the offset left out (SQLite's text for a UTC
    timestamp). Written field by field: compiled, ~4× faster than `isoformat`, which
    also formats the offset (this runs once per ingested record)."""
    year = value.year
    if year < 1000:
        return value.isoformat(" ", "microseconds")[:26]
    two = _TWO_DIGITS
    micro = value.microsecond
    return (
        str(year)
        + "-"
        + two[value.month]
        + "-"
        + two[value.day]
        + " "
        + two[value.hour]
        + ":"
        + two[value.minute]
        + ":"
        + two[value.second]
        + ("." + str(micro).zfill(6) if micro else ".000000")
    )
