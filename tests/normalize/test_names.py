"""Tests for cx360.normalize.names (all names are synthetic)."""

from __future__ import annotations

import csv
from importlib.resources import files

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cx360.normalize.names import (
    NormalizedName,
    canonical_given_name,
    given_name_variants,
    normalize_name,
)

Parsed = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def _parts(name: NormalizedName | None) -> Parsed:
    assert name is not None
    assert name.issue is None
    return name.given_names, name.surnames, name.given_keys, name.surname_keys


# (full_name, country) -> (given_names, surnames, given_keys, surname_keys)
FULL_NAMES: list[tuple[str, str | None, Parsed]] = [
    (
        "José Luis García Márquez",
        None,
        (("José", "Luis"), ("García", "Márquez"), ("jose", "luis"), ("garcia", "marquez")),
    ),
    (
        "JOSÉ LUIS GARCÍA MÁRQUEZ",
        "CO",
        (("José", "Luis"), ("García", "Márquez"), ("jose", "luis"), ("garcia", "marquez")),
    ),
    (
        "García Márquez, José Luis",
        "CO",
        (("José", "Luis"), ("García", "Márquez"), ("jose", "luis"), ("garcia", "marquez")),
    ),
    (
        "GARCIA MARQUEZ,JOSE LUIS",
        None,
        (("Jose", "Luis"), ("Garcia", "Marquez"), ("jose", "luis"), ("garcia", "marquez")),
    ),
    ("Juan García López", "CO", (("Juan",), ("García", "López"), ("juan",), ("garcia", "lopez"))),
    ("Juan García López", "MX", (("Juan",), ("García", "López"), ("juan",), ("garcia", "lopez"))),
    ("Juan García López", None, (("Juan",), ("García", "López"), ("juan",), ("garcia", "lopez"))),
    ("juan garcía lópez", "ESP", (("Juan",), ("García", "López"), ("juan",), ("garcia", "lopez"))),
    ("Juan García López", "US", (("Juan", "García"), ("López",), ("juan", "garcia"), ("lopez",))),
    ("Mary Ann Smith", "US", (("Mary", "Ann"), ("Smith",), ("mary", "ann"), ("smith",))),
    ("Mary Ann Smith", "CO", (("Mary", "Ann"), ("Smith",), ("mary", "ann"), ("smith",))),
    (
        "John Fitzgerald Kennedy",
        "US",
        (("John", "Fitzgerald"), ("Kennedy",), ("john", "fitzgerald"), ("kennedy",)),
    ),
    ("John F. Kennedy", "US", (("John", "F"), ("Kennedy",), ("john", "f"), ("kennedy",))),
    ("Juan C. Pérez", "CO", (("Juan", "C"), ("Pérez",), ("juan", "c"), ("perez",))),
    (
        "Juan Carlos Pérez",
        "MX",
        (("Juan", "Carlos"), ("Pérez",), ("juan", "carlos"), ("perez",)),
    ),
    (
        "María José Rodríguez",
        "CO",
        (("María", "José"), ("Rodríguez",), ("maria", "jose"), ("rodriguez",)),
    ),
    (
        "Luis Fernando Ospina",
        "CO",
        (("Luis", "Fernando"), ("Ospina",), ("luis", "fernando"), ("ospina",)),
    ),
    ("Ana Pérez", "ES", (("Ana",), ("Pérez",), ("ana",), ("perez",))),
    ("Caro 🌸✨", None, (("Caro",), (), ("caro",), ())),
    ("JUAN CAMILO 😎", "CO", (("Juan", "Camilo"), (), ("juan", "camilo"), ())),
    ("María José", None, (("María", "José"), (), ("maria", "jose"), ())),
    ("Mary Ann", "US", (("Mary", "Ann"), (), ("mary", "ann"), ())),
    ("Valentina", "CO", (("Valentina",), (), ("valentina",), ())),
    # Particles stay with the surname; the key joins them.
    ("Ana de la Cruz", None, (("Ana",), ("de la Cruz",), ("ana",), ("delacruz",))),
    ("ANA DE LA CRUZ", None, (("Ana",), ("de la Cruz",), ("ana",), ("delacruz",))),
    ("Ana De La Cruz", "US", (("Ana",), ("De La Cruz",), ("ana",), ("delacruz",))),
    ("Ana Delacruz", "US", (("Ana",), ("Delacruz",), ("ana",), ("delacruz",))),
    (
        "Juan de la Cruz Pérez",
        "MX",
        (("Juan",), ("de la Cruz", "Pérez"), ("juan",), ("delacruz", "perez")),
    ),
    (
        "Pedro Gómez del Río",
        "ES",
        (("Pedro",), ("Gómez", "del Río"), ("pedro",), ("gomez", "delrio")),
    ),
    (
        "José Luis de los Santos Díaz",
        "DO",
        (("José", "Luis"), ("de los Santos", "Díaz"), ("jose", "luis"), ("delossantos", "diaz")),
    ),
    (
        "Pieter VAN DER BERG",
        "NL",
        (("Pieter",), ("van der Berg",), ("pieter",), ("vanderberg",)),
    ),
    (
        "Ludwig van Beethoven",
        "DE",
        (("Ludwig",), ("van Beethoven",), ("ludwig",), ("vanbeethoven",)),
    ),
    (
        "José Ortega y Gasset",
        "ES",
        (("José",), ("Ortega", "y Gasset"), ("jose",), ("ortega", "gasset")),
    ),
    ("Ronald Mc Donald", "US", (("Ronald",), ("Mc Donald",), ("ronald",), ("mcdonald",))),
    ("RONALD MCDONALD", "US", (("Ronald",), ("McDonald",), ("ronald",), ("mcdonald",))),
    (
        "Juan San Martín",
        "AR",
        (("Juan",), ("San Martín",), ("juan",), ("sanmartin",)),
    ),
    # Devotional complements belong to the given name.
    (
        "María del Carmen López Pérez",
        "MX",
        (("María", "del Carmen"), ("López", "Pérez"), ("maria", "carmen"), ("lopez", "perez")),
    ),
    ("María del Carmen", None, (("María", "del Carmen"), (), ("maria", "carmen"), ())),
    (
        "José de Jesús García",
        "MX",
        (("José", "de Jesús"), ("García",), ("jose", "jesus"), ("garcia",)),
    ),
    (
        "Juan de Dios Pérez García",
        "CO",
        (("Juan", "de Dios"), ("Pérez", "García"), ("juan", "dios"), ("perez", "garcia")),
    ),
    (
        "María de los Ángeles Ruiz",
        "ES",
        (("María", "de los Ángeles"), ("Ruiz",), ("maria", "angeles"), ("ruiz",)),
    ),
    # Hyphens and apostrophes never split a name.
    (
        "Jean-Pierre Ruiz-Tagle",
        "CL",
        (("Jean-Pierre",), ("Ruiz-Tagle",), ("jeanpierre",), ("ruiztagle",)),
    ),
    ("Ana RUIZ-TAGLE", "CL", (("Ana",), ("Ruiz-Tagle",), ("ana",), ("ruiztagle",))),
    ("O'BRIEN, PATRICK", "US", (("Patrick",), ("O'Brien",), ("patrick",), ("obrien",))),
    ("Patrick O’Brien", "US", (("Patrick",), ("O'Brien",), ("patrick",), ("obrien",))),
    ("patrick o´brien", "US", (("Patrick",), ("O'Brien",), ("patrick",), ("obrien",))),
    # Titles, suffixes, labels and other noise.
    (
        "Dra. Ana María Gómez (mamá)",
        "CO",
        (("Ana", "María"), ("Gómez",), ("ana", "maria"), ("gomez",)),
    ),
    ("Sr. Juan Pérez", "MX", (("Juan",), ("Pérez",), ("juan",), ("perez",))),
    ("SRA. PÉREZ", "MX", ((), ("Pérez",), (), ("perez",))),
    ("Mr. Smith", "US", ((), ("Smith",), (), ("smith",))),
    ("Sr. Juan", "MX", (("Juan",), (), ("juan",), ())),
    ("Ing. Carlos Ruiz", "CO", (("Carlos",), ("Ruiz",), ("carlos",), ("ruiz",))),
    ("Lic. Laura Díaz", "MX", (("Laura",), ("Díaz",), ("laura",), ("diaz",))),
    ("Don Carlos Pérez", "CO", (("Carlos",), ("Pérez",), ("carlos",), ("perez",))),
    ("Doña Carmen", "CO", (("Carmen",), (), ("carmen",), ())),
    ("Don Johnson", "US", (("Don",), ("Johnson",), ("don",), ("johnson",))),
    ("Mrs. Mary Ann Smith", "US", (("Mary", "Ann"), ("Smith",), ("mary", "ann"), ("smith",))),
    ("Robert Smith Jr.", "US", (("Robert",), ("Smith",), ("robert",), ("smith",))),
    ("Robert Smith III", "US", (("Robert",), ("Smith",), ("robert",), ("smith",))),
    ("Smith Jr., Robert", "US", (("Robert",), ("Smith",), ("robert",), ("smith",))),
    ("Smith, Robert, Jr.", "US", (("Robert",), ("Smith",), ("robert",), ("smith",))),
    ('Juan "el Flaco" Pérez', "CO", (("Juan",), ("Pérez",), ("juan",), ("perez",))),
    ("Juan Pérez | Ventas", "CO", (("Juan",), ("Pérez",), ("juan",), ("perez",))),
    ("Juan Pérez - Abogado", "CO", (("Juan",), ("Pérez",), ("juan",), ("perez",))),
    ("Tía Carmen", "CO", (("Carmen",), (), ("carmen",), ())),
    ("Juan123 Pérez", "CO", (("Juan",), ("Pérez",), ("juan",), ("perez",))),
    ("  juan    pérez  ", "CO", (("Juan",), ("Pérez",), ("juan",), ("perez",))),
    ("Juan.Pérez", "CO", (("Juan",), ("Pérez",), ("juan",), ("perez",))),
    ("Usuario Juan Pérez", "CO", (("Juan",), ("Pérez",), ("juan",), ("perez",))),
    ("Juan Pérez juan@example.com", "CO", (("Juan",), ("Pérez",), ("juan",), ("perez",))),
    ("Ñandú Muñoz", "AR", (("Ñandú",), ("Muñoz",), ("nandu",), ("munoz",))),
    ("Ｊｕａｎ Ｐéｒｅｚ", "CO", (("Juan",), ("Pérez",), ("juan",), ("perez",))),
    ("Minh Do", "VN", (("Minh",), ("Do",), ("minh",), ("do",))),
    ("Junior Pérez", "CO", (("Junior",), ("Pérez",), ("junior",), ("perez",))),
    ("Juan Pérez Junior", "CO", (("Juan",), ("Pérez",), ("juan",), ("perez",))),
    ("Junior", "CO", (("Junior",), (), ("junior",), ())),
]


