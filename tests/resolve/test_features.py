"""Batch (DuckDB SQL) and real-time (Python) comparison levels must agree."""

from __future__ import annotations

import random
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
    "email_key": [None, "pepe@gmail.com", "pepe@hotmail.com", "ana@gmail.com"],
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


@pytest.mark.parametrize("comparison", [*COMPARISONS, DECLARED_IDENTIFIER], ids=lambda c: c.name)
def test_sql_and_python_levels_agree(comparison: Any) -> None:
    rng = random.Random(7)
    pairs = [(_record(rng), _record(rng)) for _ in range(1500)]
    # levels too rare to meet by chance: names swapped between fields
    swapped = _record(rng) | {"given_key": "jose", "given_canonical": "jose", "given_keys": "jose"}
    swapped |= {"surname_key": "garcia"}
    back = swapped | {"given_key": "garcia", "given_canonical": "garcia", "given_keys": "garcia"}
    pairs.append((swapped, back | {"surname_key": "jose"}))
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
    seen: set[int] = set()
    for left, right in pairs:
        params = [v for c in columns for v in (left[c], right[c])]
        sql_level = con.execute(query, params).fetchone()[0]
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
