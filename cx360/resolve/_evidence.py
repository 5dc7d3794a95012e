"""Which scored pairs may link two records: the link rule.

Two records that agree on an identifier (an e-mail, a phone, a national ID, a handle, an
address or a birth date, the last up to one typo, day and month swapped or one whole
part keyed wrong, and not one of the dates typed for an unknown one) link at the ordinary
link weight. An address
identifies a household: it counts only when the two given names have as many words.
Two records that agree on nothing but their names (and perhaps a city) need far more: in
omnichannel data two "María López" with different phones and e-mails are as often two
people as one, and namesakes with different national IDs must stay apart.

A record that shares a contact identifier (an e-mail, a phone, a national ID, a handle)
with the records of one customer only joins that customer even below the link weight,
when the guards allow (a *sole-holder* link, made by `_cluster`): the model weighs an
e-mail alone at the odds of all shared e-mails, family ones included, so a sparse record
scores under the link weight. Such pairs are kept down to `sole_holder_match_weight`, so
that the clustering sees every other holder too. One definition serves batch resolution
(vectorised over Arrow columns), real time and explanations (record by record).

A record may hold several phones, e-mails and declared identifiers (`_blocking.MANY_KEYS`):
two records share one when any value of one equals any value of the other. A declared
identifier is a contact identifier, as a national ID is.

The two link weights are posterior odds, not fixed scores: a pair links where its
probability of being one person, under the store's own share of matching pairs, reaches
the odds `DEFAULT_MATCH_WEIGHT` (or `DEFAULT_NAME_ONLY_MATCH_WEIGHT`) stand for. Splink's
prior comes from deterministic rules whose recall is assumed, and misses by a factor that
differs from store to store (duplicates sharing only a phone and a first name escape every
rule); the prior is re-estimated from the scored pairs themselves (`prior_shift`, the
expectation-maximisation step for the prior with the comparisons' m and u held), and the
link weights move by the difference (`LinkRule.calibrated`). Weights a user gives are
taken as given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cx360.resolve._blocking import MANY_KEYS, OTHERS_COLUMN
from cx360.resolve._guards import DEFAULT_LIKE_BIRTH_DATES, birth_dates_compatible, is_default_like
from cx360.resolve._rules import Rule, enabled
from cx360.resolve._similarity import transposition_distance

# Pairs at or above this match weight (log2 odds) link when they share an identifier.
DEFAULT_MATCH_WEIGHT = 2.0
# Pairs that share only names link at or above this one.
DEFAULT_NAME_ONLY_MATCH_WEIGHT = 14.0
# Pairs sharing a contact identifier are kept from this weight, as sole-holder
# candidates: below it the rest of the pair disagrees too much (two given names and
# two surnames different cost about 9).
DEFAULT_SOLE_HOLDER_MATCH_WEIGHT = -8.0
# The prior re-estimated from the scored pairs lowers the link weights by at most this
# (log2 odds, a factor of 4 in the prior), so that a store of a few huge blocks of alike
# records cannot carry the thresholds far. It never raises them: the re-estimate counts
# only the pairs blocking brought, every true pair it missed counting as two people, so
# one below Splink's prior shows blocking's reach rather than a prior set too high.
MAX_PRIOR_SHIFT = 2.0
# Pairs scored at or above this weight take part in the prior's re-estimate: below it a
# pair's probability is too small to count.
PRIOR_PAIRS_FLOOR = -8.0

# The identifiers a person gives to be contacted or identified by: what a sole-holder
# link may go through (an address or a birth date is shared by design).
# A declared identifier (a loyalty card, a customer number) is given to be identified by.
CONTACT_COLUMNS: tuple[str, ...] = (
    "email_key",
    "phone_key",
    "national_id_key",
    "handle_key",
    "declared_key",
)
# Columns whose equality makes a pair identifier-backed.
IDENTIFIER_COLUMNS: tuple[str, ...] = (*CONTACT_COLUMNS, "address_key", "birth_date")
# National IDs one typo apart identify a pair from this many characters: shorter numbers
# are too few for a stranger's to be rarely one keystroke from another's.
MIN_NEAR_ID_CHARACTERS = 6


@dataclass(frozen=True, slots=True)
class LinkRule:
    """The match weights at which a scored pair links two records."""

    match_weight: float = DEFAULT_MATCH_WEIGHT
    name_only_match_weight: float = DEFAULT_NAME_ONLY_MATCH_WEIGHT
    # None: no sole-holder links
    sole_holder_match_weight: float | None = DEFAULT_SOLE_HOLDER_MATCH_WEIGHT

    @property
    def floor(self) -> float:
        """The lowest weight a pair can link at on its own weight."""
        return min(self.match_weight, self.name_only_match_weight)

    @property
    def scoring_floor(self) -> float:
        """The lowest weight of a pair resolution keeps (what to ask the scorer for)."""
        sole_holder = self.sole_holder_match_weight
        return self.floor if sole_holder is None else min(self.floor, sole_holder)

    def links(self, weight: float, identified: bool) -> bool:
        return weight >= (self.match_weight if identified else self.name_only_match_weight)

    @classmethod
    def calibrated(
        cls,
        shift: float,
        match_weight: float | None = None,
        name_only_match_weight: float | None = None,
        sole_holder_match_weight: float | None = DEFAULT_SOLE_HOLDER_MATCH_WEIGHT,
    ) -> LinkRule:
        """The rule of a store whose re-estimated prior is `shift` (log2 odds) above the
        model's: the default link weights lowered by it, so that a pair links at the same
        posterior odds; weights given (not None) are kept as they are. The sole-holder
        weight is a floor for the pairs clustering sees, not a link weight: it stays."""
        shift = min(max(shift, 0.0), MAX_PRIOR_SHIFT)
        return cls(
            DEFAULT_MATCH_WEIGHT - shift if match_weight is None else match_weight,
            DEFAULT_NAME_ONLY_MATCH_WEIGHT - shift
            if name_only_match_weight is None
            else name_only_match_weight,
            sole_holder_match_weight,
        )


def prior_shift(weights: np.ndarray[Any, Any], num_records: int, prior: float) -> float:
    """How far (log2 odds) the share of matching pairs among all pairs of `num_records`
    records, re-estimated from the scored pairs' `weights` (match weights under `prior`),
    lies above `prior`: the fixed point of "the prior is the mean probability of a match
    over all pairs", unscored pairs counting as non-matches. 0.0 where there is nothing
    to re-estimate from, or the re-estimate is lower; at most `MAX_PRIOR_SHIFT`."""
    pairs = num_records * (num_records - 1) / 2
    kept = weights[weights >= PRIOR_PAIRS_FLOOR] if len(weights) else weights
    if not len(kept) or not 0.0 < prior < 1.0 or pairs < 1:
        return 0.0
    base = math.log2(prior / (1.0 - prior))
    shift = 0.0
    for _ in range(_PRIOR_ITERATIONS):
        expected = float(np.sum(1.0 / (1.0 + np.exp2(-(kept + shift)))))
        share = min(max(expected / pairs, _TINY_SHARE), 0.5)
        updated = math.log2(share / (1.0 - share)) - base
        converged = abs(updated - shift) < 1e-6
        shift = updated
        if converged or shift > 2 * MAX_PRIOR_SHIFT:
            break
    # to a hundredth: link weights that read as they are noted and shown
    return round(min(max(shift, 0.0), MAX_PRIOR_SHIFT), 2)


_PRIOR_ITERATIONS = 200
_TINY_SHARE = 1e-12


def identifiers_agree(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    """Whether two records' features share an identifier (see `IDENTIFIER_COLUMNS`). A
    handle equal to the other record's e-mail user name does not count: such user names are
    mostly the person's name ("jose_ruiz"). A birth date one typo away counts: where records
    hold only names and birth dates, a typo in the date would make the pair name-only; so
    does a date that does not exist as written ("1949-15-25") read by its parts. So
    does a national ID one typo (or two swapped characters) away, as the guards read it:
    the same ID typed twice, which a stranger's rarely is (`MIN_NEAR_ID_CHARACTERS`)."""
    for column in IDENTIFIER_COLUMNS:
        value = left.get(column)
        if value is None or value != right.get(column) or column == "birth_date":
            continue
        if column != "address_key" or not _given_word_counts_differ(left, right):
            return True
    if _others_agree(left, right):
        return True
    if near_ids(left.get("national_id_key"), right.get("national_id_key")):
        return True
    if not enabled(Rule.NEAR_BIRTH_DATES):
        date = _known_date(left)
        return date is not None and date == _known_date(right)
    date_l, date_r = _known_date(left), _known_date(right)
    return date_l is not None and date_r is not None and near_birth_dates(date_l, date_r)


