"""Why two records match (or not), and which links put a record in its customer."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class GuardReason(StrEnum):
    """Why two groups of records were not joined: one of the over-merge guards, a steward's
    'separate', or a weak bridge. The values are stored and serialized as they are."""

    NATIONAL_ID = "national_id"
    """Two different valid national IDs of one kind."""
    BIRTH_DATE = "birth_date"
    """Two clearly different birth dates."""
    GIVEN_NAME = "given_name"
    """Given names that cannot be one person's."""
    SURNAME = "surname"
    """Clearly different surnames."""
    SECOND_SURNAME = "second_surname"
    """The same first surname and different second ones (a parent and child, cousins)."""
    OVERRIDE_SEPARATE = "override_separate"
    """A steward's 'separate' between records of the two groups."""
    WEAK_BRIDGE = "weak_bridge"
    """One weak pair between two customers of several records each, and no other."""


class RecordRef(BaseModel):
    """A channel record by its key: `(source, source_record_id)`."""

    model_config = ConfigDict(frozen=True)

    source: str
    source_record_id: str

    def __str__(self) -> str:
        return f"{self.source}:{self.source_record_id}"


class ComparisonContribution(BaseModel):
    """One comparison's step of the waterfall: the level that held and what it adds."""

    comparison: str = Field(description="Comparison name, e.g. 'email'.")
    level: str = Field(description="Label of the level that held, e.g. 'exact'.")
    gamma: int = Field(description="The level as Splink numbers it: -1 null, 0 'else', ...")
    m_probability: float | None = Field(
        default=None, description="P(level | same person); None for the null level."
    )
    u_probability: float | None = Field(
        default=None, description="P(level | different people); None for the null level."
    )
    bayes_factor: float = Field(description="m / u (1.0 for the null level).")
    log2_bayes_factor: float
    tf_adjustment: float = Field(
        default=0.0, description="Term-frequency adjustment: rare values weigh more."
    )
    match_weight: float = Field(description="log2_bayes_factor + tf_adjustment.")
    # The compared values: personal data, so kept out of repr() and str() (and so out of
    # logs that format the object); they are in model_dump() for a steward's screen.
    values_left: dict[str, str | None] = Field(default_factory=dict, repr=False)
    values_right: dict[str, str | None] = Field(default_factory=dict, repr=False)


class PairExplanation(BaseModel):
    """The match weight of two records, comparison by comparison (Fellegi-Sunter)."""

    left: RecordRef
    right: RecordRef
    model_id: int
    prior_match_weight: float = Field(description="log2 odds that two random records match.")
    comparisons: list[ComparisonContribution]
    match_weight: float = Field(description="prior + every comparison's match_weight.")
    match_probability: float
    threshold: float = Field(
        description=(
            "Match weight at or above which this pair is a link (higher for pairs that "
            "share no identifier, only names)."
        )
    )
    identifier_backed: bool = Field(
        description="Whether the two records share an identifier (not only names)."
    )
    above_threshold: bool
    guard_conflict: GuardReason | None = Field(
        default=None,
        description="Why the over-merge guards keep these two apart ('birth_date', ...).",
    )
    left_customer_id: str | None = None
    right_customer_id: str | None = None
    same_customer: bool
    customer_conflict: GuardReason | None = Field(
        default=None,
        description=(
            "When the two records are in different customers: why the over-merge guards "
            "keep those customers apart, over every record each holds ('given_name', ...). "
            "None when they do not: then the weights decided (or a weak bridge: one pair "
            "below the bridge weight between two customers of several records)."
        ),
    )


class LinkHop(BaseModel):
    """A stored link between two records of a customer."""

    left: RecordRef
    right: RecordRef
    match_weight: float | None = None
    kind: str = Field(
        description="'model' (a scored pair at the link weight), 'sole_holder' (a pair "
        "below it, sharing a contact identifier no one else holds) or 'override' (a "
        "steward's link)."
    )


class RecordPath(BaseModel):
    """The links from the explained record to one other record of its customer."""

    record: RecordRef
    hops: list[LinkHop]


class RecordExplanation(BaseModel):
    """Why a record is in its customer: a path of links to each of the customer's records."""

    record: RecordRef
    customer_id: str | None = None
    paths: list[RecordPath] = Field(default_factory=list)
    unreachable: list[RecordRef] = Field(
        default_factory=list,
        description="Records of the customer no stored link leads to (e.g. not resolved "
        "again since links were first kept).",
    )
