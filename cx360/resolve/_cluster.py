"""Constrained clustering: link the strongest pairs first, never across a guard.

Plain connected components chain different people through shared household phones as
the data grows. Here a steward's links come first, then pairs strongest first, and the
group engine (`_groups.Groups`, which real time shares) joins two groups only when the
guards see no conflict between everything each already holds.

Then sole-holder links (see `_evidence`): a group that shares contact identifiers with
exactly one other group, through pairs kept below the link weight, joins it when the
guards allow, smaller groups first. A group whose identifiers lead to two others stays
apart: the identifier is a household's, and the record could be either person's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cx360.resolve._groups import Decided, Groups, PairsByRecord
from cx360.resolve._guards import GuardLimits


@dataclass(frozen=True, slots=True)
class ClusterResult:
    """`labels[i]` is the index of the first record of record i's cluster. `links` are the
    scored pairs that joined two groups on their weight, `sole_holder` those that joined a
    group to the one other group holding its contact identifiers; `forced` the must-links
    honoured (weight None), `refused` the indexes of those that would have joined two
    separated records; `blocked` counts scored pairs not joined, by `GuardReason`."""

    labels: list[int]
    links: list[tuple[int, int, float]]
    blocked: dict[str, int]
    forced: list[tuple[int, int, float | None]] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    sole_holder: list[tuple[int, int, float]] = field(default_factory=list)


def cluster(
    records: Sequence[Mapping[str, Any]],
    left: Sequence[int],
    right: Sequence[int],
    weights: Sequence[float],
    *,
    limits: GuardLimits,
    must_link: Sequence[tuple[int, int]] = (),
    cannot_link: Sequence[tuple[int, int]] = (),
    links_on_weight: Sequence[bool] | None = None,
    contacts: Sequence[bool] | None = None,
    on_decision: Decided | None = None,
) -> ClusterResult:
    """Cluster records (by position) given scored pairs (positions and match weights).
    `links_on_weight[k]` says whether pair k links on its weight (default: all do);
    `contacts[k]` whether it shares a contact identifier (default: none, and no sole-holder
    links). `must_link` and `cannot_link` are pairs of positions from a steward; must-links
    are joined first, in the order given (of two that chain two separated records, the
    earlier one stands). `on_decision`: see `Groups`."""
    bridges = limits.bridge_match_weight is not None  # the weak-bridge rule counts pairs
    pairs = PairsByRecord(len(records), left, right) if bridges else None
    groups = Groups(records, limits, pairs=pairs, on_decision=on_decision)
    for i, j in cannot_link:
        groups.forbid(i, j)
    forced, refused = _must_links(groups, must_link)
    linking = [k for k in range(len(weights)) if links_on_weight is None or links_on_weight[k]]
    links, blocked = _weighted_links(groups, linking, left, right, weights)
    sole_holder: list[tuple[int, int, float]] = []
    if contacts is not None:
        touching = [k for k in range(len(weights)) if contacts[k]]
        sole_holder = _sole_holder_links(groups, touching, left, right, weights)
    return ClusterResult(groups.labels(), links, blocked, forced, refused, sole_holder)


def _must_links(
    groups: Groups, must_link: Sequence[tuple[int, int]]
) -> tuple[list[tuple[int, int, float | None]], list[int]]:
    """Join the steward's links in the order given; those honoured, and the indexes of
    those refused (they would join separated records)."""
    forced: list[tuple[int, int, float | None]] = []
    refused: list[int] = []
    for index, (i, j) in enumerate(must_link):
        a, b = groups.find(i), groups.find(j)
        if a != b and groups.must_link(a, b) is not None:
            refused.append(index)
            continue
        forced.append((i, j, None))
    return forced, refused


def _weighted_links(
    groups: Groups,
    linking: Sequence[int],
    left: Sequence[int],
    right: Sequence[int],
    weights: Sequence[float],
) -> tuple[list[tuple[int, int, float]], dict[str, int]]:
    """Offer the groups every linking pair (indexes `linking`), strongest first; the pairs
    that joined two groups, and the count of those refused by reason."""
    records = groups.records
    order = sorted(linking, key=lambda k: (-weights[k], left[k], right[k]))
    links: list[tuple[int, int, float]] = []
    blocked: dict[str, int] = {}
    for k in order:
        i, j, weight = left[k], right[k], weights[k]
        a, b = groups.find(i), groups.find(j)
        if a == b:
            continue
        reason = groups.link(a, b, weight, records[i], records[j])
        if reason is None:
            links.append((i, j, weight))
        else:
            blocked[reason] = blocked.get(reason, 0) + 1
    return links, blocked


def _sole_holder_links(
    groups: Groups,
    pairs: list[int],
    left: Sequence[int],
    right: Sequence[int],
    weights: Sequence[float],
) -> list[tuple[int, int, float]]:
    """Join each group whose contact pairs (`pairs`, indexes of scored pairs) lead to one
    other group only, when nothing refuses it, smaller groups first; the pairs that
    joined."""
    find = groups.find

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
    sizes = Counter(root for root in groups.labels() if root in touching)
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
        if groups.attach(current, other) is not None:
            continue
        held[find(current)] = held.pop(current) + held.pop(other)
        joined.append((left[k], right[k], weights[k]))
    return joined
