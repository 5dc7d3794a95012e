"""CX measures computed from the unified timeline (definitions: docs/measures.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class DurationStats(BaseModel):
    """Summary of durations in hours. The statistics are None when `count` is 0."""

    count: int = 0
    mean_hours: float | None = None
    median_hours: float | None = None
    p90_hours: float | None = Field(
        default=None, description="90th percentile, linear interpolation between ranks."
    )


class CaseMeasures(BaseModel):
    """Measures over a set of cases (interactions sharing a `case_id`).

    A case's contacts are its interactions in time order; it is *resolved* when its latest
    contact has status `resolved` or `closed`. Rates are None when their denominator is 0.
    """

    cases: int = 0
    contacts: int = Field(default=0, description="Interactions on these cases.")
    repeat_contacts: int = Field(default=0, description="Σ (contacts − 1) over cases.")
    cases_with_repeats: int = Field(default=0, description="Cases with 2 or more contacts.")
    repeat_case_share: float | None = Field(default=None, description="cases_with_repeats / cases.")
    contacts_per_case: float | None = Field(default=None, description="contacts / cases.")
    contacts_distribution: dict[int, int] = Field(
        default_factory=dict, description="Number of contacts → number of cases with it."
    )
    channel_hops: int = Field(
        default=0, description="Σ over cases of channel changes between consecutive contacts."
    )
    hops_per_case: float | None = Field(default=None, description="channel_hops / cases.")
    cross_channel_cases: int = Field(default=0, description="Cases with at least one hop.")
    cross_channel_share: float | None = Field(
        default=None, description="cross_channel_cases / cases."
    )
    resolved_cases: int = 0
    open_cases: int = Field(default=0, description="cases − resolved_cases.")
    first_contact_resolutions: int = Field(
        default=0, description="Resolved cases with exactly one contact."
    )
    fcr_rate: float | None = Field(
        default=None,
        description="first_contact_resolutions / cases (open cases count as not FCR).",
    )
    fcr_rate_of_resolved: float | None = Field(
        default=None, description="first_contact_resolutions / resolved_cases."
    )
    time_to_resolution: DurationStats = Field(
        default_factory=DurationStats,
        description="First contact → first resolved/closed contact, over resolved cases.",
    )
    contacts_per_resolved_case: float | None = Field(
        default=None,
        description="Customer effort indicator: contacts on resolved cases / resolved_cases "
        "(1.0 is the least effort).",
    )


class ChannelContacts(BaseModel):
    """Interactions on one channel."""

    interactions: int = Field(default=0, description="All interactions on the channel.")
    resolved_interactions: int = Field(
        default=0, description="Those whose channel record belongs to a customer."
    )
    customers: int = Field(default=0, description="Customers with an interaction here.")
    per_customer: float | None = Field(
        default=None,
        description="resolved_interactions / all customers with any interaction (so the "
        "channels add up to `ContactMeasures.per_customer`).",
    )


class UnresolvedInteractions(BaseModel):
    """Interactions that belong to no customer (yet): kept apart, never dropped."""

    interactions: int = 0
    without_record: int = Field(
        default=0, description="Their channel record is not in the store (not ingested yet)."
    )
    not_resolved: int = Field(
        default=0, description="Their record is stored but not resolved into a customer yet."
    )
    by_channel: dict[str, int] = Field(default_factory=dict)


class ContactMeasures(BaseModel):
    """How much customers contact, by channel (every interaction counts as a contact)."""

    interactions: int = Field(default=0, description="All, unresolved ones included.")
    resolved_interactions: int = 0
    customers: int = Field(default=0, description="Customers with at least one interaction.")
    per_customer: float | None = Field(
        default=None, description="resolved_interactions / customers."
    )
    by_channel: dict[str, ChannelContacts] = Field(default_factory=dict)
    unresolved: UnresolvedInteractions = Field(default_factory=UnresolvedInteractions)


class CxReport(BaseModel):
    """CX measures for the whole store or for one customer, within an optional scope.

    Scope: interactions with `since <= occurred_at < until` (UTC); cases that *started* in
    that window, seen through their contacts before `until`; with `channel`, interactions on
    that channel and cases that started on it.
    """

    customer_id: str | None = Field(
        default=None, description="The customer reported on; None for the whole store."
    )
    since: datetime | None = None
    until: datetime | None = None
    channel: str | None = None
    contacts: ContactMeasures = Field(default_factory=ContactMeasures)
    cases: CaseMeasures = Field(default_factory=CaseMeasures)
    cases_by_channel: dict[str, CaseMeasures] = Field(
        default_factory=dict, description="The case measures by the channel a case started on."
    )
