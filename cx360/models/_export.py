"""One row per customer, for files and downstream systems (`Hub.export_profiles`)."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from pydantic import BaseModel, Field

# The golden attributes a row carries, each with the channel its value came from.
GOLDEN_ATTRIBUTES: Final = (
    "name",
    "email",
    "phone",
    "national_id",
    "birth_date",
    "address",
    "city",
    "postcode",
    "region",
    "handle",
)


class ProfileRow(BaseModel):
    """A customer's unified profile, flat: the golden values and the channel each came
    from (`<attribute>_source`), every valid identifier, channels, counts, open cases.

    Personal values are kept out of `repr()`, as in `Profile`; `model_dump()` has them.
    """

    customer_id: str
    name: str | None = Field(default=None, repr=False)
    name_source: str | None = None
    given_names: str | None = Field(default=None, repr=False)
    surnames: str | None = Field(default=None, repr=False)
    email: str | None = Field(default=None, repr=False)
    email_source: str | None = None
    phone: str | None = Field(default=None, repr=False)
    phone_source: str | None = None
    national_id: str | None = Field(default=None, repr=False)
    national_id_source: str | None = None
    birth_date: str | None = Field(default=None, repr=False)
    birth_date_source: str | None = None
    address: str | None = Field(default=None, repr=False)
    address_source: str | None = None
    city: str | None = Field(default=None, repr=False)
    city_source: str | None = None
    postcode: str | None = Field(default=None, repr=False)
    postcode_source: str | None = None
    region: str | None = Field(default=None, repr=False)
    region_source: str | None = None
    handle: str | None = Field(default=None, repr=False)
    handle_source: str | None = None
    emails: list[str] = Field(default_factory=list, repr=False, description="Valid e-mails.")
    phones: list[str] = Field(default_factory=list, repr=False, description="Valid phones.")
    national_ids: list[str] = Field(default_factory=list, repr=False)
    handles: list[str] = Field(default_factory=list, repr=False)
    channels: list[str] = Field(description="Channels the customer has records on.")
    records: int = Field(description="Channel records the customer holds.")
    interactions: int = Field(description="Interactions on those records.")
    open_cases: int = Field(description="Cases whose latest status does not close them.")
    first_seen: datetime | None = Field(description="Earliest observed_at of its records.")
    last_seen: datetime | None = Field(description="Latest observed_at of its records.")
    last_contact: datetime | None = Field(description="Latest interaction.")
