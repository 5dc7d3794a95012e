"""Match attributes a store declares: columns of its own data beyond the input contract."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# identifier: a number that names one person (a loyalty card, a customer number, a
# passport), matched exactly and used like a national ID; the others are compared
# attributes, weighed by the matching model with the rest.
AttributeKind = Literal["identifier", "exact", "text", "date", "number"]
ATTRIBUTE_KINDS: tuple[AttributeKind, ...] = ("identifier", "exact", "text", "date", "number")
# A name is part of stored keys and of the matching model's comparisons: short, plain.
ATTRIBUTE_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"


class AttributeSpec(BaseModel):
    """How a mapping declares one attribute (`ColumnMapping.attributes`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: AttributeKind
    column: str | None = Field(
        default=None, description="The input column holding it; by default the name."
    )


class DeclaredAttribute(BaseModel):
    """A column a store matches on besides the contract's (`Hub.declare_attribute`)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=ATTRIBUTE_NAME_PATTERN, description="The attribute's name.")
    kind: AttributeKind = Field(description="'identifier', or how it is compared.")
    column: str = Field(
        min_length=1, max_length=255, description="The input column (record key) holding it."
    )
