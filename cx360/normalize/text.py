"""Unicode folding shared by every normalizer.

Two public helpers:

* `fold` turns free text into a *match key*: compatibility-normalized, case-folded,
  accent-free, punctuation turned into single spaces. Two spellings of the same name
  that differ only in case, accents, punctuation, emoji or spacing fold to the same key.
* `clean_display` keeps what a person would want to read (accents, case, punctuation)
  and only removes noise: emoji, pictographs, symbols, control and invisible characters.

Both are pure and cached with `functools.lru_cache`: ingest calls them on millions of
values that repeat a lot (first names, cities, street types).

Speed: the common inputs take fast paths that stay in C (`str` methods, one regex):
ASCII text, Latin text that is ASCII once its accents are stripped, and display text
made only of letters, digits and punctuation. Everything else is classified character
by character; those decisions are made once per distinct code point and memoized in a
`dict` subclass that `str.translate` consults.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Final

__all__ = ["clean_display", "fold"]

_CACHE_SIZE: Final = 1 << 17

# Apostrophe look-alikes, mapped to ASCII "'" *before* NFKC: NFKC would turn the acute
# accent "´" into a space plus a combining mark, splitting "O´Brien" in two.
_APOSTROPHE_LIKES: Final = "\u2019\u2018\u201b\u00b4\u0060\u02bc\u02bb\u02b9\u2032\uff07"
_TO_APOSTROPHE: Final = str.maketrans(dict.fromkeys(_APOSTROPHE_LIKES, "'"))
_APOSTROPHE_RE: Final = re.compile(f"[{_APOSTROPHE_LIKES}]")

# Accents of Latin letters (after NFD), removed by a cheap regex before the general path.
_COMMON_ACCENTS: Final = re.compile("[\u0300-\u036f]")

# Text that `clean_display` returns unchanged except for whitespace: letters and digits
# of any script (no combining marks: `\w` excludes them), ASCII punctuation except the
# symbols $+<=>^`|~, whitespace.
_PLAIN_DISPLAY: Final = re.compile(r"[\w\s!-#%-*,-/:;?@\[-\]_{}]*")

# Letters that carry no Unicode decomposition but are "accented" variants for matching.
_LETTER_FOLDS: Final[dict[str, str]] = {
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ł": "l",
    "ħ": "h",
    "ŧ": "t",
    "ı": "i",
    "ĸ": "k",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
}

# Combining marks that are *diacritics* (accents on Latin, Greek and Cyrillic letters,
# optional Hebrew and Arabic vowel points). Marks outside these ranges are intrinsic to
# their script (Devanagari vowel signs, Thai vowels, kana voicing marks) and are kept,
# because deleting them would change the letters rather than strip an accent.
_DIACRITIC_RANGES: Final = (
    (0x0300, 0x036F),  # Combining Diacritical Marks
    (0x0483, 0x0489),  # Cyrillic combining marks
    (0x0591, 0x05C7),  # Hebrew points and accents
    (0x0610, 0x061A),  # Arabic honorific marks
    (0x064B, 0x065F),  # Arabic harakat
    (0x0670, 0x0670),  # Arabic superscript alef
    (0x06D6, 0x06ED),  # Arabic Quranic marks
    (0x1AB0, 0x1AFF),  # Combining Diacritical Marks Extended
    (0x1DC0, 0x1DFF),  # Combining Diacritical Marks Supplement
    (0x20D0, 0x20FF),  # Combining marks for symbols (keycap, enclosing circle)
    (0xFE00, 0xFE0F),  # Variation selectors (emoji presentation)
    (0xFE20, 0xFE2F),  # Combining half marks
    (0xE0100, 0xE01EF),  # Variation selectors supplement
)


def _is_diacritic(code: int) -> bool:
    return any(lo <= code <= hi for lo, hi in _DIACRITIC_RANGES)


def _fold_char(char: str) -> str | None:
    """Decide what one code point becomes in a match key (None deletes it)."""
    if char == "'" or char in _APOSTROPHE_LIKES:
        return "'"
    folded = _LETTER_FOLDS.get(char)
    if folded is not None:
        return folded
    category = unicodedata.category(char)
    major = category[0]
    if major == "L":
        return char
    if category == "Nd":
        # Arabic-Indic, Devanagari, fullwidth ... digits compare equal to ASCII ones.
        return str(unicodedata.digit(char))
    if major == "N":
        return char
    if major == "M":
        return None if _is_diacritic(ord(char)) else char
    if major in "PSZ":
        # Punctuation and symbols separate words ("Juan😎Pérez" is two words).
        return " "
    # Control, format (ZWJ, soft hyphen, bidi marks), private use, unassigned.
    return " " if char.isspace() else None


def _display_char(char: str) -> str | None:
    """Decide what one code point becomes in display text (None deletes it)."""
    if char in _APOSTROPHE_LIKES:
        return "'"
    category = unicodedata.category(char)
    major = category[0]
    if major in "LNP" or char == "°":
        return char
    if major == "M":
        # Emoji variation selectors and enclosing keycaps are not accents.
        if category == "Me" or 0xFE00 <= ord(char) <= 0xFE0F or 0xE0100 <= ord(char) <= 0xE01EF:
            return None
        return char
    if major in "SZ":
        return " "
    return " " if char.isspace() else None


class _CharMap(dict[int, str | None]):
    """Lazy translation table for `str.translate`: each code point is classified once."""

    __slots__ = ("_decide",)

    def __init__(self, decide: Callable[[str], str | None]) -> None:
        super().__init__()
        self._decide = decide

    def __missing__(self, code: int) -> str | None:
        value = self._decide(chr(code))
        self[code] = value
        return value


_FOLD_MAP: Final = _CharMap(_fold_char)
_DISPLAY_MAP: Final = _CharMap(_display_char)

# ASCII fast path: lower-case letters and digits survive, apostrophes are kept for the
# in-word rule, every other printable character separates words, controls vanish.
_ASCII_FOLD: Final = str.maketrans(
    {
        **{chr(c): " " for c in range(0x20, 0x7F) if not chr(c).isalnum()},
        **{chr(c): None for c in range(0x20) if not chr(c).isspace()},
        "\x7f": None,
        "'": "'",
        "`": "'",
    }
)

# An apostrophe run between two letters or digits is dropped (O'Brien -> obrien); any
# other apostrophe is a separator.
_INNER_APOSTROPHE: Final = re.compile(r"(?<=[^\W_])'+(?=[^\W_])")


@cache
def _leading_marks() -> re.Pattern[str]:
    """Combining marks at the start of a word: their base letter was deleted (an emoji).

    Built on first use from the running Python's Unicode database (every combining mark
    lies below U+20000 or in the variation selectors at U+E0100).
    """
    codes = [
        code
        for code in (*range(0x20000), *range(0xE0000, 0xE1000))
        if unicodedata.category(chr(code))[0] == "M"
    ]
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    members = "".join(
        re.escape(chr(low)) + ("-" + re.escape(chr(high)) if high > low else "")
        for low, high in ranges
    )
    # Anchored on the whitespace so that the big class is only tried after a space.
    return re.compile(rf"\s[{members}]+")


def _finish(text: str) -> str:
    """Drop orphaned marks, collapse whitespace, recompose (NFC)."""
    text = _leading_marks().sub(" ", " " + text)
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _ascii_fold(text: str) -> str:
    """`fold` for ASCII text (already lower case)."""
    folded = text.translate(_ASCII_FOLD)
    if "'" in folded:
        folded = _INNER_APOSTROPHE.sub("", folded).replace("'", " ")
    return " ".join(folded.split())


@lru_cache(maxsize=_CACHE_SIZE)
def fold(text: str) -> str:
    """Fold text into a comparison key.

    Steps: NFKC, case folding (``ß`` -> ``ss``), accent removal (``é`` -> ``e``,
    ``ñ`` -> ``n``, ``ø`` -> ``o``), emoji/symbols/control characters removed,
    punctuation turned into spaces, apostrophes inside words dropped
    (``O'Brien`` -> ``obrien``), whitespace collapsed. Letters of other scripts are kept
    (case-folded); digits of any script become ASCII digits.

    Args:
        text: Any text.

    Returns:
        The folded key; an empty string when nothing matchable is left.
        ``fold(fold(x)) == fold(x)`` for every string.

    Examples:
        >>> fold("  JOSÉ  Ñúñez-O'Brien 😎 ")
        'jose nunez obrien'
    """
    if text.isascii():
        return _ascii_fold(text.lower())
    if _APOSTROPHE_RE.search(text):
        text = text.translate(_TO_APOSTROPHE)
    folded = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    # Fast path, the common case for Spanish names: once the accents are gone the text
    # is ASCII.
    unaccented = _COMMON_ACCENTS.sub("", folded)
    if unaccented.isascii():
        return _ascii_fold(unaccented)
    # The map also turns apostrophe look-alikes into "'" again: NFKC itself can produce
    # them ("ŉ" -> "ʼn", "″" -> "′′").
    folded = folded.translate(_FOLD_MAP)
    if "'" in folded:
        folded = _INNER_APOSTROPHE.sub("", folded).replace("'", " ")
    return _finish(folded)


@lru_cache(maxsize=_CACHE_SIZE)
def clean_display(text: str) -> str:
    """Clean text for display without changing how it reads.

    Keeps letters (with their accents and case), digits and punctuation; removes emoji,
    pictographs, symbols, control and invisible characters; normalizes apostrophe
    look-alikes to ``'``; collapses whitespace. Text is returned in NFC (after NFKC, so
    fullwidth and ligature forms become plain letters).

    Args:
        text: Any text.

    Returns:
        The cleaned text; an empty string when nothing readable is left.

    Examples:
        >>> clean_display("  Caro   Gómez 🌸✨ ")
        'Caro Gómez'
    """
    if text.isascii() and text.isprintable():
        return " ".join(text.translate(_ASCII_DISPLAY).split())
    if _APOSTROPHE_RE.search(text):
        text = text.translate(_TO_APOSTROPHE)
    cleaned = unicodedata.normalize("NFKC", text)
    if _PLAIN_DISPLAY.fullmatch(cleaned) and not _APOSTROPHE_RE.search(cleaned):
        # Letters, digits, ASCII punctuation and spaces only: nothing to remove, and
        # NFKC output is already composed.
        return " ".join(cleaned.split())
    # The map also turns apostrophe look-alikes into "'" again: NFKC itself can produce
    # them.
    return _finish(cleaned.translate(_DISPLAY_MAP))


# ASCII symbols that `clean_display` removes (the ASCII punctuation is kept).
_ASCII_DISPLAY: Final = str.maketrans(
    {
        **{c: " " for c in "$+<=>^`|~"},
        "`": "'",
    }
)