@pytest.mark.parametrize(("full", "country", "expected"), FULL_NAMES)
def test_full_names(full: str, country: str | None, expected: Parsed) -> None:
    assert _parts(normalize_name(None, None, full, country)) == expected


# (first, last) -> (given_names, surnames, given_keys, surname_keys)
FIELDS: list[tuple[str | None, str | None, Parsed]] = [
    (
        "JOSÉ LUIS",
        "GARCÍA MÁRQUEZ",
        (("José", "Luis"), ("García", "Márquez"), ("jose", "luis"), ("garcia", "marquez")),
    ),
    (
        "ana maría",
        "de la cruz",
        (("Ana", "María"), ("de la Cruz",), ("ana", "maria"), ("delacruz",)),
    ),
    ("Mary", "Smith-Jones", (("Mary",), ("Smith-Jones",), ("mary",), ("smithjones",))),
    ("Juan Pérez", "Pérez", (("Juan",), ("Pérez",), ("juan",), ("perez",))),
    ("Sr. Juan", "Pérez Jr.", (("Juan",), ("Pérez",), ("juan",), ("perez",))),
    (
        "María de Jesús",
        "Hernández",
        (("María", "de Jesús"), ("Hernández",), ("maria", "jesus"), ("hernandez",)),
    ),
    ("Juan", None, (("Juan",), (), ("juan",), ())),
    (None, "Pérez", ((), ("Pérez",), (), ("perez",))),
    ("Cliente", "Pérez", ((), ("Pérez",), (), ("perez",))),
    ("Juan", "N/A", (("Juan",), (), ("juan",), ())),
]


