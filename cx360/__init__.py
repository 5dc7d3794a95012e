"""cx360: customer 360 profiles from omnichannel records.

```python
import cx360

with cx360.connect("sqlite:///customers.db") as hub:
    hub.ingest(records=[{"source": "whatsapp", "source_record_id": "wa-1", "phone": "300 1234567"}])
```

The names below are imported on first use (the errors excepted), so that `import cx360`
and the `cx360` command start fast: the store, Splink, DuckDB and Arrow load only when a
hub or a model is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cx360._errors import (
    ConfigurationError,
    Cx360Error,
    InputError,
    InputFormatError,
    MissingDependencyError,
    NotFoundError,
    OverrideConflictError,
    ResolutionError,
    SchemaError,
    StoreConnectionError,
    StoreError,
    StoreIntegrityError,
    StoreNotFoundError,
    StoreVersionError,
)

if TYPE_CHECKING:
    from cx360._hub import Hub, connect
    from cx360.models import (
        AccessEntry,
        AttributeSpec,
        Candidate,
        CaseMeasures,
        ChannelContacts,
        ChannelRecord,
        ColumnMapping,
        ComparisonContribution,
        Consent,
        ConsentEvent,
        ConsentState,
        ContactMeasures,
        ContactPermission,
        ContextCard,
        ContextLookup,
        CustomerSummary,
        CxReport,
        DeclaredAttribute,
        DurationStats,
        ErasureReceipt,
        GoldenRecord,
        GoldenValue,
        GuardReason,
        IngestReport,
        IngestResult,
        Interaction,
        InteractionResult,
        KnownIdentifier,
        LinkHop,
        Lookup,
        MappingUsed,
        Match,
        MatchAlternative,
        MatchingModel,
        OpenCase,
        Override,
        PairExplanation,
        Profile,
        ProfileLookup,
        ProfileRow,
        QuarantinedRow,
        QuarantineReason,
        RecordExplanation,
        RecordPath,
        RecordRef,
        ResolutionRun,
        ResolveReport,
        RetentionReport,
        StoreStatus,
        SubjectAccess,
        TimelineItem,
        UnresolvedInteractions,
        VerifiedIdentifier,
    )
    from cx360.profile._survivorship import SurvivorshipRules
    from cx360.resolve import GuardLimits
    from cx360.resolve._spark import SparkOptions

__version__ = "0.1.0"

_MODELS = (
    "AccessEntry",
    "AttributeSpec",
    "Candidate",
    "CaseMeasures",
    "ChannelContacts",
    "ChannelRecord",
    "ColumnMapping",
    "ComparisonContribution",
    "Consent",
    "ConsentEvent",
    "ConsentState",
    "ContactMeasures",
    "ContactPermission",
    "ContextCard",
    "ContextLookup",
    "CustomerSummary",
    "CxReport",
    "DeclaredAttribute",
    "DurationStats",
    "ErasureReceipt",
    "GoldenRecord",
    "GoldenValue",
    "GuardReason",
    "IngestReport",
    "IngestResult",
    "Interaction",
    "InteractionResult",
    "KnownIdentifier",
    "LinkHop",
    "Lookup",
    "MappingUsed",
    "Match",
    "MatchAlternative",
    "MatchingModel",
    "OpenCase",
    "Override",
    "PairExplanation",
    "Profile",
    "ProfileLookup",
    "ProfileRow",
    "QuarantineReason",
    "QuarantinedRow",
    "RecordExplanation",
    "RecordPath",
    "RecordRef",
    "ResolutionRun",
    "ResolveReport",
    "RetentionReport",
    "StoreStatus",
    "SubjectAccess",
    "TimelineItem",
    "UnresolvedInteractions",
    "VerifiedIdentifier",
)

# where each lazily imported name lives
_LAZY: dict[str, str] = {
    "Hub": "cx360._hub",
    "connect": "cx360._hub",
    "GuardLimits": "cx360.resolve",
    "SparkOptions": "cx360.resolve._spark",
    "SurvivorshipRules": "cx360.profile._survivorship",
    **dict.fromkeys(_MODELS, "cx360.models"),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cx360' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # imported once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
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
