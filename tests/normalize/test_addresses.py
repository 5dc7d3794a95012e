"""Tests for cx360.normalize.addresses (all addresses are synthetic)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cx360.normalize import addresses
from cx360.normalize.addresses import normalize_address, normalize_city


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Colombia
        ("Cra. 7 # 45-10 Apto 301", "carrera 7 45 10 apartamento 301"),
        ("CARRERA 7 No 45 10 apartamento 301", "carrera 7 45 10 apartamento 301"),
        ("Kr 7 N° 45-10 Ap 301", "carrera 7 45 10 apartamento 301"),
        ("KRA 7 #45-10 apt 301", "carrera 7 45 10 apartamento 301"),
        ("Cl 45 # 12-34", "calle 45 12 34"),
        ("Calle 45 No. 12 - 34", "calle 45 12 34"),
        ("calle 45 nro 12-34", "calle 45 12 34"),
        ("CLL 45 Nº 12-34", "calle 45 12 34"),
        ("Cll45#12-34", "calle 45 12 34"),
        ("Calle 45 A # 12-34", "calle 45a 12 34"),
        ("Cl. 45A No. 12-34 Sur", "calle 45a 12 34 sur"),
        ("Tv 5 Bis # 3-20", "transversal 5 bis 3 20"),
        ("Diag 45 # 3-20 Int 2", "diagonal 45 3 20 interior 2"),
        ("AK 68 # 24-10", "avenida carrera 68 24 10"),
        ("AC 26 # 69-76 Torre 2 Of 301", "avenida calle 26 69 76 torre 2 oficina 301"),
        ("Mz 4 Lt 12 Barrio El Prado", "manzana 4 lote 12 barrio el prado"),
        # Mexico
        (
            "Av. Insurgentes Sur 1234, Col. Del Valle",
            "avenida insurgentes sur 1234 colonia del valle",
        ),
        ("Avda Insurgentes Sur No 1234 Int 5", "avenida insurgentes sur 1234 interior 5"),
        ("Calz. de Tlalpan 3000 esq. Miguel Ángel", "calzada de tlalpan 3000 esquina miguel angel"),
        ("Blvd. Kukulcán Km 9.5", "bulevar kukulcan kilometro 9 5"),
        ("Priv. Juárez 5 Pte.", "privada juarez 5 poniente"),
        ("Calle 5 y 6 Nte", "calle 5 y 6 norte"),
        # Spain
        ("C/ Mayor 5, 3º Izq.", "calle mayor 5 3o izquierda"),
        ("c/mayor 5", "calle mayor 5"),
        ("Pza. de España 1", "plaza de espana 1"),
        ("Paseo de la Castellana s/n", "paseo de la castellana sin numero"),
        ("Pº de Gracia 21", "paseo de gracia 21"),
        ("Ctra. de Valencia km 7", "carretera de valencia kilometro 7"),
        # United States
        ("123 N Main St. Apt #4", "123 north main street apartment 4"),
        ("123 North Main Street Apartment 4", "123 north main street apartment 4"),
        ("123 Main Street #4", "123 main street apartment 4"),
        ("123 Main St Unit 4", "123 main street apartment 4"),
        ("#5 Main St", "5 main street"),
        ("456 St Charles Ave", "456 saint charles avenue"),
        ("1600 Pennsylvania Ave NW", "1600 pennsylvania avenue northwest"),
        ("1600 Pennsylvania Avenue N.W.", "1600 pennsylvania avenue north west"),
        ("350 5th Ave Fl 3", "350 5th avenue floor 3"),
        ("100 Ocean Dr Ste 200", "100 ocean drive suite 200"),
        ("77 Sunset Blvd", "77 sunset boulevard"),
        ("12 Elm Ln", "12 elm lane"),
        ("9 Oak Ct", "9 oak court"),
        ("4 Hwy 61 S", "4 highway 61 south"),
        ("Miami, FL 33101", "miami fl 33101"),
        # Noise
        ("  Calle   45  🏠 ", "calle 45"),
        ("CALLE 45 № 12", "calle 45 12"),
        ("Ｃａｌｌｅ ４５", "calle 45"),
        ("Cl 45 nro12-34", "calle 45 12 34"),
        ("12 Main St ＃4", "12 main street apartment 4"),
    ],
)
def test_normalize_address(raw: str, expected: str) -> None:
    assert normalize_address(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "#", "-", "🏠", "..."])
def test_empty_address_is_none(raw: str | None) -> None:
    assert normalize_address(raw) is None


def test_spellings_of_one_address_agree() -> None:
    spellings = [
        "Cra. 7 # 45-10 Apto 301",
        "CARRERA 7 NO. 45-10 APTO 301",
        "kr 7 45 10 apartamento 301",
        "Carrera 7 N° 45 - 10, Apt. 301",
    ]
    assert len({normalize_address(raw) for raw in spellings}) == 1


def test_expansions_keep_the_language_vote() -> None:
    # Idempotence rests on this: an expansion never adds a vote for the other language,
    # and an abbreviation that votes expands to a word that votes the same way.
    spanish, english = addresses._SPANISH_MARKERS, addresses._ENGLISH_MARKERS
    for table, own, other in (
        (addresses._SPANISH, spanish, english),
        (addresses._ENGLISH, english, spanish),
    ):
        for short, long in table.items():
            words = set(long.split())
            assert not words & other, short
            if short in own:
                assert words & own, short


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Bogotá", "bogota"),
        ("BOGOTA D.C.", "bogota"),
        ("Bogotá, D.C.", "bogota"),
        ("Bogota DC", "bogota"),
        ("Santa Fe de Bogotá", "bogota"),
        ("Medellín, Antioquia", "medellin"),
        ("Santiago de Cali", "cali"),
        ("Cartagena de Indias", "cartagena"),
        ("CDMX", "ciudad de mexico"),
        ("Ciudad de México", "ciudad de mexico"),
        ("México D.F.", "ciudad de mexico"),
        ("Mexico City", "ciudad de mexico"),
        ("Cd. Juárez", "ciudad juarez"),
        ("Monterrey, N.L.", "monterrey"),
        ("NYC", "new york"),
        ("New York City", "new york"),
        ("New York, NY", "new york"),
        ("Los Angeles (CA)", "los angeles"),
        ("St. Louis", "saint louis"),
        ("Washington, D.C.", "washington"),
        ("A Coruña", "a coruna"),
        ("La Coruña", "a coruna"),
        ("Donostia", "san sebastian"),
        ("Palma de Mallorca", "palma"),
        ("  madrid  ", "madrid"),
    ],
)
def test_normalize_city(raw: str, expected: str) -> None:
    assert normalize_city(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "  ", ",", "🏙️"])
def test_empty_city_is_none(raw: str | None) -> None:
    assert normalize_city(raw) is None


_address_words = st.sampled_from(
    [
        "Cra.", "Cl", "calle", "#", "No.", "N°", "nro", "45", "12-34", "A", "a", "b", "Bis",
        "Sur", "Apto", "apt", "Av.", "ave", "St", "St.", "Main", "Charles", "Fl", "3", "301",
        "N", "NW", "e", "y", "Int", "C/", "s/n", "Km", "5th", "Unit", "Ste", "Dr", "pl",
        "Col.", "Pº", "-", ",", "🏠", "ǂ", "x", "de", "la", "blvd", "n", "no", "o", "cl45",
    ]
)  # fmt: skip
_addresses = st.lists(_address_words, max_size=10).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(st.one_of(_addresses, st.text()))
def test_normalize_address_is_idempotent(raw: str) -> None:
    key = normalize_address(raw)
    if key is not None:
        assert key
        assert normalize_address(key) == key


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(), st.sampled_from(["Bogotá D.C.", "CDMX", "St. Louis", "Cd. X"])))
def test_normalize_city_is_idempotent(raw: str) -> None:
    key = normalize_city(raw)
    if key is not None:
        assert key
        assert normalize_city(key) == key
