"""Phone number normalization to E.164.

`normalize_phone` reads a phone number as people type it (spaces, dots,
brackets, ``00``/``011`` international prefixes, a country code without ``+``,
trunk prefixes, extensions, WhatsApp-style ids, full-width digits) and returns
its E.164 form, its type, and whether it is a placeholder.

How a number without ``+`` is read, given the record's country:

1. ``00`` (anywhere) or ``011`` (NANP countries, or no country) starts an
   international number, and it is read as nothing else: carrier-select
   prefixes such as Colombia's ``005``/``009`` would otherwise turn a mistyped
   number into a valid one in another country;
2. otherwise in the country's national format (trunk prefixes and carrier
   codes as in libphonenumber metadata); digits that start with the country's
   own code are read as ``+`` that code (WhatsApp ids such as ``573001234567``)
   unless the whole string is itself a valid national number;
3. failing that, 11+ digits are tried as a number with any country code
   without ``+`` (``34612345678`` on a Colombian record);
4. numbering plans that libphonenumber no longer reads are rewritten when the
   result is valid: Mexican mobile ``1`` after ``+52`` and the ``044``/``045``/
   ``01`` prefixes (2019), Colombian 8-digit landlines ``(1) 234 5678`` →
   ``601 234 5678`` (2021).

Without a country only ``+``, ``00``/``011`` and 11+ digit numbers with a
country code can be read; anything else gets ``issue="no_country"``. Nothing is
guessed beyond that: a number that libphonenumber metadata does not validate
gets ``issue="invalid"`` and no E.164 form. Placeholders (see
`cx360.normalize.placeholders`) are checked on the national significant number
of a readable number (so the flag is the same however the number was typed;
the +1 fictional ranges only for +1 numbers), and on the typed digits of an
unreadable one (``0000000000`` is a placeholder, not a mistake).

Speed: ``phonenumbers.parse`` plus ``number_type`` cost ~40-50 µs. Most input is
either ``+``-prefixed or a plain national number, for which parsing reduces to
slicing digits; those take a fast path that builds the national significant
number directly, under exactly the conditions where ``phonenumbers.parse``
would produce the same one, and type it with precompiled copies of the
library's own metadata patterns. Everything else goes through
``phonenumbers.parse``. Readings are cached per (digits, country), so formatting
variants of one number share a cache entry.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, NamedTuple, TypeAlias

import phonenumbers
from phonenumbers import PhoneNumberType
from phonenumbers.phonemetadata import PhoneMetadata, PhoneNumberDesc

from cx360.normalize.placeholders import is_placeholder_digits

__all__ = ["NormalizedPhone", "normalize_phone", "phone_digits"]

# One cache, on the cleaned digits: formatting variants of a number share an
# entry (~350 bytes each, so ~45 MB when full).
_CACHE_SIZE: Final = 2**17
# E.164 allows 15 digits; with a 3-digit international prefix that is 18.
_MAX_DIGITS: Final = 18
_MIN_DIGITS: Final = 4

_KIND_NAMES: Final[dict[int, str]] = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}

# Countries dialling abroad with 011 (the North American Numbering Plan).
_NANP_REGIONS: Final = frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(1, ()))

# Common non-ISO spellings of supported regions.
_REGION_ALIASES: Final = {"UK": "GB"}

# An extension at the end: "ext. 12", "x12", "#12", "anexo 12", ";ext=12".
_EXTENSION_RE: Final = re.compile(
    r"(?:[,;]\s*)?(?:ext(?:ension|ensi[oó]n|n)?|ex|x|#|anexo|opc(?:i[oó]n)?)"
    r"\s*[.:=]?\s*\d{1,7}\s*$",
    re.IGNORECASE,
)
# Every extension marker contains one of these; most numbers have none.
_EXTENSION_HINT_RE: Final = re.compile(r"[#xXoO]")
# For bytes.translate: deleting through a 256-entry table beats a regex by 2x.
_NON_DIGIT_BYTES: Final = bytes(b for b in range(256) if not 0x30 <= b <= 0x39)


@dataclass(frozen=True, slots=True)
class NormalizedPhone:
    """A phone number read from one source value.

    Attributes:
        raw: The value exactly as given.
        e164: The number in E.164 (``"+573001234567"``); None when it is not a
            valid number. Extensions are never part of it.
        kind: ``"mobile"``, ``"fixed_line"``, ``"fixed_line_or_mobile"``,
            ``"voip"``, ``"toll_free"``, ``"premium_rate"``, ``"shared_cost"``,
            ``"personal_number"``, ``"pager"``, ``"uan"``, ``"voicemail"`` or
            ``"unknown"``; None when `e164` is None.
        placeholder: True for typed placeholders (``0000000000``,
            ``5555555555``...): such a number never links two people.
        issue: None when fine, else ``"invalid"``, ``"placeholder"`` or
            ``"no_country"`` (national format and no country to read it with).
    """

    raw: str
    e164: str | None
    kind: str | None
    placeholder: bool
    issue: str | None

    def __reduce__(
        self,
    ) -> tuple[type[NormalizedPhone], tuple[str, str | None, str | None, bool, str | None]]:
        # Pickled through the constructor, so that unpickling works the same when this
        # module is compiled (mypyc would otherwise assign to the frozen fields).
        return (NormalizedPhone, (self.raw, self.e164, self.kind, self.placeholder, self.issue))

    @property
    def match_key(self) -> str | None:
        """The E.164 form when the number is valid and not a placeholder."""
        return None if self.placeholder else self.e164


class _Reading(NamedTuple):
    """What a cleaned digit string means, independent of the raw text."""

    e164: str | None
    kind: str | None
    placeholder: bool
    issue: str | None


# --------------------------------------------------------------------------- #
# Number typing with precompiled metadata patterns
# --------------------------------------------------------------------------- #

_Desc: TypeAlias = tuple[frozenset[int], re.Pattern[str]] | None
# Per NSN length: general pattern, (type, pattern) in library order, fixed line, mobile.
_Plan: TypeAlias = tuple[
    re.Pattern[str] | None,
    tuple[tuple[int, re.Pattern[str]], ...],
    re.Pattern[str] | None,
    re.Pattern[str] | None,
]


def _compile_desc(desc: PhoneNumberDesc | None) -> _Desc:
    if desc is None or not desc.national_number_pattern:
        return None
    return (frozenset(desc.possible_length), re.compile(desc.national_number_pattern))


def _for_length(desc: _Desc, length: int) -> re.Pattern[str] | None:
    # phonenumberutil._is_number_matching_desc: a desc with possible lengths
    # never matches a number of another length.
    if desc is None:
        return None
    lengths, pattern = desc
    return None if lengths and length not in lengths else pattern


class _TypeMatcher:
    """`phonenumberutil._number_type_helper` for one region, precompiled.

    The library checks up to 11 patterns per call, each behind a length test
    and a regex-cache lookup; here the patterns that can apply to a given
    number length are selected once per length.
    """

    __slots__ = ("_fixed_line", "_general", "_mobile", "_ordered", "_plans", "_same_mobile_fixed")

    def __init__(self, metadata: PhoneMetadata) -> None:
        self._general = _compile_desc(metadata.general_desc)
        self._ordered = (
            (PhoneNumberType.PREMIUM_RATE, _compile_desc(metadata.premium_rate)),
            (PhoneNumberType.TOLL_FREE, _compile_desc(metadata.toll_free)),
            (PhoneNumberType.SHARED_COST, _compile_desc(metadata.shared_cost)),
            (PhoneNumberType.VOIP, _compile_desc(metadata.voip)),
            (PhoneNumberType.PERSONAL_NUMBER, _compile_desc(metadata.personal_number)),
            (PhoneNumberType.PAGER, _compile_desc(metadata.pager)),
            (PhoneNumberType.UAN, _compile_desc(metadata.uan)),
            (PhoneNumberType.VOICEMAIL, _compile_desc(metadata.voicemail)),
        )
        self._fixed_line = _compile_desc(metadata.fixed_line)
        self._mobile = _compile_desc(metadata.mobile)
        self._same_mobile_fixed = bool(metadata.same_mobile_and_fixed_line_pattern)
        self._plans: dict[int, _Plan] = {}

    def _plan(self, length: int) -> _Plan:
        typed = []
        for number_type, desc in self._ordered:
            pattern = _for_length(desc, length)
            if pattern is not None:
                typed.append((number_type, pattern))
        plan = (
            _for_length(self._general, length),
            tuple(typed),
            _for_length(self._fixed_line, length),
            _for_length(self._mobile, length),
        )
        self._plans[length] = plan
        return plan

    def number_type(self, nsn: str) -> int:
        plan = self._plans.get(len(nsn)) or self._plan(len(nsn))
        general, typed, fixed_line, mobile = plan
        if general is None or general.fullmatch(nsn) is None:
            return PhoneNumberType.UNKNOWN
        for number_type, pattern in typed:
            if pattern.fullmatch(nsn) is not None:
                return number_type
        is_mobile = mobile is not None and mobile.fullmatch(nsn) is not None
        if fixed_line is not None and fixed_line.fullmatch(nsn) is not None:
            if self._same_mobile_fixed or is_mobile:
                return PhoneNumberType.FIXED_LINE_OR_MOBILE
            return PhoneNumberType.FIXED_LINE
        if not self._same_mobile_fixed and is_mobile:
            return PhoneNumberType.MOBILE
        return PhoneNumberType.UNKNOWN


class _Region(NamedTuple):
    """Per-region data for the national fast path."""

    country_code: int
    country_code_text: str
    international_prefix: re.Pattern[str] | None
    national_prefix: re.Pattern[str] | None


_matchers: dict[tuple[int, str], _TypeMatcher | None] = {}
_regions: dict[str, _Region | None] = {}
_leading_digits: dict[str, re.Pattern[str] | None] = {}


def _matcher(country_code: int, region: str) -> _TypeMatcher | None:
    key = (country_code, region)
    try:
        return _matchers[key]
    except KeyError:
        pass
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    matcher = None if metadata is None else _TypeMatcher(metadata)
    _matchers[key] = matcher
    return matcher


def _leading_digits_re(region: str) -> re.Pattern[str] | None:
    try:
        return _leading_digits[region]
    except KeyError:
        pass
    metadata = PhoneMetadata.metadata_for_region(region, None)
    leading = None
    if metadata is not None and metadata.leading_digits is not None:
        leading = re.compile(metadata.leading_digits)
    _leading_digits[region] = leading
    return leading


def _region_from_list(country_code: int, nsn: str, regions: tuple[str, ...]) -> str | None:
    """Mirrors phonenumberutil._region_code_for_number_from_list."""
    for candidate in regions:
        leading = _leading_digits_re(candidate)
        if leading is not None:
            if leading.match(nsn):
                return candidate
            continue
        matcher = _matcher(country_code, candidate)
        if matcher is not None and matcher.number_type(nsn) != PhoneNumberType.UNKNOWN:
            return candidate
    return None


def _number_type(country_code: int, nsn: str) -> int:
    """`phonenumbers.number_type` for a country code and national significant number."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions:
        return PhoneNumberType.UNKNOWN
    region = regions[0] if len(regions) == 1 else _region_from_list(country_code, nsn, regions)
    if region is None:
        return PhoneNumberType.UNKNOWN
    matcher = _matcher(country_code, region)
    return PhoneNumberType.UNKNOWN if matcher is None else matcher.number_type(nsn)


