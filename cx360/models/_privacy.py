"""What the people in the store may ask and allow: consents, reads of their data, and
everything the store holds about them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

ConsentStatus = Literal["granted", "denied", "revoked"]
AccessView = Literal["profile", "context", "export", "subject_access"]


class ConsentEvent(BaseModel):
    """One consent given, refused or withdrawn, as the ledger keeps it (history is never
    overwritten: the current state is the latest event)."""

    purpose: str = Field(description="What the data may be used for: 'marketing', 'service'…")
    channel: str | None = Field(description="The channel it applies to; None: every channel.")
    status: ConsentStatus
    at: datetime = Field(description="When the person gave it (the record's time on ingest).")
    source: str = Field(description="Where it was given: a channel, or the caller's system.")
    origin: Literal["ingest", "recorded"] = Field(
        description="'ingest': a consent column of a record; 'recorded': `Hub.record_consent`."
    )
    evidence: str | None = Field(default=None, repr=False)
    recorded_by: str | None = None
    source_record_id: str | None = Field(default=None, repr=False)


class ConsentState(BaseModel):
    """The current state of one purpose on one channel (or on every channel)."""

    purpose: str
    channel: str | None
    status: ConsentStatus
    since: datetime
    source: str


class ContactPermission(BaseModel):
    """Whether a customer may be contacted for a purpose on a channel, and why."""

    allowed: bool = Field(description="True only when the deciding event is a grant.")
    status: ConsentStatus | Literal["unknown"] = Field(
        description="The deciding event's status; 'unknown': no consent on record."
    )
    decided_by: ConsentEvent | None = None


class AccessEntry(BaseModel):
    """One read of a customer's data by someone who said who they are."""

    at: datetime
    actor: str
    purpose: str | None
    customer_id: str | None = Field(description="None for an export (every customer).")
    view: AccessView
    customers: int = Field(description="How many customers the read returned.")


class SubjectAccess(BaseModel):
    """Everything the store holds about one person (a subject access request's answer)."""

    customer_id: str
    generated_at: datetime
    records: list[dict[str, Any]] = Field(description="Each record as given, with versions.")
    interactions: list[dict[str, Any]] = Field(description="Each with its versions.")
    consents: list[ConsentEvent]
    profile: dict[str, Any] | None
    links: list[dict[str, Any]] = Field(description="The resolution links between records.")
    overrides: list[dict[str, Any]] = Field(description="Steward decisions naming them.")
    access_log: list[AccessEntry]


class RetentionReport(BaseModel):
    """What a retention run removed (or, dry run, would remove)."""

    dry_run: bool
    interactions_before: datetime | None = Field(
        description="Interactions that occurred before this were purged (None: kept all)."
    )
    versions_before: datetime | None = Field(
        description="Earlier versions replaced before this were purged (None: kept all)."
    )
    interactions: int = Field(description="Interactions removed (with their versions).")
    interaction_versions: int = Field(description="Earlier versions of interactions removed.")
    record_versions: int = Field(description="Earlier versions of records removed.")
    kept_open: int = Field(description="Old interactions kept: their case is still open.")


ErasureSubject = Literal["customer", "record", "email", "phone", "national_id", "handle"]


class ErasureReceipt(BaseModel):
    """What one erasure did (`Hub.erase`, `Hub.erasures`): who asked, when and why, and
    the rows removed per table. It holds no personal data: what was erased is named by
    salted hashes only, which the store can match again (a later request for the same
    person) but no one can read back."""

    id: int
    erased_at: datetime
    erased_by: str
    reason: str
    subject_kind: ErasureSubject = Field(description="What the request named.")
    subject: str = Field(description="The salted hash of what the request named.")
    references: list[str] = Field(
        description="Salted hashes of the erased records' keys and of the customer IDs gone."
    )
    removed: dict[str, int] = Field(description="Rows removed, by table.")
    overrides: list[dict[str, Any]] = Field(
        description="Steward decisions removed with the records: id, kind, author, time."
    )
    customers_after: dict[str, int] = Field(
        description="'resolved': customers that lost a record and were resolved again; "
        "'new': customers their remaining records split into besides the one kept."
    )
