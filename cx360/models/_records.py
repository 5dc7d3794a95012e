"""The input contract: channel records and interactions, as the channels give them."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

# Columns of the input contract. `source` + `source_record_id` identify a record;
# every other column is optional text where empty means unknown. Extra columns are kept.
RECORD_COLUMNS: tuple[str, ...] = (
    "source",
    "source_record_id",
    "observed_at",
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "national_id",
    "date_of_birth",
    "address",
    "city",
    "postcode",
    "region",
    "country",
    "handle",
)
INTERACTION_COLUMNS: tuple[str, ...] = (
    "source",
    "source_record_id",
    "interaction_id",
    "occurred_at",
    "type",
    "status",
    "case_id",
    "summary",
)


class ChannelRecord(BaseModel):
    """Who a person said they were on one channel.

    Unknown columns are kept as extra attributes (`model_extra`), never dropped.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    source: str = Field(min_length=1, description="Channel name, e.g. 'whatsapp'.")
    source_record_id: str = Field(min_length=1, description="Record id within the source.")
    observed_at: datetime | str | None = None
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    national_id: str | None = None
    date_of_birth: date | str | None = None
    address: str | None = None
    city: str | None = None
    postcode: str | None = Field(default=None, description="Postal or ZIP code.")
    region: str | None = Field(default=None, description="State, province or department.")
    country: str | None = Field(default=None, description="ISO 3166 alpha-2 market code.")
    handle: str | None = None


class Interaction(BaseModel):
    """A contact, case, complaint or purchase that belongs to a channel record."""

    model_config = ConfigDict(extra="allow", frozen=True)

    source: str = Field(min_length=1)
    source_record_id: str = Field(min_length=1)
    interaction_id: str = Field(min_length=1)
    occurred_at: datetime | str | None = None
    type: str | None = None
    status: str | None = None
    case_id: str | None = None
    summary: str | None = None
