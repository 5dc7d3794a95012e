"""Pydantic models: what goes in (records, interactions) and what comes out (reports)."""

from cx360.models._ingest import IngestReport, IngestResult, QuarantineReason, ResolveReport
from cx360.models._records import (
    INTERACTION_COLUMNS,
    RECORD_COLUMNS,
    ChannelRecord,
    Interaction,
)

__all__ = [
    "INTERACTION_COLUMNS",
    "RECORD_COLUMNS",
    "ChannelRecord",
    "IngestReport",
    "IngestResult",
    "Interaction",
    "QuarantineReason",
    "ResolveReport",
]
