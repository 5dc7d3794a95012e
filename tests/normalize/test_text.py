"""Tests for cx360.normalize.text: fold and clean_display."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cx360.normalize.text import clean_display, fold


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("José", "jose"),
        ("JOSÉ LUIS", "jose luis"),
        ("Ñúñez", "nunez"),
        ("Muñoz", "munoz"),
        ("  García   Márquez  ", "garcia marquez"),
        ("Straße", "strasse"),
        ("O'Brien", "obrien"),
        ("O’Brien", "obrien"),
        ("O´Brien", "obrien"),
        ("O`Brien", "obrien"),
        ("D'Angelo", "dangelo"),
        ("'hola'", "hola"),
        ("rock 'n' roll", "rock n roll"),
        ("Jean-Pierre", "jean pierre"),
        ("Cl. 45 # 12-34", "cl 45 12 34"),
        ("a.b,c;d:e/f\\g|h_i", "a b c d e f g h i"),
        ('"Pepe"', "pepe"),
        ("Caro 🌸✨", "caro"),
        ("Juan😎Pérez", "juan perez"),
        ("👩🏽‍💻 Ana", "ana"),
        ("🇨🇴 Colombia", "colombia"),
        ("1️⃣ uno", "1 uno"),
        ("Ｊｏｓé", "jose"),
        ("ﬁnal", "final"),
        ("İstanbul", "istanbul"),
        ("Øster Łódź", "oster lodz"),
        ("Æsir Œuvre", "aesir oeuvre"),
        ("Ελένη", "ελενη"),
        ("Йорк", "иорк"),
        ("한국어", "한국어"),
        ("がぎ", "がぎ"),
        ("नमस्ते", "नमस्ते"),
        ("٣٤٥", "345"),
        ("Gar\u00adcía", "garcia"),
        ("zero\u200bwidth", "zerowidth"),
        ("tab\tnew\nline", "tab new line"),
        ("e\u0301", "e"),
        ("", ""),
        ("   ", ""),
        ("🌸🌸🌸", ""),
    ],
)
def test_fold_examples(raw: str, expected: str) -> None:
    assert fold(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Caro   Gómez 🌸✨ ", "Caro Gómez"),
        ("JOSÉ LUIS", "JOSÉ LUIS"),
        ("O´Brien", "O'Brien"),
        ("Cl. 45 # 12-34", "Cl. 45 # 12-34"),
        ("N° 12", "N° 12"),
        ("Juan😎Pérez", "Juan Pérez"),
        ("👩🏽‍💻 Ana", "Ana"),
        ("Ｊｏｓé", "José"),
        ("e\u0301", "é"),
        ("zero\u200bwidth", "zerowidth"),
        ("a\x00b", "ab"),
        ("tab\tnew\nline", "tab new line"),
        ("$100 + tax", "100 tax"),
        ("🌸", ""),
    ],
)
def test_clean_display_examples(raw: str, expected: str) -> None:
    assert clean_display(raw) == expected


@settings(max_examples=120, deadline=None)
@given(st.text(alphabet=st.characters(codec="latin-1")))
def test_fast_paths_match_general_path(text: str) -> None:
    # A Cyrillic word forces the general path; the rest must fold as on the fast paths
    # (ASCII, and Latin text that is ASCII once its accents are removed).
    expected = " ".join(part for part in (fold(text), "ж") if part)
    assert fold(text + " Ж") == expected
    shown = " ".join(part for part in (clean_display(text), "Ж") if part)
    assert clean_display(text + " Ж") == shown


@settings(max_examples=120, deadline=None)
@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded


@settings(max_examples=120, deadline=None)
@given(st.text())
def test_fold_output_shape(text: str) -> None:
    folded = fold(text)
    assert folded == folded.strip()
    assert "  " not in folded
    assert "'" not in folded
    assert folded == unicodedata.normalize("NFC", folded)
    assert not any(unicodedata.category(char)[0] in "PSC" for char in folded)


@settings(max_examples=120, deadline=None)
@given(st.text())
def test_clean_display_is_idempotent(text: str) -> None:
    cleaned = clean_display(text)
    assert clean_display(cleaned) == cleaned
    assert cleaned == cleaned.strip()
    assert not any(unicodedata.category(char)[0] == "C" for char in cleaned)


@settings(max_examples=120, deadline=None)
@given(st.text(alphabet=st.characters(codec="latin-1")))
def test_fold_ignores_case_and_accents(text: str) -> None:
    assert fold(text.upper()) == fold(text.lower())
    stripped = "".join(
        char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char)
    )
    assert fold(stripped) == fold(text)
