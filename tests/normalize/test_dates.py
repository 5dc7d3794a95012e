"""Birth dates (formats, day/month order, placeholders, ranges) and timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cx360.normalize.dates import (
    NormalizedDate,
    normalize_birth_date,
    parse_local_timestamp,
    parse_timestamp,
)

SPANISH_MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]
COUNTRIES = [None, "CO", "MX", "ES", "US", "us", "PH", "XX"]


@pytest.mark.parametrize(
    ("raw", "country", "iso", "ambiguous"),
    [
        ("1985-03-07", None, "1985-03-07", False),
        ("1985/03/07", "CO", "1985-03-07", False),
        ("1985.3.7", "ES", "1985-03-07", False),
        ("1985 03 07", None, "1985-03-07", False),
        ("19850307", "US", "1985-03-07", False),
        ("1985-03-07T00:00:00", None, "1985-03-07", False),
        ("1985-03-07T00:00:00.000Z", None, "1985-03-07", False),
        ("1985-03-07T23:00:00-05:00", None, "1985-03-07", False),  # never shifted
        ("1985-03-07 00:00:00", None, "1985-03-07", False),
        ("07/03/1985", "CO", "1985-03-07", True),
        ("07/03/1985", "MX", "1985-03-07", True),
        ("07/03/1985", None, "1985-03-07", True),
        ("7-3-1985", "ES", "1985-03-07", True),
        ("07.03.1985", "ES", "1985-03-07", True),
        ("07 03 1985", "CO", "1985-03-07", True),
        ("03/07/1985", "US", "1985-03-07", True),
        ("03/07/1985", "us", "1985-03-07", True),
        ("03/07/1985", "PH", "1985-03-07", True),
        ("07031985", "CO", "1985-03-07", True),
        ("03071985", "US", "1985-03-07", True),
        ("07/07/1985", "CO", "1985-07-07", False),  # same either way
        ("25/03/1985", "CO", "1985-03-25", False),
        ("25/03/1985", "US", "1985-03-25", False),  # only one reading is a date
        ("03/25/1985", "CO", "1985-03-25", False),
        ("07/03/85", "CO", "1985-03-07", True),
        ("29/02/2000", "CO", "2000-02-29", False),
        # month names
        ("7 de marzo de 1985", "CO", "1985-03-07", False),
        ("7 de Marzo del 1985", None, "1985-03-07", False),
        ("jueves, 7 de marzo de 1985", None, "1985-03-07", False),
        ("March 7, 1985", "US", "1985-03-07", False),
        ("March 7th, 1985", None, "1985-03-07", False),
        ("7 mar 1985", None, "1985-03-07", False),
        ("07-MAR-1985", None, "1985-03-07", False),
        ("07-MAR-85", None, "1985-03-07", False),
        ("marzo 7 1985", None, "1985-03-07", False),
        ("1985-mar-07", None, "1985-03-07", False),
        ("1º de enero de 1990", "MX", "1990-01-01", False),
        ("7 sept. 1985", None, "1985-09-07", False),
        ("7 setiembre 1985", None, "1985-09-07", False),
        ("7 dic 1985", None, "1985-12-07", False),
        ("7 DE AGOSTO DE 1985", None, "1985-08-07", False),
        ("Sábado 7 de Diciembre de 1985", None, "1985-12-07", False),
        # noise
        ("  1985-03-07  ", None, "1985-03-07", False),
        ("１９８５-０３-０７", None, "1985-03-07", False),
    ],
)
def test_formats(raw: str, country: str | None, iso: str, ambiguous: bool) -> None:
    assert normalize_birth_date(raw, country) == NormalizedDate(raw, iso, None, ambiguous)


@pytest.mark.parametrize(
    ("raw", "issue"),
    [
        ("31/02/1990", "impossible"),
        ("30-02-1990", "impossible"),
        ("1990-13-01", "impossible"),
        ("1990-02-30", "impossible"),
        ("13/13/1990", "impossible"),
        ("29/02/1900", "impossible"),
        ("31 de febrero de 1990", "impossible"),
        ("19901301", "impossible"),
        ("1900-01-01", "placeholder"),
        ("01/01/1900", "placeholder"),
        ("1901-01-01", "placeholder"),
        ("1111-11-11", "placeholder"),
        ("0001-01-01", "placeholder"),
        ("9999-12-31", "placeholder"),
        ("1899-12-31", "placeholder"),
        ("1850-05-05", "out_of_range"),
        ("3000-01-01", "out_of_range"),
        ("hello", "unparseable"),
        ("N/A", "unparseable"),
        ("12", "unparseable"),
        ("1985", "unparseable"),
        ("1985-03", "unparseable"),
        ("march 1985", "unparseable"),
        ("7 foo 1985", "unparseable"),
        ("1985-03-07 garbage", "unparseable"),
        ("x" * 200, "unparseable"),
    ],
)
def test_issues(raw: str, issue: str) -> None:
    result = normalize_birth_date(raw, "CO")
    assert result is not None
    assert (result.iso, result.issue, result.ambiguous) == (None, issue, False)


@pytest.mark.parametrize(
    ("raw", "country", "issue", "parts"),
    [
        # two valid parts: the date as written, year first
        ("1949-15-25", None, "impossible", "1949-15-25"),
        ("1949-00-13", None, "impossible", "1949-00-13"),
        ("2001-12-64", None, "impossible", "2001-12-64"),
        ("1990-02-30", None, "impossible", "1990-02-30"),
        ("19491525", None, "impossible", "1949-15-25"),
        ("31/02/1990", "CO", "impossible", "1990-02-31"),
        ("13/13/1990", "CO", "impossible", "1990-13-13"),
        ("02/31/1990", "US", "impossible", "1990-02-31"),
        ("31 de febrero de 1990", "CO", "impossible", "1990-02-31"),
        ("9185-10-14", None, "out_of_range", "9185-10-14"),
        ("1850-05-05", None, "out_of_range", "1850-05-05"),
        # fewer than two valid parts, a placeholder, no reading: nothing to compare
        ("1949-15-45", None, "impossible", None),
        ("9185-13-14", None, "impossible", None),
        ("1900-01-01", None, "placeholder", None),
        ("hello", None, "unparseable", None),
    ],
)
def test_a_date_that_does_not_exist_keeps_its_valid_parts(
    raw: str, country: str | None, issue: str, parts: str | None
) -> None:
    assert normalize_birth_date(raw, country) == NormalizedDate(raw, None, issue, False, parts)


def test_a_real_date_has_no_parts() -> None:
    result = normalize_birth_date("1949-05-25")
    assert result is not None
    assert (result.iso, result.parts) == ("1949-05-25", None)


def test_future_is_out_of_range() -> None:
    tomorrow = date.today() + timedelta(days=1)
    result = normalize_birth_date(tomorrow.isoformat())
    assert result is not None
    assert result.issue == "out_of_range"
    today = normalize_birth_date(date.today().isoformat())
    assert today is not None
    assert today.iso == date.today().isoformat()


def test_two_digit_year_pivot() -> None:
    yy = date.today().year % 100
    next_yy = (yy + 1) % 100
    this = normalize_birth_date(f"01/01/{yy:02d}", "CO")
    assert this is not None
    assert this.iso == f"{2000 + yy}-01-01"
    if next_yy != 0:  # in 2099 the next two-digit year wraps to 00
        previous_century = normalize_birth_date(f"01/01/{next_yy:02d}", "CO")
        assert previous_century is not None
        assert previous_century.iso == f"{1900 + next_yy}-01-01"


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_blank_is_none(raw: str | None) -> None:
    assert normalize_birth_date(raw, "CO") is None


_birth_dates = st.dates(date(1901, 1, 2), date.today())


@settings(max_examples=200, deadline=None)
@given(_birth_dates)
def test_written_forms_agree(value: date) -> None:
    iso = value.isoformat()
    day_first = normalize_birth_date(f"{value.day:02d}/{value.month:02d}/{value.year}", "CO")
    month_first = normalize_birth_date(f"{value.month}/{value.day}/{value.year}", "US")
    spanish = f"{value.day} de {SPANISH_MONTHS[value.month - 1]} de {value.year}"
    english = f"{value:%B} {value.day}, {value.year}"
    for result in (
        normalize_birth_date(iso),
        normalize_birth_date(value.strftime("%Y%m%d")),
        day_first,
        month_first,
        normalize_birth_date(spanish),
        normalize_birth_date(english, "US"),
        normalize_birth_date(f"{value:%d-%b-%Y}".upper()),
    ):
        assert result is not None
        assert result.iso == iso
        assert result.issue is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.sampled_from(COUNTRIES))
def test_never_crashes_and_keeps_raw(raw: str, country: str | None) -> None:
    result = normalize_birth_date(raw, country)
    if not raw.strip():
        assert result is None
        return
    assert result is not None
    assert result.raw == raw
    assert result.issue in (None, "unparseable", "impossible", "out_of_range", "placeholder")
    assert (result.iso is None) == (result.issue is not None)
    if result.ambiguous:
        assert result.issue is None


_date_like = st.builds(
    lambda a, b, c, sep: f"{a}{sep}{b}{sep}{c}",
    st.integers(0, 40),
    st.integers(0, 40),
    st.sampled_from([85, 1985, 2001, 1899, 3000, 7, 26]),
    st.sampled_from(["/", "-", ".", " "]),
)


@settings(max_examples=200, deadline=None)
@given(_date_like | st.text(max_size=20), st.sampled_from(COUNTRIES))
def test_idempotent(raw: str, country: str | None) -> None:
    result = normalize_birth_date(raw, country)
    if result is None or result.iso is None:
        return
    for again_country in (country, None, "US"):
        again = normalize_birth_date(result.iso, again_country)
        assert again == NormalizedDate(result.iso, result.iso, None, False)


# --------------------------------------------------------------------------- #
# Timestamps
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-07", datetime(2024, 3, 7, tzinfo=UTC)),
        ("2024-03-07T10:15", datetime(2024, 3, 7, 10, 15, tzinfo=UTC)),
        ("2024-03-07T10:15:30", datetime(2024, 3, 7, 10, 15, 30, tzinfo=UTC)),
        ("2024-03-07T10:15:30Z", datetime(2024, 3, 7, 10, 15, 30, tzinfo=UTC)),
        ("2024-03-07t10:15:30z", datetime(2024, 3, 7, 10, 15, 30, tzinfo=UTC)),
        ("2024-03-07 10:15:30", datetime(2024, 3, 7, 10, 15, 30, tzinfo=UTC)),
        ("2024-03-07 10:15:30 UTC", datetime(2024, 3, 7, 10, 15, 30, tzinfo=UTC)),
        ("2024-03-07T10:15:30.5Z", datetime(2024, 3, 7, 10, 15, 30, 500000, tzinfo=UTC)),
        (
            "2024-03-07T10:15:30.123456789+00:00",
            datetime(2024, 3, 7, 10, 15, 30, 123456, tzinfo=UTC),
        ),
        ("2024-03-07T10:15:30-05:00", datetime(2024, 3, 7, 15, 15, 30, tzinfo=UTC)),
        ("2024-03-07T10:15:30+0530", datetime(2024, 3, 7, 4, 45, 30, tzinfo=UTC)),
        ("2024-03-07T10:15:30+01", datetime(2024, 3, 7, 9, 15, 30, tzinfo=UTC)),
        ("20240307T101530Z", datetime(2024, 3, 7, 10, 15, 30, tzinfo=UTC)),
        ("20240307", datetime(2024, 3, 7, tzinfo=UTC)),
        ("1709806530", datetime(2024, 3, 7, 10, 15, 30, tzinfo=UTC)),
        ("1709806530250", datetime(2024, 3, 7, 10, 15, 30, 250000, tzinfo=UTC)),
        ("  2024-03-07  ", datetime(2024, 3, 7, tzinfo=UTC)),
    ],
)
def test_timestamps(raw: str, expected: datetime) -> None:
    result = parse_timestamp(raw)
    assert result == expected
    assert result is not None
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_blank_timestamp_is_none(raw: str | None) -> None:
    assert parse_timestamp(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "07/03/2024 10:15",
        "March 7, 2024",
        "yesterday",
        "2024-02-30",
        "2024-03-07T25:00",
        "2024-03-07T10:60",
        "2024-03-07T10:15:30+24:00",
        "2024-3-7",
        "123",
        "123456789012345",
        "9999-12-31T23:59:59-05:00",  # beyond datetime once in UTC
        "secret-customer-value-2024",
    ],
)
def test_bad_timestamps(raw: str) -> None:
    with pytest.raises(ValueError, match=r"^unparseable timestamp$") as info:
        parse_timestamp(raw)
    assert raw.strip() not in str(info.value)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
        ),
    )
)
def test_timestamp_roundtrip(value: datetime) -> None:
    assert parse_timestamp(value.isoformat()) == value
    assert parse_timestamp(value.isoformat(sep=" ")) == value
    assert parse_timestamp(value.replace(tzinfo=None).isoformat()) == value.replace(tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_timestamp_never_crashes(raw: str) -> None:
    message: str | None = None
    try:
        result = parse_timestamp(raw)
    except ValueError as error:
        message = str(error)
        result = None
    if message is not None:
        assert message == "unparseable timestamp"
        return
    if result is None:
        assert not raw.strip()
    else:
        assert result.tzinfo is not None
        assert result.utcoffset() == timedelta(0)
        again = parse_timestamp(result.isoformat())
        assert again == result


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)))
def test_zulu_fast_path_agrees_with_the_general_parser(value: datetime) -> None:
    value = value.replace(microsecond=0)
    for text in (value.strftime("%Y-%m-%dT%H:%M:%SZ"), value.strftime("%Y-%m-%d %H:%M:%Sz")):
        assert parse_timestamp(text) == value.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [
        "2025-02-30T11:22:08Z",
        "2025-02-16T24:00:00Z",
        "2025-02-16T1a:22:08Z",
    ],
)
def test_zulu_shaped_but_impossible_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="unparseable timestamp"):
        parse_timestamp(raw)


# -- timestamps as a country writes them -------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("14/06/2024 10:50", "CO", datetime(2024, 6, 14, 10, 50, tzinfo=UTC)),
        ("14/06/2024 10:50", None, datetime(2024, 6, 14, 10, 50, tzinfo=UTC)),
        ("14/06/2024 10:50:33", "ES", datetime(2024, 6, 14, 10, 50, 33, tzinfo=UTC)),
        ("05/06/2024 10:50", "MX", datetime(2024, 6, 5, 10, 50, tzinfo=UTC)),  # day first
        ("05/06/2024 10:50", "US", datetime(2024, 5, 6, 10, 50, tzinfo=UTC)),  # month first
        ("6/14/2024 10:50 AM", "US", datetime(2024, 6, 14, 10, 50, tzinfo=UTC)),
        ("14/06/2024 10:50 p. m.", "CO", datetime(2024, 6, 14, 22, 50, tzinfo=UTC)),
        ("14/06/2024 12:05 a.m.", "CO", datetime(2024, 6, 14, 0, 5, tzinfo=UTC)),
        ("14/06/2024 12:05 PM", "CO", datetime(2024, 6, 14, 12, 5, tzinfo=UTC)),
        ("14-06-2024 10:50", "ES", datetime(2024, 6, 14, 10, 50, tzinfo=UTC)),
        ("14.06.2024", "ES", datetime(2024, 6, 14, tzinfo=UTC)),
        ("14/06/24 10:50", "CO", datetime(2024, 6, 14, 10, 50, tzinfo=UTC)),
        ("14 jun 2024 10:50", None, datetime(2024, 6, 14, 10, 50, tzinfo=UTC)),
        ("14 de junio de 2024, 10:50", None, datetime(2024, 6, 14, 10, 50, tzinfo=UTC)),
        ("2024/06/14 10:50", None, datetime(2024, 6, 14, 10, 50, tzinfo=UTC)),
        ("14/06/2024 10:50 -05:00", "CO", datetime(2024, 6, 14, 15, 50, tzinfo=UTC)),
        ("2024-06-14T10:50:00Z", "CO", datetime(2024, 6, 14, 10, 50, tzinfo=UTC)),  # ISO
    ],
)
def test_local_timestamps(raw: str, country: str | None, expected: datetime) -> None:
    assert parse_local_timestamp(raw, country) == expected


@pytest.mark.parametrize(
    "raw",
    ["31/02/2024 10:00", "14/06/2024 25:00", "14/06/2024 13:00 pm", "hoy", "14/06", "secret-1"],
)
def test_bad_local_timestamps(raw: str) -> None:
    with pytest.raises(ValueError, match=r"^unparseable timestamp$"):
        parse_local_timestamp(raw, "CO")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.sampled_from(COUNTRIES))
def test_local_timestamp_never_crashes_and_is_utc(raw: str, country: str | None) -> None:
    message: str | None = None
    try:
        result = parse_local_timestamp(raw, country)
    except ValueError as error:
        message, result = str(error), None
    assert message in (None, "unparseable timestamp")
    assert result is None or result.utcoffset() == timedelta(0)


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)))
def test_day_first_text_reads_back(value: datetime) -> None:
    value = value.replace(second=0, microsecond=0)
    text = value.strftime("%d/%m/%Y %H:%M")
    assert parse_local_timestamp(text, "CO") == value.replace(tzinfo=UTC)
    assert parse_local_timestamp(value.strftime("%m/%d/%Y %I:%M %p"), "US") == value.replace(
        tzinfo=UTC
    )