@pytest.mark.parametrize(("first", "last", "expected"), FIELDS)
def test_first_and_last_fields(first: str | None, last: str | None, expected: Parsed) -> None:
    assert _parts(normalize_name(first, last, None)) == expected


def test_fields_win_over_full_name() -> None:
    name = normalize_name("Juan Carlos", "Pérez", "Juanca P.")
    assert _parts(name) == (("Juan", "Carlos"), ("Pérez",), ("juan", "carlos"), ("perez",))


def test_full_name_used_when_a_field_is_missing() -> None:
    name = normalize_name("Juan", None, "Juan García López", "CO")
    assert _parts(name)[3] == ("garcia", "lopez")


@pytest.mark.parametrize(
    "spelling",
    ["De La Cruz", "de la cruz", "DE LA CRUZ", "Delacruz", "DELACRUZ", "de la Cruz"],
)
def test_particle_spellings_share_a_key(spelling: str) -> None:
    name = normalize_name("Ana", spelling, None)
    assert name is not None
    assert name.surname_keys == ("delacruz",)


@pytest.mark.parametrize(
    "raw",
    [
        "Cliente",
        "CLIENTE",
        "cliente nuevo",
        "Client",
        "Customer",
        "Unknown",
        "Desconocido",
        "N/A",
        "n/a",
        "NA",
        "NN",
        "N.N.",
        "Sin nombre",
        "SIN NOMBRE",
        "No aplica",
        "Test",
        "test test",
        "Prueba",
        "Usuario",
        "Usuario WhatsApp",
        "User",
        "Anonymous",
        "Anónimo",
        "xxx",
        "XXXX",
        "x",
        "asdf",
        ".",
        "-",
        "...",
        "0",
        "123456",
        "Sr.",
        "Mamá",
        "Mi amor",
        "(mamá)",
        "Null",
        "None",
        "Nombre Apellido",
    ],
)
def test_placeholders(raw: str) -> None:
    name = normalize_name(None, None, raw)
    assert name is not None
    assert name.issue == "placeholder"
    assert name.given_keys == ()
    assert name.surname_keys == ()
    assert name.given_names == ()
    assert name.first_given_key is None
    assert name.first_surname_key is None
    assert name.display == ""


