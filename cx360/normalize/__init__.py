"""Normalization: one function per kind of identifier, pure and cached.

Each returns a small frozen result that keeps the raw value beside the normalized one,
a `match_key` (None when the value must never link two people: invalid or placeholder)
and an `issue` code when something was wrong. They never raise on bad text.
"""

from cx360.normalize.addresses import (
    normalize_address,
    normalize_city,
    normalize_postcode,
    normalize_region,
)
from cx360.normalize.dates import NormalizedDate, normalize_birth_date, parse_timestamp
from cx360.normalize.emails import NormalizedEmail, normalize_email
from cx360.normalize.handles import normalize_handle
from cx360.normalize.names import (
    NormalizedName,
    canonical_given_name,
    given_name_variants,
    is_given_name,
    normalize_name,
)
from cx360.normalize.national_ids import NormalizedNationalId, normalize_national_id
from cx360.normalize.phones import NormalizedPhone, normalize_phone
from cx360.normalize.placeholders import (
    is_placeholder_digits,
    is_placeholder_email,
    is_placeholder_national_id,
)
from cx360.normalize.text import clean_display, fold

__all__ = [
    "NormalizedDate",
    "NormalizedEmail",
    "NormalizedName",
    "NormalizedNationalId",
    "NormalizedPhone",
    "canonical_given_name",
    "clean_display",
    "fold",
    "given_name_variants",
    "is_given_name",
    "is_placeholder_digits",
    "is_placeholder_email",
    "is_placeholder_national_id",
    "normalize_address",
    "normalize_birth_date",
    "normalize_city",
    "normalize_email",
    "normalize_handle",
    "normalize_name",
    "normalize_national_id",
    "normalize_phone",
    "normalize_postcode",
    "normalize_region",
    "parse_timestamp",
]
