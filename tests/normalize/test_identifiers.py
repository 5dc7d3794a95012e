"""Declared identifiers' values: letters and digits case-folded, placeholders no value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cx360.normalize.identifiers import MAX_DECLARED_KEY_CHARS, normalize_declared_identifier


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("LC-48213", "lc48213"),
        ("  lc 48213 ", "lc48213"),
        ("P-AB 992.114", "pab992114"),
        ("Ñandú-72", "ñandú72"),
        ("ＬＣ４８２１３", "lc48213"),  # full-width forms, as some keyboards type them
    ],
)
def test_one_value_however_written(raw: str, key: str) -> None:
    assert normalize_declared_identifier(raw) == key


@pytest.mark.parametrize(
    "raw", ["", "  ", "0000", "N/A", "n.a.", "none", "999999", "123456", "XXXX", "-", "x" * 65]
)
def test_placeholders_and_blanks_are_no_value(raw: str) -> None:
    assert normalize_declared_identifier(raw) is None


@given(st.text(max_size=80))
def test_never_raises_and_a_key_reads_as_itself(raw: str) -> None:
    key = normalize_declared_identifier(raw)
    if key is not None:
        assert 0 < len(key) <= MAX_DECLARED_KEY_CHARS
        assert key.isalnum()
        assert normalize_declared_identifier(key) == key  # idempotent
