"""The public API is the flat `cx360.__all__`; this pins it (changes are deliberate)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import cx360

EXPECTED = [
    "AccessEntry",
    "AttributeSpec",
    "Candidate",
    "CaseMeasures",
    "ChannelContacts",
    "ChannelRecord",
    "ColumnMapping",
    "ComparisonContribution",
    "ConfigurationError",
    "Consent",
    "ConsentEvent",
    "ConsentState",
    "ContactMeasures",
    "ContactPermission",
    "ContextCard",
    "ContextLookup",
    "CustomerSummary",
    "Cx360Error",
    "CxReport",
    "DeclaredAttribute",
    "DurationStats",
    "ErasureReceipt",
    "GoldenRecord",
    "GoldenValue",
    "GuardLimits",
    "GuardReason",
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
    "MappingUsed",
    "Match",
    "MatchAlternative",
    "MatchingModel",
    "MissingDependencyError",
    "NotFoundError",
    "OpenCase",
    "Override",
    "OverrideConflictError",
    "PairExplanation",
    "Profile",
    "ProfileLookup",
    "ProfileRow",
    "QuarantineReason",
    "QuarantinedRow",
    "RecordExplanation",
    "RecordPath",
    "RecordRef",
    "ResolutionError",
    "ResolutionRun",
    "ResolveReport",
    "RetentionReport",
    "SchemaError",
    "SparkOptions",
    "StoreConnectionError",
    "StoreError",
    "StoreIntegrityError",
    "StoreNotFoundError",
    "StoreStatus",
    "StoreVersionError",
    "SubjectAccess",
    "SurvivorshipRules",
    "TimelineItem",
    "UnresolvedInteractions",
    "VerifiedIdentifier",
    "__version__",
    "connect",
]

# what `import cx360` must not load: the names that need them are imported on first use
HEAVY = ("splink", "duckdb", "pyarrow", "pandas", "sqlalchemy", "alembic", "pydantic")


def test_all_is_pinned() -> None:
    assert cx360.__all__ == EXPECTED


def test_every_name_exists() -> None:
    for name in cx360.__all__:
        assert hasattr(cx360, name), name
    assert set(cx360.__all__) <= set(dir(cx360))


def test_errors_share_one_root() -> None:
    for name in cx360.__all__:
        value = getattr(cx360, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, cx360.Cx360Error), name


def test_every_name_is_documented() -> None:
    for name in cx360.__all__:
        value = getattr(cx360, name)
        if isinstance(value, type) or callable(value):
            assert value.__doc__, name


def test_the_store_is_not_public() -> None:
    assert not hasattr(cx360.Hub, "store")
    assert "store" not in {n for n in dir(cx360.Hub) if not n.startswith("_")}


def test_import_loads_no_heavy_module() -> None:
    code = (
        "import sys, cx360, cx360.cli, cx360.cli._main; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
    # and a name from a heavy module still comes when asked for
    code = "import sys, cx360; cx360.StoreStatus; print('pydantic' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert found.stdout.strip() == "True"


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        cx360.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
