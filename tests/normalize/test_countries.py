"""Countries as exports write them: codes, alpha-3 codes and names in English and Spanish."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cx360.normalize.countries import country_names, normalize_country


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("CO", "CO"),
        ("co", "CO"),
        ("COL", "CO"),
        ("Colombia", "CO"),
        ("COLOMBIA", "CO"),
        ("  colombia ", "CO"),
        ("República de Colombia", "CO"),
        ("MX", "MX"),
        ("MEX", "MX"),
        ("México", "MX"),
        ("mexico", "MX"),
        ("MÉXICO", "MX"),
        ("Méjico", "MX"),
        ("ES", "ES"),
        ("ESP", "ES"),
        ("España", "ES"),
        ("espana", "ES"),
        ("ESPAÑA", "ES"),
        ("Spain", "ES"),
        ("USA", "US"),
        ("EE.UU.", "US"),
        ("Estados Unidos", "US"),
        ("United States", "US"),
        ("Reino Unido", "GB"),
        ("UK", "GB"),
        ("Perú", "PE"),
        ("Brasil", "BR"),
        ("Brazil", "BR"),
        ("Países Bajos", "NL"),
    ],
)
def test_codes_and_names_give_the_alpha2_code(raw: str, code: str) -> None:
    assert normalize_country(raw) == code


@pytest.mark.parametrize("raw", [None, "", "  ", "Narnia", "XX", "ZZZ", "Bogotá", "x" * 200])
def test_what_names_no_country_is_none(raw: str | None) -> None:
    assert normalize_country(raw) is None


def test_every_phone_region_has_its_codes_and_names_once() -> None:
    table = country_names()  # building it checks that no spelling names two countries
    codes = set(table.values())
    assert set(phonenumbers.SUPPORTED_REGIONS) <= codes | {"001"}
    for region in phonenumbers.SUPPORTED_REGIONS:
        if region != "001":
            assert normalize_country(region) == region


@given(st.text(max_size=40))
def test_never_raises_and_gives_a_known_code_or_none(raw: str) -> None:
    found = normalize_country(raw)
    assert found is None or (len(found) == 2 and found.isupper())