def test_placeholder_in_both_fields() -> None:
    name = normalize_name("Cliente", "Cliente", None)
    assert name is not None
    assert name.issue == "placeholder"


@pytest.mark.parametrize("raw", ["🌸✨", "😎😎", "\u200b", "🇨🇴"])
def test_empty_after_cleaning(raw: str) -> None:
    name = normalize_name(None, None, raw)
    assert name is not None
    assert name.issue == "empty"
    assert name.given_keys == ()
    assert name.surname_keys == ()


@pytest.mark.parametrize(
    ("first", "last", "full"),
    [(None, None, None), ("", "  ", None), (None, None, "   "), ("\t", None, "")],
)
def test_all_blank_is_none(first: str | None, last: str | None, full: str | None) -> None:
    assert normalize_name(first, last, full) is None


def test_properties() -> None:
    name = normalize_name(None, None, "José Luis García Márquez")
    assert name is not None
    assert name.first_given_key == "jose"
    assert name.first_surname_key == "garcia"
    assert name.display == "José Luis García Márquez"


def test_normalized_name_is_frozen() -> None:
    name = normalize_name(None, None, "Ana Pérez")
    assert name is not None
    with pytest.raises(AttributeError):
        name.issue = "x"  # type: ignore[misc]


def test_channels_agree() -> None:
    # The same person seen through four channels.
    spellings = [
        normalize_name("José Luis", "García Márquez", None, "CO"),  # web form
        normalize_name(None, None, "GARCIA MARQUEZ, JOSE LUIS", "CO"),  # call center
        normalize_name(None, None, "José Luis García Márquez 🙂", "CO"),  # WhatsApp
        normalize_name(None, None, "Sr. José Luis García-Márquez".replace("-", " "), "CO"),
    ]
    keys = {(n.given_keys, n.surname_keys) for n in spellings if n is not None}
    assert keys == {(("jose", "luis"), ("garcia", "marquez"))}


