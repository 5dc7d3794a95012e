"""Pydantic models: what goes in (records, interactions) and what comes out (reports)."""

from cx360.models._explain import (
    ComparisonContribution,
    LinkHop,
    PairExplanation,
    RecordExplanation,
    RecordPath,
    RecordRef,
)
from cx360.models._ingest import IngestReport, IngestResult, QuarantineReason, ResolveReport
from cx360.models._measures import (
    CaseMeasures,
    ChannelContacts,
    ContactMeasures,
    CxReport,
    DurationStats,
    UnresolvedInteractions,
)
from cx360.models._overrides import Override, OverrideKind
from cx360.models._records import (
    INTERACTION_COLUMNS,
    RECORD_COLUMNS,
    ChannelRecord,
    Interaction,
)

__all__ = [
    "INTERACTION_COLUMNS",
    "RECORD_COLUMNS",
    "CaseMeasures",
    "ChannelContacts",
    "ChannelRecord",
    "ComparisonContribution",
    "ContactMeasures",
    "CxReport",
    "DurationStats",
    "IngestReport",
    "IngestResult",
    "Interaction",
    "LinkHop",
    "Override",
    "OverrideKind",
    "PairExplanation",
    "QuarantineReason",
    "RecordExplanation",
    "RecordPath",
    "RecordRef",
    "ResolveReport",
    "UnresolvedInteractions",
]
