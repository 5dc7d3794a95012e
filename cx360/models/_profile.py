"""What a channel app gets back when it asks who a customer is: lookups, profiles, cards.

Values that are personal data (names, identifiers, summaries) are kept out of `repr()`
(so a log line that formats a model does not copy them); `model_dump()` has them all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from cx360.models._explain import RecordRef
from cx360.models._privacy import ConsentState

IdentifierKind = Literal["phone", "email", "national_id", "handle"]
LookupStatus = Literal["found", "ambiguous", "not_found"]
# shared: several customers (or unresolved records) hold the identifier;
# placeholder: a typed "no value" (0000000000, noemail@...) that identifies nobody;
# invalid: the identifier cannot be read as a valid value, so nothing can hold it;
# no_match: a valid identifier that no record holds (or an unknown customer/record).
LookupReason = Literal["shared", "placeholder", "invalid", "no_match"]
SurvivorshipRule = Literal[
    "source_priority", "most_recent", "most_frequent", "most_complete", "valid", "mobile"
]


class GoldenValue(BaseModel):
    """The value that survived for one attribute, and where it came from."""

    value: str = Field(repr=False, description="Display form: E.164, e-mail as typed, ...")
    source: str = Field(description="Channel of the record the value is taken from.")
    source_record_id: str = Field(repr=False)
    observed_at: datetime | None = Field(description="When that record was observed.")
    rule: str = Field(
        description="The survivorship rule that decided ('source_priority', 'most_recent', "
        "...), 'only_value' when the records agree, 'record_order' when only the records' "
        "own order of their phones or e-mails did (the first given wins), 'tie' when "
        "nothing told them apart."
    )
    records: int = Field(description="How many of the customer's records hold this value.")
    alternatives: int = Field(description="How many other distinct valid values were seen.")


class GoldenRecord(BaseModel):
    """The best value of each attribute under the survivorship rules (None: none known)."""

    name: GoldenValue | None = None
    given_names: str | None = Field(default=None, repr=False, description="Of the name's record.")
    surnames: str | None = Field(default=None, repr=False, description="Of the name's record.")
    email: GoldenValue | None = None
    phone: GoldenValue | None = None
    national_id: GoldenValue | None = None
    birth_date: GoldenValue | None = None
    address: GoldenValue | None = None
    city: GoldenValue | None = None
    postcode: GoldenValue | None = None
    region: GoldenValue | None = None
    handle: GoldenValue | None = None


class KnownIdentifier(BaseModel):
    """An identifier seen on the customer's records, valid or not."""

    kind: IdentifierKind
    value: str = Field(
        repr=False, description="Normalized form, or the text as given when unreadable."
    )
    match_key: str | None = Field(
        default=None, repr=False, description="Key it is matched on; None: placeholder or invalid."
    )
    detail: str | None = Field(
        default=None, description="Phone type ('mobile', ...) or national ID kind ('cc', ...)."
    )
    placeholder: bool = False
    valid: bool = Field(description="Readable, valid and not a placeholder.")
    sources: list[str] = Field(description="Channels it was seen on.")
    records: int
    first_seen: datetime | None = Field(description="Earliest observed_at of its records.")
    last_seen: datetime | None = Field(description="Latest observed_at of its records.")


class TimelineItem(BaseModel):
    """One interaction on any channel, attached to a record of the customer."""

    interaction_id: str
    source: str
    source_record_id: str = Field(repr=False)
    occurred_at: datetime | None
    type: str | None
    status: str | None
    case_id: str | None
    summary: str | None = Field(repr=False)


class OpenCase(BaseModel):
    """A case whose latest interaction does not close it (see `CLOSED_STATUSES`)."""

    case_id: str
    status: str | None = Field(description="Status of the case's latest interaction.")
    sources: list[str] = Field(description="Channels it was raised on, first contact first.")
    contacts: int = Field(description="Interactions so far.")
    first_contact: datetime | None
    last_contact: datetime | None
    last_type: str | None
    last_summary: str | None = Field(repr=False)


