"""Incremental resolution: after a new batch, only new pairs are scored, and the customers
are those a full run over the same store gives."""

from __future__ import annotations

import copy
import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from cx360 import Hub
from cx360.resolve._evidence import LinkRule
from cx360.resolve._run_state import RunState, last_finished_run
from cx360.resolve.realtime._resolver import RealtimeResolver
from cx360.resolve.realtime._state import _STATE
from cx360.store import Store
from cx360.store._schema import (
    match_edges,
    record_links,
    records,
    resolution_runs,
    term_frequencies,
)
from cx360.synthetic import write_dataset
from tests._stores import BuiltStores, built_stores
from tests.resolve._support import assignments


@pytest.fixture(scope="module")
def halves(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], ...]:
    out = tmp_path_factory.mktemp("synthetic")
    files = dict(write_dataset(out, n_records=2400, seed=33, fmt="csv"))
    with Path(files["records"]).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # interleaved so that people have records on both sides of the split
    return rows[0::2], rows[1::2]


@pytest.fixture(scope="module")
def first_resolved(
    halves: tuple[list[dict[str, Any]], ...], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BuiltStores]:
    """The first half ingested and resolved in full, once per backend."""

    def build(hub: Hub) -> None:
        hub.ingest(records=halves[0])
        assert hub.resolve().mode == "full"

    with built_stores(build, tmp_path_factory.mktemp("first-half")) as stores:
        yield stores


@pytest.fixture
def hub(store: Store, store_url: str, first_resolved: BuiltStores) -> Iterator[Hub]:
    """A hub on a copy of the store after the first half's full run."""
    first_resolved.copy_into(store, store_url)
    hub = Hub(store)
    yield hub
    hub.close()


def test_a_new_batch_is_resolved_incrementally_with_the_full_runs_result(
    halves: tuple[list[dict[str, Any]], ...], store: Store
) -> None:
    first, second = halves
    hub = Hub(store)
    hub.ingest(records=first)
    initial = hub.resolve()
    assert initial.mode == "full"
    with store.connection() as conn:
        assert conn.execute(select(func.count()).select_from(term_frequencies)).scalar_one() > 0

    hub.ingest(records=second)
    changed = dict(second[0], phone="", email="", observed_at="2030-01-01T00:00:00Z")
    hub.ingest(records=[changed])  # an update of an already-stored record, too
    step = hub.resolve()
    assert step.mode == "incremental"
    assert step.model_id == initial.model_id
    # only the new and changed records (and name blocks that grew) were scored again
    assert len(second) <= step.records_scored < len(first) + len(second)
    after_increment = assignments(store)
    assert len(after_increment) == len(first) + len(second)
    with store.connection() as conn:
        edges_after_increment = set(
            conn.execute(
                select(
                    match_edges.c.record_id_l, match_edges.c.record_id_r, match_edges.c.match_weight
                )
            ).all()
        )

    # explanations score with the frequencies frozen with the model, as the runs did,
    # although the store's own frequencies have moved with the second batch
    with store.connection() as conn:
        keys = {
            i: (src, rid)
            for i, src, rid in conn.execute(
                select(records.c.id, records.c.source, records.c.source_record_id)
            )
        }
        links = conn.execute(
            select(
                record_links.c.record_id_l, record_links.c.record_id_r, record_links.c.match_weight
            )
            .where(record_links.c.kind == "model")
            .order_by(record_links.c.id)
            .limit(25)
        ).all()
    assert links
    for left, right, weight in links:
        explained = hub.explain_pair(keys[left], keys[right])
        assert explained.match_weight == pytest.approx(weight, abs=1e-9)

    full = hub.resolve(full=True)
    assert full.mode == "full"
    assert full.records_scored == len(first) + len(second)
    with store.connection() as conn:
        edges_full = set(
            conn.execute(
                select(
                    match_edges.c.record_id_l, match_edges.c.record_id_r, match_edges.c.match_weight
                )
            ).all()
        )
    # the same scored pairs (weights to float precision), so the same customers and IDs
    assert {(a, b) for a, b, _ in edges_after_increment} == {(a, b) for a, b, _ in edges_full}
    weights = {(a, b): w for a, b, w in edges_full}
    assert all(abs(weights[(a, b)] - w) < 1e-9 for a, b, w in edges_after_increment)
    assert full.records_reassigned == 0
    assert assignments(store) == after_increment


