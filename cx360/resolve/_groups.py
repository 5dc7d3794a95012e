"""The group engine: records joined into groups under the guards, for batch clustering
(`_cluster`) and real time (`realtime/_decision`) alike.

A group is a set of records (a union-find over their positions) with what the guards see
of it (`_guards.Profile`). Two groups join only when the guards find no conflict between
everything each holds, with three exceptions, each kept track of:

- a pair whose own evidence overrides the guard that objects (`_guards.overridden`) joins
  them across that guard: the group keeps each side's profile apart (its *facets*) and
  remembers the guard it *waived*. A later join must fit one facet of each group, and
  the merged profile of each but for the waived guards, so nothing else gets in;
- a steward's link joins them across every guard: fitting one facet is then enough;
- a steward's 'separate' keeps the groups holding its two records apart for good, and a
  single weak pair does not join two groups of several records each
  (`GuardLimits.bridge_match_weight`).

Real time rebuilds its candidate customers' groups by replaying their stored links in
the order batch made them (`replay_order`): the facets and waived guards come back as
batch had them, so a record is decided as the next batch run would decide it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from itertools import islice, product
from typing import Any, Final, NamedTuple

import numpy as np

from cx360.models._explain import GuardReason
from cx360.resolve._guards import GuardLimits, Profile, conflict, may_override, overridden

# What a join crossed: nothing (the groups fit), the guards a pair's evidence overrode, or
# (None) every guard, by a steward's word.
Crossing = frozenset[GuardReason] | None
FITS: Final[Crossing] = frozenset()
BY_STEWARD: Final[Crossing] = None

# Reasons that are no guard's: nothing a pair's evidence can override.
_NOT_GUARDS: Final = (GuardReason.OVERRIDE_SEPARATE, GuardReason.WEAK_BRIDGE)
# The kinds of stored links (`record_links.kind`), in the order batch makes such joins:
# a steward's links first, then scored pairs strongest first, then sole-holder links.
LINK_KINDS: Final = ("override", "model", "sole_holder")

Decided = Callable[[int, int, GuardReason | None], None]


class PairsByRecord:
    """Each record's scored pairs, as the other records' positions (a CSR adjacency: a
    few bytes a pair, where lists per record would cost tens), in batch as in real time."""

    def __init__(self, n: int, left: Sequence[int], right: Sequence[int]) -> None:
        ends = np.concatenate([np.asarray(left, np.int64), np.asarray(right, np.int64)])
        others = np.concatenate([np.asarray(right, np.int64), np.asarray(left, np.int64)])
        order = np.argsort(ends, kind="stable")
        self._starts = np.searchsorted(ends[order], np.arange(n + 1)).tolist()
        self._others = others[order]

    def others(self, i: int) -> list[int]:
        found: list[int] = self._others[self._starts[i] : self._starts[i + 1]].tolist()
        return found


class StoredLink(NamedTuple):
    """A `record_links` row: the join it made, made again when its customer is rebuilt."""

    left: int
    right: int
    weight: float | None
    kind: str
    run_id: int | None
    link_id: int


def replay_order(kind: str, run_id: int | None, link_id: int) -> tuple[bool, int, int]:
    """Where a stored link goes when its joins are made again: a run's links as the run
    made them (by kind, then in the order it wrote them), then real time's in the order
    its calls made them."""
    return (True, 0, link_id) if run_id is None else (False, LINK_KINDS.index(kind), link_id)


class Groups:
    """Records (by position) joined into groups under the guards (see the module docstring).
    Methods that decide take groups by their root (`find`). `pairs`: every scored pair by
    record, which the weak-bridge rule counts (None: no such rule); `on_decision(root_a,
    root_b, reason)` is told of every join considered (reason None when joined), the roots
    as they were before the join."""

    def __init__(
        self,
        records: Sequence[Mapping[str, Any]],
        limits: GuardLimits,
        *,
        pairs: PairsByRecord | None = None,
        on_decision: Decided | None = None,
    ) -> None:
        self.records = records
        self.limits = limits
        self._parent = list(range(len(records)))
        self._profiles: dict[int, Profile] = {}
        # only groups joined across a guard have facets (two profiles or more) ...
        self._facets: dict[int, list[Profile]] = {}
        # ... and what they were joined across (None: a steward's join)
        self._waived: dict[int, Crossing] = {}
        # root -> roots it must never join; kept symmetric and up to date on every join,
        # so the check is one set lookup and the roots without an override cost nothing
        self._forbidden: dict[int, set[int]] = {}
        self._pairs = pairs if limits.bridge_match_weight is not None else None
        # the records of each group of several (for the weak-bridge rule)
        self._members: dict[int, list[int]] = {}
        self._on_decision = on_decision

    def find(self, i: int) -> int:
        parent = self._parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def labels(self) -> list[int]:
        """Each record's group, as its lowest position."""
        return [self.find(i) for i in range(len(self._parent))]

    def facets(self, root: int) -> list[Profile]:
        """What the guards see of a group: one profile, or one per facet."""
        return self._facets.get(root) or [self._profile(root)]

    def waived(self, root: int) -> Crossing:
        """The guards a group with facets was joined across (None: a steward joined it)."""
        return self._waived.get(root, FITS)

    def separated(self, a: int, b: int) -> bool:
        return b in self._forbidden.get(a, ())

    def conflict(self, a: int, b: int) -> GuardReason | None:
        """What the guards find between two groups (each side's facets, and for groups
        joined across a guard by a pair, everything it holds but that guard)."""
        if a not in self._facets and b not in self._facets:
            return conflict(self._profile(a), self._profile(b), self.limits)
        first: GuardReason | None = None
        for pa, pb in product(self.facets(a), self.facets(b)):
            reason = conflict(pa, pb, self.limits)
            if reason is None:
                break  # fits one facet of each
            first = first or reason
        else:
            return first
        waive: set[GuardReason] = set()
        for root in (a, b):
            if root in self._facets:
                reasons = self._waived[root]
                if reasons is None:
                    return None  # a steward's join: one facet is enough
                waive |= reasons
        # a join pairs' evidence made across a guard waives that guard only: the rest of
        # what both sides hold must fit as for any other join
        merged_a, merged_b = Profile.merged(self.facets(a)), Profile.merged(self.facets(b))
        return conflict(merged_a, merged_b, _without(self.limits, waive))

    def weak_bridge(self, a: int, b: int, weight: float) -> bool:
        """Whether a pair of this weight between two groups of several records each is
        their only scored pair but one at most (see `GuardLimits.bridge_match_weight`)."""
        bridge = self.limits.bridge_match_weight
        if self._pairs is None or bridge is None or weight >= bridge:
            return False
        group_a, group_b = self._members.get(a), self._members.get(b)
        if group_a is None or group_b is None:
            return False  # a record of its own joining a customer is no bridge
        smaller, other = (group_a, b) if len(group_a) <= len(group_b) else (group_b, a)
        across = (j for i in smaller for j in self._pairs.others(i) if self.find(j) == other)
        return len(list(islice(across, 2))) <= 1  # stops at the second pair across

    def refusal(self, a: int, b: int, weight: float | None = None) -> GuardReason | None:
        """Why groups `a` and `b` may not join (on a pair of `weight`, if any), or None."""
        if self._forbidden and self.separated(a, b):
            return GuardReason.OVERRIDE_SEPARATE
        if weight is not None and self.weak_bridge(a, b, weight):
            return GuardReason.WEAK_BRIDGE
        return self.conflict(a, b)

    def forbid(self, i: int, j: int) -> None:
        """A steward's 'separate': the groups of records `i` and `j` never join."""
        a, b = self.find(i), self.find(j)
        if a != b:
            self._forbidden.setdefault(a, set()).add(b)
            self._forbidden.setdefault(b, set()).add(a)

    def link(
        self,
        a: int,
        b: int,
        weight: float,
        left: Mapping[str, Any],
        right: Mapping[str, Any],
    ) -> GuardReason | None:
        """Join two groups on a scored pair between them (its records `left` and `right`)
        unless refused: across a guard when the pair's own evidence overrides it. The
        reason when refused."""
        reason = self.refusal(a, b, weight)
        if (
            reason is None
            or reason in _NOT_GUARDS
            or not overridden(left, right, weight, reason, self.limits)
        ):
            return self._decide(a, b, reason, FITS)
        return self._decide(a, b, None, frozenset({reason}))

    def must_link(self, a: int, b: int) -> GuardReason | None:
        """A steward's link: joined across the guards, unless a 'separate' forbids it."""
        reason = GuardReason.OVERRIDE_SEPARATE if self.separated(a, b) else None
        return self._decide(a, b, reason, BY_STEWARD)

    def attach(self, a: int, b: int) -> GuardReason | None:
        """A sole-holder link: joined when nothing refuses it (no weight to weigh)."""
        return self._decide(a, b, self.refusal(a, b), FITS)

    def _decide(
        self, a: int, b: int, reason: GuardReason | None, crossed: Crossing
    ) -> GuardReason | None:
        if self._on_decision is not None:
            self._on_decision(a, b, reason)
        if reason is None:
            self._join(a, b, crossed)
        return reason

    def replay(self, customers: Sequence[Sequence[int]], links: Iterable[StoredLink]) -> None:
        """Join each stored customer (its records' positions) again as its stored `links`
        (between positions) joined it, in `replay_order`, so that its facets and waived
        guards come back as they were; then whatever no link joined, as one customer (as
        stored). A link that leaves its customer joins nothing."""
        customer_of = {i: n for n, members in enumerate(customers) for i in members}
        for link in sorted(links, key=lambda k: replay_order(k.kind, k.run_id, k.link_id)):
            home = customer_of.get(link.left)
            if home is not None and home == customer_of.get(link.right):
                self._rejoin(link.left, link.right, link.kind, link.weight)
        for members in customers:
            for i in members[1:]:
                a, b = self.find(members[0]), self.find(i)
                if a != b:
                    self._join(a, b, FITS)

    def _rejoin(self, i: int, j: int, kind: str, weight: float | None) -> None:
        """Make again the join a stored link of `kind` made between records `i` and `j`,
        across what it crossed then (replayed in order, the groups are as they were then).
        Only a steward's link, or a pair that could override a guard, can have crossed one."""
        a, b = self.find(i), self.find(j)
        if a == b:
            return
        if kind == "override":
            self._join(a, b, BY_STEWARD)
        elif (
            kind == "model"
            and weight is not None
            and may_override(self.records[i], self.records[j], weight, self.limits)
        ):
            reason = self.conflict(a, b)
            self._join(a, b, FITS if reason is None else frozenset({reason}))
        else:
            self._join(a, b, FITS)

    def _join(self, a: int, b: int, crossed: Crossing) -> None:
        # keep the lower position as the root, as labels promise
        root, child = (a, b) if a < b else (b, a)
        self._parent[child] = root
        if crossed == FITS and root not in self._facets and child not in self._facets:
            merged = self._profiles.pop(child, None) or Profile.of(self.records[child])
            self._profile(root).absorb(merged)
        else:
            self._keep_facets(root, child, crossed)
        if self._pairs is not None:
            self._merge_members(root, child)
        if self._forbidden:
            self._move_separations(root, child)

    def _keep_facets(self, root: int, child: int, crossed: Crossing) -> None:
        """Join `child` into `root` keeping profiles that conflict apart: each of the
        child's facets goes into the first of the root's it fits, or stays a facet."""
        sides = [self._waived[r] for r in (root, child) if r in self._facets]
        sides.append(crossed)
        crossings = [side for side in sides if side is not None]
        # a steward's join anywhere in it: one facet is enough for the whole group
        waive = frozenset().union(*crossings) if len(crossings) == len(sides) else BY_STEWARD
        kept = list(self.facets(root))
        for part in self.facets(child):
            home = next((k for k in kept if conflict(k, part, self.limits) is None), None)
            if home is None:
                kept.append(part)
            else:
                home.absorb(part)
        self._profiles.pop(child, None)
        self._facets.pop(child, None)
        self._waived.pop(child, None)
        self._profiles[root] = kept[0]
        if len(kept) > 1:
            self._facets[root] = kept
            self._waived[root] = waive
        else:
            self._facets.pop(root, None)
            self._waived.pop(root, None)

    def _merge_members(self, root: int, child: int) -> None:
        mine = self._members.pop(root, None) or [root]
        theirs = self._members.pop(child, None) or [child]
        if len(mine) < len(theirs):
            mine, theirs = theirs, mine
        mine.extend(theirs)
        self._members[root] = mine

    def _move_separations(self, root: int, child: int) -> None:
        banned = self._forbidden.pop(child, None)
        if banned:
            for other in banned:
                mirror = self._forbidden[other]
                mirror.discard(child)
                mirror.add(root)
            self._forbidden.setdefault(root, set()).update(banned)

    def _profile(self, root: int) -> Profile:
        found = self._profiles.get(root)
        if found is None:
            found = self._profiles[root] = Profile.of(self.records[root])
        return found


def _without(limits: GuardLimits, reasons: set[GuardReason]) -> GuardLimits:
    """`limits` with the guards that found `reasons` switched off."""
    if not reasons:
        return limits
    return replace(
        limits,
        max_national_ids_per_kind=(
            10**9 if GuardReason.NATIONAL_ID in reasons else limits.max_national_ids_per_kind
        ),
        check_birth_dates=limits.check_birth_dates and GuardReason.BIRTH_DATE not in reasons,
        check_given_names=limits.check_given_names and GuardReason.GIVEN_NAME not in reasons,
        check_surnames=limits.check_surnames and GuardReason.SURNAME not in reasons,
        check_full_surnames=limits.check_full_surnames and GuardReason.SURNAME not in reasons,
        check_second_surnames=(
            limits.check_second_surnames and GuardReason.SECOND_SURNAME not in reasons
        ),
    )
