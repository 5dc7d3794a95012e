"""Batch (DuckDB SQL) and real-time (Python) comparison levels must agree."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import duckdb
import pytest

from cx360.resolve._blocking import OTHERS_COLUMN
from cx360.resolve._features import (
    COMPARISONS,
    DECLARED_IDENTIFIER,
    DECLARED_NAMES,
    DECLARED_VALUES,
    FEATURE_COLUMNS,
    Comparison,
    Record,
    declared_columns,
    email_user,
)

VALUES: dict[str, list[str | None]] = {
    "given_key": [
        *(None, "jose", "josee", "pepe", "maria", "mariajose", "j", "carolina", "caro"),
        *("herbert", "herbret", "gabriela", "gavriella", "garcia"),
    ],
    "surname_key": [None, "garcia", "garcai", "lopez", "lopes", "marquez", "marquess", "jose"],
    "surname2_key": [None, "garcia", "lopez", "marquez"],
    "birth_date": [
        *(None, "1985-03-07", "1985-07-03", "1985-03-08", "1985-11-30", "1990-01-01"),
        "1985-12-07",  # the month keyed wrong: one part different
        "2000-01-01",  # typed for an unknown date: compared as unknown
    ],
    # a date that does not exist, as written (only where `birth_date` is None)
    "birth_date_parts": [None, "1985-15-07", "1985-03-47", "9185-03-07", "1985-13-08"],
    "email_key": [
        *(None, "pepe@gmail.com", "pepe@hotmail.com", "ana@gmail.com", "pepee@gmail.com"),
        *("pepe@gmial.com", "jose.garcia85@gmail.com", "jose.garcia58@gmail.com"),
        *("josegarcia85@gmail.com", "ana@x.co", "pepeb@gmail.com", "pepa@gmial.com"),
        *("jose.garcia85@hotmail.com", "jose.garcia85b@gmail.com"),
    ],
    "phone_key": [None, "+573001234567", "+573001234568"],
    "national_id_key": [None, "12345678", "12345679", "12345687", "87654321"],
    "address_key": [None, "calle 45 12 34", "calle 45 12 35", "carrera 7 45 10"],
    "city_key": [None, "bogota", "madrid"],
    "postcode_key": [None, "2000", "2001", "2100", "SW1A1AA"],
    "region_key": [None, "new south wales", "victoria"],
    "handle_key": [None, "pepe", "caro_g"],
    "name_suffix": [None, "jr", "sr"],
    # declared identifiers: the first, and further ones among the others
    "declared_key": [None, "card=a1", "card=a2", "passport=a1"],
}
_OTHERS = [None, "declared:card=a1", "declared:card=a3", "phone:+573001234567"]


def _record(rng: random.Random) -> dict[str, Any]:
    record: dict[str, Any] = {c: rng.choice(v) for c, v in VALUES.items()}
    given = record["given_key"]
    record["given_canonical"] = {"pepe": "jose", "caro": "carolina"}.get(given, given)
    extra = rng.choice([None, "jose", "luis"])
    record["given_keys"] = None if given is None else " ".join(filter(None, [given, extra]))
    record["email_user"] = email_user(record)
    if record["birth_date"] is not None:
        record["birth_date_parts"] = None
    others = rng.choice(_OTHERS) if record["declared_key"] is not None else None
    record[OTHERS_COLUMN] = others
    record[DECLARED_VALUES], record[DECLARED_NAMES] = declared_columns(record)
    return record


def _sql_levels(comparison: Comparison, pairs: Sequence[tuple[Record, Record]]) -> list[int]:
    """The level of each pair by the comparison's DuckDB SQL (missing columns NULL)."""
    columns = [*FEATURE_COLUMNS, "email_user", DECLARED_VALUES, DECLARED_NAMES]
    con = duckdb.connect()
    select_cols = ", ".join(f'?::VARCHAR AS "{c}_l", ?::VARCHAR AS "{c}_r"' for c in columns)
    cases = " ".join(
        f"WHEN {level.sql} THEN {i}" if level.sql != "ELSE" else f"ELSE {i}"
        for i, level in enumerate(comparison.levels)
    )
    if "ELSE" not in cases:
        cases += f" ELSE {len(comparison.levels) - 1}"
    query = f"SELECT CASE {cases} END FROM (SELECT {select_cols})"
    found = []
    for left, right in pairs:
        params = [v for c in columns for v in (left.get(c), right.get(c))]
        row = con.execute(query, params).fetchone()
        assert row is not None
        found.append(int(row[0]))
    return found


