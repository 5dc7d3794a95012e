"""Recognition of placeholder values: what agents type when a customer has none.

A placeholder such as ``0000000000``, ``noemail@noemail.com`` or ``SINID`` is
shared by thousands of unrelated customers. Treating it as an identifier would
glue all of them into one profile, so the normalizers flag it and never use it
as a match key.

The rules are deliberately biased towards flagging: a false positive costs one
missed link on one attribute of one customer, a false negative can merge
thousands of people. The word lists are module-level frozensets so that
deployments can see (and, in a fork, extend) exactly what is recognised.

Digit rules (``is_placeholder_digits``), applied to the ASCII digits of a value:

* all zeros (any length) or one digit repeated (3+ digits): ``0000000``, ``5555555555``;
* a whole string that is one ascending or descending run, wrapping 9→0, of 4+
  digits: ``1234567``, ``0123456789``, ``987654321``;
* 6+ digits repeating a 2- or 3-digit block: ``121212``, ``123123123``;
* 7+ digits using at most 2 distinct digits: ``3000000000``, ``1010101010``
  (about 5 in a million real 10-digit numbers look like this; we accept losing them);
* 8+ digits whose last 7 are one repeated digit (a real prefix followed by filler):
  ``3150000000``, ``5511111111``;
* with ``nanp=True`` (the caller knows it is a +1 number): the fictional range
  555-0100..555-0199, directory assistance 555-1212 and the song number 867-5309
  as the last 7 digits of a 7-, 10- or 11-digit number.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "KNOWN_FAKE_NATIONAL_IDS",
    "NANP_FAKE_SUBSCRIBER_NUMBERS",
    "PLACEHOLDER_EMAIL_DOMAINS",
    "PLACEHOLDER_EMAIL_DOMAIN_LABELS",
    "PLACEHOLDER_EMAIL_LOCAL_PARTS",
    "PLACEHOLDER_NATIONAL_ID_WORDS",
    "RESERVED_EMAIL_TLDS",
    "is_placeholder_digits",
    "is_placeholder_email",
    "is_placeholder_national_id",
]

# Last 7 digits of +1 numbers that no real customer holds: directory assistance
# and the "Jenny" song number (the 555-01xx fictional range is checked by shape).
NANP_FAKE_SUBSCRIBER_NUMBERS: frozenset[str] = frozenset({"5551212", "8675309"})

# Local parts (compared lowercased, with ".", "-", "_", "/" and spaces removed and
# any "+tag" dropped) that mean "the customer gave no email".
PLACEHOLDER_EMAIL_LOCAL_PARTS: frozenset[str] = frozenset(
    {
        # English
        "noemail",
        "nomail",
        "noemailaddress",
        "none",
        "na",
        "nn",
        "nd",
        "null",
        "nil",
        "no",
        "nobody",
        "noone",
        "noreply",
        "donotreply",
        "unknown",
        "fake",
        "test",
        "testing",
        "email",
        "correo",
        # Spanish
        "sinemail",
        "sinmail",
        "sincorreo",
        "nocorreo",
        "notiene",
        "notengo",
        "noaplica",
        "ninguno",
        "ninguna",
        "nada",
        "nadie",
        "sin",
        "sd",
        "desconocido",
        "prueba",
        "pruebas",
        # keyboard mashing
        "x",
        "xx",
        "xxx",
        "asdf",
        "asdfg",
        "asdfgh",
        "qwerty",
        "abc",
        "abc123",
        "123",
    }
)

# Whole domains that stand for "no email". Real providers (mail.com, email.com,
# disposable services such as mailinator.com) are deliberately absent: an address
# there belongs to a real, if elusive, person.
PLACEHOLDER_EMAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "noemail.com",
        "nomail.com",
        "na.com",
        "none.com",
        "sincorreo.com",
        "sinemail.com",
        "sinmail.com",
        "nocorreo.com",
        "notiene.com",
        "ninguno.com",
        "correo.com",
        "test.com",
        "prueba.com",
        "dominio.com",
        "domain.com",
        "example.com",
        "example.org",
        "example.net",
    }
)

# First labels that make a domain a placeholder when what follows is only a short
# public suffix ("noemail.com.co", "sincorreo.mx"), not a real organisation's
# subdomain ("correo.unal.edu.co" stays real).
PLACEHOLDER_EMAIL_DOMAIN_LABELS: frozenset[str] = frozenset(
    {
        "noemail",
        "nomail",
        "sinemail",
        "sinmail",
        "sincorreo",
        "nocorreo",
        "notiene",
        "notengo",
        "ninguno",
        "ninguna",
        "none",
        "null",
        "na",
        "nn",
        "example",
        "test",
        "prueba",
        "dominio",
    }
)

# RFC 2606 / RFC 6761 reserved top-level domains: never a real mailbox.
RESERVED_EMAIL_TLDS: frozenset[str] = frozenset(
    {"example", "test", "invalid", "localhost", "local"}
)

# Cleaned (uppercase, alphanumerics only) national-ID values meaning "no ID".
PLACEHOLDER_NATIONAL_ID_WORDS: frozenset[str] = frozenset(
    {
        "NA",
        "NN",
        "ND",
        "SD",
        "SN",
        "NO",
        "NONE",
        "NULL",
        "NIL",
        "UNKNOWN",
        "TEST",
        "PRUEBA",
        "SINID",
        "SINDOC",
        "SINDOCUMENTO",
        "SINCEDULA",
        "SINDNI",
        "SINNIE",
        "SINCURP",
        "SINRFC",
        "SINSSN",
        "SINDATO",
        "SINDATOS",
        "NOTIENE",
        "NOAPLICA",
        "NINGUNO",
        "NINGUNA",
        "DESCONOCIDO",
        "PENDIENTE",
        "ABC",
        "ABC123",
        "ASDF",
        "QWERTY",
    }
)

# Syntactically valid IDs that are published samples or generic codes.
KNOWN_FAKE_NATIONAL_IDS: frozenset[str] = frozenset(
    {
        "12345678Z",  # the sample DNI printed everywhere; letter is valid
        "00000000T",
        "99999999R",
        "XAXX010101000",  # RFC "público en general" (generic Mexican taxpayer)
        "XEXX010101000",  # RFC for foreign taxpayers without one
        "078051120",  # the Woolworth wallet SSN
        "219099999",  # SSN printed in a 1940 SSA pamphlet
        "123456789",
    }
)

# Characters removed from an email local part before comparing with the lists.
_EMAIL_LOCAL_SEPARATORS = (".", "-", "_", "/", " ")


_NON_DIGITS_RE = re.compile(r"[^0-9]+")
_NON_ALNUM_ASCII_RE = re.compile(r"[^0-9A-Za-z]+")


def _ascii_digits(text: str) -> str:
    """Keep the decimal digits of `text` as ASCII (any script's digits are converted)."""
    if text.isascii():
        return _NON_DIGITS_RE.sub("", text)
    out = []
    for ch in text:
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
    return "".join(out)


_ASCENDING = "0123456789" * 3
_DESCENDING = "9876543210" * 3


def _is_run(digits: str) -> bool:
    """True when the digits step by +1 (or by -1) throughout, wrapping 9→0."""
    if len(digits) > 20:
        repeat = len(digits) // 10 + 2
        return digits in "0123456789" * repeat or digits in "9876543210" * repeat
    return digits in _ASCENDING or digits in _DESCENDING


def _is_periodic(digits: str, period: int) -> bool:
    block = digits[:period]
    return (block * (len(digits) // period + 1))[: len(digits)] == digits


def _is_trivial_digits(digits: str) -> bool:
    """Repetition or a run: the shapes that are placeholders even inside longer IDs."""
    n = len(digits)
    if n == 0:
        return False
    if digits.count(digits[0]) == n:
        return digits[0] == "0" or n >= 3
    return n >= 4 and _is_run(digits)


def _placeholder_digits(digits: str, nanp: bool) -> bool:
    n = len(digits)
    distinct = len(set(digits))
    if distinct == 1:
        return digits[0] == "0" or n >= 3
    # A run of n digits uses min(n, 10) distinct digits: most numbers skip the test.
    if n >= 4 and distinct == min(n, 10) and _is_run(digits):
        return True
    if distinct <= 3 and n >= 6:
        # 2 distinct digits in 7+, or a repeated 2- or 3-digit block in 6+.
        if n >= 7 and distinct <= 2:
            return True
        if _is_periodic(digits, 2) or _is_periodic(digits, 3):
            return True
    if n >= 8:
        tail = digits[-7:]
        if tail.count(tail[0]) == 7:
            return True
    if nanp and (n == 7 or n == 10 or (n == 11 and digits[0] == "1")):
        subscriber = digits[-7:]
        if subscriber.startswith("55501") or subscriber in NANP_FAKE_SUBSCRIBER_NUMBERS:
            return True
    return False


def is_placeholder_digits(digits: str, *, nanp: bool = False) -> bool:
    """Tell whether a phone number or numeric ID is a typed placeholder.

    Non-digit characters are ignored, so ``"300-000-0000"`` and ``"3000000000"``
    give the same answer. The rules are listed in the module docstring.

    Args:
        digits: The digits to check (a national significant number, a raw
            digit string, or a numeric ID).
        nanp: Also apply the North American (+1) fictional-number rules; only
            meaningful when the caller knows the number is a +1 number.

    Returns:
        True when the value must not be used to link customers.
    """
    if not (digits.isascii() and digits.isdigit()):
        digits = _ascii_digits(digits)
    if not digits:
        return False
    # Not cached (nor are the other checks here): each costs about a
    # microsecond, and the normalizers call them behind their own caches.
    return _placeholder_digits(digits, nanp)


def _placeholder_email_domain(domain: str) -> bool:
    if domain in PLACEHOLDER_EMAIL_DOMAINS:
        return True
    labels = domain.split(".")
    if labels[-1] in RESERVED_EMAIL_TLDS:
        return True
    first = labels[0].replace("-", "")
    rest = labels[1:]
    # A short public suffix ("com", "com.co", "mx") after the first label: the
    # first label is the whole registrable name, so a placeholder word there is
    # the whole domain.
    short_suffix = 1 <= len(rest) <= 2 and all(len(label) <= 3 for label in rest)
    if not short_suffix:
        return False
    if first in PLACEHOLDER_EMAIL_DOMAIN_LABELS:
        return True
    return len(first) >= 3 and first.count(first[0]) == len(first)


def is_placeholder_email(canonical: str) -> bool:
    """Tell whether an email address is a typed placeholder.

    Expects the canonical (lowercased) form produced by the email normalizer,
    but lowercases again so any address can be passed.

    Flagged:

    * local parts in `PLACEHOLDER_EMAIL_LOCAL_PARTS` after removing ``.``,
      ``-``, ``_``, ``/`` and any ``+tag`` (``no.email``, ``n/a``, ``sin_correo``);
    * local parts of one repeated character (3+ characters: ``xxx``, ``aaaa``), or
      of any length when the domain's first label is the same (``a@a.com``);
    * all-digit local parts that are digit placeholders (``0000``, ``123456``);
    * domains in `PLACEHOLDER_EMAIL_DOMAINS`, domains under a reserved TLD
      (``.example``, ``.test``, ``.invalid``, ``.localhost``, ``.local``), and
      domains whose registrable name is a placeholder word or one repeated
      character (``noemail.com.co``, ``xxx.com``).

    Disposable-mail domains (mailinator and the like) are *not* placeholders:
    somebody real read that mailbox.

    Args:
        canonical: The email address, ideally already canonical.

    Returns:
        True when the address must not be used to link customers.
    """
    local, sep, domain = canonical.lower().rpartition("@")
    if not sep:
        return False
    local = local.split("+", 1)[0]
    for separator in _EMAIL_LOCAL_SEPARATORS:
        local = local.replace(separator, "")
    if local in PLACEHOLDER_EMAIL_LOCAL_PARTS:
        return True
    if len(local) >= 3 and local.count(local[0]) == len(local):
        return True
    if local.isascii() and local.isdigit() and is_placeholder_digits(local):
        return True
    if local and local.count(local[0]) == len(local) and domain.split(".")[0] == local:
        return True  # "a@a.com", "xx@xx.co": the same key struck for both halves
    return bool(domain) and _placeholder_email_domain(domain)


def _clean_id(value: str) -> str:
    if value.isascii():
        return _NON_ALNUM_ASCII_RE.sub("", value).upper()
    value = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in value.upper() if ch.isalnum())


def is_placeholder_national_id(value: str) -> bool:
    """Tell whether a national ID is a typed placeholder.

    The value is compared after uppercasing and removing everything that is not
    a letter or digit, so ``"n/a"``, ``"N.A."`` and ``"NA"`` are the same.

    Flagged:

    * words in `PLACEHOLDER_NATIONAL_ID_WORDS` (``NA``, ``SINID``, ``NOTIENE``...);
    * published samples and generic codes in `KNOWN_FAKE_NATIONAL_IDS`
      (``12345678Z``, ``XAXX010101000``, ``078-05-1120``...);
    * one repeated character of any length (``0``, ``XXXXXXXX``);
    * all-digit values that `is_placeholder_digits` flags;
    * mixed values whose digits (5+) are one repeated digit or one run
      (``X0000000T``, ``23456789D``); the weaker digit rules are not applied
      there because dates inside CURP/RFC legitimately look like ``000101``.

    Args:
        value: The raw or canonical ID.

    Returns:
        True when the value must not be used to link customers.
    """
    cleaned = _clean_id(value)
    if not cleaned:
        return False
    if cleaned in PLACEHOLDER_NATIONAL_ID_WORDS or cleaned in KNOWN_FAKE_NATIONAL_IDS:
        return True
    if cleaned.count(cleaned[0]) == len(cleaned):
        return True
    digits = _ascii_digits(cleaned)
    if len(digits) == len(cleaned):
        return is_placeholder_digits(digits)
    return len(digits) >= 5 and _is_trivial_digits(digits)