@pytest.mark.parametrize(
    ("nickname", "formal"),
    [
        ("pepe", "jose"),
        ("Pepe", "jose"),
        ("paco", "francisco"),
        ("pancho", "francisco"),
        ("curro", "francisco"),
        ("lupe", "guadalupe"),
        ("chucho", "jesus"),
        ("chuy", "jesus"),
        ("nacho", "ignacio"),
        ("concha", "concepcion"),
        ("conchita", "concepcion"),
        ("charo", "rosario"),
        ("lola", "dolores"),
        ("loli", "dolores"),
        ("memo", "guillermo"),
        ("beto", "alberto"),
        ("kike", "enrique"),
        ("quique", "enrique"),
        ("toño", "antonio"),
        ("tono", "antonio"),
        ("pili", "pilar"),
        ("maite", "maria teresa"),
        ("mari", "maria"),
        ("juanjo", "juan jose"),
        ("chema", "jose maria"),
        ("manolo", "manuel"),
        ("lalo", "eduardo"),
        ("rafa", "rafael"),
        ("santi", "santiago"),
        ("pipe", "felipe"),
        ("poncho", "alfonso"),
        ("goyo", "gregorio"),
        ("chabela", "isabel"),
        ("bill", "william"),
        ("will", "william"),
        ("billy", "william"),
        ("liam", "william"),
        ("bob", "robert"),
        ("bobby", "robert"),
        ("dick", "richard"),
        ("rick", "richard"),
        ("jim", "james"),
        ("jimmy", "james"),
        ("mike", "michael"),
        ("tom", "thomas"),
        ("kate", "katherine"),
        ("katie", "katherine"),
        ("liz", "elizabeth"),
        ("beth", "elizabeth"),
        ("betty", "elizabeth"),
        ("peggy", "margaret"),
        ("jack", "john"),
        ("ted", "edward"),
        ("hank", "henry"),
        ("chuck", "charles"),
        ("molly", "mary"),
        ("polly", "mary"),
        ("patty", "patricia"),
        ("trish", "patricia"),
        # Formal and unknown names map to themselves.
        ("jose", "jose"),
        ("José", "jose"),
        ("william", "william"),
        ("zyxwv", "zyxwv"),
    ],
)
def test_canonical_given_name(nickname: str, formal: str) -> None:
    assert canonical_given_name(nickname) == formal


def test_given_name_variants() -> None:
    assert given_name_variants("beto") >= {"beto", "alberto", "roberto", "humberto"}
    assert given_name_variants("jose") == frozenset({"jose"})
    assert given_name_variants("juanjo") == frozenset({"juanjo", "juan jose", "juan"})
    assert given_name_variants("alex") >= {"alejandro", "alexander", "alejandra"}
    assert given_name_variants("") == frozenset()
    # Intersecting variants links a nickname with the formal name.
    assert given_name_variants("pepe") & given_name_variants("jose")


