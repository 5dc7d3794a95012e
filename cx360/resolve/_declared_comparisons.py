"""The comparisons of the attributes a store declares to compare (`Hub.declare_attribute`
with kind 'exact', 'text', 'date' or 'number'): one per attribute, named after it.

A record's values of such attributes are one column, `records.attribute_values`: a JSON
object holding each value under "<kind>_<attribute>" (`value_key`), as
`normalize.attributes` reads it (text, an ISO date, a number); NULL when the record holds
none. The kind in the key makes the column describe itself: a Splink session finds the
comparisons to train from its records (`held_attributes`), a stored model names its own
(`comparisons_in_model`), and no other table is read to score a pair.

Levels per kind, each written as a DuckDB SQL condition (translated for Spark by sqlglot
like the others) and its Python twin, which real time scores with
(`tests/resolve/test_declared_attributes.py` checks that they agree):

- exact: null / exact / else;
- text: null / exact / Jaro-Winkler ≥ 0.92 / ≥ 0.80 / else;
- date: null / exact / one edit or day and month swapped / within a year / else;
- number: null / exact / within 1% / within 10% / else (relative to the larger).

They are evidence only: no blocking rule pairs records on them. Exact text levels are not
weighed by how common the value is (names are): the frequencies of a column are frozen
with every model and read in real time from `records` columns, which these values are not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from fractions import Fraction
from functools import lru_cache
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, select

from cx360.normalize.attributes import value_key
from cx360.resolve._features import Comparison, Level, Record
from cx360.resolve._similarity import within
from cx360.store._schema import declared_attributes, records

VALUES_COLUMN: Final = "attribute_values"
COMPARED_KINDS: Final = ("exact", "text", "date", "number")
# Jaro-Winkler similarity of two text values: nearly the same, and alike.
TEXT_CLOSE: Final = 0.92
TEXT_ALIKE: Final = 0.80
# Two dates this many days apart or fewer are "within a year".
DAYS_IN_A_YEAR: Final = 365
# Numbers that differ by at most this share of the larger (in absolute value).
NUMBER_CLOSE: Final = 0.01
NUMBER_NEAR: Final = 0.1
# The key of a comparison's values, as the null level's SQL reads it.
_KINDS_PATTERN: Final = "|".join(COMPARED_KINDS)
_KEY_IN_SQL: Final = re.compile(
    rf"json_extract_string\(\"{VALUES_COLUMN}_l\", '\$\.({_KINDS_PATTERN})_([a-z0-9_]+)'\)"
)
_Test = Callable[[Any, Any], bool]


@lru_cache(maxsize=1 << 14)
def decode_values(text: str | None) -> Mapping[str, Any]:
    """A record's values by key (cached: real time compares one record with many)."""
    found: Any = json.loads(text) if text else {}
    return found if isinstance(found, dict) else {}


def _value(record: Record, key: str) -> Any:
    return decode_values(record.get(VALUES_COLUMN)).get(key)


def _sql_value(key: str, side: str) -> str:
    return f"json_extract_string(\"{VALUES_COLUMN}_{side}\", '$.{key}')"


def compared_comparison(name: str, kind: str) -> Comparison:
    """The comparison of a declared attribute of `kind` named `name`."""
    key = value_key(kind, name)
    left, right = _sql_value(key, "l"), _sql_value(key, "r")
    if kind == "number":
        left, right = f"CAST({left} AS DOUBLE)", f"CAST({right} AS DOUBLE)"
    levels = _LEVELS[kind](left, right)
    null = Level(
        "null",
        f"{left} IS NULL OR {right} IS NULL",
        lambda a, b: _value(a, key) is None or _value(b, key) is None,
        is_null=True,
    )
    out = [null]
    for label, sql, test in levels:
        out.append(Level(label, sql, _on_values(key, test)))
    out.append(Level("else", "ELSE", lambda a, b: True))
    return Comparison(name, tuple(out))


def _on_values(key: str, test: _Test) -> Callable[[Record, Record], bool]:
    # the null level before it has seen that both hold a value
    return lambda a, b: test(_value(a, key), _value(b, key))


def _exact_levels(left: str, right: str) -> list[tuple[str, str, _Test]]:
    return [("exact", f"{left} = {right}", lambda x, y: bool(x == y))]


def _text_levels(left: str, right: str) -> list[tuple[str, str, _Test]]:
    similarity = f"jaro_winkler_similarity({left}, {right})"
    return [
        *_exact_levels(left, right),
        (
            f"jaro-winkler >= {TEXT_CLOSE}",
            f"{similarity} >= {TEXT_CLOSE}",
            lambda x, y: jaro_winkler(x, y) >= TEXT_CLOSE,
        ),
        (
            f"jaro-winkler >= {TEXT_ALIKE}",
            f"{similarity} >= {TEXT_ALIKE}",
            lambda x, y: jaro_winkler(x, y) >= TEXT_ALIKE,
        ),
    ]


def _days_apart(x: str, y: str) -> int:
    return abs((date.fromisoformat(x) - date.fromisoformat(y)).days)


def _near_date(x: str, y: str) -> bool:
    swapped = x[:4] == y[:4] and x[5:7] == y[8:10] and x[8:10] == y[5:7]
    return swapped or within(x, y, 1)


