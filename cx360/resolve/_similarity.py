"""String similarity shared by SQL comparisons (DuckDB) and Python (real-time, guards).

Only Levenshtein distance is used: DuckDB's `levenshtein` and this function agree exactly
on the ASCII match keys that normalization produces, so batch and real-time scoring give
the same comparison levels. (DuckDB's Jaro-Winkler follows a variant that no small
Python function reproduces exactly, so it is not used.)
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1 << 16)
def levenshtein(left: str, right: str) -> int:
    """Edit distance: insertions, deletions and substitutions each cost 1."""
    if left == right:
        return 0
    if len(left) < len(right):
        left, right = right, left
    previous = list(range(len(right) + 1))
    for i, a in enumerate(left, 1):
        current = [i]
        for j, b in enumerate(right, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]
