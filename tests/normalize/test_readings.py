"""The ingest hot path's shortcuts agree with what they replace: tuple readings with the
public normalizers' results, `naive_text` with `isoformat`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from cx360.normalize.dates import naive_text
from cx360.normalize.emails import email_reading, normalize_email
from cx360.normalize.names import name_parts, normalize_name
from cx360.normalize.phones import normalize_phone, phone_reading

_TEXT = st.one_of(st.none(), st.text(max_size=40))
_COUNTRY = st.sampled_from([None, "CO", "MX", "ES", "US", "us", "XX", ""])


@settings(max_examples=300)
@given(_TEXT, _TEXT, _TEXT, _COUNTRY)
def test_name_parts_are_the_normalized_names_fields(
    first: str | None, last: str | None, full: str | None, country: str | None
) -> None:
    name = normalize_name(first, last, full, country)
    parts = name_parts(first, last, full, country)
    if name is None:
        assert parts is None
    else:
        expected = (name.given_names, name.surnames, name.given_keys, name.surname_keys)
        assert parts == (*expected, name.issue)


@settings(max_examples=300)
@given(st.one_of(_TEXT, st.from_regex(r"\+?[0-9 ()-]{5,30}", fullmatch=True)), _COUNTRY)
def test_phone_reading_is_the_normalized_phones_fields(
    raw: str | None, country: str | None
) -> None:
    phone = normalize_phone(raw, country)
    reading = phone_reading(raw, country)
    if phone is None:
        assert reading is None
    else:
        assert reading == (phone.e164, phone.kind, phone.placeholder, phone.issue)


@settings(max_examples=300)
@given(st.one_of(_TEXT, st.emails(), st.text(min_size=300, max_size=400)))
def test_email_reading_is_the_normalized_emails_fields(raw: str | None) -> None:
    email = normalize_email(raw)
    reading = email_reading(raw)
    if email is None:
        assert reading is None
    else:
        assert reading == (email.display, email.match_key, email.placeholder, email.issue)


def test_readings_of_examples() -> None:
    assert name_parts(None, None, "GARCÍA MÁRQUEZ, JOSÉ LUIS", "CO") == (
        ("José", "Luis"),
        ("García", "Márquez"),
        ("jose", "luis"),
        ("garcia", "marquez"),
        None,
    )
    assert phone_reading("0000000000", "CO") is not None
    assert phone_reading("  ", "CO") is None
    assert email_reading("noemail@noemail.com") == (
        "noemail@noemail.com",
        None,
        True,
        "placeholder",
    )


@settings(max_examples=500)
@given(st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), None])))
def test_naive_text_is_isoformat_without_the_offset(value: datetime) -> None:
    assert naive_text(value) == value.isoformat(" ", "microseconds")[:26]
