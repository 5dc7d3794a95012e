"""The API's inputs and results, as pydantic classes: what goes in (records, interactions)
and what comes out (reports, profiles, matches).

These are not the matching model that resolution trains and stores (Splink's
Fellegi-Sunter parameters, described by `MatchingModel`): names say "matching model"
wherever the two could be confused.
"""

from cx360.models._attributes import AttributeKind, AttributeSpec, DeclaredAttribute
from cx360.models._explain import (
    ComparisonContribution,
    GuardReason,
    LinkHop,
    PairExplanation,
    RecordExplanation,
    RecordPath,
    RecordRef,
)
from cx360.models._export import ProfileRow
from cx360.models._ingest import (
    IngestReport,
    IngestResult,
    QuarantinedRow,
    QuarantineReason,
    ResolveReport,
)
from cx360.models._mapping import ColumnMapping, MappingUsed
from cx360.models._measures import (
    CaseMeasures,
    ChannelContacts,
    ContactMeasures,
    CxReport,
    DurationStats,
    UnresolvedInteractions,
)
from cx360.models._overrides import Override, OverrideKind
from cx360.models._privacy import (
    AccessEntry,
    AccessView,
    ConsentEvent,
    ConsentState,
    ConsentStatus,
    ContactPermission,
    ErasureReceipt,
    ErasureSubject,
    RetentionReport,
    SubjectAccess,
)
from cx360.models._profile import (
    Candidate,
    Consent,
    ContextCard,
    ContextLookup,
    GoldenRecord,
    GoldenValue,
    IdentifierKind,
    KnownIdentifier,
    Lookup,
    LookupReason,
    LookupStatus,
    OpenCase,
    Profile,
    ProfileLookup,
    SurvivorshipRule,
    TimelineItem,
    VerifiedIdentifier,
)
from cx360.models._realtime import (
    InteractionResult,
    Match,
    MatchAlternative,
    MatchStatus,
    StoredAs,
)
from cx360.models._records import (
    INTERACTION_COLUMNS,
    RECORD_COLUMNS,
    ChannelRecord,
    Interaction,
)
from cx360.models._status import CustomerSummary, MatchingModel, ResolutionRun, StoreStatus

__all__ = [
    "INTERACTION_COLUMNS",
    "RECORD_COLUMNS",
    "AccessEntry",
    "AccessView",
    "AttributeKind",
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
    "ConsentStatus",
    "ContactMeasures",
    "ContactPermission",
    "ContextCard",
    "ContextLookup",
    "CustomerSummary",
    "CxReport",
    "DeclaredAttribute",
    "DurationStats",
    "ErasureReceipt",
    "ErasureSubject",
    "GoldenRecord",
    "GoldenValue",
    "GuardReason",
    "IdentifierKind",
    "IngestReport",
    "IngestResult",
    "Interaction",
    "InteractionResult",
    "KnownIdentifier",
    "LinkHop",
    "Lookup",
    "LookupReason",
    "LookupStatus",
    "MappingUsed",
    "Match",
    "MatchAlternative",
    "MatchStatus",
    "MatchingModel",
    "OpenCase",
    "Override",
    "OverrideKind",
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
    "StoredAs",
    "SubjectAccess",
    "SurvivorshipRule",
    "TimelineItem",
    "UnresolvedInteractions",
    "VerifiedIdentifier",
]
