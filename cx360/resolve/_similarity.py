"""String similarity shared by SQL comparisons (DuckDB) and Python (real-time, guards).

Only Levenshtein distance is compared in SQL: DuckDB's `levenshtein` and this function
agree exactly on the ASCII match keys normalization produces, where no small Python
function reproduces DuckDB's Jaro-Winkler.
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


def within(left: str, right: str, limit: int) -> bool:
    """Whether `levenshtein(left, right) <= limit`, computing only the diagonal band of
    the table that can stay within the limit and stopping once no cell of a row does
    (O(len * limit) instead of O(len²): long addresses are compared in real time)."""
    if left == right:
        return True
    # a common prefix and suffix change no distance: most near-equal values differ
    # in a few characters, and are left with a tiny table
    n, m = len(left), len(right)
    shorter = min(n, m)
    start = 0
    while start < shorter and left[start] == right[start]:
        start += 1
    tail = 0
    while tail < shorter - start and left[n - 1 - tail] == right[m - 1 - tail]:
        tail += 1
    left, right = left[start : n - tail], right[start : m - tail]
    if len(left) < len(right):
        left, right = right, left
    width = len(right)
    if len(left) - width > limit:
        return False
    over = limit + 1  # every value above the limit is as good as another
    previous = [j if j <= limit else over for j in range(width + 1)]
    for i, a in enumerate(left, 1):
        current = [over] * (width + 1)
        current[0] = i if i <= limit else over
        lowest = current[0]
        for j in range(max(1, i - limit), min(width, i + limit) + 1):
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != right[j - 1]))
            current[j] = value if value < over else over
            lowest = min(lowest, current[j])
        if lowest > limit:
            return False
        previous = current
    return previous[width] <= limit


@lru_cache(maxsize=1 << 16)
def transposition_distance(left: str, right: str) -> int:
    """Optimal-string-alignment distance: Levenshtein where swapping two adjacent
    characters costs 1 ("jsoe" / "jose"), the commonest typing error."""
    if left == right:
        return 0
    rows, cols = len(left) + 1, len(right) + 1
    d = [[i] + [0] * (cols - 1) for i in range(rows)]
    d[0] = list(range(cols))
    for i in range(1, rows):
        for j in range(1, cols):
            cost = left[i - 1] != right[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and left[i - 1] == right[j - 2] and left[i - 2] == right[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]
