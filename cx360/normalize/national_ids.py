"""National identity numbers: canonical form, kind, and the country's own check.

The canonical value is the ID uppercased with everything but letters and digits
removed (``"12.345.678-z"`` → ``"12345678Z"``); the ``&`` of Mexican company
RFCs is kept. Kinds and checks:

========== ===================================================== ==========================
kind       shape                                                 ``valid``
========== ===================================================== ==========================
es_dni     8 digits + letter (7 digits accepted: leading zero    letter = digits mod 23
           restored); 8 digits alone get their letter computed   (None when it was computed)
es_nie     X/Y/Z + 7 digits + letter (old X + 8 digits with a    same, with X=0, Y=1, Z=2
           leading 0 accepted)
mx_curp    4 letters, 6 digits, 6 letters, 1 alnum, 1 digit      vowel/sex/state/consonant
                                                                 positions, real birth date,
                                                                 check digit
mx_rfc     3-4 letters, 6 digits, optional 3-char homoclave      real date (SAT's own check
                                                                 digit is not verified: ~1.5%
                                                                 of issued RFCs fail it)
co_cc      digits only (thousand dots removed), record in CO     6-10 digits, no leading 0
us_ssn     9 digits, record in US (or ``NNN-NN-NNNN`` anywhere)  area not 000/666/9xx, group
                                                                 not 00, serial not 0000
generic    anything else                                         None
========== ===================================================== ==========================

A CURP shape is a CURP whatever the record's country. A document-type word
typed in front (``CC 79.845.123``, ``DNI: 12345678Z``, ``RFC ...``, ``SSN ...``)
selects that country's formats for the rest, when the rest passes them. When
the country's own shapes do not apply (or there is no country), a Spanish
DNI/NIE is recognised only when its letter checks, an RFC only when its date is
real, and an SSN only when written ``NNN-NN-NNNN``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Final, NamedTuple

from cx360.normalize.placeholders import is_placeholder_national_id

__all__ = ["ID_KINDS", "NormalizedNationalId", "normalize_national_id"]

_CACHE_SIZE: Final = 2**17
_MAX_CACHED_LEN: Final = 64

ID_KINDS: Final = frozenset({"es_dni", "es_nie", "mx_curp", "mx_rfc", "co_cc", "us_ssn", "generic"})

_DNI_LETTERS: Final = "TRWAGMYFPDXBNJZSQVHLCKE"
_NIE_PREFIX: Final = {"X": "0", "Y": "1", "Z": "2"}
# Values of CURP characters for its check digit (Ñ never occurs: it is written X).
_CURP_VALUES: Final = {ch: i for i, ch in enumerate("0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ")}
# Mexican states as coded in the CURP; NE = born abroad.
# fmt: off
_CURP_STATES: Final = frozenset((
    "AS", "BC", "BS", "CC", "CH", "CL", "CM", "CS", "DF", "DG", "GR", "GT", "HG", "JC", "MC",
    "MN", "MS", "NE", "NL", "NT", "OC", "PL", "QR", "QT", "SL", "SP", "SR", "TC", "TL", "TS",
    "VZ", "YN", "ZS",
))
# fmt: on

_DNI_RE: Final = re.compile(r"(\d{7,8})([A-Z])")
_DNI_DIGITS_RE: Final = re.compile(r"\d{7,8}")
_NIE_RE: Final = re.compile(r"([XYZ])0?(\d{7})([A-Z])?")
_CURP_SHAPE_RE: Final = re.compile(r"[A-Z]{4}\d{6}[A-Z]{6}[A-Z\d]\d")
_CURP_STRICT_RE: Final = re.compile(
    r"[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{2}[B-DF-HJ-NP-TV-Z]{3}[A-Z\d]\d"
)
_RFC_RE: Final = re.compile(r"([A-ZÑ&]{3,4})(\d{6})([A-Z\d]{3})?")
_NOT_ID_CHARS_RE: Final = re.compile(r"[^0-9A-Za-z&]+")
_SSN_DASHED_RE: Final = re.compile(r"\s*\d{3}-\d{2}-\d{4}\s*")
# Document-type words typed before the number, longest first, and the country
# whose formats the rest is read with.
_DOCUMENT_LABELS: Final = (
    ("CEDULADECIUDADANIA", "CO"),
    ("CEDULA", "CO"),
    ("CC", "CO"),
    ("DNI", "ES"),
    ("NIF", "ES"),
    ("NIE", "ES"),
    ("CURP", "MX"),
    ("RFC", "MX"),
    ("SSN", "US"),
)


@dataclass(frozen=True, slots=True)
class NormalizedNationalId:
    """A national ID read from one source value.

    Attributes:
        raw: The value exactly as given.
        value: The canonical form (``"12345678Z"``); None when nothing but
            punctuation was given.
        kind: One of `ID_KINDS`.
        valid: True/False where the kind defines a check, None where it does not.
        placeholder: True for typed placeholders (``0000000``, ``SINID``...).
        issue: None when fine, else ``"invalid"`` or ``"placeholder"``.
    """

    raw: str
    value: str | None
    kind: str
    valid: bool | None
    placeholder: bool
    issue: str | None

    def __reduce__(
        self,
    ) -> tuple[
        type[NormalizedNationalId], tuple[str, str | None, str, bool | None, bool, str | None]
    ]:
        # Pickled through the constructor, so that unpickling works the same when this
        # module is compiled (mypyc would otherwise assign to the frozen fields).
        return (
            NormalizedNationalId,
            (self.raw, self.value, self.kind, self.valid, self.placeholder, self.issue),
        )

    @property
    def match_key(self) -> str | None:
        """The canonical value when it is not known invalid and not a placeholder."""
        if self.placeholder or self.valid is False:
            return None
        return self.value


class _Reading(NamedTuple):
    value: str
    kind: str
    valid: bool | None


def _clean(raw: str) -> str:
    """Uppercase letters and ASCII digits of `raw`, plus ``&``."""
    if raw.isascii():
        return _NOT_ID_CHARS_RE.sub("", raw).upper()
    text = unicodedata.normalize("NFKC", raw).upper()
    out = []
    for ch in text:
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        elif ch.isalnum() or ch == "&":
            out.append(ch)
    return "".join(out)


def _dni_letter(number: str) -> str:
    return _DNI_LETTERS[int(number) % 23]


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _curp_valid(curp: str) -> bool:
    if _CURP_STRICT_RE.fullmatch(curp) is None or curp[11:13] not in _CURP_STATES:
        return False
    # The 17th character is a digit for people born before 2000, a letter after.
    century = 1900 if curp[16].isdigit() else 2000
    if not _real_date(century + int(curp[4:6]), int(curp[6:8]), int(curp[8:10])):
        return False
    total = sum(_CURP_VALUES[ch] * (18 - i) for i, ch in enumerate(curp[:17]))
    return curp[17] == str((10 - total % 10) % 10)


def _rfc_date_valid(digits: str) -> bool:
    # The century is not encoded; 2000 + yy keeps 29 February of leap years.
    return _real_date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))


def _read_es(alnum: str) -> _Reading | None:
    match = _DNI_RE.fullmatch(alnum)
    if match is not None:
        number = match.group(1).zfill(8)
        letter = match.group(2)
        return _Reading(number + letter, "es_dni", _dni_letter(number) == letter)
    if _DNI_DIGITS_RE.fullmatch(alnum) is not None:
        # The letter is a function of the number: complete it so that the
        # same DNI with and without its letter gets one key.
        number = alnum.zfill(8)
        return _Reading(number + _dni_letter(number), "es_dni", None)
    match = _NIE_RE.fullmatch(alnum)
    if match is not None:
        prefix, digits, letter = match.groups()
        number = _NIE_PREFIX[prefix] + digits
        if letter is None:
            return _Reading(prefix + digits + _dni_letter(number), "es_nie", None)
        return _Reading(prefix + digits + letter, "es_nie", _dni_letter(number) == letter)
    return None


def _read_mx(cleaned: str) -> _Reading | None:
    match = _RFC_RE.fullmatch(cleaned)
    if match is not None:
        return _Reading(cleaned, "mx_rfc", _rfc_date_valid(match.group(2)))
    return None


def _read_co(alnum: str) -> _Reading | None:
    if alnum.isdigit():
        return _Reading(alnum, "co_cc", 6 <= len(alnum) <= 10 and alnum[0] != "0")
    return None


def _ssn_valid(ssn: str) -> bool:
    area, group, serial = ssn[:3], ssn[3:5], ssn[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _read_us(alnum: str) -> _Reading | None:
    if len(alnum) == 9 and alnum.isdigit():
        return _Reading(alnum, "us_ssn", _ssn_valid(alnum))
    return None


def _read_by_shape(raw: str, cleaned: str, alnum: str) -> _Reading | None:
    """Kinds recognisable without the record's country: only when their check passes."""
    es = _read_es(alnum)
    if es is not None and es.valid:
        return es
    match = _RFC_RE.fullmatch(cleaned)
    if match is not None and match.group(3) is not None and _rfc_date_valid(match.group(2)):
        return _Reading(cleaned, "mx_rfc", True)
    if _SSN_DASHED_RE.fullmatch(raw) is not None:
        return _Reading(alnum, "us_ssn", _ssn_valid(alnum))
    return None