def test_nothing_new_scores_nothing_and_changes_nothing(hub: Hub, store: Store) -> None:
    before = assignments(store)
    again = hub.resolve()
    assert again.mode == "incremental"
    assert again.records_scored == 0
    assert again.records_reassigned == 0 and again.new_customers == 0
    assert assignments(store) == before


def test_other_settings_than_the_last_run_make_a_full_run(hub: Hub) -> None:
    assert hub.resolve(match_weight=7.0).mode == "full"
    assert hub.resolve(match_weight=7.0).mode == "incremental"
    assert hub.resolve(retrain=True, match_weight=7.0).mode == "full"


def _rewrite_last_state(store: Store, change: Callable[[dict[str, Any]], object]) -> None:
    """Make the last run's noted state look like one an earlier version wrote."""
    with store.transaction() as conn:
        run_id, stats = conn.execute(
            select(resolution_runs.c.id, resolution_runs.c.stats)
            .order_by(resolution_runs.c.id.desc())
            .limit(1)
        ).one()
        state = copy.deepcopy(stats["incremental_state"])
        change(state)
        conn.execute(
            update(resolution_runs)
            .where(resolution_runs.c.id == run_id)
            .values(stats={**stats, "incremental_state": state})
        )


def test_runs_of_earlier_versions_are_built_on_with_their_legacy_defaults(
    hub: Hub, store: Store
) -> None:
    # a run that did not note the active overrides: built on (from every override's records)
    _rewrite_last_state(store, lambda state: state.pop("overrides"))
    assert hub.resolve().mode == "incremental"
    # a run before a guard existed did not apply it: a full run
    _rewrite_last_state(store, lambda state: state["limits"].pop("bridge_match_weight"))
    assert hub.resolve().mode == "full"
    # a run before name-only pairs had their own weight, and before sole-holder links
    noted: dict[str, float] = {}
    _rewrite_last_state(
        store,
        lambda state: (
            noted.update(weight=state["match_weight"]),
            state.pop("name_only_match_weight"),
            state.pop("sole_holder_match_weight"),
        ),
    )
    resolver = RealtimeResolver(store)
    with store.connection() as conn:
        model_id, run_id = conn.execute(_STATE).one()
        decided = resolver._current_state(conn, model_id, run_id)
    assert decided is not None
    # real time decides with that run's rule: its one weight, no sole-holder links
    assert decided.run.rule == LinkRule(noted["weight"], noted["weight"], None)
    assert hub.resolve().mode == "full"  # other settings than today's defaults


def _last_state(store: Store) -> RunState:
    with store.connection() as conn:
        last = last_finished_run(conn)
    assert last is not None and last.state is not None
    return last.state


def test_derived_link_weights_are_kept_by_the_runs_on_the_same_model(
    hub: Hub, store: Store
) -> None:
    derived = _last_state(store)
    assert derived.prior_shift is not None and derived.prior_shift >= 0.0
    assert derived.rule == LinkRule.calibrated(derived.prior_shift)
    # real time decides with the weights the run derived
    with store.connection() as conn:
        model_id, run_id = conn.execute(_STATE).one()
        decided = RealtimeResolver(store)._current_state(conn, model_id, run_id)
    assert decided is not None and decided.run.rule == derived.rule
    # a full run with the same model links at the same weights
    assert hub.resolve(full=True).mode == "full"
    assert _last_state(store).rule == derived.rule
    assert hub.resolve().mode == "incremental"
    # weights given are used as given; one not given is still derived
    hub.resolve(match_weight=3.0)
    assert _last_state(store).rule == LinkRule.calibrated(derived.prior_shift, 3.0)
    hub.resolve(match_weight=3.0, name_only_match_weight=9.0)
    given = _last_state(store)
    assert (given.rule, given.prior_shift) == (LinkRule(3.0, 9.0), None)
    # back to derived weights: a full run derives them again, as the first run did
    assert hub.resolve().mode == "full"
    again = _last_state(store)
    assert again.prior_shift == pytest.approx(derived.prior_shift)
    assert again.rule == LinkRule.calibrated(again.prior_shift or 0.0)
