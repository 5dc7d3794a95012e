"""Social-media handles as match keys.

The same account shows up as ``@Caro_Gomez``, ``caro_gomez``,
``https://www.instagram.com/caro_gomez/?igshid=abc`` or ``tiktok.com/@caro_gomez``;
`normalize_handle` turns all of them into ``"caro_gomez"``.

Rules: NFKC; a profile URL of a known network (Instagram, X/Twitter, Facebook, TikTok,
Threads, LinkedIn, YouTube, Telegram, GitHub, Pinterest, Snapchat) is reduced to its
account segment; leading ``@`` signs are removed; the result is case-folded. A handle
keeps letters, digits, ``_``, ``.`` and ``-``; a leading or trailing ``.``/``-`` is
sentence punctuation and is dropped. When the value holds several words
(``"@caro_gomez 🌸"``, ``"IG: @caro_gomez"``) the word with the ``@`` (or the URL)
wins, else the first one. Characters that no network allows (emoji, spaces, symbols)
are removed. Handles longer than 100 characters are not handles.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

__all__ = ["normalize_handle"]

_CACHE_SIZE: Final = 1 << 16
_MAX_LENGTH: Final = 100

_NETWORK_URL: Final = re.compile(
    r"""
    ^(?:https?:/*)?
    (?:(?:www|m|mobile|web|vm|[a-z]{2}(?:-[a-z]{2})?)\.)?
    (?:twitter\.com|x\.com|instagram\.com|instagr\.am|facebook\.com|fb\.com|fb\.me
      |tiktok\.com|threads\.net|threads\.com|linkedin\.com|youtube\.com|t\.me
      |telegram\.me|github\.com|pinterest\.com|snapchat\.com)
    (?::\d+)?
    (?P<path>/[^?#]*)?
    """,
    re.IGNORECASE | re.VERBOSE,
)
_GENERIC_URL: Final = re.compile(r"^(?:https?:/*|www\.)", re.IGNORECASE)
# Path segments that come before the account name (linkedin.com/in/foo, /user/foo).
_PATH_PREFIXES: Final = frozenset({"in", "pub", "company", "c", "user", "channel", "add", "u"})
_INVALID: Final = re.compile(r"[^\w.\-]+")
_EDGE: Final = ".-"


def _from_url(word: str) -> str | None:
    """The account segment of a profile URL; None if `word` is no network URL."""
    match = _NETWORK_URL.match(word)
    if match is None:
        return None
    path = match.group("path")
    if path is None and word[:4].casefold() != "http":
        return None  # "instagram.com" alone is more likely a (weird) handle than a URL
    segments = [segment for segment in (path or "").split("/") if segment]
    while len(segments) > 1 and segments[0].casefold() in _PATH_PREFIXES:
        segments.pop(0)
    if not segments or segments[0].casefold() == "profile.php":
        return ""  # facebook.com/profile.php?id=...: no handle in the URL
    return segments[0].lstrip("@")


def _pick_word(text: str) -> str:
    """From "IG: @caro_gomez 🌸" pick the word that is the handle."""
    words = text.split()
    if len(words) == 1:
        return words[0]
    for word in words:
        if word.startswith("@") or _NETWORK_URL.match(word) or _GENERIC_URL.match(word):
            return word
    labels_skipped = [word for word in words if not word.endswith(":")]
    return labels_skipped[0] if labels_skipped else words[0]


def _clean(handle: str) -> str:
    handle = unicodedata.normalize("NFKC", handle.casefold())
    return _INVALID.sub("", handle).strip(_EDGE)


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_handle(raw: str | None) -> str | None:
    """Normalize a social-media handle or profile URL to a match key.

    Args:
        raw: ``"@Foo"``, ``"foo"``, ``"https://x.com/Foo"``, ``"tiktok.com/@foo"``, ...

    Returns:
        The case-folded handle (``"foo"``), or None when nothing usable is left
        (blank, only invalid characters, an e-mail address or a non-profile URL).

    Examples:
        >>> normalize_handle("https://www.instagram.com/Caro_Gomez/?hl=es")
        'caro_gomez'
        >>> normalize_handle("@@Juan.Perez.")
        'juan.perez'
    """
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return None
    word = _pick_word(text)
    account = _from_url(word)
    if account is None:
        account = word.lstrip("@")
        if "@" in account or _GENERIC_URL.match(account):
            return None  # an e-mail address or a website, not a handle
    handle = _clean(account)
    # Removing characters can let Unicode normalization recombine what is left.
    for _ in range(3):
        again = _clean(handle)
        if again == handle:
            break
        handle = again
    if not handle or len(handle) > _MAX_LENGTH or _GENERIC_URL.match(handle):
        return None
    return handle