def _read_country(country: str | None, cleaned: str, alnum: str) -> _Reading | None:
    if country == "ES":
        return _read_es(alnum)
    if country == "MX":
        return _read_mx(cleaned)
    if country == "CO":
        return _read_co(alnum)
    if country == "US":
        return _read_us(alnum)
    return None


def _read_labelled(cleaned: str, alnum: str) -> _Reading | None:
    """IDs typed with their document type in front: ``"CC 79.845.123"``, ``"DNI: ..."``."""
    for label, country in _DOCUMENT_LABELS:
        if alnum.startswith(label) and len(alnum) > len(label):
            found = _read_country(country, cleaned[len(label) :], alnum[len(label) :])
            if found is not None:
                return found
    return None


def _read(raw: str, cleaned: str, alnum: str, country: str | None) -> _Reading:
    if _CURP_SHAPE_RE.fullmatch(alnum) is not None:
        return _Reading(alnum, "mx_curp", _curp_valid(alnum))
    found = _read_country(country, cleaned, alnum)
    if found is None and alnum[0].isalpha():
        found = _read_labelled(cleaned, alnum)
    if found is None:
        found = _read_by_shape(raw, cleaned, alnum)
    return found if found is not None else _Reading(alnum, "generic", None)


def _normalize(raw: str, country: str | None) -> NormalizedNationalId:
    cleaned = _clean(raw)
    alnum = cleaned.replace("&", "")
    if not alnum:
        # Only punctuation ("-", "."): what is typed for "none".
        return NormalizedNationalId(raw, None, "generic", None, True, "placeholder")
    reading = _read(raw, cleaned, alnum, country)
    placeholder = is_placeholder_national_id(reading.value) or (
        # a completed or zero-padded DNI can hide a typed run ("2345678")
        reading.value != alnum and is_placeholder_national_id(alnum)
    )
    if placeholder:
        issue: str | None = "placeholder"
    elif reading.valid is False:
        issue = "invalid"
    else:
        issue = None
    return NormalizedNationalId(raw, reading.value, reading.kind, reading.valid, placeholder, issue)


_normalize_cached = lru_cache(maxsize=_CACHE_SIZE)(_normalize)


def normalize_national_id(
    raw: str | None, country: str | None = None
) -> NormalizedNationalId | None:
    """Normalize one national ID.

    Args:
        raw: The value as found in the source; may be None.
        country: The record's country as ISO 3166-1 alpha-2 (any case); it
            selects which national formats are tried (see the module docstring).

    Returns:
        None for None or blank input; otherwise a `NormalizedNationalId`.
    """
    if raw is None or not raw.strip():
        return None
    region = country.strip().upper() if country is not None else None
    if len(raw) <= _MAX_CACHED_LEN:
        return _normalize_cached(raw, region)
    return _normalize(raw, region)
