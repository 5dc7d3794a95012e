"""Identifiers a store declares for itself: a loyalty card, a customer number, a passport.

cx360 knows nothing of such a number's format, so it keeps what any format keeps: the
letters and digits, case-folded, in their order ("AB-123 456" and "ab123456" are one
card). A value made of placeholder characters ("0000", "N/A", "none", "999999") is no
identifier: the rules of `placeholders.is_placeholder_national_id` apply, since agents
fill a missing card number as they fill a missing ID.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from cx360.normalize.placeholders import is_placeholder_national_id

__all__ = ["MAX_DECLARED_KEY_CHARS", "normalize_declared_identifier"]

# Longer values are not identifiers a person is asked for (a free-text note, a token).
MAX_DECLARED_KEY_CHARS = 64
_NOT_ALNUM_ASCII = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=65_536)
def normalize_declared_identifier(raw: str) -> str | None:
    """The match key of a declared identifier's value: letters and digits case-folded,
    or None for a blank, placeholder or over-long value."""
    if raw.isascii():
        key = _NOT_ALNUM_ASCII.sub("", raw.lower())
    else:
        folded = unicodedata.normalize("NFKC", raw).casefold()
        key = "".join(ch for ch in folded if ch.isalnum())
    if not key or len(key) > MAX_DECLARED_KEY_CHARS or is_placeholder_national_id(key):
        return None
    return key
