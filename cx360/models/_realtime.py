"""What real-time calls return: the customer a record was resolved into, and an
interaction's write."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from cx360.models._explain import GuardReason, PairExplanation, RecordRef

# matched: joined an existing customer; merged: its pairs joined two or more customers,
# now one (`merged_customers` became aliases of `customer_id`), as a batch run would;
# new: no existing customer fits, the record is a customer of its own (`created` tells
# whether that ID is new); ambiguous: it reached the link weight with records of two or
# more customers and the guards (or a steward) kept some apart (see `alternatives`);
# unchanged: the same record again, its customer kept; unresolved: stored, but no model
# has been trained yet (run `resolve()` once).
MatchStatus = Literal["matched", "merged", "new", "ambiguous", "unchanged", "unresolved"]
# inserted: a new record; updated: new content, the previous one kept as a version;
# late: observed earlier than the stored one, kept as a past version only; unchanged.
StoredAs = Literal["inserted", "updated", "late", "unchanged"]


class MatchAlternative(BaseModel):
    """Another customer the record scored at or above the link weight with, not joined."""

    customer_id: str
    record: RecordRef = Field(description="That customer's record of the strongest pair.")
    match_weight: float
    match_probability: float
    reason: GuardReason | None = Field(
        default=None,
        description="Why not: a guard ('birth_date', 'national_id', 'given_name', ...), "
        "'override_separate' (a steward's decision) or 'weak_bridge' (one weak pair into a "
        "customer of several records).",
    )


class Match(BaseModel):
    """The customer one record was resolved into, in real time, and why."""

    record: RecordRef
    stored: StoredAs = Field(description="What storing the record did.")
    status: MatchStatus
    customer_id: str | None = Field(
        default=None, description="The record's customer (None only when 'unresolved')."
    )
    created: bool = Field(default=False, description="A new customer ID was created for it.")
    match_weight: float | None = Field(
        default=None,
        description="The deciding pair's match weight: the strongest pair with the customer "
        "joined, else the strongest pair scored (None: no candidate).",
    )
    match_probability: float | None = None
    matched_record: RecordRef | None = Field(
        default=None, description="The other record of that pair."
    )
    threshold: float = Field(description="Link weight: pairs at or above it are links.")
    candidates: int = Field(
        default=0, description="Records found by the blocking lookups and scored."
    )
    alternatives: list[MatchAlternative] = Field(default_factory=list)
    merged_customers: list[str] = Field(
        default_factory=list,
        description="Customer IDs this record joined to `customer_id`: now its aliases.",
    )
    explanation: PairExplanation | None = Field(
        default=None,
        description="The deciding pair's waterfall (see `match_weight`), where the call "
        "asked for it (`resolve_record(..., explain=True)`).",
    )
    model_id: int | None = None


class InteractionResult(BaseModel):
    """What `Hub.record_interaction` did."""

    interaction_id: str
    stored: Literal["inserted", "updated", "unchanged"]
    version: int = Field(description="The interaction's current version (1 when new).")
    customer_id: str | None = Field(
        default=None,
        description="The customer of its record, when that record is stored and resolved.",
    )
