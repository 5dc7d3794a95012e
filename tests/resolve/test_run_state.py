"""The state a batch run leaves for the next runs and real time (`RunState`): written and
read back the same, and the runs of earlier versions read with their legacy defaults."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from sqlalchemy import insert

from cx360.resolve._evidence import (
    DEFAULT_MATCH_WEIGHT,
    DEFAULT_NAME_ONLY_MATCH_WEIGHT,
    DEFAULT_SOLE_HOLDER_MATCH_WEIGHT,
    LinkRule,
)
from cx360.resolve._guards import GuardLimits
from cx360.resolve._run_state import RunState, last_finished_run
from cx360.store import Store, utcnow
from cx360.store._schema import matching_models, resolution_runs

_CURRENT = RunState(
    match_weight=3.0,
    name_only_match_weight=12.0,
    sole_holder_match_weight=-6.0,
    limits=GuardLimits(check_surnames=True, bridge_match_weight=None),
    max_batch_id=7,
    overrides=(2, 5),
    prior_shift=0.75,
)


def test_a_state_reads_back_as_written() -> None:
    stats = {"records": 10, **_CURRENT.to_stats()}
    assert RunState.from_stats(stats) == _CURRENT
    assert stats["incremental_state"] == {
        "match_weight": 3.0,
        "name_only_match_weight": 12.0,
        "sole_holder_match_weight": -6.0,
        "limits": asdict(_CURRENT.limits),
        "max_batch_id": 7,
        "overrides": [2, 5],
        "prior_shift": 0.75,
    }
    assert _CURRENT.rule == LinkRule(3.0, 12.0, -6.0)
    assert _CURRENT.settings_match(LinkRule(3.0, 12.0, -6.0), _CURRENT.limits)
    assert not _CURRENT.settings_match(LinkRule(3.0, 12.0, None), _CURRENT.limits)
    assert not _CURRENT.settings_match(_CURRENT.rule, GuardLimits())
    no_sole_holder = replace(_CURRENT, sole_holder_match_weight=None)
    assert RunState.from_stats(no_sole_holder.to_stats()) == no_sole_holder


def test_before_any_run_the_defaults_hold() -> None:
    for stats in (None, {}, {"records": 10}, {"incremental_state": {}}):
        assert RunState.from_stats(stats) is None
    default = RunState()
    assert default.rule == LinkRule()
    assert default.rule == LinkRule(
        DEFAULT_MATCH_WEIGHT, DEFAULT_NAME_ONLY_MATCH_WEIGHT, DEFAULT_SOLE_HOLDER_MATCH_WEIGHT
    )
    assert default.limits == GuardLimits()
    assert default.max_batch_id == 0


def _limits_without(*names: str) -> dict[str, Any]:
    return {k: v for k, v in asdict(GuardLimits()).items() if k not in names}


def test_the_first_incremental_runs_noted_one_weight_and_no_overrides() -> None:
    """Runs before name-only pairs had their own weight, before sole-holder links and
    before the active overrides were noted."""
    legacy = {
        "incremental_state": {
            "match_weight": 4,
            "limits": asdict(GuardLimits()),
            "max_batch_id": 3,
        }
    }
    state = RunState.from_stats(legacy)
    assert state is not None
    assert state.rule == LinkRule(4.0, 4.0, None)  # one weight for every pair, no sole holders
    assert state.overrides is None  # not noted: the next run looks at every override
    assert state.prior_shift is None  # weights not derived: the next full run derives them
    assert state.max_batch_id == 3
    assert state.limits == GuardLimits()
    assert state.settings_match(LinkRule(4.0, 4.0, None), GuardLimits())
    assert not state.settings_match(
        LinkRule(4.0, DEFAULT_NAME_ONLY_MATCH_WEIGHT, None), GuardLimits()
    )


def test_a_run_before_a_guard_existed_takes_its_default_and_calls_for_a_full_run() -> None:
    legacy = {
        "incremental_state": {
            "match_weight": DEFAULT_MATCH_WEIGHT,
            "name_only_match_weight": DEFAULT_NAME_ONLY_MATCH_WEIGHT,
            "sole_holder_match_weight": DEFAULT_SOLE_HOLDER_MATCH_WEIGHT,
            "limits": _limits_without("bridge_match_weight") | {"check_surnames": True},
            "max_batch_id": 9,
            "overrides": [],
        }
    }
    state = RunState.from_stats(legacy)
    assert state is not None
    # real time decides with the limits noted and today's default for the rest
    assert state.limits == GuardLimits(check_surnames=True)
    assert not state.limits_noted
    # the run did not apply that guard: the next batch run is a full one
    assert not state.settings_match(LinkRule(), GuardLimits(check_surnames=True))
    assert state.overrides == ()


def test_limits_of_a_guard_since_removed_are_left_out() -> None:
    legacy = {
        "incremental_state": {
            "match_weight": 2.0,
            "limits": {**asdict(GuardLimits()), "check_middle_names": True},
            "max_batch_id": 1,
        }
    }
    state = RunState.from_stats(legacy)
    assert state is not None
    assert state.limits == GuardLimits()
    assert not state.settings_match(state.rule, GuardLimits())


def test_the_latest_finished_run_and_a_runs_state_are_read_from_the_store(store: Store) -> None:
    now = utcnow()
    with store.transaction() as conn:
        assert last_finished_run(conn) is None
        model_id = conn.execute(
            insert(matching_models)
            .values(kind="splink", params={}, trained_on=1, created_at=now)
            .returning(matching_models.c.id)
        ).scalar_one()
        run_ids = []
        for status, stats in (
            ("done", {"records": 1, **_CURRENT.to_stats()}),
            ("done", {"records": 2}),  # a run before incremental runs
            ("failed", {"records": 3, **_CURRENT.to_stats()}),
        ):
            run_ids.append(
                conn.execute(
                    insert(resolution_runs)
                    .values(model_id=model_id, status=status, started_at=now, stats=stats)
                    .returning(resolution_runs.c.id)
                ).scalar_one()
            )
    with store.connection() as conn:
        last = last_finished_run(conn)
        assert last is not None
        assert (last.run_id, last.model_id, last.state) == (run_ids[1], model_id, None)
        assert RunState.read(conn, run_ids[0]) == _CURRENT
        assert RunState.read(conn, run_ids[1]) is None
