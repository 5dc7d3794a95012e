"""Golden values keep their best written form: accents and case, when a record has them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from cx360.normalize.text import fold
from cx360.profile._survivorship import DEFAULT_RULES, golden_value, written_quality


def _name_row(n: int, given: str, surname: str, day: int = 1, source: str = "web") -> Any:
    return {
        "id": n,
        "source": source,
        "source_record_id": f"r{n}",
        "observed_at": datetime(2024, 1, day, tzinfo=UTC),
        "given_names": given,
        "surnames": surname,
        "given_keys": fold(given),
        "surname_key": fold(surname).split()[0],
        "surname2_key": None,
        "priority": 0,
        "raw": {},
    }


def _city_row(n: int, city: str, day: int = 1) -> Any:
    return {
        "id": n,
        "source": "web",
        "source_record_id": f"r{n}",
        "observed_at": datetime(2024, 1, day, tzinfo=UTC),
        "city_key": fold(city),
        "raw": {"city": city},
        "priority": 0,
    }


def test_the_accented_form_most_records_write_is_the_golden_name() -> None:
    rows = [
        _name_row(1, "Carlos", "Londoño", day=1),
        _name_row(2, "Carlos", "Londoño", day=2),
        _name_row(3, "Carlos", "Londono", day=9),  # the newest record lost the accent
    ]
    golden = golden_value(rows, "name", DEFAULT_RULES.name)
    assert golden is not None
    assert golden.value == "Carlos Londoño"
    assert golden.source_record_id == "r2"  # the best record writing it so
    assert golden.records == 3  # one value, held by all three


def test_an_attested_accent_beats_capitals_and_plain_ascii() -> None:
    rows = [
        _name_row(1, "JOSE", "LONDONO", day=5),
        _name_row(2, "Jose", "Londono", day=6),
        _name_row(3, "José", "Londoño", day=1),  # one record, oldest, has the accents
    ]
    golden = golden_value(rows, "name", DEFAULT_RULES.name)
    assert golden is not None and golden.value == "José Londoño"
    # without any accent, mixed case beats all capitals
    plain = golden_value(rows[:2], "name", DEFAULT_RULES.name)
    assert plain is not None and plain.value == "Jose Londono"


def test_cities_keep_their_written_form_too() -> None:
    rows = [_city_row(1, "BOGOTA", day=9), _city_row(2, "Bogotá", day=1)]
    golden = golden_value(rows, "city", DEFAULT_RULES.city)
    assert golden is not None and golden.value == "Bogotá"


def test_one_written_form_keeps_the_chains_choice() -> None:
    rows = [_name_row(1, "Ana", "Pérez", day=1), _name_row(2, "Ana", "Pérez", day=3)]
    golden = golden_value(rows, "name", DEFAULT_RULES.name)
    assert golden is not None and golden.source_record_id == "r2"  # the most recent


@given(st.permutations(["Londoño", "Londono", "LONDOÑO", "londono", "Londoño"]))
def test_the_choice_does_not_depend_on_row_order(surnames: list[str]) -> None:
    rows = [_name_row(i, "Carlos", s) for i, s in enumerate(surnames, 1)]
    chosen = {golden_value(rows, "name", DEFAULT_RULES.name).value}  # type: ignore[union-attr]
    rows.reverse()
    chosen.add(golden_value(rows, "name", DEFAULT_RULES.name).value)  # type: ignore[union-attr]
    assert chosen == {"Carlos Londoño"}


def test_written_quality() -> None:
    assert written_quality("Londoño") == (1, True)
    assert written_quality("LONDOÑO") == (1, False)
    assert written_quality("londono") == (0, False)
