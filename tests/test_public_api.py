"""The public API is the flat `cx360.__all__`; this pins it (changes are deliberate)."""

from __future__ import annotations

import cx360

EXPECTED = [
    "Candidate",
    "CaseMeasures",
    "ChannelContacts",
    "ChannelRecord",
    "ComparisonContribution",
    "ConfigurationError",
    "Consent",
    "ContactMeasures",
    "ContextCard",
    "ContextLookup",
    "Cx360Error",
    "CxReport",
    "DurationStats",
    "GoldenRecord",
    "GoldenValue",
    "GuardLimits",
    "Hub",
    "IngestReport",
    "IngestResult",
    "InputError",
    "InputFormatError",
    "Interaction",
    "InteractionResult",
    "KnownIdentifier",
    "LinkHop",
    "Lookup",
    "Match",
    "MatchAlternative",
    "MissingDependencyError",
    "NotFoundError",
    "OpenCase",
    "Override",
    "OverrideConflictError",
    "PairExplanation",
    "Profile",
    "ProfileLookup",
    "QuarantineReason",
    "RecordExplanation",
    "RecordPath",
    "RecordRef",
    "ResolutionError",
    "ResolveReport",
    "SchemaError",
    "StoreConnectionError",
    "StoreError",
    "StoreIntegrityError",
    "StoreVersionError",
    "SurvivorshipRules",
    "TimelineItem",
    "UnresolvedInteractions",
    "VerifiedIdentifier",
    "__version__",
    "connect",
]


def test_all_is_pinned() -> None:
    assert cx360.__all__ == EXPECTED


def test_every_name_exists() -> None:
    for name in cx360.__all__:
        assert hasattr(cx360, name), name


def test_errors_share_one_root() -> None:
    for name in cx360.__all__:
        value = getattr(cx360, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, cx360.Cx360Error), name
