"""What an ingest run reports back."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class QuarantineReason(StrEnum):
    """Why a row was quarantined instead of stored. Stored in the quarantine table."""

    MISSING_KEY = "missing_key"
    """`source`, `source_record_id` (or `interaction_id`) is empty."""
    UNPARSEABLE_TIMESTAMP = "unparseable_timestamp"
    """`observed_at` / `occurred_at` is not a date-time we can read."""
    WRONG_TYPE = "wrong_type"
    """A value is not text (e.g. a float phone number that lost its leading zeros)."""
    MALFORMED_ROW = "malformed_row"
    """The row itself cannot be read (bad JSON line, wrong number of CSV fields)."""
    VALUE_TOO_LONG = "value_too_long"
    """A key or value exceeds the store's limits."""
    INVALID_COUNTRY = "invalid_country"
    """`country` is not an ISO 3166 alpha-2 code."""


class IngestReport(BaseModel):
    """Counts of one ingest run. `rows == inserted + updated + unchanged + quarantined`."""

    batch_id: int | None = None
    kind: str = Field(description="'records' or 'interactions'.")
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    quarantine_reasons: dict[str, int] = Field(default_factory=dict)
    seconds: float = 0.0

    @property
    def stored(self) -> int:
        """Rows now in the store (new, updated or already there unchanged)."""
        return self.inserted + self.updated + self.unchanged

    def add_quarantined(self, reason: str) -> None:
        self.quarantined += 1
        self.quarantine_reasons[reason] = self.quarantine_reasons.get(reason, 0) + 1


class IngestResult(BaseModel):
    """What one `Hub.ingest` call did to records and to interactions."""

    records: IngestReport | None = None
    interactions: IngestReport | None = None


class ResolveReport(BaseModel):
    """What one resolution run did."""

    records: int
    customers: int
    new_customers: int = 0
    merged_customers: int = 0
    split_customers: int = 0
    records_reassigned: int = 0
    mode: str = Field(
        default="full",
        description="'full': every pair scored; 'incremental': only pairs involving records "
        "new or changed since the last run (same customers as a full run).",
    )
    records_scored: int = Field(default=0, description="Records whose pairs were scored.")
    candidate_pairs: int = Field(
        default=0,
        description="Scored pairs kept: at or above the link weight, or sharing a contact "
        "identifier at or above the sole-holder weight.",
    )
    links: int = Field(default=0, description="Scored pairs that joined two groups.")
    sole_holder_links: int = Field(
        default=0,
        description="Groups joined to the one other group holding their contact identifiers "
        "(an e-mail, a phone, an ID, a handle), below the link weight.",
    )
    blocked_by_guards: dict[str, int] = Field(
        default_factory=dict,
        description="Scored pairs not joined, by reason ('override_separate': a steward's).",
    )
    override_links: int = Field(default=0, description="Steward 'link' overrides honoured.")
    overrides_refused: list[int] = Field(
        default_factory=list,
        description="Ids of 'link' overrides not honoured: they would put two records a "
        "steward separated into one customer (revoke one of the two to settle it).",
    )
    model_id: int | None = None
    seconds: dict[str, float] = Field(default_factory=dict)
