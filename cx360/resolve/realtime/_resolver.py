"""Real time: `RealtimeResolver.resolve(record)` (behind `Hub.resolve_record`) answers
"who is this?" the way a batch run would have. The record is normalized as ingest does
(a row ingest would quarantine is refused with a `SchemaError`, nothing stored); then one
transaction under the call's locks (`Strategy.locked_transaction`) stores it, finds its
candidates (a lookup per blocking rule of `resolve/_blocking.py`, each on an index),
scores them with the latest model (the weights batch computes), decides with batch's
group engine (`_decision.py`) and writes the assignment, the deciding links and the pairs
at the link weight (`match_edges`, which the next incremental run clusters over).

Left to the next batch run, which rescores real-time records (their batch is newer than
the last run's): splitting a customer that a changed record held together, and records
never resolved. The model, link weight and guard limits are read once per model and run;
each call checks with one cheap query that no newer one has appeared.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from cx360._errors import SchemaError
from cx360.ingest._declared import declared_columns
from cx360.ingest._prepare import Quarantined, RowPlan, prepare_record
from cx360.ingest._single import RecordWrite, move_to_batch, record_values, record_written
from cx360.models import Match, RecordRef
from cx360.privacy._suppress import on_list_under_lock, set_aside_erased
from cx360.resolve._blocking import OTHERS_COLUMN, others_text
from cx360.resolve._evidence import DEFAULT_MATCH_WEIGHT
from cx360.resolve._features import email_user
from cx360.resolve._incremental import GUARD_COLUMNS, ROW_SQL
from cx360.resolve._run_state import RunState
from cx360.resolve._scoring import Scorer
from cx360.resolve.realtime._candidates import lock_names
from cx360.resolve.realtime._decision import _Decision
from cx360.resolve.realtime._state import _STATE, _Frequencies, _ModelState
from cx360.store import Store, utcnow
from cx360.store._customers import Appends
from cx360.store._schema import matching_models, records
from cx360.store._writes import EXTRA_IDENTIFIERS, count_in_batch, start_batch

_R = records.c
_P = bindparam

# seconds a resolver trusts its copy of the source defaults and declared identifiers
_SOURCE_COUNTRIES_TTL = 10.0

_FEATURES = select(*ROW_SQL).where(_R.id == _P("record_id"))


class _ErasedError(Exception):
    """The record is on the suppression list: its transaction rolls back."""


class RealtimeResolver:
    """Resolves records one at a time into a store's customers. One per `Hub`.

    Keeps the scorer, term frequencies and source defaults between calls; threads may
    share it (each call has its own connection and transaction, and scores with its own
    snapshot of the caches).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._state: _ModelState | None = None
        self._batch_id: int | None = None
        self._countries: dict[str, str] = {}
        self._plan = RowPlan()
        self._countries_read = -_SOURCE_COUNTRIES_TTL

    def resolve(self, record: Mapping[str, Any], *, explain: bool = False) -> Match:
        """Store and resolve one record; with `explain`, the answer carries the deciding
        pair's waterfall (`Match.explanation`), which costs a second scoring of that pair."""
        countries = self._source_countries()
        prepared = prepare_record(record, None, countries, self._plan)
        if isinstance(prepared, Quarantined):
            raise SchemaError(f"record not stored: {prepared.reason.value}", column=prepared.column)
        ref = RecordRef(source=prepared["source"], source_record_id=prepared["source_record_id"])
        features = _features(prepared)
        now = utcnow()
        try:
            return self._resolve_locked(prepared, ref, features, now, explain)
        except _ErasedError:
            raise set_aside_erased(self.store) from None

    def _resolve_locked(
        self,
        prepared: Mapping[str, Any],
        ref: RecordRef,
        features: Any,
        now: datetime,
        explain: bool,
    ) -> Match:
        strategy = self.store.strategy
        with strategy.locked_transaction(self.store.engine) as conn:
            state, batch_id, written = self._lock_and_write(conn, prepared, now)
            if state is None:
                count_in_batch(conn, batch_id, written.stored, now)
                match = Match(
                    record=ref,
                    stored=written.stored,
                    status="unresolved",
                    customer_id=written.customer_id,
                    threshold=DEFAULT_MATCH_WEIGHT,
                )
            else:
                if written.stored == "late":
                    # an older observation: the record stays as stored, so is resolved so
                    stored = conn.execute(_FEATURES, {"record_id": written.record_id}).one()
                    features = _features(stored._mapping)
                appends = Appends(batch_id, written.stored, now, model_id=state.model_id)
                decision = _Decision(
                    conn, strategy, state, ref, features, written, appends, explain=explain
                )
                match = decision.run()
                strategy.commit_appends(conn, appends)  # the transaction's end
        self._batch_id = batch_id  # committed: safe to reuse
        return match

    def _lock_and_write(
        self, conn: Connection, prepared: Mapping[str, Any], now: datetime
    ) -> tuple[_ModelState | None, int, RecordWrite]:
        """Take the call's locks, read the latest model and run, store the record.

        The record goes in the batch of the previous call, which must be newer than the
        last run's (the next run rescores its records): if a run has covered it since, the
        record moves to a new one.
        """
        batch_id = self._batch_id
        if batch_id is None:
            batch_id = self._new_batch(conn, now)
        values = record_values(prepared, batch_id=batch_id, now=now)
        strategy = self.store.strategy
        # a store whose transaction locks everything (SQLite) takes no names
        names = (
            lock_names({**prepared, OTHERS_COLUMN: _others(prepared)})
            if strategy.named_locks
            else ()
        )
        model_id, run_id, new_id = strategy.insert_record_reading(conn, _STATE, names, values)
        if on_list_under_lock(self.store, conn, prepared):
            raise _ErasedError  # erased while this call waited for its locks, or before
        state = self._current_state(conn, model_id, run_id)
        if state is not None and batch_id <= state.run.max_batch_id:
            batch_id = self._new_batch(conn, now)
            if new_id is not None:
                move_to_batch(conn, new_id, batch_id)
        return state, batch_id, record_written(conn, prepared, new_id, batch_id=batch_id, now=now)

    @staticmethod
    def _new_batch(conn: Connection, now: datetime) -> int:
        return start_batch(conn, kind="records", origin="realtime", now=now, status="done")

    # -- caches -----------------------------------------------------------------------------

    def _source_countries(self) -> dict[str, str]:
        if time.monotonic() - self._countries_read > _SOURCE_COUNTRIES_TTL:
            self._countries = self.store.source_countries()
            self._plan = RowPlan().with_identifiers(*declared_columns(self.store))
            self._countries_read = time.monotonic()
        return self._countries

    def _current_state(
        self, conn: Connection, model_id: int | None, run_id: int | None
    ) -> _ModelState | None:
        """What deciding needs from the latest model and run (read by `_STATE`)."""
        state = self._state
        if model_id is None:
            return None
        if state is not None and (state.model_id, state.run_id) == (model_id, run_id):
            return state
        params = conn.execute(
            select(matching_models.c.params).where(matching_models.c.id == model_id)
        ).scalar_one()
        # before any run (or a run that noted no state): the defaults
        run = (RunState.read(conn, int(run_id)) if run_id is not None else None) or RunState()
        if state is not None and state.model_id == model_id:
            frequencies = state.frequencies  # a new run, the same model: keep what is read
        else:
            frequencies = _Frequencies.read(conn, int(model_id))
        self._state = _ModelState(
            model_id=int(model_id),
            run_id=None if run_id is None else int(run_id),
            scorer=Scorer(dict(params)),
            frequencies=frequencies,
            run=run,
        )
        return self._state


def _others(prepared: Mapping[Any, Any]) -> str | None:
    """A prepared record's phones and e-mails beyond the first, as `OTHERS_COLUMN`."""
    return others_text(prepared.get(EXTRA_IDENTIFIERS) or ())


def _features(values: Mapping[Any, Any]) -> dict[str, Any]:
    """What scoring reads of a record: its match features (its phones and e-mails beyond
    the first, when it has some) and its e-mail's user name."""
    features = {c: values.get(c) for c in GUARD_COLUMNS}
    features[OTHERS_COLUMN] = values.get(OTHERS_COLUMN) or _others(values)
    features["email_user"] = email_user(features)
    return features
