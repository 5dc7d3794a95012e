"""What a finished batch run leaves for the runs after it and for real-time calls.

A batch run notes in `resolution_runs.stats["incremental_state"]` the settings it resolved
with and the last ingest batch it read: the next run builds on it (an incremental run)
only with the same model and settings, and real-time calls decide with its link rule
and guard limits. `RunState.from_stats` fills in what earlier versions did not note,
here and nowhere else:

- no state at all: nothing to build on (None);
- no `name_only_match_weight`: one weight served every pair, `match_weight`;
- no `sole_holder_match_weight`: the run made no sole-holder links (None);
- no `prior_shift` (None): the run's link weights were not derived from its model's
  re-estimated prior, and the next full run with that model derives them;
- no `overrides` (None): the next incremental run starts from every override's records;
- fewer `limits` than `GuardLimits` has today: real time takes the missing ones'
  defaults, and the next batch run is a full one (`settings_match`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sqlalchemy import Connection, select

from cx360.resolve._evidence import (
    DEFAULT_MATCH_WEIGHT,
    DEFAULT_NAME_ONLY_MATCH_WEIGHT,
    DEFAULT_SOLE_HOLDER_MATCH_WEIGHT,
    LinkRule,
)
from cx360.resolve._guards import GuardLimits
from cx360.store._schema import resolution_runs

_KEY = "incremental_state"
_LIMIT_NAMES = frozenset(f.name for f in fields(GuardLimits))


@dataclass(frozen=True, slots=True)
class RunState:
    """A finished run's settings and reach (the defaults: before any run)."""

    match_weight: float = DEFAULT_MATCH_WEIGHT
    name_only_match_weight: float = DEFAULT_NAME_ONLY_MATCH_WEIGHT
    sole_holder_match_weight: float | None = DEFAULT_SOLE_HOLDER_MATCH_WEIGHT
    limits: GuardLimits = field(default_factory=GuardLimits)
    max_batch_id: int = 0  # the newest ingest batch the run read
    overrides: tuple[int, ...] | None = ()  # the active overrides' ids (None: not noted)
    # False: the run noted other guard limits than today's (see the module docstring)
    limits_noted: bool = True
    # how far the store's re-estimated prior lay above the model's (`_evidence.prior_shift`),
    # from which the weights not given were derived; None: not derived
    prior_shift: float | None = None

    @classmethod
    def of(
        cls,
        rule: LinkRule,
        limits: GuardLimits,
        max_batch_id: int,
        overrides: Iterable[int],
        prior_shift: float | None = None,
    ) -> RunState:
        """The state of a run that resolved with `rule` and `limits`."""
        weights = (rule.match_weight, rule.name_only_match_weight, rule.sole_holder_match_weight)
        return cls(*weights, limits, max_batch_id, tuple(overrides), prior_shift=prior_shift)

    @property
    def rule(self) -> LinkRule:
        return LinkRule(
            self.match_weight, self.name_only_match_weight, self.sole_holder_match_weight
        )

    def settings_match(self, rule: LinkRule, limits: GuardLimits) -> bool:
        """Whether the run resolved with this link rule and these guard limits."""
        return self.limits_noted and self.rule == rule and self.limits == limits

    @classmethod
    def from_stats(cls, stats: Mapping[str, Any] | None) -> RunState | None:
        """The state a run noted in its `stats`; None when it noted none."""
        state = (stats or {}).get(_KEY)
        if not state or "match_weight" not in state:
            return None
        weight = float(state["match_weight"])
        sole_holder = state.get("sole_holder_match_weight")
        noted_limits: Mapping[str, Any] = state.get("limits") or {}
        overrides = state.get("overrides")
        shift = state.get("prior_shift")
        return cls(
            match_weight=weight,
            name_only_match_weight=float(state.get("name_only_match_weight", weight)),
            sole_holder_match_weight=None if sole_holder is None else float(sole_holder),
            limits=GuardLimits(**{k: v for k, v in noted_limits.items() if k in _LIMIT_NAMES}),
            max_batch_id=int(state.get("max_batch_id", 0)),
            overrides=None if overrides is None else tuple(int(i) for i in overrides),
            limits_noted=set(noted_limits) == _LIMIT_NAMES,
            prior_shift=None if shift is None else float(shift),
        )

    def to_stats(self) -> dict[str, Any]:
        """The state as a run notes it, to merge into its `stats`."""
        return {
            _KEY: {
                "match_weight": self.match_weight,
                "name_only_match_weight": self.name_only_match_weight,
                "sole_holder_match_weight": self.sole_holder_match_weight,
                "limits": asdict(self.limits),
                "max_batch_id": self.max_batch_id,
                "overrides": None if self.overrides is None else list(self.overrides),
                "prior_shift": self.prior_shift,
            }
        }

    @classmethod
    def read(cls, conn: Connection, run_id: int) -> RunState | None:
        """The state noted by the run `run_id`."""
        stats = select(resolution_runs.c.stats).where(resolution_runs.c.id == run_id)
        return cls.from_stats(conn.execute(stats).scalar())


@dataclass(frozen=True, slots=True)
class FinishedRun:
    """The latest finished run: its model and the state it left."""

    run_id: int
    model_id: int | None
    state: RunState | None


LAST_FINISHED = (
    select(resolution_runs.c.id, resolution_runs.c.model_id, resolution_runs.c.stats)
    .where(resolution_runs.c.status == "done")
    .order_by(resolution_runs.c.id.desc())
    .limit(1)
)


def last_finished_run(conn: Connection) -> FinishedRun | None:
    """The latest finished run, if any."""
    row = conn.execute(LAST_FINISHED).first()
    if row is None:
        return None
    return FinishedRun(int(row.id), row.model_id, RunState.from_stats(row.stats))
