"""Equal records train an equal model whatever record IDs the store gave them.

Record IDs carry a store's history: a PostgreSQL sequence skips the IDs of an ingest that
was rolled back (a killed one), and erased records leave holes on either backend. Splink
draws u's random sample by hashing each record's ID, so before training sampled records
by their position, a store that had lost an ingest to a kill trained another model than
an uninterrupted one, and customers could come out different (the kill test's re-run of
a `resolve_record` stream ended with one customer where the uninterrupted life had two).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import NullPool, create_engine, text

import cx360
from cx360.store import resolve_store_url
from cx360.synthetic import write_dataset
from tests.faults._harness import read_rows, snapshot
from tests.faults.conftest import backend_of

# records of other people ingested before the others and erased after them, leaving
# their IDs unused (other people: an erasure suppresses its records' identifiers too)
FIRST = 120


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _latest_model(url: str) -> tuple[dict[str, Any], int]:
    """The store's latest model's parameters, and its smallest record ID."""
    engine = create_engine(resolve_store_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            params = conn.execute(
                text("SELECT params FROM models ORDER BY id DESC LIMIT 1")
            ).scalar_one()
            lowest = conn.execute(text("SELECT min(id) FROM records")).scalar_one()
    finally:
        engine.dispose()
    return (params if isinstance(params, dict) else json.loads(params)), int(lowest)


def _levels(model: dict[str, Any]) -> dict[tuple[str, int], tuple[float | None, float | None]]:
    return {
        (comparison["output_column_name"], number): (
            level.get("m_probability"),
            level.get("u_probability"),
        )
        for comparison in model["comparisons"]
        for number, level in enumerate(comparison["comparison_levels"])
    }


def _close(a: float | None, b: float | None) -> bool:
    # m comes from EM, whose sums DuckDB adds in parallel: equal but for the last bits
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)


def test_equal_records_train_an_equal_model_whatever_their_record_ids(
    store_url: str, scratch: Callable[[str], str], tmp_path: Path
) -> None:
    rows = read_rows(write_dataset(tmp_path / "kept", n_records=800, seed=23).records_path)
    others = read_rows(write_dataset(tmp_path / "others", n_records=FIRST, seed=24).records_path)
    others = [{**r, "source_record_id": f"gone-{r['source_record_id']}"} for r in others]
    kept = _write(tmp_path / "kept.csv", rows)
    erased = _write(tmp_path / "erased.csv", others)
    backend = backend_of(store_url)
    plain, with_holes = scratch(backend), scratch(backend)
    with cx360.connect(plain) as hub:
        hub.ingest_files(records=kept)
        hub.resolve()
    with cx360.connect(with_holes) as hub:
        hub.ingest_files(records=erased)
        hub.ingest_files(records=kept)
        keys = [{"record": (r["source"], r["source_record_id"])} for r in others]
        hub.erase_many(keys, reason="record IDs left unused", by="tests")
        hub.resolve()
    model, lowest = _latest_model(plain)
    other, other_lowest = _latest_model(with_holes)
    assert (lowest, other_lowest) == (1, FIRST + 1)  # the same records under other IDs
    assert (
        model["probability_two_random_records_match"]
        == (other["probability_two_random_records_match"])
    )
    levels, other_levels = _levels(model), _levels(other)
    assert levels.keys() == other_levels.keys()
    differing = {
        level: (mu, other_levels[level])
        for level, mu in levels.items()
        if not (_close(mu[0], other_levels[level][0]) and _close(mu[1], other_levels[level][1]))
    }
    assert differing == {}
    assert snapshot(plain).partition == snapshot(with_holes).partition
