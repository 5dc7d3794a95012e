"""Constrained clustering: link the strongest pairs first, never across a guard.

Plain connected components chain different people through shared household phones and
placeholder-like values as the data grows. Here pairs are taken strongest first and two
groups are joined only when the guards see no conflict between everything each group
already holds, so a weak link cannot pull two clearly different people together. Nor
does one weak pair join two groups of several records each (two customers already) unless
another scored pair runs between them: that is the chain single linkage builds between a
household's customers.

Then sole-holder links (see `cx360.resolve._evidence`): a group that shares contact
identifiers with exactly one other group, through pairs kept below the link weight, joins
it when the guards allow; smaller groups first, so a sparse record (an e-mail, a phone
and nothing else) finds its customer. A group whose identifiers lead to two others stays
apart: the identifier is a household's, and the record could be either person's.

A data steward has the last word. Must-links (override 'link') are joined first, across
the guards; cannot-links (override 'separate') keep the group holding one record apart
from the group holding the other, whatever the weights or must-links chain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import product
from typing import Any

import numpy as np

from cx360.resolve._guards import GuardLimits, Profile, conflict, overridden

# Why a join was not made when a steward's 'separate' forbids it (a guard-like reason).
SEPARATED = "override_separate"
# Why two groups of several records each were not joined on one weak pair (see
# `GuardLimits.bridge_match_weight`).
WEAK_BRIDGE = "weak_bridge"


@dataclass(frozen=True, slots=True)
class ClusterResult:
    """`labels[i]` is the index of the first record of record i's cluster.

    `links` are the scored pairs that joined two groups on their weight, `sole_holder`
    those that joined a group to the one other group holding its contact identifiers;
    `forced` the must-links honoured (weight None); `refused` the indexes (into
    `must_link`) of must-links that would have put two separated records together;
    `blocked` counts scored pairs not joined, by reason.
    """

    labels: list[int]
    links: list[tuple[int, int, float]]
    blocked: dict[str, int]
    forced: list[tuple[int, int, float | None]] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    sole_holder: list[tuple[int, int, float]] = field(default_factory=list)


def cluster(
    records: Sequence[dict[str, Any]],
    left: Sequence[int],
    right: Sequence[int],
    weights: Sequence[float],
    *,
    limits: GuardLimits,
    must_link: Sequence[tuple[int, int]] = (),
    cannot_link: Sequence[tuple[int, int]] = (),
    links_on_weight: Sequence[bool] | None = None,
    contacts: Sequence[bool] | None = None,
    on_decision: Callable[[int, int, str | None], None] | None = None,
) -> ClusterResult:
    """Cluster records (by position) given scored pairs (positions and match weights).

    `links_on_weight[k]` says whether pair k links on its weight (default: all do);
    `contacts[k]` whether it shares a contact identifier (default: none, and no
    sole-holder links).

    `must_link` and `cannot_link` are pairs of positions from a steward. Must-links are
    joined first, in the order given (so, when two of them chain two separated records,
    the earlier one stands and the later one is refused).

    `on_decision(root_a, root_b, reason)` is told of every join considered (reason None
    when joined), for audits against ground truth; the roots are before the join.
    """
    n = len(records)
    parent = list(range(n))
    profiles: dict[int, Profile] = {}
    # A group joined across a guard (by a steward, or a pair whose own evidence overrode
    # it) keeps each side's profile apart: a later join needs to fit one of them, as it
    # would have without the override, so the rest of both customers still follows. Only
    # such groups have an entry.
    facets: dict[int, list[Profile]] = {}
    # What such a group was joined across: the guard reasons that pairs overrode (a later
    # join must also fit the merged profile but for those), or None when a steward joined
    # it (fitting one facet is enough: the steward's word covers the rest).
    waived: dict[int, frozenset[str] | None] = {}
    # root -> roots it must never join; kept symmetric and up to date on every join, so
    # the check is one set lookup and the ~all roots without an override cost nothing
    forbidden: dict[int, set[int]] = {}
    for a, b in cannot_link:
        if a != b:
            forbidden.setdefault(a, set()).add(b)
            forbidden.setdefault(b, set()).add(a)

    bridge_weight = limits.bridge_match_weight
    # the records of each group of several (a weak bridge joins two such groups only if
    # another scored pair runs between them), and every scored pair by record
    members: dict[int, list[int]] = {}
    pairs_of = _PairsByRecord(n, left, right) if bridge_weight is not None else None

    def find(i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def profile(root: int) -> Profile:
        found = profiles.get(root)
        if found is None:
            found = profiles[root] = Profile.of(records[root])
        return found

    def parts(root: int) -> list[Profile]:
        return facets.get(root) or [profile(root)]

    def separated(a: int, b: int) -> bool:
        found = forbidden.get(a)
        return found is not None and b in found

    def group_conflict(a: int, b: int) -> str | None:
        if a not in facets and b not in facets:
            return conflict(profile(a), profile(b), limits)
        first: str | None = None
        for pa, pb in product(parts(a), parts(b)):
            reason = conflict(pa, pb, limits)
            if reason is None:
                break  # fits one facet of each
            first = first or reason
        else:
            return first
        waive: set[str] = set()
        for root in (a, b):
            if root in facets:
                reasons = waived.get(root)
                if reasons is None:
                    return None  # a steward's join: one facet is enough
                waive |= reasons
        # a join pairs' evidence made across a guard waives that guard only: the rest of
        # what both sides hold must fit as for any other join
        merged_a, merged_b = Profile.merged(parts(a)), Profile.merged(parts(b))
        return conflict(merged_a, merged_b, _without(limits, waive))

    def join(a: int, b: int, *, compatible: bool, across: str | None = None) -> None:
        # `across`: the guard a pair's own evidence overrode when not `compatible` (None: a
        # steward's join)
        # keep the lower index as the root, as labels promise
        root, child = (a, b) if a < b else (b, a)
        parent[child] = root
        if compatible and root not in facets and child not in facets:
            merged = profiles.pop(child, None) or Profile.of(records[child])
            profile(root).absorb(merged)
        else:
            # what the joined group waives, should it keep facets
            sides = [waived.get(r, frozenset()) for r in (a, b) if r in facets]
            if not compatible:
                sides.append(None if across is None else frozenset({across}))
            waive = None if None in sides else frozenset().union(*sides)  # type: ignore[arg-type]
            kept = list(parts(root))
            for part in parts(child):
                home = next((k for k in kept if conflict(k, part, limits) is None), None)
                if home is None:
                    kept.append(part)
                else:
                    home.absorb(part)
            profiles.pop(child, None)
            facets.pop(child, None)
            waived.pop(child, None)
            profiles[root] = kept[0]
            if len(kept) > 1:
                facets[root] = kept
                waived[root] = waive
            else:
                facets.pop(root, None)
                waived.pop(root, None)
        if pairs_of is not None:
            mine, theirs = members.pop(root, None) or [root], members.pop(child, None) or [child]
            if len(mine) < len(theirs):
                mine, theirs = theirs, mine
            mine.extend(theirs)
            members[root] = mine
        banned = forbidden.pop(child, None)
        if banned:
            for other in banned:
                mirror = forbidden[other]
                mirror.discard(child)
                mirror.add(root)
            forbidden.setdefault(root, set()).update(banned)

    forced: list[tuple[int, int, float | None]] = []
    refused: list[int] = []
    for index, (i, j) in enumerate(must_link):
        a, b = find(i), find(j)
        if a != b:
            if separated(a, b):
                if on_decision is not None:
                    on_decision(a, b, SEPARATED)
                refused.append(index)
                continue
            if on_decision is not None:
                on_decision(a, b, None)
            join(a, b, compatible=False)
        forced.append((i, j, None))

    def weak_bridge(a: int, b: int, weight: float) -> bool:
        if pairs_of is None or bridge_weight is None or weight >= bridge_weight:
            return False
        group_a, group_b = members.get(a), members.get(b)
        if group_a is None or group_b is None:
            return False  # a record of its own joining a customer is no bridge
        smaller, other = (group_a, b) if len(group_a) <= len(group_b) else (group_b, a)
        across = 0
        for i in smaller:
            for j in pairs_of.others(i):
                if find(j) == other:
                    across += 1
                    if across > 1:
                        return False
        return True

    linking = range(len(weights))
    if links_on_weight is not None:
        linking = [k for k in linking if links_on_weight[k]]  # type: ignore[assignment]
    order = sorted(linking, key=lambda k: (-weights[k], left[k], right[k]))
    links: list[tuple[int, int, float]] = []
    blocked: dict[str, int] = {}
    for k in order:
        a, b = find(left[k]), find(right[k])
        if a == b:
            continue
        if forbidden and separated(a, b):
            reason: str | None = SEPARATED
        elif weak_bridge(a, b, weights[k]):
            reason = WEAK_BRIDGE
        elif facets:
            reason = group_conflict(a, b)
        else:
            reason = conflict(profile(a), profile(b), limits)
        compatible = reason is None
        across = reason
        if (
            reason is not None
            and reason not in (SEPARATED, WEAK_BRIDGE)
            and overridden(records[left[k]], records[right[k]], weights[k], reason, limits)
        ):
            reason = None  # joined, each side's profile kept apart (as for overrides)
        if on_decision is not None:
            on_decision(a, b, reason)
        if reason is not None:
            blocked[reason] = blocked.get(reason, 0) + 1
            continue
        join(a, b, compatible=compatible, across=across)
        links.append((left[k], right[k], weights[k]))

    def refusal(a: int, b: int) -> str | None:
        return SEPARATED if forbidden and separated(a, b) else group_conflict(a, b)

    sole_holder: list[tuple[int, int, float]] = []
    if contacts is not None:
        sole_holder = _sole_holder_links(
            n,
            [k for k in range(len(weights)) if contacts[k]],
            left,
            right,
            weights,
            find=find,
            refuse=refusal,
            join=lambda a, b: join(a, b, compatible=True),
            on_decision=on_decision,
        )
    labels = [find(i) for i in range(n)]
    return ClusterResult(labels, links, blocked, forced, refused, sole_holder)


class _PairsByRecord:
    """Each record's scored pairs, as the other records' positions (a CSR adjacency: a
    few bytes a pair, where lists per record would cost tens)."""

    def __init__(self, n: int, left: Sequence[int], right: Sequence[int]) -> None:
        ends = np.concatenate([np.asarray(left, np.int64), np.asarray(right, np.int64)])
        others = np.concatenate([np.asarray(right, np.int64), np.asarray(left, np.int64)])
        order = np.argsort(ends, kind="stable")
        self._starts = np.searchsorted(ends[order], np.arange(n + 1)).tolist()
        self._others = others[order]

    def others(self, i: int) -> list[int]:
        found: list[int] = self._others[self._starts[i] : self._starts[i + 1]].tolist()
        return found


def _without(limits: GuardLimits, reasons: set[str]) -> GuardLimits:
    """`limits` with the guards that found `reasons` switched off."""
    if not reasons:
        return limits
    return replace(
        limits,
        max_national_ids_per_kind=(
            10**9 if "national_id" in reasons else limits.max_national_ids_per_kind
        ),
        check_birth_dates=limits.check_birth_dates and "birth_date" not in reasons,
        check_given_names=limits.check_given_names and "given_name" not in reasons,
        check_surnames=limits.check_surnames and "surname" not in reasons,
        check_full_surnames=limits.check_full_surnames and "surname" not in reasons,
        check_second_surnames=limits.check_second_surnames and "second_surname" not in reasons,
    )


def _sole_holder_links(
    n: int,
    pairs: list[int],
    left: Sequence[int],
    right: Sequence[int],
    weights: Sequence[float],
    *,
    find: Callable[[int], int],
    refuse: Callable[[int, int], str | None],
    join: Callable[[int, int], None],
    on_decision: Callable[[int, int, str | None], None] | None,
) -> list[tuple[int, int, float]]:
    """Join each group whose contact pairs (`pairs`, indexes of scored pairs) lead to one
    other group only, when `refuse` has nothing against it; the pairs that joined."""

    def _stronger(k: int, than: int) -> bool:
        # as the weighted pass orders pairs: by weight, ties by position (what a run over
        # only some records' pairs decides alike)
        return (-weights[k], left[k], right[k]) < (-weights[than], left[than], right[than])

    # the groups as clustering left them, each with its contact pairs
    touching: dict[int, list[int]] = {}
    for k in pairs:
        a, b = find(left[k]), find(right[k])
        if a != b:
            touching.setdefault(a, []).append(k)
            touching.setdefault(b, []).append(k)
    if not touching:
        return []
    sizes: dict[int, int] = {}
    for i in range(n):
        root = find(i)
        if root in touching:
            sizes[root] = sizes.get(root, 0) + 1
    # groups joined here, by current root: the groups (as they were) they hold
    held: dict[int, list[int]] = {root: [root] for root in touching}
    joined: list[tuple[int, int, float]] = []
    for group in sorted(touching, key=lambda root: (sizes[root], root)):
        current = find(group)
        best: dict[int, int] = {}  # other group -> its strongest pair with this one
        for part in held[current]:
            for k in touching[part]:
                a, b = find(left[k]), find(right[k])
                other = b if a == current else a
                if other != current and (other not in best or _stronger(k, best[other])):
                    best[other] = k
        if len(best) != 1:
            continue  # no one else holds them, or a household does
        other, k = next(iter(best.items()))
        reason = refuse(current, other)
        if on_decision is not None:
            on_decision(current, other, reason)
        if reason is not None:
            continue
        join(current, other)
        merged = held.pop(current) + held.pop(other)
        held[find(current)] = merged
        joined.append((left[k], right[k], weights[k]))
    return joined
