"""Single-row writes for real-time calls, in short transactions under a write lock.

Bulk ingest (`_writes.py`) is shaped for throughput over chunks of thousands of rows; a
channel app that sends one record or interaction and waits needs a few prepared
statements in one short transaction. The semantics are bulk ingest's: a new key is
inserted, the same content again changes nothing, new content becomes the current
version with the previous one kept in the versions table, and a record observed earlier
than the stored one is kept as a past version only (that path is `_writes.upsert` itself).

Concurrency (`locked_transaction`): on SQLite the transaction starts with BEGIN IMMEDIATE,
so writers take turns (readers go on, WAL); on PostgreSQL it takes transaction-scoped
advisory locks on the hashes of the keys it is given (sorted, so two transactions never
wait on each other in a cycle), so calls about the same person take turns while calls
about different people run side by side. Whoever goes second reads what the first wrote.

Latency on SQLite (`WalCheckpointer`): by default the commit that fills the WAL past
1,000 pages also copies it into the database and syncs it to disk, which makes one call
in a few dozen take 5-50 ms instead of ~1 ms. Real-time connections leave that to a
background thread instead (SQLite's advice for latency-sensitive writers).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    Select,
    String,
    bindparam,
    column,
    exc,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import PoolProxiedConnection

from cx360._errors import StoreError
from cx360.store._customers import appends_params, appends_statement
from cx360.store._customers import write_appends as write_call_appends
from cx360.store._engine import store_error, translate_errors
from cx360.store._schema import ingest_batches, interactions, record_customers, records
from cx360.store._store import Store
from cx360.store._writes import (
    INTERACTIONS,
    RECORDS,
    _copy_to_history,
    _is_older,
    prepared_columns,
    upsert,
)

log = logging.getLogger("cx360.store")

Stored = Literal["inserted", "updated", "late", "unchanged"]
_MANUAL_CHECKPOINTS = "cx360_manual_checkpoints"  # marks a pooled connection set up for it

# Locks are taken in one statement; PostgreSQL evaluates a volatile function in the
# select list after the ORDER BY, so they are acquired in key order.
_PG_LOCK = text(
    "SELECT pg_advisory_xact_lock(k) AS locked FROM unnest(CAST(:keys AS BIGINT[])) AS k ORDER BY k"
)


def lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for a name (PostgreSQL's lock key space)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_params(names: Iterable[str]) -> dict[str, list[int]]:
    """The parameters of `_PG_LOCK` and of `with_locks` statements for `names`."""
    return {"keys": sorted({lock_key(name) for name in names})}


def with_locks(statement: Select[Any]) -> Select[Any]:
    """PostgreSQL: `statement` with a last column that takes the advisory locks of
    `:keys` (`lock_params`), saving a round trip. Only for reads the locks do not
    protect: the statement's snapshot is taken before it waits for them."""
    locks = _PG_LOCK.columns(column("locked")).subquery("locks")
    return statement.add_columns(select(func.count()).select_from(locks).scalar_subquery())


def with_generic_plans(statement: Select[Any]) -> Select[Any]:
    """PostgreSQL: `statement` with a last column that makes the rest of its transaction
    run prepared statements with their generic plan (`SET LOCAL plan_cache_mode`).

    Why: a prepared statement is planned again for its values on each execution while
    the server judges such a plan cheaper than the generic one; for a real-time call's
    lookups (an index lookup per key) the generic plan is as good, and planning the
    members statement for its values took ~0.15 ms a call. Local to the transaction,
    so other work on the connection keeps the server's choice.
    """
    return statement.add_columns(
        func.set_config(literal("plan_cache_mode"), literal("force_generic_plan"), True)
    )


# Customer locks are keyed in SQL (the statement that finds a record's candidates takes
# their customers' locks, `with_customer_locks`), the same way wherever they are taken.
CUSTOMER_LOCKS_PER_STATEMENT = 64  # more: only the customers a decision joins are locked
_PG_CUSTOMER_LOCK = text(
    "SELECT pg_advisory_xact_lock(k) FROM (SELECT hashtextextended('customer:' || c, 0) AS k"
    " FROM unnest(CAST(:customers AS TEXT[])) AS c) AS keys ORDER BY k"
)