def _region_info(region: str) -> _Region | None:
    try:
        return _regions[region]
    except KeyError:
        pass
    metadata = PhoneMetadata.metadata_for_region(region, None)
    info = None
    if metadata is not None and metadata.country_code is not None:
        info = _Region(
            country_code=metadata.country_code,
            country_code_text=str(metadata.country_code),
            international_prefix=(
                re.compile(metadata.international_prefix) if metadata.international_prefix else None
            ),
            national_prefix=(
                re.compile(metadata.national_prefix_for_parsing)
                if metadata.national_prefix_for_parsing
                else None
            ),
        )
    _regions[region] = info
    return info


_national_prefixes: dict[int, re.Pattern[str] | None] = {}


def _national_prefix_re(country_code: int) -> re.Pattern[str] | None:
    """The national-prefix-for-parsing pattern of a country code's main region."""
    try:
        return _national_prefixes[country_code]
    except KeyError:
        pass
    region = phonenumbers.region_code_for_country_code(country_code)
    pattern = None
    if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
        metadata = PhoneMetadata.metadata_for_nongeo_region(country_code, None)
        if metadata is not None and metadata.national_prefix_for_parsing:
            pattern = re.compile(metadata.national_prefix_for_parsing)
    elif region != phonenumbers.UNKNOWN_REGION:
        info = _region_info(region)
        pattern = None if info is None else info.national_prefix
    _national_prefixes[country_code] = pattern
    return pattern


