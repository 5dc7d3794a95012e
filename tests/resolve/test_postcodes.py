"""Postcodes in batch, incremental and real-time resolution alike.

The generator writes no postcodes, so these tests give its people one: a postcode per
household, missing on some records and mistyped on others, as exports carry them; every
fourth record keeps only its names, birth date and place, as a store's form would, its
names mistyped. The postcode rules (`postcode_dob`, `postcode_surname`) then find pairs
no other rule finds, and the postcode comparison is trained rather than neutral.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cx360.resolve._blocking import OTHERS_COLUMN, RULES, others_sql
from cx360.store import Store
from cx360.store._schema import matching_models, records
from tests.resolve._differential import scored_three_ways
from tests.resolve._support import generated

POSTCODE_RULES = ("postcode_dob", "postcode_surname")


def _postcode(household: str, record_number: int) -> str:
    """A household's five-digit postcode; on every tenth record none, on every
    seventeenth one digit mistyped."""
    digits = str(int(hashlib.sha256(household.encode()).hexdigest(), 16) % 90_000 + 10_000)
    if record_number % 10 == 0:
        return ""
    if record_number % 17 == 0:
        return digits[:3] + str((int(digits[3]) + 1) % 10) + digits[4]
    return digits


# What a record of names, birth date and place lacks.
_CONTACTS = ("email", "phone", "national_id", "handle", "address")


def _mistyped(name: str) -> str:
    """The name with its second and third letters swapped."""
    return name[0] + name[2] + name[1] + name[3:] if len(name) >= 4 else name


def with_postcodes(
    directory: Path, *, n_records: int, seed: int, sparse_every: int | None = 4
) -> list[dict[str, str]]:
    """Generated records, each given its household's postcode (see `_postcode`); every
    `sparse_every`-th without contacts or address, its names mistyped."""
    records = generated(directory, n_records=n_records, seed=seed)
    out = []
    for n, row in enumerate(records.rows, 1):
        postcode = _postcode(records.household_of(row), n)
        kept = {**row, "postcode": postcode}
        if sparse_every is not None and n % sparse_every == 0:
            kept.update(dict.fromkeys(_CONTACTS, ""))
            for column in ("first_name", "last_name"):
                kept[column] = _mistyped(kept[column])
        out.append(kept)
    return out


@pytest.fixture(scope="module")
def postcoded(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, str]], ...]:
    rows = with_postcodes(tmp_path_factory.mktemp("postcoded"), n_records=1600, seed=53)
    return rows[0::2], rows[1::2]


def _features(store: Store) -> dict[int, dict[str, Any]]:
    """Every stored record's columns and other identifiers, by record id."""
    query = select(records, others_sql().label(OTHERS_COLUMN))
    with store.connection() as conn:
        return {int(row.id): dict(row._mapping) for row in conn.execute(query)}


def _only_by_postcode(pairs: set[tuple[int, int]], features: dict[int, dict[str, Any]]) -> int:
    """How many pairs only a postcode rule blocks."""
    count = 0
    for left, right in pairs:
        a, b = features[left], features[right]
        by = {rule.name for rule in RULES if rule.blocks(a, b) or rule.blocks(b, a)}
        count += bool(by) and by <= set(POSTCODE_RULES)
    return count


def test_batch_incremental_and_real_time_score_postcodes_alike(
    postcoded: tuple[list[dict[str, str]], ...], store: Store
) -> None:
    first, second = postcoded
    scored = scored_three_ways(store, first, second)
    features = _features(store)
    assert sum(f["postcode_key"] is not None for f in features.values()) > 1300
    # pairs that only the postcode rules find: in the full run, and among the pairs real
    # time (and the incremental run) added
    counts = {k: _only_by_postcode(set(getattr(scored, k)), features) for k in ("batch", "new")}
    assert counts["batch"] >= 20
    assert counts["new"] >= 5
    # the comparison is trained on these postcodes: agreeing weighs for a match
    with store.connection() as conn:
        params = conn.execute(
            select(matching_models.c.params).order_by(matching_models.c.id.desc()).limit(1)
        ).scalar_one()
    params = json.loads(params) if isinstance(params, str) else params
    (comparison,) = [c for c in params["comparisons"] if c["output_column_name"] == "postcode"]
    exact = next(
        level
        for level in comparison["comparison_levels"]
        if not level.get("is_null_level") and level.get("m_probability") is not None
    )
    assert exact["m_probability"] > exact["u_probability"] * 10