def _customer_lock_key(customer_id: Any) -> Any:
    return func.hashtextextended(literal("customer:", String) + customer_id, 0)


def with_customer_locks(candidates: Any) -> Select[Any]:
    """PostgreSQL: the rows of `candidates` (which has a `customer_id` column) with a
    last column that counts the advisory locks taken, in key order, on their customers,
    after they are read: at most CUSTOMER_LOCKS_PER_STATEMENT, none when there are more
    (then `lock_customers` the ones that matter). Later statements see what the holders
    of those locks wrote; this one does not (its snapshot is older than its locks)."""
    found = candidates.cte("candidates")
    keys = (
        select(_customer_lock_key(found.c.customer_id).label("k"))
        .where(found.c.customer_id.is_not(None))
        .distinct()
        .subquery("keys")
    )
    few = (
        select(func.count(func.distinct(found.c.customer_id))).scalar_subquery()
        <= CUSTOMER_LOCKS_PER_STATEMENT
    )
    locked = (
        select(func.pg_advisory_xact_lock(keys.c.k).label("locked"))
        .where(few)
        .order_by(keys.c.k)
        .subquery("locked")
    )
    return select(found, select(func.count()).select_from(locked).scalar_subquery())


def lock_customers(conn: Connection, customer_ids: Iterable[str]) -> None:
    """Take (or wait for) the advisory locks of customers until the transaction ends."""
    if conn.dialect.name != "postgresql":
        return
    ids = sorted(set(customer_ids))
    if ids:
        conn.execute(_PG_CUSTOMER_LOCK, {"customers": ids})


def lock_keys(conn: Connection, names: Iterable[str]) -> None:
    """Take (or wait for) the advisory locks of `names` until the transaction ends.

    PostgreSQL only: on SQLite the whole transaction already holds the write lock.
    """
    if conn.dialect.name != "postgresql":
        return
    params = lock_params(names)
    if params["keys"]:
        conn.execute(_PG_LOCK, params)


@contextmanager
def locked_transaction(
    store: Store, names: Iterable[str] = (), *, manual_checkpoints: bool = False
) -> Iterator[Connection]:
    """One transaction, committed at the end, holding the write lock (SQLite) or the
    advisory locks of `names` (PostgreSQL) from its first statement on.

    `manual_checkpoints`: the caller runs a `WalCheckpointer` (SQLite): this connection's
    commits do not checkpoint the WAL themselves.
    """
    with translate_errors(), store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            if manual_checkpoints and not conn.info.get(_MANUAL_CHECKPOINTS):
                conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
                conn.info[_MANUAL_CHECKPOINTS] = True
            # a deferred transaction that reads and then writes can fail at once with
            # SQLITE_BUSY when another writer got in between; IMMEDIATE waits its turn
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            # begun explicitly: the first statement may run on the driver's cursor
            # (`execute_on_driver`), which SQLAlchemy does not see, yet commits with it
            conn.begin()
            lock_keys(conn, names)
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