def near_birth_dates(left: str, right: str) -> bool:
    """Whether two known birth dates are one date typed twice: one typo apart, day and
    month swapped, or (`Rule.DATE_PART_KEYED_WRONG`) one whole part different, the year,
    month or day keyed from another field, with the other two equal."""
    if birth_dates_compatible(left, right):
        return True
    if not enabled(Rule.DATE_PART_KEYED_WRONG):
        return False
    return (left[:4] == right[:4]) + (left[5:7] == right[5:7]) + (left[8:10] == right[8:10]) >= 2


def near_ids(left: str | None, right: str | None) -> bool:
    """Whether two national IDs are one typo apart and long enough to say so (equal ones
    are an identifier anyway)."""
    if left is None or right is None or not enabled(Rule.NEAR_NATIONAL_IDS):
        return False
    shortest = min(len(left), len(right))
    return shortest >= MIN_NEAR_ID_CHARACTERS and transposition_distance(left, right) <= 1


def _given_word_counts_differ(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    # "Juan" and "Juan Carlos" at one address are as often father and son as one man: an
    # address identifies a household, and its members by their whole given names
    if not enabled(Rule.ADDRESS_WORD_COUNTS):
        return False
    given_l, given_r = left.get("given_keys"), right.get("given_keys")
    return bool(given_l and given_r and given_l.count(" ") != given_r.count(" "))


def _known_date(record: Mapping[str, Any]) -> str | None:
    # a date that does not exist counts as written ("1949-15-25"): one slip in it is
    # still one date typed twice when the rest agrees (`_features.written_birth_date`)
    found: str | None = record.get("birth_date")
    if found is None:
        parts: str | None = record.get("birth_date_parts")
        return parts
    return None if is_default_like(found) else found


def contacts_agree(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    """Whether two records' features share a contact identifier (`CONTACT_COLUMNS`)."""
    return any(
        left.get(column) is not None and left.get(column) == right.get(column)
        for column in CONTACT_COLUMNS
    ) or _others_agree(left, right)


def _others_agree(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    """Whether two records share a phone or an e-mail among all their values, where one
    of them holds several (the first values are compared with the other columns)."""
    if not (left.get(OTHERS_COLUMN) or right.get(OTHERS_COLUMN)):
        return False
    return any(not set(key.values_of(left)).isdisjoint(key.values_of(right)) for key in MANY_KEYS)


def _flags(condition: pa.Array) -> np.ndarray[Any, Any]:
    """A boolean array as numpy, NULL (a side unknown) as False."""
    found: np.ndarray[Any, Any] = pc.fill_null(condition, False).to_numpy(zero_copy_only=False)
    return found


def identified_mask(
    features: pa.Table,
    left: np.ndarray[Any, Any],
    right: np.ndarray[Any, Any],
    columns: tuple[str, ...] = IDENTIFIER_COLUMNS,
) -> np.ndarray[Any, Any]:
    """`identifiers_agree` (or with `columns=CONTACT_COLUMNS`, `contacts_agree`) for many
    pairs at once: `left`/`right` are row positions in `features`."""
    positions_l, positions_r = pa.array(left), pa.array(right)
    mask = np.zeros(len(left), dtype=bool)
    dates = None
    for column in columns:
        values = features.column(column).combine_chunks()
        if column == "birth_date":
            values = dates = _known_dates(features)
        agree = _flags(pc.equal(values.take(positions_l), values.take(positions_r)))
        if column == "address_key" and agree.any() and enabled(Rule.ADDRESS_WORD_COUNTS):
            agree &= ~_word_counts_differ(features, positions_l, positions_r)
        mask |= agree
    if not mask.all():
        mask |= _others_mask(features, positions_l, positions_r, mask)
    if dates is None:  # `contacts_agree`: equal values only, no near dates or IDs
        return mask
    if not mask.all() and enabled(Rule.NEAR_BIRTH_DATES):
        # only the pairs no exact identifier made: most are, and the date test is dearer
        rest = pa.array(np.flatnonzero(~mask))
        near = _near_dates(dates.take(positions_l.take(rest)), dates.take(positions_r.take(rest)))
        mask[~mask] = near
    if not mask.all():
        mask |= _near_id_mask(features, positions_l, positions_r, mask)
    return mask


def _others_mask(
    features: pa.Table, left: pa.Array, right: pa.Array, identified: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """`_others_agree` of the pairs not `identified` yet where a record holds several
    phones or e-mails (a few: none in a store where every record holds one)."""
    shared = np.zeros(len(identified), dtype=bool)
    if OTHERS_COLUMN not in features.column_names:
        return shared
    others = features.column(OTHERS_COLUMN).combine_chunks()
    if others.null_count == len(others):
        return shared
    several = pc.or_(pc.is_valid(others.take(left)), pc.is_valid(others.take(right)))
    where = np.flatnonzero(_flags(several) & ~identified)
    if not len(where):
        return shared
    rows = pa.array(where)
    columns = [OTHERS_COLUMN, *(key.column for key in MANY_KEYS)]
    sides = [features.select(columns).take(ends.take(rows)).to_pylist() for ends in (left, right)]
    shared[where] = [_others_agree(a, b) for a, b in zip(*sides, strict=True)]
    return shared


def _near_id_mask(
    features: pa.Table, left: pa.Array, right: pa.Array, identified: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """`near_ids` of the pairs not `identified` yet, where both IDs are known and differ
    (a few: most pairs with two IDs share them or were brought by other keys)."""
    near = np.zeros(len(identified), dtype=bool)
    if not enabled(Rule.NEAR_NATIONAL_IDS):
        return near
    ids = features.column("national_id_key").combine_chunks()
    ids_l, ids_r = ids.take(left), ids.take(right)
    differ = _flags(pc.not_equal(ids_l, ids_r)) & ~identified
    where = np.flatnonzero(differ)
    if len(where):
        rows = pa.array(where)
        pairs = zip(ids_l.take(rows).to_pylist(), ids_r.take(rows).to_pylist(), strict=True)
        near[where] = [near_ids(a, b) for a, b in pairs]
    return near


def _word_counts_differ(
    features: pa.Table, left: pa.Array, right: pa.Array
) -> np.ndarray[Any, Any]:
    # `_given_word_counts_differ` for arrays (spaces counted; NULL where a name is missing)
    spaces = pc.count_substring(features.column("given_keys").combine_chunks(), " ")
    return _flags(pc.not_equal(spaces.take(left), spaces.take(right)))


def _known_dates(features: pa.Table) -> pa.Array:
    """`_known_date` of every record of `features`."""
    dates = features.column("birth_date").combine_chunks()
    if enabled(Rule.DEFAULT_LIKE_BIRTH_DATES):
        # a default-like date is no identifier (see `DEFAULT_LIKE_BIRTH_DATES`)
        default = pc.is_in(dates, value_set=pa.array(sorted(DEFAULT_LIKE_BIRTH_DATES)))
        dates = pc.if_else(default, pa.scalar(None, dates.type), dates)
    if "birth_date_parts" not in features.column_names:
        return dates
    parts = features.column("birth_date_parts").combine_chunks()
    written = pc.if_else(pc.is_null(features.column("birth_date").combine_chunks()), parts, dates)
    return written.cast(dates.type)


def _near_dates(left: pa.Array, right: pa.Array) -> np.ndarray[Any, Any]:
    """`birth_dates_compatible` for arrays of ISO dates (None where either is missing).
    Dates all have ten characters, so one typo apart is one character different."""
    both = pc.and_(pc.is_valid(left), pc.is_valid(right)).to_numpy(zero_copy_only=False)
    near = np.zeros(len(left), dtype=bool)
    if not both.any():
        return near
    where = np.flatnonzero(both)
    a, b = (_characters(dates.take(pa.array(where))) for dates in (left, right))
    one_typo = (a != b).sum(axis=1) <= 1
    swapped = (
        np.all(a[:, :4] == b[:, :4], axis=1)
        & np.all(a[:, 5:7] == b[:, 8:10], axis=1)
        & np.all(a[:, 8:10] == b[:, 5:7], axis=1)
    )
    near[where] = one_typo | swapped
    if enabled(Rule.DATE_PART_KEYED_WRONG):
        parts = (
            np.all(a[:, :4] == b[:, :4], axis=1).astype(np.int8)
            + np.all(a[:, 5:7] == b[:, 5:7], axis=1)
            + np.all(a[:, 8:10] == b[:, 8:10], axis=1)
        )
        near[where] |= parts >= 2
    return near


def _characters(dates: pa.Array) -> np.ndarray[Any, Any]:
    # one row of ten bytes per date (normalized dates are ASCII "YYYY-MM-DD")
    packed = np.array(dates.to_pylist(), dtype="S10")
    return packed.view(np.uint8).reshape(len(packed), 10)


@dataclass(frozen=True, slots=True)
class PairEvidence:
    """Scored pairs sorted out by `pair_evidence`: `links[k]` whether pair k links on its
    weight, `contacts[k]` whether it shares a contact identifier."""

    links: np.ndarray[Any, Any]
    contacts: np.ndarray[Any, Any]


def pair_evidence(
    features: pa.Table,
    left: np.ndarray[Any, Any],
    right: np.ndarray[Any, Any],
    weights: np.ndarray[Any, Any],
    rule: LinkRule,
) -> PairEvidence:
    """Which pairs (row positions in `features`, and their weights) link under `rule`,
    and which share a contact identifier."""
    identified = identified_mask(features, left, right)
    threshold = np.where(identified, rule.match_weight, rule.name_only_match_weight)
    contacts = identified_mask(features, left, right, CONTACT_COLUMNS)
    return PairEvidence(weights >= threshold, contacts)


def linking_pairs(edges: pa.Table, features: pa.Table, rule: LinkRule) -> pa.Table:
    """The scored pairs (`unique_id_l`, `unique_id_r`, `match_weight`) resolution keeps
    under `rule`: those that link, and those sharing a contact identifier at or above the
    sole-holder weight; `features` holds every record of the pairs. Each kept pair's
    `pair_evidence` comes with it, as boolean columns `links` and `contacts` (so that
    clustering does not work it out again)."""
    if edges.num_rows == 0:
        return edges
    ids = features.column("unique_id").to_numpy()
    if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
        features = features.sort_by("unique_id")
        ids = features.column("unique_id").to_numpy()
    left = np.searchsorted(ids, edges.column("unique_id_l").to_numpy())
    right = np.searchsorted(ids, edges.column("unique_id_r").to_numpy())
    weights = edges.column("match_weight").to_numpy()
    evidence = pair_evidence(features, left, right, weights, rule)
    kept = evidence.links
    if rule.sole_holder_match_weight is not None:
        kept = kept | (evidence.contacts & (weights >= rule.sole_holder_match_weight))
    flagged = edges.append_column("links", pa.array(evidence.links)).append_column(
        "contacts", pa.array(evidence.contacts)
    )
    return flagged.filter(pa.array(kept))
