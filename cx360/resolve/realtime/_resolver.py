"""Real time: resolve one record as it arrives, as a batch run would have.

`RealtimeResolver.resolve(record)` (behind `Hub.resolve_record`) answers "who is this?"
the way a batch run would have:

1. The record is normalized as ingest does (`prepare_record`); a row ingest would
   quarantine is refused with a `SchemaError` naming the column, and nothing is stored.
2. One transaction (`Strategy.locked_transaction`: SQLite's write lock, or PostgreSQL
   advisory locks on the record's blocking keys) stores the record (insert, or update
   keeping history, as ingest does) and, seeing everything written before it under the
   same locks:
3. finds candidates with one query, a branch per blocking rule of `resolve/_blocking.py`
   (the rules batch runs block on), each an index lookup (`tests/store/test_indexes.py`);
4. scores them with the latest model in pure Python (`Scorer`, with the term
   frequencies frozen with the model: the very weights batch runs compute);
5. decides with batch clustering's group engine (`resolve/_groups.py`) over the record's
   pairs at or above the last run's link weight: each candidate customer's groups are
   rebuilt from its records and stored links (so a customer joined across a guard keeps
   its facets, and a record that fits one of them joins it as a batch run would), then
   the record joins candidate customers strongest pair first, each one that fits
   everything joined so far merging in (a record that bridges two customers makes them
   one, unless its only pair into the second is weak: `GuardLimits.bridge_match_weight`);
   else a customer of its own;
6. writes the assignment (`record_customers`), the links that decided it (`record_links`,
   kind 'model') and every pair at or above the link weight (`match_edges`, l < r), which
   the next incremental batch run clusters over.

Left to the next batch `resolve()`, which rescores real-time records (they carry an
ingest batch newer than the last run): splitting a customer that a changed record held
together, and records ingested but never resolved (pairs with them are kept in
`match_edges`, but they have no customer to join).

The model, link weight and guard limits are read once per model and run and kept per
resolver (one per `Hub`); each call checks with one cheap query that no newer model or run
has appeared. Term frequencies are read per value on first use and kept.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from cx360._errors import SchemaError
from cx360.ingest._prepare import Quarantined, prepare_record
from cx360.models import Match, RecordRef
from cx360.resolve._evidence import DEFAULT_MATCH_WEIGHT
from cx360.resolve._features import email_user
from cx360.resolve._run_state import RunState
from cx360.resolve._scoring import Scorer
from cx360.resolve.realtime._candidates import _GUARD_COLUMNS, lock_names
from cx360.resolve.realtime._decision import _Decision
from cx360.resolve.realtime._state import _HAS_FREQUENCIES, _STATE, _Frequencies, _ModelState
from cx360.store import Store, utcnow
from cx360.store._realtime import (
    Appends,
    RecordWrite,
    count_in_batch,
    move_to_batch,
    open_batch,
    record_values,
    record_written,
    write_appends,
)
from cx360.store._schema import matching_models, records

_R = records.c
_P = bindparam

_SOURCE_COUNTRIES_TTL = 10.0  # seconds a resolver trusts its copy of the source defaults

_FEATURES = select(*(_R[c] for c in _GUARD_COLUMNS)).where(_R.id == _P("record_id"))


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
        self._countries_read = -_SOURCE_COUNTRIES_TTL

    def resolve(self, record: Mapping[str, Any]) -> Match:
        prepared = prepare_record(record, None, self._source_countries())
        if isinstance(prepared, Quarantined):
            raise SchemaError(f"record not stored: {prepared.reason.value}", column=prepared.column)
        ref = RecordRef(source=prepared["source"], source_record_id=prepared["source_record_id"])
        features = {c: prepared[c] for c in _GUARD_COLUMNS}
        features["email_user"] = email_user(features)
        now = utcnow()
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
                    features = _stored_features(conn, written.record_id)
                appends = Appends(batch_id, written.stored, now, model_id=state.model_id)
                decision = _Decision(conn, strategy, state, ref, features, written, appends)
                match = decision.run()
                write_appends(conn, strategy, appends)
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
            batch_id = open_batch(conn, "records", "realtime", now)
        values = record_values(prepared, batch_id=batch_id, now=now)
        model_id, run_id, new_id = self.store.strategy.insert_record_reading(
            conn, _STATE, lock_names(prepared), values
        )
        state = self._current_state(conn, model_id, run_id)
        if state is not None and batch_id <= state.max_batch_id:
            batch_id = open_batch(conn, "records", "realtime", now)
            if new_id is not None:
                move_to_batch(conn, new_id, batch_id)
        return state, batch_id, record_written(conn, prepared, new_id, batch_id=batch_id, now=now)

    # -- caches -----------------------------------------------------------------------------

    def _source_countries(self) -> dict[str, str]:
        if time.monotonic() - self._countries_read > _SOURCE_COUNTRIES_TTL:
            self._countries = self.store.source_countries()
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
        elif conn.execute(_HAS_FREQUENCIES, {"model_id": model_id}).first() is not None:
            frequencies = _Frequencies.read(conn, int(model_id))
        else:
            frequencies = None
        self._state = _ModelState(
            model_id=int(model_id),
            run_id=None if run_id is None else int(run_id),
            scorer=Scorer(dict(params)),
            frequencies=frequencies,
            rule=run.rule,
            limits=run.limits,
            max_batch_id=run.max_batch_id,
        )
        return self._state


def _stored_features(conn: Connection, record_id: int) -> dict[str, Any]:
    row = conn.execute(_FEATURES, {"record_id": record_id}).one()
    features = dict(row._mapping)
    features["email_user"] = email_user(features)
    return features
