"""What an ingest run reports back."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from cx360.models._mapping import MappingUsed


class QuarantineReason(StrEnum):
    """Why a row was quarantined instead of stored. Stored in the quarantine table."""

    MISSING_KEY = "missing_key"
    """`source`, `source_record_id` (or `interaction_id`) is empty."""
    WRONG_TYPE = "wrong_type"
    """A key is not text (a float, a list); elsewhere a wrong type is a value issue for
    ingest, and refused by real time."""
    MALFORMED_ROW = "malformed_row"
    """The row itself cannot be read (bad JSON line, wrong number of CSV fields)."""
    VALUE_TOO_LONG = "value_too_long"
    """A key exceeds the store's limits (or, in real time, an interaction's short text)."""
    UNPARSEABLE_TIMESTAMP = "unparseable_timestamp"
    """Real time only: `observed_at` / `occurred_at` cannot be read (ingest keeps the row
    with the time unknown, a value issue)."""
    INVALID_COUNTRY = "invalid_country"
    """Real time only: `country` names no country (ingest keeps the row, a value issue)."""
    ERASED = "erased"
    """The record's key or an identifier of it was erased (`Hub.erase`): the row is set
    aside with none of its values (`Hub.unsuppress` lets the person back in)."""


class QuarantinedRow(BaseModel):
    """A row ingest set aside, and why (`Hub.quarantined`, `cx360 quarantine`).

    The row itself stays in the store; only the value at fault is shown, masked
    (`mask`), so a listing does not copy customers' personal data.
    """

    id: int
    batch_id: int | None = Field(description="The ingest batch (`IngestReport.batch_id`).")
    kind: str = Field(description="'records' or 'interactions'.")
    row_number: int | None = Field(description="Row of the file or batch, from 1.")
    source: str | None = Field(description="The row's `source`, when it has one.")
    key: str | None = Field(
        description="The row's `source_record_id` (records) or `interaction_id`, if any."
    )
    reason: QuarantineReason
    column: str | None = Field(description="The column at fault, when one is.")
    value: str | None = Field(
        description="That column's value as given, masked: only its last 2 characters show."
    )
    detail: str | None = Field(
        default=None,
        description="Why a row could not be read at all (reason 'malformed_row'), and the "
        "line of the file it starts on: 'line 12: 9 fields where the header has 7'.",
    )
    quarantined_at: datetime


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
    value_issues: dict[str, int] = Field(
        default_factory=dict,
        description="Stored rows with a bad value, by `<column>:<issue>` (e.g. "
        "'observed_at:unparseable', 'phone:invalid', 'phone:extra_values' for a further "
        "phone that is not valid): the row is kept "
        "with that field unknown and its raw value; each row lists its own in `issues`.",
    )
    quarantine_forgotten: int = Field(
        default=0,
        description="Quarantine entries of earlier ingests dropped: their rows were stored "
        "now, or their file was ingested again (the rows still bad are listed again).",
    )
    mapping: MappingUsed | None = Field(
        default=None, description="How the input was read and its columns mapped."
    )
    seconds: float = 0.0

    @property
    def mostly_set_aside(self) -> bool:
        """More than half of the rows were quarantined: most likely the input is not
        what it was taken for (another delimiter, another kind of file)."""
        return self.rows > 0 and self.quarantined * 2 > self.rows

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
    notes: list[str] = Field(
        default_factory=list,
        description="How the run's matching model was made when not as usual: a store too "
        "small or too uniform to train on, resolved with default parameters; a fallback "
        "prior where the training rules found no pair.",
    )