@pytest.mark.parametrize("comparison", [*COMPARISONS, DECLARED_IDENTIFIER], ids=lambda c: c.name)
def test_sql_and_python_levels_agree(comparison: Any) -> None:
    rng = random.Random(7)
    pairs = [(_record(rng), _record(rng)) for _ in range(1500)]
    # levels too rare to meet by chance: names swapped between fields
    swapped = _record(rng) | {"given_key": "jose", "given_canonical": "jose", "given_keys": "jose"}
    swapped |= {"surname_key": "garcia"}
    back = swapped | {"given_key": "garcia", "given_canonical": "garcia", "given_keys": "garcia"}
    pairs.append((swapped, back | {"surname_key": "jose"}))
    seen: set[int] = set()
    for (left, right), sql_level in zip(pairs, _sql_levels(comparison, pairs), strict=True):
        assert sql_level == comparison.level_of(left, right), (comparison.name, left, right)
        seen.add(sql_level)
    # every level is met by some pair (the values above are chosen for it)
    missing = [comparison.levels[i].label for i in range(len(comparison.levels)) if i not in seen]
    assert not missing, (comparison.name, missing)


def test_a_birth_date_typed_for_an_unknown_one_compares_as_unknown() -> None:
    birth_date = next(c for c in COMPARISONS if c.name == "birth_date")
    assert birth_date.levels[0].is_null
    for left, right in (("2000-01-01", "2000-01-01"), ("1970-01-01", "1985-03-07")):
        assert birth_date.level_of({"birth_date": left}, {"birth_date": right}) == 0
    assert birth_date.level_of({"birth_date": "1985-03-07"}, {"birth_date": "1985-03-07"}) == 1


def _person(email: str | None, given: str | None = None, surname: str | None = None) -> Record:
    return {"email_key": email, "given_key": given, "surname_key": surname}


@pytest.mark.parametrize(
    ("left", "right", "label"),
    [
        (_person("ana.ruiz@gmail.com"), _person("ana.ruiz@gmail.com"), "exact"),
        # a slip in the user name or in the provider
        (_person("lolat86@bishop-giles.com"), _person("glolat86@bishop-gilees.com"), "typo"),
        (_person("ellis.h@morris-davis.net"), _person("ellivs.h@morris-davis.net"), "typo"),
        (_person("f.j@sharp.com"), _person("f.j@shrarp.com"), "typo"),
        (_person("j.leo@robeson.c0m"), _person("j.lee@roberson.com"), "typo"),
        # variants a provider hands to namesakes: separators, digits
        (_person("juanlozano@gmail.com"), _person("juan_lozano@gmail.com"), "else"),
        (_person("jose.garcia85@gmail.com"), _person("jose.garcia58@gmail.com"), "else"),
        (_person("mariaramirezb@gmail.com"), _person("maria_ramirez@gmail.com"), "else"),
        # the same user name at another provider counts the names a second time, unless
        # it holds more than names
        (_person("maria_aguilar@gmail.com"), _person("maria_aguilar@icloud.com"), "else"),
        (
            _person("hday48@thomas-carter.com"),
            _person("hday48@thomas.mc"),
            "same numbered user name",
        ),
        # letters added after digits are a slip, not a provider's variant
        (_person("jt40@combs.net"), _person("jt40o@combs.net"), "typo"),
        # so does a user name built from the other's name
        (
            _person("leonardo.jaimes89@mail.co", "leonardo", "jaimes"),
            _person("ljaimes@work.com", "leonardo", "jaimes"),
            "else",
        ),
        (_person("ana.ruiz@gmail.com"), _person(None), "null"),
    ],
)
def test_email_levels(left: Record, right: Record, label: str) -> None:
    email = next(c for c in COMPARISONS if c.name == "email")
    python_level = email.level_of(left, right)
    assert email.levels[python_level].label == label
    assert _sql_levels(email, [(left, right), (right, left)]) == [python_level, python_level]
