"""Countries as people write them: ISO 3166 alpha-2 or alpha-3 codes, or a name.

A CRM export says ``Colombia``, ``COLOMBIA``, ``COL``, ``México`` or ``Mexico``, not
``CO`` / ``MX``: all of them mean one market, and the market decides how a national
phone number, a birth date or an ID is read. `normalize_country` gives the alpha-2 code
of any of them, or None when the text names no country it knows (the record then keeps
the raw value and is read with its source's default country).

Names are matched folded (case, accents and punctuation ignored), in English and
Spanish, with the other names people commonly write (``EEUU``, ``UK``, ``Méjico``).
The table is ``data/countries.csv``: the regions of libphonenumber, their names in its
geocoding data (English, Spanish) and ISO alpha-3 codes.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib.resources import files
from typing import Final

from cx360.normalize.text import fold

__all__ = ["country_names", "normalize_country"]

_CACHE_SIZE: Final = 4096
_MAX_LEN: Final = 80


@cache
def _table() -> dict[str, str]:
    """Every accepted spelling (folded, spaces removed) → alpha-2 code."""
    text = files("cx360.normalize").joinpath("data", "countries.csv").read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        alpha2, alpha3, names = line.split(",", 2)
        spellings = [alpha2, alpha3, *names.split("|")]
        for spelling in spellings:
            key = _key(spelling)
            if not key:
                continue
            known = found.setdefault(key, alpha2)
            if known != alpha2:  # the table itself is wrong: a test loads it
                raise ValueError(f"country spelling {spelling!r} names {known} and {alpha2}")
    return found


def _key(text: str) -> str:
    """Folded, without spaces: 'EE.UU.' and 'ee uu' are one key."""
    return fold(text).replace(" ", "")


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_country(raw: str | None) -> str | None:
    """The ISO 3166 alpha-2 code (upper case) of a country code or name; None if unknown.

    ``"co"``, ``"COL"``, ``"Colombia"``, ``"república de colombia"`` → ``"CO"``;
    ``"España"``, ``"espana"``, ``"ESP"``, ``"Spain"`` → ``"ES"``.
    """
    if raw is None:
        return None
    text = raw.strip()
    if not text or len(text) > _MAX_LEN:
        return None
    return _table().get(_key(text))


def country_names() -> dict[str, str]:
    """A copy of the spelling table (folded spelling → alpha-2), for documentation."""
    return dict(_table())