# --------------------------------------------------------------------------- #
# Reading digit strings
# --------------------------------------------------------------------------- #


class _Found(NamedTuple):
    """A valid number: country code, national significant number, type."""

    country_code: int
    nsn: str
    number_type: int


def _split_country_code(digits: str) -> tuple[int, str] | None:
    """Mirrors phonenumberutil._extract_country_code: the first 1-3 digit prefix that is a code."""
    if not digits or digits[0] == "0":
        return None
    for size in (1, 2, 3):
        if len(digits) <= size:
            break
        code = int(digits[:size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return code, digits[size:]
    return None


def _valid(country_code: int, nsn: str) -> _Found | None:
    number_type = _number_type(country_code, nsn)
    if number_type == PhoneNumberType.UNKNOWN:
        return None
    return _Found(country_code, nsn, number_type)


def _legacy_nsn(country_code: int, nsn: str) -> str | None:
    """Rewrite national numbers written under a numbering plan that has since changed."""
    if country_code == 52:
        # Mexico (2019): mobiles lost the "1" after +52 and the 044/045/01 prefixes.
        if len(nsn) == 11 and nsn[0] == "1":
            return nsn[1:]
        if len(nsn) == 13 and nsn[:3] in ("044", "045"):
            return nsn[3:]
        if len(nsn) == 12 and nsn[:2] == "01":
            return nsn[2:]
    elif country_code == 57 and len(nsn) == 8 and nsn[0] in "1245678":
        # Colombia (2021): landlines "(1) 2345678" became "601 2345678".
        return "60" + nsn
    return None


def _valid_with_legacy(country_code: int, nsn: str) -> _Found | None:
    found = _valid(country_code, nsn)
    if found is None:
        legacy = _legacy_nsn(country_code, nsn)
        if legacy is not None:
            found = _valid(country_code, legacy)
    return found


def _parse_slow(text: str, region: str | None) -> _Found | None:
    """Read with `phonenumbers.parse` (the general, slow path)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if number.country_code is None:
        return None
    return _valid_with_legacy(number.country_code, phonenumbers.national_significant_number(number))


def _read_international(digits: str) -> _Found | None:
    """Read digits that follow a ``+`` (or an international prefix)."""
    split = _split_country_code(digits)
    if split is None:
        return None
    country_code, rest = split
    national_prefix = _national_prefix_re(country_code)
    # Fast path: exactly the inputs for which phonenumbers.parse would keep
    # `rest` unchanged as the national significant number.
    if (
        2 <= len(rest) <= 17
        and rest[0] != "0"
        and (national_prefix is None or national_prefix.match(rest) is None)
    ):
        return _valid_with_legacy(country_code, rest)
    return _parse_slow("+" + digits, None)


def _read_national(digits: str, region: str) -> _Found | None:
    """Read digits in the national format of `region` (which may carry trunk prefixes)."""
    info = _region_info(region)
    if info is None:
        return None
    plain = (
        2 <= len(digits) <= 17
        and digits[0] != "0"
        and (info.international_prefix is None or info.international_prefix.match(digits) is None)
        and (info.national_prefix is None or info.national_prefix.match(digits) is None)
    )
    if digits.startswith(info.country_code_text):
        # The whole string as a national number wins when valid (as in
        # phonenumbers); otherwise the record's country code without "+".
        found = _valid(info.country_code, digits) if plain else None
        if found is None:
            found = _read_international(digits)
        if found is not None:
            return found
    elif plain:
        # Fast path: phonenumbers.parse would keep these digits unchanged.
        return _valid_with_legacy(info.country_code, digits)
    found = _parse_slow(digits, region)
    if found is None and info.country_code == 52:
        # Old Mexican national prefixes are not in current metadata.
        legacy = _legacy_nsn(52, digits)
        if legacy is not None:
            found = _valid(52, legacy)
    return found


def _read(digits: str, has_plus: bool, region: str | None) -> tuple[_Found | None, bool]:
    """Interpret a digit string; returns (the number or None, whether a country was missing)."""
    if has_plus:
        return _read_international(digits), False
    # An international prefix is read as such and nothing else: carrier-select
    # prefixes (Colombia's 005/007/009...) would turn a mistyped number into a
    # valid one in another country.
    if digits.startswith("00"):
        return _read_international(digits[2:]), False
    if digits.startswith("011") and (region is None or region in _NANP_REGIONS):
        return _read_international(digits[3:]), False
    if region is not None:
        found = _read_national(digits, region)
        if found is not None:
            return found, False
    # A country code without "+" (WhatsApp ids, careless exports): any code
    # when the number is too long to be national (11+ digits); the record's own
    # code was already tried by _read_national.
    if len(digits) >= 11:
        found = _read_international(digits)
        if found is not None:
            return found, False
    return None, region is None


@lru_cache(maxsize=_CACHE_SIZE)
def _read_cleaned(cleaned: str, region: str | None) -> _Reading:
    has_plus = cleaned.startswith("+")
    digits = cleaned[1:] if has_plus else cleaned
    if not digits:
        return _Reading(None, None, False, "invalid")
    found: _Found | None = None
    no_country = False
    if _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:
        found, no_country = _read(digits, has_plus, region)
    if found is None:
        # Unreadable: the typed digits tell a placeholder from a mistake.
        placeholder = is_placeholder_digits(digits)
        issue = "placeholder" if placeholder else ("no_country" if no_country else "invalid")
        return _Reading(None, None, placeholder, issue)
    country_code, nsn, number_type = found
    # Readable: the flag is a property of the number, however it was typed.
    placeholder = is_placeholder_digits(nsn, nanp=country_code == 1)
    return _Reading(
        f"+{country_code}{nsn}",
        _KIND_NAMES.get(number_type, "unknown"),
        placeholder,
        "placeholder" if placeholder else None,
    )


# --------------------------------------------------------------------------- #
# Cleaning raw text
# --------------------------------------------------------------------------- #


def _to_ascii_digits(text: str) -> str:
    """NFKC-fold and turn any Unicode decimal digit into its ASCII digit."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def _strip_extension(text: str) -> str:
    if _EXTENSION_HINT_RE.search(text) is not None:
        match = _EXTENSION_RE.search(text)
        if match is not None and any(ch.isdigit() for ch in text[: match.start()]):
            return text[: match.start()]
    return text


def _clean(raw: str) -> str:
    """Digits of `raw` (extension removed), with a leading ``+`` if one came before them."""
    text = raw if raw.isascii() else _to_ascii_digits(raw)
    text = _strip_extension(text)
    if text.isascii():
        digits = text.encode("ascii").translate(None, _NON_DIGIT_BYTES).decode("ascii")
    else:  # letters of other scripts may remain; digits are ASCII by now
        digits = "".join(ch for ch in text if "0" <= ch <= "9")
    if not digits:
        return ""
    plus = text.find("+")
    return "+" + digits if 0 <= plus < text.find(digits[0]) else digits


def phone_digits(raw: str) -> str:
    """The ASCII digits of a phone value, without any extension.

    Useful for blocking keys such as the last 7 digits, which survive country
    codes and trunk prefixes.

    Args:
        raw: A phone number as typed.

    Returns:
        The digits only (possibly empty).
    """
    return _clean(raw).lstrip("+")


def _normalize_region(country: str | None) -> str | None:
    if country is None:
        return None
    region = country.strip().upper()
    region = _REGION_ALIASES.get(region, region)
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


def _reading(raw: str, region: str | None) -> tuple[str | None, str | None, bool, str | None]:
    cleaned = _clean(raw)
    if len(cleaned) > _MAX_DIGITS + 1:
        # Not a phone number; kept out of the cache.
        placeholder = is_placeholder_digits(cleaned)
        return None, None, placeholder, "placeholder" if placeholder else "invalid"
    return _read_cleaned(cleaned, region)


def _normalize(raw: str, region: str | None) -> NormalizedPhone:
    e164, kind, placeholder, issue = _reading(raw, region)
    return NormalizedPhone(raw, e164, kind, placeholder, issue)


def normalize_phone(raw: str | None, country: str | None = None) -> NormalizedPhone | None:
    """Normalize one phone number to E.164.

    Args:
        raw: The value as found in the source; may be None.
        country: The record's country as ISO 3166-1 alpha-2 (any case), used
            to read national formats. Unknown codes count as no country.

    Returns:
        None for None or blank input; otherwise a `NormalizedPhone`. Invalid
        numbers are flagged, never guessed.
    """
    if raw is None or not raw.strip():
        return None
    return _normalize(raw, _normalize_region(country))


def phone_reading(
    raw: str | None, country: str | None = None
) -> tuple[str | None, str | None, bool, str | None] | None:
    """`normalize_phone`'s (e164, kind, placeholder, issue), without building the
    `NormalizedPhone` (a frozen dataclass costs ~0.8 µs to build, on the ingest hot
    path); its `match_key` is `e164` unless `placeholder`."""
    if raw is None or not raw.strip():
        return None
    return _reading(raw, _normalize_region(country))