def _date_levels(left: str, right: str) -> list[tuple[str, str, _Test]]:
    swapped = (
        f"(substr({left}, 1, 4) = substr({right}, 1, 4) AND "
        f"substr({left}, 6, 2) = substr({right}, 9, 2) AND "
        f"substr({left}, 9, 2) = substr({right}, 6, 2))"
    )
    apart = f"abs(date_diff('day', CAST({left} AS DATE), CAST({right} AS DATE)))"
    return [
        *_exact_levels(left, right),
        (
            "typo or day/month swapped",
            f"levenshtein({left}, {right}) <= 1 OR {swapped}",
            _near_date,
        ),
        (
            "within a year",
            f"{apart} <= {DAYS_IN_A_YEAR}",
            lambda x, y: _days_apart(x, y) <= DAYS_IN_A_YEAR,
        ),
    ]


def _within_share(share: float) -> _Test:
    def test(x: float, y: float) -> bool:
        return abs(x - y) <= share * max(abs(x), abs(y))

    return test


def _number_levels(left: str, right: str) -> list[tuple[str, str, _Test]]:
    def sql(share: float) -> str:
        # the same double arithmetic as the Python twin
        larger = f"greatest(abs({left}), abs({right}))"
        return f"abs({left} - {right}) <= CAST({share} AS DOUBLE) * {larger}"

    return [
        ("exact", f"{left} = {right}", lambda x, y: float(x) == float(y)),
        (f"within {NUMBER_CLOSE:.0%}", sql(NUMBER_CLOSE), _within_share(NUMBER_CLOSE)),
        (f"within {NUMBER_NEAR:.0%}", sql(NUMBER_NEAR), _within_share(NUMBER_NEAR)),
    ]


_LEVELS: Final[dict[str, Callable[[str, str], list[tuple[str, str, _Test]]]]] = {
    "exact": _exact_levels,
    "text": _text_levels,
    "date": _date_levels,
    "number": _number_levels,
}


def compared_comparisons(attributes: Iterable[tuple[str, str]]) -> tuple[Comparison, ...]:
    """The comparisons of (name, kind) attributes, by name."""
    return tuple(compared_comparison(name, kind) for name, kind in sorted(set(attributes)))


def comparisons_in_model(specs: Sequence[Mapping[str, Any]]) -> tuple[Comparison, ...]:
    """The compared attributes' comparisons a stored model holds (Splink comparison
    dicts), in its order: those whose null level reads `VALUES_COLUMN`."""
    found: list[Comparison] = []
    for spec in specs:
        levels = spec.get("comparison_levels") or [{}]
        match = _KEY_IN_SQL.search(str(levels[0].get("sql_condition", "")))
        if match is not None and match[2] == spec.get("output_column_name"):
            found.append(compared_comparison(match[2], match[1]))
    return tuple(found)


def _split_key(key: str) -> tuple[str, str] | None:
    kind, _, name = key.partition("_")
    return (name, kind) if kind in COMPARED_KINDS and name else None


def held_attributes(table: pa.Table) -> tuple[tuple[str, str], ...]:
    """(name, kind) of the compared attributes some record of `table` holds a value of."""
    if VALUES_COLUMN not in table.column_names:
        return ()
    column = table.column(VALUES_COLUMN)
    if column.null_count == len(column):
        return ()
    keys = {key for text in pc.unique(column).to_pylist() for key in decode_values(text)}
    return tuple(sorted(found for key in keys if (found := _split_key(key)) is not None))


def store_attributes(conn: Connection) -> tuple[tuple[str, str], ...]:
    """(name, kind) of the store's declared compared attributes that some stored record
    holds a value of: the comparisons a session over the whole store trains
    (`held_attributes`)."""
    d = declared_attributes.c
    declared = conn.execute(select(d.name, d.kind).where(d.kind.in_(COMPARED_KINDS))).all()
    column = records.c[VALUES_COLUMN]
    held = []
    for name, kind in sorted((str(n), str(k)) for n, k in declared):
        marker = f'%"{value_key(kind, name)}":%'
        query = select(records.c.id).where(column.is_not(None), column.like(marker)).limit(1)
        if conn.execute(query).first() is not None:
            held.append((name, kind))
    return tuple(held)


def jaro_winkler(left: str, right: str) -> float:
    """Jaro-Winkler similarity (prefix weight 0.1 over up to 4 characters, applied above
    0.7), computed as DuckDB's `jaro_winkler_similarity` computes it, to the last bit: a
    level's threshold must fall the same way in SQL and in Python."""
    similarity = _jaro(left, right)
    if similarity <= 0.7:
        return similarity
    prefix = 0
    for x, y in zip(left[:4], right[:4], strict=False):
        if x != y:
            break
        prefix += 1
    # DuckDB's build fuses this multiply-add (one rounding): done exactly, rounded once
    exact = Fraction(prefix * 0.1) * Fraction(1.0 - similarity) + Fraction(similarity)
    return float(exact)


@lru_cache(maxsize=1 << 14)
def _jaro(left: str, right: str) -> float:
    if left == right:
        return 1.0
    if not left or not right:
        return 0.0
    short, long = (left, right) if len(left) <= len(right) else (right, left)
    bound = max(len(long) // 2 - 1, 0)
    taken = [False] * len(long)
    matched: list[str] = []
    for i, char in enumerate(short):
        for j in range(max(0, i - bound), min(len(long), i + bound + 1)):
            if not taken[j] and long[j] == char:
                taken[j] = True
                matched.append(char)
                break
    common = len(matched)
    if not common:
        return 0.0
    in_long = [long[j] for j in range(len(long)) if taken[j]]
    half_transposed = sum(x != y for x, y in zip(matched, in_long, strict=True)) // 2
    return (common / len(left) + common / len(right) + (common - half_transposed) / common) / 3.0
