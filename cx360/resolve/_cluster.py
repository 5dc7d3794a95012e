"""Constrained clustering: link the strongest pairs first, never across a guard.

Plain connected components chain different people through shared household phones and
placeholder-like values as the data grows. Here pairs are taken strongest first and two
groups are joined only when the guards see no conflict between everything each group
already holds, so a weak link cannot pull two clearly different people together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cx360.resolve._guards import GuardLimits, Profile, conflict


@dataclass(frozen=True, slots=True)
class ClusterResult:
    """`labels[i]` is the index of the first record of record i's cluster."""

    labels: list[int]
    links: list[tuple[int, int, float]]
    blocked: dict[str, int]


def cluster(
    records: Sequence[dict[str, Any]],
    left: Sequence[int],
    right: Sequence[int],
    weights: Sequence[float],
    *,
    limits: GuardLimits,
    on_decision: Callable[[int, int, str | None], None] | None = None,
) -> ClusterResult:
    """Cluster records (by position) given scored pairs (positions and match weights).

    `on_decision(root_a, root_b, reason)` is told of every join considered (reason None
    when joined), for audits against ground truth; the roots are before the join.
    """
    n = len(records)
    parent = list(range(n))
    profiles: dict[int, Profile] = {}

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

    order = sorted(range(len(weights)), key=lambda k: (-weights[k], left[k], right[k]))
    links: list[tuple[int, int, float]] = []
    blocked: dict[str, int] = {}
    for k in order:
        a, b = find(left[k]), find(right[k])
        if a == b:
            continue
        pa, pb = profile(a), profile(b)
        reason = conflict(pa, pb, limits)
        if on_decision is not None:
            on_decision(a, b, reason)
        if reason is not None:
            blocked[reason] = blocked.get(reason, 0) + 1
            continue
        # the smaller root joins the larger profile; keep the lower index as the root
        root, child = (a, b) if a < b else (b, a)
        parent[child] = root
        merged = profiles.pop(child, None) or Profile.of(records[child])
        keep = profile(root)
        keep.absorb(merged)
        links.append((left[k], right[k], weights[k]))
    labels = [find(i) for i in range(n)]
    return ClusterResult(labels, links, blocked)