class WalCheckpointer:
    """Checkpoints a SQLite store's WAL from a daemon thread, on its own connection.

    Every `interval` seconds a PASSIVE checkpoint copies the log into the database without
    blocking anyone (the sqlite3 module releases the GIL meanwhile). Under a steady stream
    of writes a PASSIVE checkpoint never catches up with the end of the log, and SQLite
    starts the log over only once one has: the file would only grow. So once the log holds
    `reset_frames` pages (128 MiB of 4 KiB pages), a RESTART checkpoint (little left to
    copy by then) makes the next writer start it over. That one makes writers wait while
    it syncs (~0.1-0.2 s on the benchmark machine, every few seconds at full speed); its
    connection gives up after 100 ms rather than wait long for a reader (a batch run
    reading the store) and tries again at the next tick.
    """

    def __init__(self, database: str, *, interval: float = 0.5, reset_frames: int = 32768) -> None:
        self._database = database
        self._interval = interval
        self._reset_frames = reset_frames
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cx360-wal-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            # mode=rw: never create a database that has gone away
            uri = f"{Path(self._database).resolve().as_uri()}?mode=rw"
            con = sqlite3.connect(uri, uri=True, isolation_level=None)
        except sqlite3.Error as error:
            log.debug("WAL checkpoints not run: %s", type(error).__name__)
            return
        try:
            con.execute("PRAGMA busy_timeout=100")
            while not self._stopped.wait(self._interval):
                self._checkpoint(con)
            self._checkpoint(con)  # a last one when the hub closes
        finally:
            con.close()

    def _checkpoint(self, con: sqlite3.Connection) -> None:
        try:
            _busy, frames, _copied = con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if frames >= self._reset_frames:
                con.execute("PRAGMA wal_checkpoint(RESTART)")
        except sqlite3.Error as error:  # busy, or the store is gone: try again next time
            log.debug("WAL checkpoint skipped: %s", type(error).__name__)

    def stop(self) -> None:
        """Stop the thread, after a last checkpoint."""
        self._stopped.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)


