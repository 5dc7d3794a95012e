"""Named rules of the link rule and the guards that evaluation can switch off.

Each rule here is a refinement written into the evidence (`_evidence`) or the guards
(`_guards`) that no option of `Hub.resolve` reaches: whether an address counts as an
identifier only between given names of as many words, whether two national IDs one
typo apart are one ID, and so on. To show that a rule earns its place, the accuracy
suite runs with and without it (`benchmarks/accuracy.py --without RULE`), in the same
process as the resolution it measures.

For evaluation only: no public API sets these switches, a store resolved with a rule
off keeps no trace of it (an incremental run or real time afterwards would use every
rule again), and the code that consults them reads `enabled` at the point of decision,
so that both twins of a rule (Python and Arrow) switch together.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Final


class Rule(StrEnum):
    """A rule that `switched_off` can switch off (each says where it lives)."""

    # _evidence: an address is an identifier only between given names of as many words
    ADDRESS_WORD_COUNTS = "address_word_counts"
    # _evidence: a birth date one typo (or a day/month swap) away is an identifier too
    NEAR_BIRTH_DATES = "near_birth_dates"
    # _evidence: a birth date with one whole part different (the other two equal) too
    DATE_PART_KEYED_WRONG = "date_part_keyed_wrong"
    # _evidence: a national ID one typo away is an identifier too
    NEAR_NATIONAL_IDS = "near_national_ids"
    # _guards, _evidence: 2000-01-01 and 1970-01-01 are neither guarded nor identifiers
    DEFAULT_LIKE_BIRTH_DATES = "default_like_birth_dates"
    # _guards: a name typed with given name and surname swapped fits the unswapped one
    SWAPPED_NAMES = "swapped_names"
    # _guards: two full given names (two words or more) that never fit keep groups apart
    FULL_GIVEN_NAMES = "full_given_names"
    # _guards: national IDs one typo apart are one ID (no conflict, and `_same_id`)
    NATIONAL_ID_TYPOS = "national_id_typos"
    # _guards: birth dates of one year two digits apart may be one person's
    TWO_SLIP_BIRTH_DATES = "two_slip_birth_dates"
    # _guards: generational suffixes that differ (Jr. and Sr.) keep groups apart
    NAME_SUFFIXES = "name_suffixes"


_off: Final[set[Rule]] = set()


def enabled(rule: Rule) -> bool:
    """Whether `rule` applies (every rule does, but inside `switched_off`)."""
    return rule not in _off


@contextmanager
def switched_off(rules: Iterable[Rule]) -> Iterator[None]:
    """Resolution inside the block runs without `rules` (evaluation only, one process)."""
    rules = set(rules) - _off
    _off.update(rules)
    try:
        yield
    finally:
        _off.difference_update(rules)
