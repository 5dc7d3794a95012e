"""Email address normalization: a display form and a canonical match key.

Validation is `email_validator.validate_email` with deliverability checks off
(never any network), with its defaults pinned explicitly so a change of the
library's module-level settings cannot change our results.

Before validation the value is unwrapped: surrounding spaces and quotes, a
``mailto:`` prefix (and any ``?subject=...`` query), a display name with angle
brackets (``Ana <ana@example.co>`` or ``<ana@example.co>``) and trailing dots,
commas and semicolons are removed.

Match key (`NormalizedEmail.match_key`): the validated address with the local
part lowercased (every mainstream provider treats it case-insensitively), then,
only for providers whose rules are documented and stable:

* ``gmail.com`` / ``googlemail.com``: domain ``gmail.com``, dots in the local
  part removed, ``+tag`` removed;
* Outlook.com (``outlook``, ``hotmail``, ``live``, ``msn`` and their common
  country domains), iCloud (``icloud.com``, ``me.com``, ``mac.com``), Proton
  (``proton.me``, ``protonmail.com``, ``protonmail.ch``, ``pm.me``) and Fastmail:
  ``+tag`` removed; dots kept (they are significant there).

Yahoo's ``-keyword`` disposable addresses are not folded: the base name is chosen
by the user and is not the mailbox name, so removing the suffix would be a guess.
Corporate domains keep ``+`` and dots as typed: their servers may treat them as
distinct mailboxes.

Speed: `validate_email` costs ~50 µs. Plain ASCII addresses take a fast path:
one regex built on the library's own local-part character class plus the same
domain rules (label and total lengths, a dot, a TLD ending in a letter, the
library's special-use names); it only ever answers "valid, and normalized like
this", and a differential property test holds it to the library's answers.
Anything else (Unicode, quoting, Punycode, ``--`` labels, invalid input) goes
through the library. Readings are cached on the unwrapped address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, NamedTuple

import email_validator
from email_validator import validate_email
from email_validator.rfc_constants import ATEXT, CASE_INSENSITIVE_MAILBOX_NAMES

from cx360.normalize.placeholders import is_placeholder_email

__all__ = [
    "GMAIL_DOMAINS",
    "PLUS_TAG_DOMAINS",
    "NormalizedEmail",
    "email_match_key",
    "normalize_email",
]

# One cache, on the unwrapped address (~350 bytes an entry, ~45 MB when full).
_CACHE_SIZE: Final = 2**17
# RFC 5321 limit; no valid address (we reject quoted local parts) is longer.
_MAX_ADDRESS_LEN: Final = 254
# Raw values longer than this cannot hold a valid address even with wrappers.
_MAX_RAW_LEN: Final = 512

GMAIL_DOMAINS: Final = frozenset({"gmail.com", "googlemail.com"})

# Providers that deliver ``user+tag@`` to ``user@``.
PLUS_TAG_DOMAINS: Final = frozenset(
    {
        # Outlook.com
        "outlook.com",
        "outlook.es",
        "outlook.com.br",
        "outlook.com.ar",
        "outlook.cl",
        "outlook.fr",
        "outlook.de",
        "outlook.it",
        "hotmail.com",
        "hotmail.es",
        "hotmail.co.uk",
        "hotmail.fr",
        "hotmail.de",
        "hotmail.it",
        "hotmail.com.ar",
        "hotmail.com.br",
        "hotmail.com.mx",
        "live.com",
        "live.com.mx",
        "live.com.ar",
        "live.cl",
        "live.co.uk",
        "live.fr",
        "msn.com",
        # iCloud
        "icloud.com",
        "me.com",
        "mac.com",
        # Proton
        "proton.me",
        "protonmail.com",
        "protonmail.ch",
        "pm.me",
        # Fastmail
        "fastmail.com",
        "fastmail.fm",
    }
)

_CASE_INSENSITIVE_MAILBOXES: Final = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)
_SPECIAL_USE_DOMAINS: Final = tuple(email_validator.SPECIAL_USE_DOMAIN_NAMES)
_TRAILING_JUNK: Final = ".,; \t\r\n"
_QUOTES: Final = "\"'`"
# A plain ASCII address in one match: the library's own dot-atom character
# class for the local part; hostname labels of 1-63 letters, digits and inner
# hyphens, at least two labels, the last ending in a letter; no "--" anywhere
# in the domain (R-LDH and Punycode labels are left to the library).
_FAST_ADDRESS_RE: Final = re.compile(
    rf"([{ATEXT}]+(?:\.[{ATEXT}]+)*)"
    r"@((?!.*--)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z0-9][a-z0-9-]{0,61})?[a-z])",
    re.ASCII | re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class NormalizedEmail:
    """An email address read from one source value.

    Attributes:
        raw: The value exactly as given.
        display: The address as email-validator normalizes it (domain
            lowercased and IDNA-decoded, local part as given) for showing;
            None when invalid.
        match_key: The canonical form used for matching (see the module
            docstring); None when invalid or a placeholder.
        placeholder: True for typed placeholders (``noemail@noemail.com``...).
        issue: None when fine, else ``"invalid"`` or ``"placeholder"``.
    """

    raw: str
    display: str | None
    match_key: str | None
    placeholder: bool
    issue: str | None

    def __reduce__(
        self,
    ) -> tuple[type[NormalizedEmail], tuple[str, str | None, str | None, bool, str | None]]:
        # Pickled through the constructor, so that unpickling works the same when this
        # module is compiled (mypyc would otherwise assign to the frozen fields).
        return (
            NormalizedEmail,
            (self.raw, self.display, self.match_key, self.placeholder, self.issue),
        )


class _Reading(NamedTuple):
    display: str | None
    match_key: str | None
    placeholder: bool
    issue: str | None


_INVALID: Final = _Reading(None, None, False, "invalid")


def _unwrap(raw: str) -> str:
    """Remove what surrounds an address in exports and copy-paste."""
    text = raw.strip()
    if text[:7].lower() == "mailto:":
        text = text[7:].split("?", 1)[0].strip()
    if text.endswith(">") and "<" in text:
        text = text[text.rindex("<") + 1 : -1].strip()
    elif text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES:
        text = text[1:-1].strip()
    return text.rstrip(_TRAILING_JUNK).lstrip()


def _fast_display(address: str) -> str | None:
    """The library's normalized form of a plain ASCII address, or None to ask the library.

    Returns a result only when `validate_email` is certain to accept the
    address and to produce exactly this form; None means "not sure", never
    "invalid".
    """
    if len(address) > _MAX_ADDRESS_LEN or not address.isascii():
        return None
    match = _FAST_ADDRESS_RE.fullmatch(address)
    if match is None:
        return None
    local = match.group(1)
    domain = match.group(2).lower()  # what UTS-46 mapping does to ASCII letters
    if len(domain) > 253:
        return None
    for special in _SPECIAL_USE_DOMAINS:
        if domain == special or domain.endswith("." + special):
            return None
    if local.lower() in _CASE_INSENSITIVE_MAILBOXES:
        local = local.lower()
    return f"{local}@{domain}"


def _library_display(address: str) -> str | None:
    try:
        result = validate_email(
            address,
            allow_smtputf8=True,
            allow_empty_local=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            strict=False,
            check_deliverability=False,
            test_environment=False,
            globally_deliverable=True,
        )
    except ValueError:  # EmailNotValidError and anything idna raises
        return None
    normalized: str = result.normalized
    return normalized


def email_match_key(display: str) -> str:
    """The canonical match key of a validated address.

    Args:
        display: An address as returned in `NormalizedEmail.display`.

    Returns:
        The lowercased address with provider-specific aliases folded
        (see the module docstring).
    """
    local, _, domain = display.rpartition("@")
    local = local.lower()
    domain = domain.lower()
    if domain in GMAIL_DOMAINS:
        domain = "gmail.com"
        base = local.split("+", 1)[0].replace(".", "")
        local = base or local
    elif domain in PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0] or local
    return f"{local}@{domain}"


@lru_cache(maxsize=_CACHE_SIZE)
def _read(address: str) -> _Reading:
    display = _fast_display(address)
    if display is None:
        display = _library_display(address)
        if display is None:
            return _INVALID
    key = email_match_key(display)
    if is_placeholder_email(key):
        return _Reading(display, None, True, "placeholder")
    return _Reading(display, key, False, None)


def _reading(raw: str) -> _Reading:
    address = _unwrap(raw)
    # Too long to be valid: answered without the library and kept out of the cache.
    return _INVALID if not address or len(address) > _MAX_ADDRESS_LEN else _read(address)


def _normalize(raw: str) -> NormalizedEmail:
    reading = _reading(raw)
    return NormalizedEmail(
        raw, reading.display, reading.match_key, reading.placeholder, reading.issue
    )


def normalize_email(raw: str | None) -> NormalizedEmail | None:
    """Validate and normalize one email address.

    Args:
        raw: The value as found in the source; may be None.

    Returns:
        None for None or blank input; otherwise a `NormalizedEmail`. Invalid
        addresses are flagged (``issue="invalid"``), never repaired beyond
        removing wrappers.
    """
    if raw is None or not raw.strip():
        return None
    if len(raw) > _MAX_RAW_LEN:
        return NormalizedEmail(raw, None, None, False, "invalid")
    return _normalize(raw)


def email_reading(raw: str | None) -> tuple[str | None, str | None, bool, str | None] | None:
    """`normalize_email`'s (display, match_key, placeholder, issue), without building the
    `NormalizedEmail` (a frozen dataclass costs ~0.8 µs to build, on the ingest hot
    path)."""
    if raw is None or not raw.strip():
        return None
    if len(raw) > _MAX_RAW_LEN:
        return None, None, False, "invalid"
    return _reading(raw)
