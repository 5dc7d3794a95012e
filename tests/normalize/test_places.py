"""Tests for postcodes and regions in cx360.normalize.addresses (synthetic values)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cx360.normalize import normalize_postcode, normalize_region
from cx360.normalize.addresses import postcode_reading

_COUNTRIES = [None, "AU", "US", "CA", "MX", "CO", "ES", "GB", "BR", "DE"]


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("2000", "AU", "2000"),
        (" 2000 ", None, "2000"),
        ("800", "AU", "0800"),  # a spreadsheet took the leading zero
        ("2134", "US", "02134"),
        ("12345-6789", "US", "12345"),  # ZIP+4
        ("123456789", "US", "12345"),
        ("12345-6789", None, "123456789"),  # no country: no ZIP rule
        ("sw1a 1aa", "GB", "SW1A1AA"),
        ("SW1A-1AA", None, "SW1A1AA"),
        ("01310-100", "BR", "01310100"),
        ("28013", "ES", "28013"),
        ("8001", "ES", "08001"),
        ("110111", "CO", "110111"),
        ("2000.0", "AU", "2000"),  # a number read as a float
        ("H2X 1Y4", "CA", "H2X1Y4"),
        ("１０１１", "AU", "1011"),  # full-width digits
    ],
)
def test_normalize_postcode(raw: str, country: str | None, expected: str) -> None:
    assert normalize_postcode(raw, country) == expected
    assert postcode_reading(raw, country) == (expected, None)


@pytest.mark.parametrize(
    "raw", ["0000", "00000", "000000", "99999", "N/A", "n.a.", "NA", "S/N", "none", "XXXX", "x x"]
)
@pytest.mark.parametrize("country", [None, "US", "AU"])
def test_placeholders_are_unknown(raw: str, country: str | None) -> None:
    assert postcode_reading(raw, country) == (None, "placeholder")


@pytest.mark.parametrize("raw", ["Bogotá", "calle 45 12 34 apartamento 301", "12345678901"])
def test_what_cannot_be_a_postcode_is_invalid(raw: str) -> None:
    assert postcode_reading(raw, "CO") == (None, "invalid")


@pytest.mark.parametrize("raw", [None, "", "  ", "-", "?"])
def test_empty_postcode_is_unknown_without_issue(raw: str | None) -> None:
    assert postcode_reading(raw, "AU") == (None, None)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.text(max_size=14), st.from_regex(r"[0-9A-Za-z \-.]{0,12}", fullmatch=True)),
    st.sampled_from(_COUNTRIES),
)
def test_postcode_key_is_idempotent(raw: str, country: str | None) -> None:
    key, issue = postcode_reading(raw, country)
    if key is not None:
        assert issue is None
        assert key == key.upper() and " " not in key and "-" not in key
        assert postcode_reading(key, country) == (key, None)


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("NSW", "AU", "new south wales"),
        ("New South Wales", "AU", "new south wales"),
        ("nsw", "AU", "new south wales"),
        ("AU-NSW", "AU", "new south wales"),
        ("WA", "AU", "western australia"),
        ("WA", "US", "washington"),
        ("WA", None, "wa"),  # no country: no abbreviations
        ("Tx", "US", "texas"),
        ("State of Texas", "US", "texas"),
        ("Washington D.C.", "US", "district of columbia"),
        ("QC", "CA", "quebec"),
        ("Québec", "CA", "quebec"),
        ("Edomex", "MX", "estado de mexico"),
        ("Estado de México", "MX", "estado de mexico"),
        ("Estado de Jalisco", "MX", "jalisco"),
        ("Jal.", "MX", "jalisco"),
        ("CDMX", "MX", "ciudad de mexico"),
        ("NL", "MX", "nuevo leon"),
        ("Nuevo León", "MX", "nuevo leon"),
        ("Departamento de Antioquia", "CO", "antioquia"),
        ("Valle", "CO", "valle del cauca"),
        ("Bogotá D.C.", "CO", "bogota"),
        ("Comunidad de Madrid", "ES", "comunidad de madrid"),
        ("Provincia de Buenos Aires", "AR", "buenos aires"),
    ],
)
def test_normalize_region(raw: str, country: str | None, expected: str) -> None:
    assert normalize_region(raw, country) == expected


@pytest.mark.parametrize("raw", [None, "", "  ", "N/A", "none", "-", "sin dato"])
def test_empty_region_is_unknown(raw: str | None) -> None:
    assert normalize_region(raw, "CO") is None


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=30),
        st.sampled_from(["NSW", "au au nsw", "estado de estado de mexico", "Dpto. del Valle"]),
    ),
    st.sampled_from(_COUNTRIES),
)
def test_region_key_is_idempotent(raw: str, country: str | None) -> None:
    key = normalize_region(raw, country)
    if key is not None:
        assert key
        assert normalize_region(key, country) == key
