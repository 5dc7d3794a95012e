"""Identity resolution: which channel records are the same person."""

from cx360.resolve._batch import ResolveOptions, resolve_store
from cx360.resolve._evidence import (
    DEFAULT_MATCH_WEIGHT,
    DEFAULT_NAME_ONLY_MATCH_WEIGHT,
    DEFAULT_SOLE_HOLDER_MATCH_WEIGHT,
)
from cx360.resolve._guards import GuardLimits

__all__ = [
    "DEFAULT_MATCH_WEIGHT",
    "DEFAULT_NAME_ONLY_MATCH_WEIGHT",
    "DEFAULT_SOLE_HOLDER_MATCH_WEIGHT",
    "GuardLimits",
    "ResolveOptions",
    "resolve_store",
]
