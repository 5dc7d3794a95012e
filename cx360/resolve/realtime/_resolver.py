"""Real-time calls: resolve one record as it arrives, record one interaction.

`RealtimeResolver.resolve(record)` (behind `Hub.resolve_record`) answers "who is this?"
the way a batch run would have:

1. The record is normalized as ingest does (`prepare_record`); a row ingest would
   quarantine is refused with a `SchemaError` naming the column, and nothing is stored.
2. One transaction (`store/_realtime.locked_transaction`: SQLite's write lock, or
   PostgreSQL advisory locks on the record's blocking keys) stores the record (insert, or
   update keeping history, as ingest does) and, seeing everything written before it under
   the same locks:
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
import weakref
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from cx360._errors import SchemaError
from cx360.ingest._prepare import Quarantined, prepare_interaction, prepare_record
from cx360.models import InteractionResult, Match, RecordRef
from cx360.resolve._evidence import DEFAULT_MATCH_WEIGHT
from cx360.resolve._features import email_user
from cx360.resolve._run_state import RunState
from cx360.resolve._scoring import Scorer
from cx360.resolve.realtime._candidates import _GUARD_COLUMNS, lock_names
from cx360.resolve.realtime._decision import _Decision
from cx360.resolve.realtime._state import (
    _HAS_FREQUENCIES,
    _LOCKED_STATE_AND_RECORD,
    _STATE,
    _Frequencies,
    _ModelState,
)
from cx360.store import Store, utcnow
from cx360.store._realtime import (
    Appends,
    PinnedConnection,
    RecordWrite,
    WalCheckpointer,
    count_in_batch,
    customer_of_record,
    execute_on_driver,
    insert_interaction_autocommit,
    lock_params,
    locked_transaction,
    move_to_batch,
    open_batch,
    record_values,
    record_written,
    write_appends,
    write_interaction,
    write_record,
)
from cx360.store._schema import matching_models, records

_R = records.c
_P = bindparam

_SOURCE_COUNTRIES_TTL = 10.0  # seconds a resolver trusts its copy of the source defaults

_FEATURES = select(*(_R[c] for c in _GUARD_COLUMNS)).where(_R.id == _P("record_id"))


class RealtimeResolver:
    """Real-time calls on one store: resolve records one at a time into its customers,
    record interactions. One per `Hub`; `close()` it with the hub.

    Keeps the scorer, term frequencies and source defaults between calls; threads may
    share it (each call has its own connection and transaction, and scores with its own
    snapshot of the caches). On SQLite it checkpoints the WAL from a background thread
    (see `store/_realtime.py`).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._state: _ModelState | None = None
        self._batch_id: int | None = None
        self._countries: dict[str, str] = {}
        self._countries_read = -_SOURCE_COUNTRIES_TTL
        self._checkpointer: WalCheckpointer | None = None
        # PostgreSQL: new interactions skip the pool and SQLAlchemy's execution (see there)
        self._pinned = (
            PinnedConnection(store.autocommit_engine) if store.dialect == "postgresql" else None
        )
        database = store.engine.url.database
        if store.dialect == "sqlite" and database and database != ":memory:":
            self._checkpointer = WalCheckpointer(database)
            # a hub dropped without close() stops its thread too
            weakref.finalize(self, self._checkpointer.stop)

    def close(self) -> None:
        if self._pinned is not None:
            self._pinned.close()
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None

    def _transaction(self, names: Iterable[str] = ()) -> Any:
        return locked_transaction(
            self.store, names, manual_checkpoints=self._checkpointer is not None
        )

    # -- the call ---------------------------------------------------------------------------

    def resolve(self, record: Mapping[str, Any]) -> Match:
        prepared = prepare_record(record, None, self._source_countries())
        if isinstance(prepared, Quarantined):
            raise SchemaError(f"record not stored: {prepared.reason.value}", column=prepared.column)
        ref = RecordRef(source=prepared["source"], source_record_id=prepared["source_record_id"])
        features = {c: prepared[c] for c in _GUARD_COLUMNS}
        features["email_user"] = email_user(features)
        now = utcnow()
        with self._transaction() as conn:
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
                match = _Decision(conn, state, ref, features, written, appends).run()
                write_appends(conn, appends)
        self._batch_id = batch_id  # committed: safe to reuse
        return match

    def record_interaction(self, columns: Mapping[str, Any]) -> InteractionResult:
        """Store one interaction (see `Hub.record_interaction`)."""
        prepared = prepare_interaction(columns, None)
        if isinstance(prepared, Quarantined):
            raise SchemaError(
                f"interaction not recorded: {prepared.reason.value}", column=prepared.column
            )
        now = utcnow()
        fast = insert_interaction_autocommit(self.store, prepared, now=now, pinned=self._pinned)
        if fast is not None:
            written, customer_id = fast
        else:
            with self._transaction() as conn:
                written = write_interaction(conn, prepared, now=now)
                customer_id = customer_of_record(
                    conn, prepared["source"], prepared["source_record_id"]
                )
        return InteractionResult(
            interaction_id=prepared["interaction_id"],
            stored="updated" if written.stored == "late" else written.stored,
            version=written.version,
            customer_id=customer_id,
        )

    def _lock_and_write(
        self, conn: Connection, prepared: Mapping[str, Any], now: datetime
    ) -> tuple[_ModelState | None, int, RecordWrite]:
        """Take the call's locks, read the latest model and run, store the record.

        The record's batch must be newer than the last run's (the next run rescores
        its records). On PostgreSQL one statement does all three (the locks protect
        neither the model nor the record's own key, which its unique index guards), in
        the batch of the previous call; if a run has covered that batch since, the
        record moves to a new one.
        """
        names = lock_names(prepared)
        batch_id = self._batch_id
        if conn.dialect.name != "postgresql":  # the transaction holds the write lock
            state = self._current_state(conn, *conn.execute(_STATE).one())
            if batch_id is None or (state is not None and batch_id <= state.max_batch_id):
                batch_id = open_batch(conn, "records", "realtime", now)
            return state, batch_id, write_record(conn, prepared, batch_id=batch_id, now=now)
        if batch_id is None:
            batch_id = open_batch(conn, "records", "realtime", now)
        params = {**lock_params(names), **record_values(prepared, batch_id=batch_id, now=now)}
        row = execute_on_driver(conn, _LOCKED_STATE_AND_RECORD, params)[0]
        model_id, run_id, new_id = row[0], row[1], row[3]  # [2]: locks, [4]: plan mode
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
