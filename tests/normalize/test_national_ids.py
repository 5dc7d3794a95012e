"""National IDs: ES DNI/NIE, MX CURP/RFC, CO cédula, US SSN, shape detection, properties.

All IDs are synthetic: check letters and digits are computed here, independently
of the code under test.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cx360.normalize.national_ids import ID_KINDS, NormalizedNationalId, normalize_national_id

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
COUNTRIES = [None, "ES", "MX", "CO", "US", "AR", "es", "XX"]


def dni(number: int) -> str:
    return f"{number:08d}{DNI_LETTERS[number % 23]}"


def nie(prefix: str, number: int) -> str:
    return f"{prefix}{number:07d}{DNI_LETTERS[int('XYZ'.index(prefix) * 10**7 + number) % 23]}"


def curp(stem17: str) -> str:
    total = sum(CURP_ALPHABET.index(ch) * (18 - i) for i, ch in enumerate(stem17))
    return stem17 + str((10 - total % 10) % 10)


VALID_DNI = dni(48151623)
VALID_NIE = nie("Y", 4815162)
VALID_CURP = curp("PEGA850307HDFRRN0")  # born 1985-03-07 in CDMX
VALID_CURP_2000 = curp("LOMM040229MJCPRRA")  # born 2004-02-29 in Jalisco


def wrong_last(value: str) -> str:
    last = value[-1]
    replacement = "0" if last.isdigit() and last != "0" else "1"
    if last.isalpha():
        replacement = "A" if last != "A" else "B"
    return value[:-1] + replacement


@pytest.mark.parametrize(
    ("raw", "country", "value", "kind", "valid"),
    [
        # Spain
        (VALID_DNI, "ES", VALID_DNI, "es_dni", True),
        ("48.151.623-" + VALID_DNI[-1].lower(), "ES", VALID_DNI, "es_dni", True),
        (VALID_DNI, None, VALID_DNI, "es_dni", True),  # recognised by its letter
        (VALID_DNI, "CO", VALID_DNI, "es_dni", True),
        ("4815162" + DNI_LETTERS[4815162 % 23], "ES", dni(4815162), "es_dni", True),
        ("48151623", "ES", VALID_DNI, "es_dni", None),  # letter completed
        (wrong_last(VALID_DNI), "ES", wrong_last(VALID_DNI), "es_dni", False),
        (wrong_last(VALID_DNI), None, wrong_last(VALID_DNI), "generic", None),
        (VALID_NIE, "ES", VALID_NIE, "es_nie", True),
        (f"{VALID_NIE[0]}-{VALID_NIE[1:8]}-{VALID_NIE[8]}", None, VALID_NIE, "es_nie", True),
        (VALID_NIE[0] + "0" + VALID_NIE[1:], "ES", VALID_NIE, "es_nie", True),  # old 8 digits
        (wrong_last(VALID_NIE), "ES", wrong_last(VALID_NIE), "es_nie", False),
        ("AAA482913", "ES", "AAA482913", "generic", None),  # a passport
        # Mexico
        (VALID_CURP, "MX", VALID_CURP, "mx_curp", True),
        (VALID_CURP.lower(), None, VALID_CURP, "mx_curp", True),
        (VALID_CURP, "CO", VALID_CURP, "mx_curp", True),  # a CURP anywhere is a CURP
        (VALID_CURP_2000, "MX", VALID_CURP_2000, "mx_curp", True),
        (wrong_last(VALID_CURP), "MX", wrong_last(VALID_CURP), "mx_curp", False),
        (curp("PEGA850230HDFRRN0"), "MX", curp("PEGA850230HDFRRN0"), "mx_curp", False),  # 30 Feb
        (curp("PEGA850307HZZRRN0"), "MX", curp("PEGA850307HZZRRN0"), "mx_curp", False),  # state
        ("PEGA850307HDFRRN", "MX", "PEGA850307HDFRRN", "generic", None),
        ("GODE561231GR8", "MX", "GODE561231GR8", "mx_rfc", True),
        ("gode-561231-gr8", None, "GODE561231GR8", "mx_rfc", True),
        ("MAB-930714-8T4", "MX", "MAB9307148T4", "mx_rfc", True),
        ("A&B930714KT4", "MX", "A&B930714KT4", "mx_rfc", True),
        ("COMG600703", "MX", "COMG600703", "mx_rfc", True),
        ("GODE561331GR8", "MX", "GODE561331GR8", "mx_rfc", False),
        # Colombia
        ("1.020.304.050", "CO", "1020304050", "co_cc", True),
        ("79.845.123", "CO", "79845123", "co_cc", True),
        ("79 845 123", "CO", "79845123", "co_cc", True),
        ("482913", "CO", "482913", "co_cc", True),
        ("48291", "CO", "48291", "co_cc", False),
        ("10203040506", "CO", "10203040506", "co_cc", False),
        ("0482913", "CO", "0482913", "co_cc", False),
        ("AB482913", "CO", "AB482913", "generic", None),  # a passport
        ("1020304050", None, "1020304050", "generic", None),
        # United States
        ("536-22-4813", "US", "536224813", "us_ssn", True),
        ("536224813", "US", "536224813", "us_ssn", True),
        ("536 22 4813", "US", "536224813", "us_ssn", True),
        ("536-22-4813", None, "536224813", "us_ssn", True),
        ("536224813", None, "536224813", "generic", None),
        ("666-22-4813", "US", "666224813", "us_ssn", False),
        ("000-22-4813", "US", "000224813", "us_ssn", False),
        ("936-22-4813", "US", "936224813", "us_ssn", False),
        ("536-00-4813", "US", "536004813", "us_ssn", False),
        ("536-22-0000", "US", "536220000", "us_ssn", False),
        ("D4829137", "US", "D4829137", "generic", None),  # a driver licence
        # with the document type typed in front
        ("CC 79.845.123", "CO", "79845123", "co_cc", True),
        ("C.C. 1.020.304.050", None, "1020304050", "co_cc", True),
        (f"DNI: {VALID_DNI}", "ES", VALID_DNI, "es_dni", True),
        (f"DNI {wrong_last(VALID_DNI)}", None, wrong_last(VALID_DNI), "es_dni", False),
        (f"NIE {VALID_NIE}", None, VALID_NIE, "es_nie", True),
        ("RFC: GODE561231GR8", None, "GODE561231GR8", "mx_rfc", True),
        ("SSN 536-22-4813", None, "536224813", "us_ssn", True),
        ("CE 482913", "CO", "CE482913", "generic", None),  # cédula de extranjería
        # others
        ("AB-482.913", "AR", "AB482913", "generic", None),
        ("ＡＢ４８２９１３", None, "AB482913", "generic", None),
    ],
)
def test_formats(raw: str, country: str | None, value: str, kind: str, valid: bool | None) -> None:
    result = normalize_national_id(raw, country)
    assert result is not None
    assert (result.raw, result.value, result.kind, result.valid) == (raw, value, kind, valid)
    assert not result.placeholder
    assert result.issue == ("invalid" if valid is False else None)
    assert result.match_key == (None if valid is False else value)


@pytest.mark.parametrize(
    ("raw", "country"),
    [
        ("NA", "CO"),
        ("n/a", None),
        ("SIN ID", "MX"),
        ("no tiene", "ES"),
        ("0", "CO"),
        ("-", "ES"),
        (".", None),
        ("00000000", "CO"),
        ("1111111111", "CO"),
        ("12345678", "CO"),
        ("12345678Z", "ES"),
        ("12345678", "ES"),
        ("2345678", "ES"),
        ("X0000000T", "ES"),
        ("XAXX010101000", "MX"),
        ("XEXX010101000", None),
        ("000-00-0000", "US"),
        ("123-45-6789", "US"),
        ("078-05-1120", None),
        ("XXXXXXXX", None),
    ],
)
def test_placeholders(raw: str, country: str | None) -> None:
    result = normalize_national_id(raw, country)
    assert result is not None
    assert result.placeholder
    assert result.issue == "placeholder"
    assert result.match_key is None


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_blank_is_none(raw: str | None) -> None:
    assert normalize_national_id(raw, "CO") is None


def test_result_shape() -> None:
    result = normalize_national_id(VALID_DNI, "es")
    assert result == NormalizedNationalId(VALID_DNI, VALID_DNI, "es_dni", True, False, None)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 99_999_999), st.sampled_from(["ES", None]))
def test_generated_dni(number: int, country: str | None) -> None:
    value = dni(number)
    result = normalize_national_id(value, country)
    assert result is not None
    assert result.kind == "es_dni"
    assert result.valid is True
    wrong = value[:-1] + DNI_LETTERS[(number + 1) % 23]
    result = normalize_national_id(wrong, "ES")
    assert result is not None
    assert result.valid is False


_curp_stems = st.builds(
    lambda first, vowel, rest, born, sex, state, consonants, homoclave_digit, homoclave_letter: (
        f"{first}{vowel}{rest}{born:%y%m%d}{sex}{state}{consonants}"
        + (homoclave_digit if born.year < 2000 else homoclave_letter)
    ),
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    st.sampled_from("AEIOUX"),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
    st.dates(date(1930, 1, 1), date(2024, 12, 31)),
    st.sampled_from("HM"),
    st.sampled_from(["AS", "BC", "CH", "DF", "JC", "MC", "NL", "NE", "VZ", "YN"]),
    st.text(alphabet="BCDFGHJKLMNPQRSTVWXYZ", min_size=3, max_size=3),
    st.sampled_from("0123456789"),
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
)


@settings(max_examples=100, deadline=None)
@given(_curp_stems, st.sampled_from(COUNTRIES))
def test_generated_curp(stem: str, country: str | None) -> None:
    value = curp(stem)
    result = normalize_national_id(value, country)
    assert result is not None
    assert result.kind == "mx_curp"
    assert result.valid is True
    result = normalize_national_id(wrong_last(value), country)
    assert result is not None
    assert result.valid is False


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.sampled_from(COUNTRIES))
def test_never_crashes_and_keeps_raw(raw: str, country: str | None) -> None:
    result = normalize_national_id(raw, country)
    if not raw.strip():
        assert result is None
        return
    assert result is not None
    assert result.raw == raw
    assert result.kind in ID_KINDS
    assert result.issue in (None, "invalid", "placeholder")
    assert (result.issue == "placeholder") == result.placeholder
    if result.value is not None:
        assert result.value == result.value.upper()
        assert all(ch.isalnum() or ch == "&" for ch in result.value)


_id_like = st.text(alphabet="0123456789XYZABCHM-. &", min_size=1, max_size=20)


@settings(max_examples=200, deadline=None)
@given(_id_like | st.text(max_size=20), st.sampled_from(COUNTRIES))
def test_idempotent(raw: str, country: str | None) -> None:
    result = normalize_national_id(raw, country)
    if result is None or result.value is None:
        return
    again = normalize_national_id(result.value, country)
    assert again is not None
    assert again.value == result.value
    if again.placeholder:  # a padded/completed value may hide a typed run, never reveal one
        assert result.placeholder
