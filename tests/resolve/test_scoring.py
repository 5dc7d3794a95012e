"""The pure-Python scorer gives Splink's match weights, pair for pair."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from cx360 import Hub, ResolutionError
from cx360.resolve._batch import _latest_model, load_features
from cx360.resolve._features import COMPARISONS
from cx360.resolve._scoring import (
    Scorer,
    TermFrequencies,
    _default_m,
    _default_u,
    fits_comparisons,
)
from cx360.resolve._splink import SplinkSession, predict_details
from cx360.store import Store
from cx360.synthetic import write_dataset
from tests.resolve.conftest import ResolvedDataset

TF_COLUMNS = ["given_key", "surname_key"]


@pytest.fixture(scope="module")
def trained(
    resolved_3000: ResolvedDataset, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A resolved SQLite store, its records' features, the model and Splink's predictions."""
    store = resolved_3000.copy(tmp_path_factory.mktemp("scoring"))
    with store.connection() as conn:
        table = load_features(conn)
        stored = _latest_model(conn)
        assert stored is not None
        frequencies = TermFrequencies.from_store(conn, TF_COLUMNS)
    con = duckdb.connect()
    try:
        details = predict_details(SplinkSession(con, table), stored[1])
    finally:
        con.close()
    store.close()
    return {
        "records": {row["unique_id"]: row for row in table.to_pylist()},
        "model": stored[1],
        "frequencies": frequencies,
        "details": details,
        "table": table,
    }


def test_match_weights_and_levels_equal_splinks(trained: dict[str, Any]) -> None:
    records, details = trained["records"], trained["details"]
    scorer = Scorer(trained["model"], trained["frequencies"])
    assert scorer.tf_columns == tuple(TF_COLUMNS)
    pairs = details.to_pylist()
    assert len(pairs) > 1000
    tf_used = 0
    for pair in pairs:
        left, right = records[pair["unique_id_l"]], records[pair["unique_id_r"]]
        want_levels = tuple(pair[f"{c.name}_level"] for c in COMPARISONS)
        assert scorer.gammas(left, right) == want_levels, pair
        weight = scorer.match_weight(left, right)
        assert weight == pytest.approx(pair["match_weight"], abs=1e-6)
        score = scorer.score(left, right)
        assert score.match_weight == pytest.approx(weight, abs=1e-12)
        assert score.match_probability == pytest.approx(pair["match_probability"], abs=1e-9)
        for part in score.comparisons:
            assert part.level.log2_bayes_factor == pytest.approx(
                pair[f"{part.name}_weight"], abs=1e-9
            )
            assert part.tf_adjustment == pytest.approx(pair[f"{part.name}_tf"], abs=1e-9)
        # the waterfall adds up: prior + every comparison's part
        parts = sum(p.match_weight for p in score.comparisons)
        assert score.prior_match_weight + parts == pytest.approx(weight, abs=1e-9)
        tf_used += any(p.tf_adjustment != 0 for p in score.comparisons)
    assert tf_used > 100  # term-frequency adjustments were exercised, not all zero


def test_some_levels_take_splinks_default_probabilities(trained: dict[str, Any]) -> None:
    # the comparison above covers defaults only if the model has untrained levels
    levels = [
        level
        for comparison in trained["model"]["comparisons"]
        for level in comparison["comparison_levels"]
        if not level.get("is_null_level")
    ]
    assert any("u_probability" not in level for level in levels)


def test_defaults_follow_splink() -> None:
    from splink.internals.comparison_level import _default_m_values, _default_u_values

    for levels in range(2, 9):
        assert _default_m(levels) == _default_m_values(levels)
        assert _default_u(levels) == _default_u_values(levels)


def test_term_frequencies_for_some_values_equal_the_full_table(trained: dict[str, Any]) -> None:
    table: pa.Table = trained["table"]
    in_memory = TermFrequencies.from_records(table.to_pylist(), TF_COLUMNS)
    full: TermFrequencies = trained["frequencies"]
    names = [v for v in table.column("given_key").to_pylist()[:20] if v is not None]
    for name in names:
        assert full.frequency("given_key", name) == in_memory.frequency("given_key", name)
    assert full.frequency("given_key", "no-such-name") is None
    assert full.frequency("given_key", None) is None


def test_term_frequencies_from_either_store(store: Store, tmp_path: Path) -> None:
    paths = write_dataset(tmp_path / "data", n_records=300, seed=9, fmt="csv")
    Hub(store).ingest_files(paths["records"])
    with store.connection() as conn:
        rows = load_features(conn).to_pylist()
        full = TermFrequencies.from_store(conn, TF_COLUMNS)
        some_names = {r["given_key"] for r in rows[:5]}
        some = TermFrequencies.from_store(conn, TF_COLUMNS, values={"given_key": some_names})
    expected = TermFrequencies.from_records(rows, TF_COLUMNS)
    assert full.columns == tuple(TF_COLUMNS)
    for row in rows:
        for column in TF_COLUMNS:
            assert full.frequency(column, row[column]) == expected.frequency(column, row[column])
    for name in some_names - {None}:
        assert some.frequency("given_key", name) == expected.frequency("given_key", name)
    assert some.columns == ("given_key",)


def test_a_model_of_other_comparisons_is_refused(trained: dict[str, Any]) -> None:
    model = dict(trained["model"])
    model["comparisons"] = model["comparisons"][:-1]
    with pytest.raises(ResolutionError, match="other comparisons"):
        Scorer(model)
    assert not fits_comparisons(model) and fits_comparisons(trained["model"])
    levels = dict(trained["model"])
    first = dict(levels["comparisons"][0])
    first["comparison_levels"] = first["comparison_levels"][:-1]
    levels["comparisons"] = [first, *levels["comparisons"][1:]]
    assert not fits_comparisons(levels)
    with pytest.raises(ResolutionError, match="other comparisons"):
        Scorer(levels)


def test_probability_is_stable_at_both_ends(trained: dict[str, Any]) -> None:
    from cx360.resolve._scoring import match_probability

    assert match_probability(0.0) == 0.5
    assert match_probability(2000.0) == 1.0
    assert match_probability(-2000.0) == 0.0
    assert math.isclose(match_probability(6.0), 64 / 65)