class Profile(BaseModel):
    """Everything cx360 knows of one customer: golden record, identifiers, timeline, cases.

    `provisional` profiles are built from one record that `resolve()` has not assigned to
    a customer yet (`customer_id` is None): the next resolution may join it to others.
    """

    customer_id: str | None
    provisional: bool = False
    records: list[RecordRef] = Field(description="The customer's channel records.")
    sources: list[str] = Field(description="Channels the customer has records on.")
    golden: GoldenRecord
    identifiers: list[KnownIdentifier]
    interactions: list[TimelineItem] = Field(description="Newest first, at most `limit`.")
    interaction_count: int = Field(description="Interactions in all (beyond the limit too).")
    open_cases: list[OpenCase]
    consent_state: list[ConsentState] = Field(
        default_factory=list, description="Each purpose and channel's latest consent event."
    )


class VerifiedIdentifier(BaseModel):
    """A valid identifier the customer already gave on some channel: no need to ask again."""

    kind: IdentifierKind
    value: str = Field(repr=False)
    detail: str | None = None
    sources: list[str]
    last_seen: datetime | None


class Consent(BaseModel):
    """A consent column (`consent_*`, `*opt_in*`) as last given on any channel."""

    name: str = Field(description="The column name as given, e.g. 'marketing_opt_in'.")
    granted: bool | None = Field(description="The value read as yes/no; None: unreadable.")
    value: str = Field(description="The value as given, as text.")
    source: str
    source_record_id: str = Field(repr=False)
    observed_at: datetime | None


class ContextCard(BaseModel):
    """The compact card an agent sees when a contact starts."""

    customer_id: str | None
    provisional: bool = False
    name: str | None = Field(default=None, repr=False, description="The golden name.")
    given_names: str | None = Field(default=None, repr=False)
    verified: list[VerifiedIdentifier] = Field(
        description="Valid national IDs, phones and e-mails already given."
    )
    open_cases: list[OpenCase]
    recent_interactions: list[TimelineItem] = Field(description="The last 5, any channel.")
    interaction_count: int
    preferred_channel: str | None = Field(description="The channel with the most contacts.")
    last_channel: str | None = Field(description="The channel of the latest contact.")
    last_contact: datetime | None
    sources: list[str] = Field(description="Channels the customer has records on.")
    consents: list[Consent]
    consent_state: list[ConsentState] = Field(
        default_factory=list, description="Each purpose and channel's latest consent event."
    )


class Candidate(BaseModel):
    """One of the customers (or unresolved records) an ambiguous identifier points to."""

    customer_id: str | None = Field(description="None for a record not resolved yet.")
    record: RecordRef | None = Field(default=None, description="The unresolved record, if so.")
    name: str | None = Field(default=None, repr=False, description="The candidate's best name.")
    records_with_identifier: int
    sources: list[str] = Field(description="Channels whose records hold the identifier.")


class Lookup(BaseModel):
    """The outcome of looking a customer up; check `status` before using the result.

    - `found`: one customer holds the identifier (`customer_id`), or one record not
      resolved yet (`customer_id` None, the result `provisional`).
    - `ambiguous`: the identifier is a placeholder (`reason='placeholder'`, no candidates:
      it identifies nobody) or is held by several customers or unresolved records
      (`reason='shared'`, see `candidates`). Never one profile as if certain.
    - `not_found`: `reason` is 'no_match' or 'invalid'.
    """

    status: LookupStatus
    reason: LookupReason | None = None
    identifier: str = Field(description="Which identifier was given: 'phone', 'record', ...")
    customer_id: str | None = Field(default=None, description="The customer found (survivor).")
    alias: str | None = Field(
        default=None, description="The merged-away customer_id asked for, if it was one."
    )
    candidates: list[Candidate] = Field(default_factory=list, description="Largest first.")
    candidate_count: int = Field(default=0, description="Candidates in all (beyond the list).")
    unresolved: list[RecordRef] = Field(
        default_factory=list,
        description="Records holding the identifier that resolve() has not assigned yet.",
    )

    @property
    def found(self) -> bool:
        return self.status == "found"


class ProfileLookup(Lookup):
    """A `Lookup` whose `profile` is set exactly when `status == 'found'`."""

    profile: Profile | None = None


class ContextLookup(Lookup):
    """A `Lookup` whose `context` card is set exactly when `status == 'found'`."""

    context: ContextCard | None = None
