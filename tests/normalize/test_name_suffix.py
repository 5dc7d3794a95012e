"""`name_suffix`: the generational suffix a name ends with, which the name drops."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cx360.normalize.names import name_suffix, normalize_name


@pytest.mark.parametrize(
    ("first", "last", "full", "expected"),
    [
        ("Matthew", "Clark Jr.", None, "jr"),
        ("matthew", "clark jr", None, "jr"),
        (None, None, "MATTHEW CLARK SR.", "sr"),
        (None, None, "Robert Smith Jnr", "jr"),
        (None, None, "Robert Smith Senior", "sr"),
        ("John", "Smith III", None, "iii"),
        (None, None, "John Smith II", "ii"),
        (None, None, "Juan Pérez hijo", "jr"),
        (None, None, "Smith Jr., Robert", "jr"),
        (None, None, "Smith, Robert, Jr.", "jr"),
        # a professional suffix after the generation is read past
        (None, None, "Robert Smith Jr. PhD", "jr"),
        # the last-name field is read before the full name
        ("Robert", "Smith Sr.", "Robert Smith Jr.", "sr"),
    ],
)
def test_generational_suffixes(
    first: str | None, last: str | None, full: str | None, expected: str
) -> None:
    assert name_suffix(first, last, full) == expected


@pytest.mark.parametrize(
    ("first", "last", "full"),
    [
        (None, None, "Robert Smith"),
        (None, None, "Sr. Pérez"),  # a title before the name
        (None, None, "Junior"),  # a given name on its own
        ("Junior", "Gómez", None),
        (None, None, "Robert Smith PhD"),
        (None, None, None),
        ("", " ", ""),
    ],
)
def test_no_generational_suffix(first: str | None, last: str | None, full: str | None) -> None:
    assert name_suffix(first, last, full) is None


def test_the_suffix_is_dropped_from_the_name_it_is_read_from() -> None:
    for full in ("Juan Pérez hijo", "Juan Pérez Jr.", "Juan Pérez Sr."):
        name = normalize_name(None, None, full, "MX")
        assert name is not None
        assert name.given_keys == ("juan",)
        assert name.surname_keys == ("perez",)


@given(st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()), st.text())
def test_never_crashes_and_gives_a_known_suffix(
    first: str | None, last: str | None, full: str
) -> None:
    assert name_suffix(first, last, full) in (None, "jr", "sr", "ii", "iii", "iv")