def _insert_new(table: Any) -> dict[str, Insert]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, per dialect (built once)."""
    return {
        "sqlite": sqlite.insert(table).on_conflict_do_nothing().returning(table.c.id),
        "postgresql": postgresql.insert(table).on_conflict_do_nothing().returning(table.c.id),
    }


_RECORD_COLUMNS = prepared_columns(RECORDS)
_INTERACTION_COLUMNS = prepared_columns(INTERACTIONS)
_NEW_RECORD = _insert_new(records)
_NEW_INTERACTION = _insert_new(interactions)
_RECORD = (
    select(
        records.c.id,
        records.c.content_hash,
        records.c.observed_at,
        record_customers.c.customer_id,
    )
    .select_from(records.outerjoin(record_customers, record_customers.c.record_id == records.c.id))
    .where(
        records.c.source == bindparam("source"),
        records.c.source_record_id == bindparam("source_record_id"),
    )
)
_INTERACTION = (
    select(interactions.c.id, interactions.c.version, interactions.c.content_hash)
    .where(interactions.c.interaction_id == bindparam("interaction_id"))
    .with_for_update()  # two updates of one interaction take turns (no-op on SQLite)
)
_UPDATE_INTERACTION = (
    update(interactions)
    .where(interactions.c.id == bindparam("b_id"))
    .values(
        {
            **{c: bindparam(f"b_{c}") for c in _INTERACTION_COLUMNS},
            "version": bindparam("b_version"),
            "batch_id": None,
            "updated_at": bindparam("b_now"),
        }
    )
)
_CUSTOMER_OF_RECORD = (
    select(record_customers.c.customer_id)
    .select_from(records.join(record_customers, record_customers.c.record_id == records.c.id))
    .where(
        records.c.source == bindparam("source"),
        records.c.source_record_id == bindparam("source_record_id"),
    )
)


def _new_interaction_with_customer() -> Any:
    """PostgreSQL: a new interaction and its record's customer in one statement. Alone in
    its (autocommitted) transaction it is atomic, and it spares the BEGIN and COMMIT
    round trips; an interaction already stored takes the transaction path."""
    new = (
        postgresql.insert(interactions)
        .values(
            {
                c: bindparam(c)
                for c in (*_INTERACTION_COLUMNS, "version", "batch_id", "ingested_at", "updated_at")
            }
        )
        .on_conflict_do_nothing()
        .returning(interactions.c.id)
        .cte("new_interaction")
    )
    return select(select(new.c.id).scalar_subquery(), _CUSTOMER_OF_RECORD.scalar_subquery())


_NEW_INTERACTION_WITH_CUSTOMER = _new_interaction_with_customer()
_NEW_BATCH = insert(ingest_batches).returning(ingest_batches.c.id)
_COUNT_IN_BATCH = (
    update(ingest_batches)
    .where(ingest_batches.c.id == bindparam("b_id"))
    .values(
        rows=ingest_batches.c.rows + 1,
        inserted=ingest_batches.c.inserted + bindparam("b_inserted"),
        updated=ingest_batches.c.updated + bindparam("b_updated"),
        unchanged=ingest_batches.c.unchanged + bindparam("b_unchanged"),
        finished_at=bindparam("b_now"),
    )
)


@dataclass(frozen=True, slots=True)
class RecordWrite:
    """What storing one record did, and the customer it had before (None: none yet)."""

    record_id: int
    stored: Stored
    customer_id: str | None


def write_record(
    conn: Connection, row: Mapping[str, Any], *, batch_id: int, now: datetime
) -> RecordWrite:
    """Store one prepared record (`ingest._prepare.prepare_record`'s output)."""
    values = record_values(row, batch_id=batch_id, now=now)
    new_id = conn.execute(_NEW_RECORD[conn.dialect.name], values).scalar()
    return record_written(conn, row, new_id, batch_id=batch_id, now=now)


def record_values(row: Mapping[str, Any], *, batch_id: int, now: datetime) -> dict[str, Any]:
    """The parameters of a new record's INSERT (`write_record`, `with_new_record`)."""
    values = {c: row[c] for c in _RECORD_COLUMNS}
    values.update(version=1, batch_id=batch_id, ingested_at=now, updated_at=now)
    return values


def with_new_record(statement: Select[Any]) -> Select[Any]:
    """PostgreSQL: `statement` with a last column that inserts the record given as
    parameters (`record_values`) and returns its id, NULL if its key is stored already
    (then `record_written` finishes the write)."""
    columns = (*_RECORD_COLUMNS, "version", "batch_id", "ingested_at", "updated_at")
    new = (
        postgresql.insert(records)
        .values({c: bindparam(c) for c in columns})
        .on_conflict_do_nothing()
        .returning(records.c.id)
        .cte("new_record")
    )
    return statement.add_columns(select(new.c.id).scalar_subquery())


def record_written(
    conn: Connection, row: Mapping[str, Any], new_id: int | None, *, batch_id: int, now: datetime
) -> RecordWrite:
    """The write of a record whose INSERT gave `new_id` (None: its key was stored)."""
    if new_id is not None:
        return RecordWrite(int(new_id), "inserted", None)
    hit = conn.execute(
        _RECORD, {"source": row["source"], "source_record_id": row["source_record_id"]}
    ).one()
    stored: Stored
    if hit.content_hash == row["content_hash"]:
        stored = "unchanged"
    else:
        stored = "late" if _is_older(row["observed_at"], hit.observed_at) else "updated"
        upsert(conn, RECORDS, [dict(row)], batch_id=batch_id, now=now)
    return RecordWrite(int(hit.id), stored, hit.customer_id)


def move_to_batch(conn: Connection, record_id: int, batch_id: int) -> None:
    """Put a record just inserted in another (newer) batch."""
    conn.execute(update(records).where(records.c.id == record_id).values(batch_id=batch_id))


@dataclass(frozen=True, slots=True)
class InteractionWrite:
    interaction_pk: int
    stored: Stored
    version: int


def write_interaction(
    conn: Connection, row: Mapping[str, Any], *, now: datetime
) -> InteractionWrite:
    """Store one prepared interaction (`prepare_interaction`'s output), batch-less."""
    values = {c: row[c] for c in _INTERACTION_COLUMNS}
    values.update(version=1, batch_id=None, ingested_at=now, updated_at=now)
    new_id = conn.execute(_NEW_INTERACTION[conn.dialect.name], values).scalar()
    if new_id is not None:
        return InteractionWrite(int(new_id), "inserted", 1)
    hit = conn.execute(_INTERACTION, {"interaction_id": row["interaction_id"]}).one()
    if hit.content_hash == row["content_hash"]:
        return InteractionWrite(int(hit.id), "unchanged", int(hit.version))
    _copy_to_history(conn, INTERACTIONS, [hit.id], now)
    params = {f"b_{c}": row[c] for c in _INTERACTION_COLUMNS}
    params.update(b_id=hit.id, b_version=hit.version + 1, b_now=now)
    conn.execute(_UPDATE_INTERACTION, params)
    return InteractionWrite(int(hit.id), "updated", int(hit.version) + 1)


class PinnedConnection:
    """PostgreSQL: one connection of the store's autocommit engine that a real-time
    resolver keeps checked out, for the single-statement writes it makes most often.

    Why: checking a connection out of SQLAlchemy's pool and running a statement through
    SQLAlchemy's execution machinery costs ~150 us of CPU, about as much as the statement
    itself with its durable commit (~220 us here): a new interaction took ~500 us instead
    of ~350 us. The statements are still built and compiled by SQLAlchemy (`DriverSQL`);
    only their execution goes straight to the driver (psycopg), prepared on the server
    on first use, on a connection the engine's pool made and still owns.

    One thread at a time: `lease()` gives None while another thread holds it, and the
    caller takes the pool's way. A driver error discards the connection (a lost one is
    invalidated, and the engine's idle connections with it, as SQLAlchemy does) and is
    raised as the store's error (`StoreConnectionError` for a lost connection, so
    `retry_on_lost_connection` runs the call again on a new one).
    """

    def __init__(self, engine: Engine) -> None:
        import psycopg  # installed: the engine is PostgreSQL's

        self._engine = engine
        self._driver_error: type[Exception] = psycopg.Error
        self._lock = threading.Lock()
        self._pooled: PoolProxiedConnection | None = None
        self._cursor: Any = None  # psycopg's, reused: a new one per call costs ~30 us
        self._closed = False

    def sql(self, statement: Any) -> DriverSQL:
        """`statement` compiled for this engine's dialect (once)."""
        return driver_sql(statement, self._engine.dialect)

    @contextmanager
    def lease(self) -> Iterator[Any | None]:
        """A cursor of the driver's connection (psycopg's, autocommitting), or None when
        another thread holds it."""
        if self._closed or not self._lock.acquire(blocking=False):
            yield None
            return
        try:
            if self._pooled is None:
                with translate_errors():
                    pooled = self._engine.raw_connection()
                self._pooled, self._cursor = pooled, pooled.cursor()
            try:
                yield self._cursor
            except Exception as error:
                if isinstance(error, self._driver_error):
                    raise self._discard(error) from error
                raise
        finally:
            self._lock.release()

    def _discard(self, error: Exception) -> StoreError:
        """Drop the connection after a driver error; the store's error for it."""
        pooled, self._pooled, self._cursor = self._pooled, None, None
        assert pooled is not None
        driver = pooled.driver_connection
        lost = driver is None or bool(driver.closed)  # psycopg closes a connection it lost
        if lost:
            pooled.invalidate(error)
            self._engine.dispose()  # the other pooled connections died with this one
        else:
            pooled.close()  # back to the pool, which resets it
        wrapped = exc.DBAPIError.instance(
            None, None, error, self._driver_error, connection_invalidated=lost
        )
        return store_error(wrapped)

    def close(self) -> None:
        """Give the connection back to the pool (waits for a call under way)."""
        with self._lock:
            self._closed = True
            if self._pooled is not None:
                self._pooled.close()
                self._pooled = self._cursor = None


@dataclass(frozen=True, slots=True)
class DriverSQL:
    """A statement compiled once by SQLAlchemy for PostgreSQL (psycopg's `%(name)s`
    parameters, with casts), to run on psycopg's cursor: the values of the parameters
    SQLAlchemy made itself (such as a LIMIT) and the bind processing of the others'
    types (JSON). Rows come back as psycopg reads them, with no SQLAlchemy result
    processing: for statements that return text, numbers and plain timestamps."""

    sql: str
    defaults: Mapping[str, Any]
    processors: Mapping[str, Any]

    @classmethod
    def compile(cls, statement: Any, dialect: Dialect) -> DriverSQL:
        compiled = statement.compile(dialect=dialect)
        names = compiled.bind_names  # each parameter by the name rendered in the SQL
        made = {names[bind] for bind in names if not bind.required}
        processors = {
            names[bind]: processor
            for bind in names
            if (processor := bind.type.bind_processor(dialect)) is not None
        }
        defaults = {n: v for n, v in compiled.params.items() if n in made}
        return cls(str(compiled), defaults, processors)

    def execute(self, cursor: Any, params: Mapping[str, Any]) -> Any:
        """Execute on a driver cursor (prepared on the server); the cursor."""
        values = {**self.defaults, **params}
        for name, processor in self.processors.items():
            values[name] = processor(values[name])
        return cursor.execute(self.sql, values, prepare=True)


_COMPILED: dict[Any, DriverSQL] = {}  # per statement, for the one PostgreSQL dialect
_DRIVER_CURSOR = "cx360_driver_cursor"  # a pooled connection's psycopg cursor, reused


def driver_sql(statement: Any, dialect: Dialect) -> DriverSQL:
    """`statement` compiled for `dialect` (once)."""
    found = _COMPILED.get(statement)
    if found is None:
        found = _COMPILED[statement] = DriverSQL.compile(statement, dialect)
    return found


def execute_on_driver(
    conn: Connection, statement: Any, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """PostgreSQL: run `statement`, which returns rows, within `conn`'s transaction on
    psycopg's cursor (see `PinnedConnection` for why: SQLAlchemy's execution costs ~100
    us of CPU a statement, as much as a real-time call's Python work on a few rows); its
    rows.

    A driver error is raised as the store's error; a lost connection is invalidated, so
    that the call's retry (`retry_on_lost_connection`) gets a new one.
    """
    pooled = conn.connection
    cursor: Any = pooled.info.get(_DRIVER_CURSOR)
    if cursor is None or cursor.closed or cursor.connection is not pooled.dbapi_connection:
        cursor = pooled.info[_DRIVER_CURSOR] = pooled.cursor()
    try:
        # every statement run this way returns rows (`cursor.description` would build
        # the columns' descriptions, ~50 us for the candidates)
        rows: list[tuple[Any, ...]] = (
            driver_sql(statement, conn.dialect).execute(cursor, params).fetchall()
        )
        return rows
    except Exception as error:
        driver_error = conn.dialect.loaded_dbapi.Error
        if not isinstance(error, driver_error):
            raise
        lost = bool(cursor.connection.closed)  # psycopg closes a connection it lost
        if lost:
            conn.invalidate(error)
        wrapped = exc.DBAPIError.instance(
            None, None, error, driver_error, connection_invalidated=lost
        )
        raise store_error(wrapped) from error


# per statement: its columns' names, and their result processors (None when none has one)
_SHAPES: dict[Any, tuple[tuple[str, ...], tuple[Any, ...] | None]] = {}


def fetch_mappings(
    conn: Connection, statement: Any, params: Mapping[str, Any]
) -> list[Mapping[Any, Any]]:
    """The rows of `statement` as mappings by column name. On PostgreSQL they are read
    through `execute_on_driver` and given the columns' result processing here: a lookup
    is one statement, and SQLAlchemy's execution of it (~0.1 ms of CPU) was a tenth of
    its time. On SQLite, SQLAlchemy's own rows."""
    if conn.dialect.name != "postgresql":
        return [row._mapping for row in conn.execute(statement, params)]
    shape = _SHAPES.get(statement)
    if shape is None:
        columns = list(statement.selected_columns)
        found = tuple(c.type.result_processor(conn.dialect, None) for c in columns)
        shape = _SHAPES[statement] = (
            tuple(str(c.key) for c in columns),
            found if any(p is not None for p in found) else None,
        )
    names, processors = shape
    rows = execute_on_driver(conn, statement, params)
    if processors is not None:
        rows = [
            tuple(v if p is None else p(v) for p, v in zip(processors, row, strict=True))
            for row in rows
        ]
    return [dict(zip(names, row, strict=True)) for row in rows]


def insert_interaction_autocommit(
    store: Store, row: Mapping[str, Any], *, now: datetime, pinned: PinnedConnection | None = None
) -> tuple[InteractionWrite, str | None] | None:
    """On PostgreSQL, store a new interaction in one autocommitted statement and return
    it with its record's customer; None when the interaction is already stored (or the
    store is SQLite, whose statements cost no round trip): use `write_interaction`.
    On `pinned` when it is free, else on a connection of the pool."""
    if store.dialect != "postgresql":
        return None
    values = {c: row[c] for c in _INTERACTION_COLUMNS}
    values.update(version=1, batch_id=None, ingested_at=now, updated_at=now)
    with pinned.lease() if pinned is not None else nullcontext() as cursor:
        if cursor is not None and pinned is not None:
            statement = pinned.sql(_NEW_INTERACTION_WITH_CUSTOMER)
            new_id, customer_id = statement.execute(cursor, values).fetchone()
        else:
            with translate_errors(), store.autocommit_engine.connect() as conn:
                new_id, customer_id = conn.execute(_NEW_INTERACTION_WITH_CUSTOMER, values).one()
    if new_id is None:
        return None
    customer = None if customer_id is None else str(customer_id)
    return InteractionWrite(int(new_id), "inserted", 1), customer


def customer_of_record(conn: Connection, source: str, source_record_id: str) -> str | None:
    found = conn.execute(
        _CUSTOMER_OF_RECORD, {"source": source, "source_record_id": source_record_id}
    ).scalar()
    return None if found is None else str(found)


def open_batch(conn: Connection, kind: str, origin: str, now: datetime) -> int:
    """An `ingest_batches` row that real-time writes count themselves into."""
    return int(
        conn.execute(
            _NEW_BATCH,
            {
                "kind": kind,
                "origin": origin,
                "status": "done",
                "started_at": now,
                "finished_at": now,
                "rows": 0,
                "inserted": 0,
                "updated": 0,
                "unchanged": 0,
                "quarantined": 0,
            },
        ).scalar_one()
    )


def count_in_batch(conn: Connection, batch_id: int, stored: Stored, now: datetime) -> None:
    """Add one row to a batch's counts (a late record counts as updated, as in ingest)."""
    conn.execute(_COUNT_IN_BATCH, _batch_counts(batch_id, stored, now))


def _batch_counts(batch_id: int, stored: Stored, now: datetime) -> dict[str, Any]:
    return {
        "b_id": batch_id,
        "b_inserted": int(stored == "inserted"),
        "b_updated": int(stored in ("updated", "late")),
        "b_unchanged": int(stored == "unchanged"),
        "b_now": now,
    }


# -- a decision's appends ------------------------------------------------------------------


@dataclass(slots=True)
class Appends:
    """Rows a real-time decision adds and reads no more (see `_customers.CallAppends`),
    and the count of its record in its ingest batch (`batch_id`, `stored`), written
    together at its end: on PostgreSQL in one statement (a round trip and its statement
    overhead instead of five)."""

    batch_id: int
    stored: Stored
    now: datetime
    model_id: int | None = None
    new_customer: str | None = None
    assignment: tuple[int, str] | None = None
    edges: list[tuple[int, int, float]] = field(default_factory=list)
    links: list[tuple[int, int, float | None, str]] = field(default_factory=list)


_PG_APPENDS = appends_statement(_COUNT_IN_BATCH.cte("counted"))


def write_appends(conn: Connection, appends: Appends) -> None:
    """Write a decision's appends (and count its record in its batch)."""
    counts = _batch_counts(appends.batch_id, appends.stored, appends.now)
    if conn.dialect.name == "postgresql":
        execute_on_driver(conn, _PG_APPENDS, {**counts, **appends_params(appends)})
        return
    conn.execute(_COUNT_IN_BATCH, counts)
    write_call_appends(conn, appends)
