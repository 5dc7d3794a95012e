"""What a store holds at a glance: counts, the last resolution run and its matching model.

"Matching model" is the Fellegi-Sunter model resolution trains on the store's records and
saves in it (Splink's m and u probabilities); the pydantic classes of `cx360.models` are
the results cx360 returns, a different thing.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class MatchingModel(BaseModel):
    """A trained matching model, as stored: resolution reuses the latest until a retrain."""

    id: int
    kind: str = Field(
        description="The trainer: 'splink' (Fellegi-Sunter trained on the store), or "
        "'default' (default parameters: a store too small or too uniform to train on)."
    )
    trained_on: int = Field(description="Records it was trained on.")
    created_at: datetime


class ResolutionRun(BaseModel):
    """One batch resolution run."""

    id: int
    status: str = Field(description="'running', 'done' or 'failed'.")
    started_at: datetime
    finished_at: datetime | None = None
    matching_model: MatchingModel | None = Field(
        default=None, description="The matching model the run scored pairs with."
    )


class StoreStatus(BaseModel):
    """What a store holds (`Hub.status`, `cx360 status`)."""

    url: str = Field(description="The store's URL, its password hidden.")
    backend: str = Field(description="'sqlite' or 'postgresql'.")
    schema_version: str = Field(description="The store's schema revision (migrations).")
    records: int
    interactions: int
    customers: int = Field(description="Customers holding at least one record.")
    unresolved_records: int = Field(description="Records no resolution has assigned yet.")
    quarantined: int = Field(description="Rows ingest set aside (see `Hub.quarantined`).")
    last_run: ResolutionRun | None = Field(
        default=None, description="The latest resolution run; None before the first."
    )


class CustomerSummary(BaseModel):
    """A customer in a listing: how many records it holds, and on which channels."""

    customer_id: str
    records: int
    sources: list[str] = Field(description="Channels it has records on, sorted.")