def test_nickname_table_is_well_formed() -> None:
    data = files("cx360.normalize").joinpath("data")
    rows = list(csv.DictReader(data.joinpath("nicknames.csv").read_text("utf-8").splitlines()))
    assert len(rows) >= 250
    assert {row["language"] for row in rows} == {"es", "en"}
    assert all(row["nickname"].strip() and row["formal"].strip() for row in rows)
    given = data.joinpath("given_names.txt").read_text(encoding="utf-8").splitlines()
    assert len([line for line in given if line and not line.startswith("#")]) >= 300


# Hypothesis: arbitrary text never crashes and keys are stable under re-normalization.

_name_words = st.sampled_from(
    [
        "José", "JOSÉ", "maría", "Luis", "Juan", "Carlos", "Ana", "de", "la", "del", "los",
        "y", "van", "der", "García", "MÁRQUEZ", "López", "Cruz", "O'Brien", "Ruiz-Tagle",
        "Jean-Pierre", "Sr.", "Dra.", "Don", "Jr.", "III", "Cliente", "N/A", "😎", "🌸",
        "(mamá)", '"Pepe"', ",", "Mc", "St.", "Carmen", "Jesús", "Mary", "Ann", "x", "123",
        "Tía", "|", "-", "Ñúñez", "Smith", "ß", "İ",
    ]
)  # fmt: skip
_names = st.lists(_name_words, max_size=7).map(" ".join)
_countries = st.sampled_from([None, "CO", "MX", "ES", "US", "FR"])


@settings(max_examples=100, deadline=None)
@given(st.text(), st.text(), st.text(), _countries)
def test_never_crashes_on_any_text(first: str, last: str, full: str, country: str | None) -> None:
    for name in (
        normalize_name(first, last, full, country),
        normalize_name(None, None, full, country),
        normalize_name(first, None, None, country),
    ):
        if name is None:
            continue
        assert len(name.given_names) == len(name.given_keys)
        assert len(name.surnames) == len(name.surname_keys)
        assert all(key and " " not in key for key in name.given_keys + name.surname_keys)
        if name.issue is not None:
            assert name.given_keys == name.surname_keys == ()


def _keys(name: NormalizedName | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return ((), ()) if name is None else (name.given_keys, name.surname_keys)


@settings(max_examples=120, deadline=None)
@given(st.one_of(_names, st.text()), _countries)
def test_full_name_keys_are_stable_on_display(full: str, country: str | None) -> None:
    name = normalize_name(None, None, full, country)
    if name is None or name.issue is not None or "," in full:
        return
    again = normalize_name(None, None, name.display, country)
    if name.given_keys:
        assert _keys(again) == _keys(name)
    else:
        # "Sr. Pérez" is a surname; without the title, "Pérez" alone reads as a given name.
        assert again is not None
        assert again.given_keys + again.surname_keys == name.surname_keys


@settings(max_examples=120, deadline=None)
@given(st.one_of(_names, st.text()), st.one_of(_names, st.text()))
def test_field_keys_are_stable_on_display(first: str, last: str) -> None:
    name = normalize_name(first, last, None)
    if name is None or name.issue is not None:
        return
    again = normalize_name(" ".join(name.given_names), " ".join(name.surnames), None)
    assert _keys(again) == _keys(name)
    assert again is not None
    assert again.given_names == name.given_names
    assert again.surnames == name.surnames


@settings(max_examples=100, deadline=None)
@given(_names)
def test_keys_ignore_case_and_accents(full: str) -> None:
    upper = normalize_name(None, None, full.upper())
    lower = normalize_name(None, None, full.lower())
    assert _keys(upper) == _keys(lower)
