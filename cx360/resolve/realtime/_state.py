"""What a real-time call needs from the latest model and batch run, read once per model and
run and kept between calls."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from cx360.resolve._run_state import LAST_FINISHED, RunState
from cx360.resolve._scoring import Scorer, TermFrequencies
from cx360.store._schema import matching_models, resolution_runs, term_frequencies

_P = bindparam

_MAX_CACHED_FREQUENCIES = 1_000_000
_MAX_PRELOADED_FREQUENCIES = 200_000
_UNKNOWN: Any = object()

_STATE = select(
    select(func.max(matching_models.c.id)).scalar_subquery(),
    LAST_FINISHED.with_only_columns(resolution_runs.c.id).scalar_subquery(),
)
_TF = term_frequencies.c
_MODEL_FREQUENCIES = select(_TF.column_name, _TF.value, _TF.frequency).where(
    _TF.model_id == _P("model_id")
)
_FREQUENCIES = _MODEL_FREQUENCIES.where(
    _TF.column_name.in_(_P("columns", expanding=True)),
    _TF.value.in_(_P("values", expanding=True)),
)
_ALL_FREQUENCIES = _MODEL_FREQUENCIES.limit(_P("limit"))


class _Frequencies:
    """The term frequencies frozen with one model: read whole when the model is first used
    if small (values of names), else per value on first use and kept (misses too). Each
    call scores with its own snapshot (`for_rows`): trimming never changes a score."""

    __slots__ = ("_complete", "_known", "model_id")

    def __init__(self, model_id: int) -> None:
        self.model_id = model_id
        self._known: dict[tuple[str, str], float | None] = {}
        self._complete = False  # every value of the model is in _known: a miss is None

    @classmethod
    def read(cls, conn: Connection, model_id: int) -> _Frequencies | None:
        """None: the model was stored before frequencies were frozen with models."""
        frequencies = cls(model_id)
        rows = conn.execute(
            _ALL_FREQUENCIES, {"model_id": model_id, "limit": _MAX_PRELOADED_FREQUENCIES + 1}
        ).all()
        if not rows:
            return None
        if len(rows) <= _MAX_PRELOADED_FREQUENCIES:
            frequencies._known = {(c, v): float(f) for c, v, f in rows}
            frequencies._complete = True
        return frequencies

    def for_rows(
        self, conn: Connection, columns: tuple[str, ...], rows: Iterable[Mapping[str, Any]]
    ) -> TermFrequencies:
        wanted = {(c, row[c]) for row in rows for c in columns if row[c] is not None}
        known = self._known
        snapshot: dict[tuple[str, str], float | None] = {}
        missing = []
        for key in wanted:  # get(), not `in` then []: another thread may trim the cache
            frequency = known.get(key, None if self._complete else _UNKNOWN)
            if frequency is _UNKNOWN:
                missing.append(key)
            else:
                snapshot[key] = frequency
        if missing:
            found = conn.execute(
                _FREQUENCIES,
                {
                    "model_id": self.model_id,
                    "columns": sorted({c for c, _ in missing}),
                    "values": sorted({v for _, v in missing}),
                },
            )
            read = {(c, v): float(f) for c, v, f in found}
            for key in missing:
                snapshot[key] = read.get(key)
            if len(known) > _MAX_CACHED_FREQUENCIES:
                known.clear()  # bounded memory: start over
            known.update({key: snapshot[key] for key in missing})
        by_column: dict[str, dict[str, float]] = {}
        for (column, value), frequency in snapshot.items():
            if frequency is not None:
                by_column.setdefault(column, {})[value] = frequency
        return TermFrequencies(by_column)


@dataclass(frozen=True, slots=True)
class _ModelState:
    """What deciding needs from the latest model and run (kept until either changes)."""

    model_id: int
    run_id: int | None
    scorer: Scorer  # without term frequencies: each call copies it and adds its own
    frequencies: _Frequencies | None  # None: a model stored before they were frozen
    run: RunState  # its link rule and guard limits; a call's record goes in a newer batch
