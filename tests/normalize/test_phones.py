"""Phone normalization: real-world formats from CO, MX, ES and US, and properties."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cx360.normalize import phones
from cx360.normalize.phones import NormalizedPhone, normalize_phone, phone_digits

COUNTRIES = [None, "CO", "MX", "ES", "US", "AR", "GB", "co", "XX"]


@pytest.mark.parametrize(
    ("raw", "country", "e164", "kind"),
    [
        # Colombia
        ("+57 300 123 4567", None, "+573001234567", "mobile"),
        ("+57 300-1234567", None, "+573001234567", "mobile"),  # WhatsApp style
        ("(300) 123-4567", "CO", "+573001234567", "mobile"),
        ("300.123.4567", "CO", "+573001234567", "mobile"),
        ("3001234567", "co", "+573001234567", "mobile"),
        ("  300 123 4567  ", "CO", "+573001234567", "mobile"),
        ("0057 3001234567", "CO", "+573001234567", "mobile"),
        ("0057 3001234567", None, "+573001234567", "mobile"),
        ("573001234567", "CO", "+573001234567", "mobile"),  # country code without +
        ("573001234567", None, "+573001234567", "mobile"),  # WhatsApp id
        ("Tel: +57 300 123 4567", None, "+573001234567", "mobile"),
        ("cel. 300 123 4567", "CO", "+573001234567", "mobile"),
        ("３００ １２３ ４５６７", "CO", "+573001234567", "mobile"),  # full-width digits
        ("+57 300 123 4567 ext. 12", None, "+573001234567", "mobile"),
        ("300 123 4567 x12", "CO", "+573001234567", "mobile"),
        ("300 123 4567 ext 345", "CO", "+573001234567", "mobile"),
        ("601 482 9137", "CO", "+576014829137", "fixed_line"),
        ("03 601 482 9137", "CO", "+576014829137", "fixed_line"),  # trunk + carrier
        ("(1) 482 9137", "CO", "+576014829137", "fixed_line"),  # before the 2021 change
        ("031 482 9137", "CO", "+576014829137", "fixed_line"),
        ("+57 4 482 9137", None, "+576044829137", "fixed_line"),
        # Mexico
        ("+52 55 1234 5678", None, "+525512345678", "fixed_line_or_mobile"),
        ("55 1234 5678", "MX", "+525512345678", "fixed_line_or_mobile"),
        ("5215512345678", "MX", "+525512345678", "fixed_line_or_mobile"),  # old mobile "1"
        ("+52 1 55 1234 5678", None, "+525512345678", "fixed_line_or_mobile"),
        ("044 55 1234 5678", "MX", "+525512345678", "fixed_line_or_mobile"),
        ("045 55 1234 5678", "MX", "+525512345678", "fixed_line_or_mobile"),
        ("01 55 1234 5678", "MX", "+525512345678", "fixed_line_or_mobile"),
        ("011 52 55 1234 5678", "US", "+525512345678", "fixed_line_or_mobile"),
        ("011 52 55 1234 5678", None, "+525512345678", "fixed_line_or_mobile"),
        # Spain
        ("612 34 56 78", "ES", "+34612345678", "mobile"),
        ("+34 612 345 678", None, "+34612345678", "mobile"),
        ("00 34 612 345 678", "ES", "+34612345678", "mobile"),
        ("00 34 612 345 678", "CO", "+34612345678", "mobile"),
        ("0034612345678", None, "+34612345678", "mobile"),
        ("34612345678", "ES", "+34612345678", "mobile"),
        ("34612345678", "CO", "+34612345678", "mobile"),  # 11 digits: foreign code accepted
        ("91 234 56 78", "ES", "+34912345678", "fixed_line"),
        # United States
        ("(212) 482-9137", "US", "+12124829137", "fixed_line_or_mobile"),
        ("212.482.9137", "US", "+12124829137", "fixed_line_or_mobile"),
        ("1-212-482-9137", "US", "+12124829137", "fixed_line_or_mobile"),
        ("+1 (212) 482-9137", None, "+12124829137", "fixed_line_or_mobile"),
        ("212-482-9137 #204", "US", "+12124829137", "fixed_line_or_mobile"),
        ("1-800-482-9137", "US", "+18004829137", "toll_free"),
        # elsewhere
        ("+44 20 7946 0321", None, "+442079460321", "fixed_line"),
        ("020 7946 0321", "uk", "+442079460321", "fixed_line"),
        ("+39 06 1234 5678", None, "+390612345678", "fixed_line"),  # Italian leading zero
        ("011 15 2345-6789", "AR", "+5491123456789", "mobile"),
    ],
)
def test_formats(raw: str, country: str | None, e164: str, kind: str) -> None:
    result = normalize_phone(raw, country)
    assert result == NormalizedPhone(raw, e164, kind, False, None)
    assert result.match_key == e164


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("0000000000", "CO", None),
        ("000", "CO", None),
        ("1111111", "MX", None),
        ("5555555555", "US", None),
        ("9999999999", "CO", None),
        ("1234567890", "US", None),
        ("1234567", "CO", None),
        ("3000000000", "CO", "+573000000000"),  # valid shape, placeholder digits
        ("+57 300 000 0000", None, "+573000000000"),
        ("6000000000", "CO", None),
        ("55 0000 0000", "MX", "+525500000000"),
        ("(212) 555-0123", "US", "+12125550123"),  # fictional 555-01xx
        ("+1 416 555 0199", None, "+14165550199"),
        ("212-555-1212", "US", "+12125551212"),
    ],
)
def test_placeholders(raw: str, country: str | None, e164: str | None) -> None:
    result = normalize_phone(raw, country)
    assert result is not None
    assert result.placeholder
    assert result.issue == "placeholder"
    assert result.e164 == e164
    assert result.match_key is None


@pytest.mark.parametrize(
    ("raw", "country", "issue"),
    [
        ("12", "CO", "invalid"),
        ("N/A", "CO", "invalid"),
        ("no tiene", None, "invalid"),
        ("+57 123", None, "invalid"),
        ("3991234567", "CO", "invalid"),  # unassigned mobile range
        ("+1 212 482 913", None, "invalid"),  # too short
        ("3001234567 / 3104829137", "CO", "invalid"),  # two numbers: never guess one
        ("0093001234567", "CO", "invalid"),  # carrier prefix not read as another country
        ("3001234567", None, "no_country"),
        ("(212) 482-9137", None, "no_country"),
        ("+3001234567", "CO", "invalid"),  # a + before a national number: not guessed
    ],
)
def test_invalid(raw: str, country: str | None, issue: str) -> None:
    result = normalize_phone(raw, country)
    assert result is not None
    assert result.e164 is None
    assert result.kind is None
    assert result.issue == issue
    assert result.match_key is None
    assert not result.placeholder


@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n"])
def test_blank_is_none(raw: str | None) -> None:
    assert normalize_phone(raw, "CO") is None


def test_unknown_country_counts_as_none() -> None:
    result = normalize_phone("3001234567", "Colombia")
    assert result is not None
    assert result.issue == "no_country"


def test_phone_digits() -> None:
    assert phone_digits("+57 (300) 123-4567 ext. 89") == "573001234567"
    assert phone_digits("３００") == "300"
    assert phone_digits("none") == ""


def test_fast_number_type_matches_library() -> None:
    # The precompiled typing must agree with phonenumbers for every region and type.
    checked = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for number_type in range(11):
            example = phonenumbers.example_number_for_type(region, number_type)
            if example is None or example.country_code is None:
                continue
            nsn = phonenumbers.national_significant_number(example)
            for candidate in (nsn, nsn[:-1], nsn + "1", "9" + nsn[1:]):
                if not candidate or candidate[0] == "0":
                    continue
                number = phonenumbers.PhoneNumber(
                    country_code=example.country_code, national_number=int(candidate)
                )
                expected = phonenumbers.number_type(number)
                assert phones._number_type(example.country_code, candidate) == expected
                checked += 1
    assert checked > 1000


def _library_e164(text: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([1, 34, 39, 44, 49, 54, 55, 56, 58, 593, 51, 506, 61, 86, 91]),
    st.text(alphabet="0123456789", min_size=4, max_size=12),
)
def test_international_agrees_with_library(country_code: int, national: str) -> None:
    # Outside the Mexican/Colombian legacy rewrites, "+" numbers read as libphonenumber reads them.
    text = f"+{country_code}{national}"
    result = normalize_phone(text)
    assert result is not None
    assert result.e164 == _library_e164(text, None)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["ES", "US", "GB", "AR", "BR", "PE", "CL", "DE", "FR", "IT", "IN"]),
    st.text(alphabet="0123456789", min_size=6, max_size=12),
)
def test_national_agrees_with_library(region: str, digits: str) -> None:
    expected = _library_e164(digits, region)
    result = normalize_phone(digits, region)
    assert result is not None
    if expected is not None and not digits.startswith(("00", "011")):
        assert result.e164 == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.sampled_from(COUNTRIES))
def test_never_crashes_and_keeps_raw(raw: str, country: str | None) -> None:
    result = normalize_phone(raw, country)
    if not raw.strip():
        assert result is None
        return
    assert result is not None
    assert result.raw == raw
    assert (result.e164 is None) == (result.kind is None)
    assert result.issue in (None, "invalid", "placeholder", "no_country")
    assert (result.issue == "placeholder") == result.placeholder
    if result.e164 is not None:
        assert result.e164.startswith("+")
        assert result.e164[1:].isdigit()


_phone_like = st.builds(
    lambda prefix, digits, separator: prefix + separator.join(digits),
    st.sampled_from(["", "+", "+57", "+52", "+34", "+1", "00", "0", "57", "52"]),
    st.lists(st.text(alphabet="0123456789", min_size=1, max_size=4), min_size=1, max_size=5),
    st.sampled_from(["", " ", "-", "."]),
)


@settings(max_examples=150, deadline=None)
@given(_phone_like, st.sampled_from(COUNTRIES))
def test_idempotent(raw: str, country: str | None) -> None:
    result = normalize_phone(raw, country)
    assert result is not None
    if result.e164 is None:
        return
    for again_country in (country, None, "ES"):
        again = normalize_phone(result.e164, again_country)
        assert again is not None
        assert (again.e164, again.kind, again.placeholder, again.issue, again.match_key) == (
            result.e164,
            result.kind,
            result.placeholder,
            result.issue,
            result.match_key,
        )
