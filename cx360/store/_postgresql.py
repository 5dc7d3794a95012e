"""The PostgreSQL strategy: a server, where each statement costs a round trip. Real-time
calls take advisory locks on names (`_pg_locks`), run their statements on psycopg's
cursor (`_pg_driver`) with BEGIN and COMMIT folded into them (`_pg_folding`), write in
single statements (`_pg_writes`), and read on a connection kept checked out
(`PinnedConnection`); bulk loads go through COPY."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    any_,
    bindparam,
    exc,
    select,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL

from cx360._errors import MissingDependencyError, StoreConnectionError
from cx360.store._batch_locks import AdvisoryBatchLock, BatchLock
from cx360.store._customers import Appends
from cx360.store._engine import translate_errors
from cx360.store._pg_driver import driver_error, execute_on_driver
from cx360.store._pg_folding import begin_with_next_statement, end_folding, execute_folded
from cx360.store._pg_locks import CUSTOMER_LOCKS, NAME_LOCKS, lock_params
from cx360.store._pg_writes import (
    appends_params,
    appends_statement,
    locked_read_and_new_record,
    new_row,
    unflushed_insert,
    unflushed_params,
)
from cx360.store._strategy import CandidateReads, Maps, Rows, Strategy, read_connection
from cx360.store._writes import _COUNT_IN_BATCH, _TAIL, PreparedCodec, _Kind, prepared_columns

# One schema changed by one process at a time (a transaction-level lock: released at its
# end); the schema's name is in the key, so stores in other schemas do not wait.
_SCHEMA_LOCK = text(
    "SELECT pg_advisory_xact_lock(hashtextextended('cx360 schema ' || current_schema(), 0))"
)


class PostgresStrategy(Strategy):
    """A PostgreSQL server: advisory locks, few round trips, COPY."""

    name = "postgresql"
    named_locks = True
    writes_in_reads = True
    dialect_insert = staticmethod(postgresql.insert)

    def __init__(self, url: URL) -> None:
        super().__init__(url)
        self._autocommit_engine: Engine | None = None
        self._pinned: PinnedConnection | None = None

    def create_engine(self, *, autocommit: bool = False) -> Engine:
        if self.url.get_driver_name() in ("psycopg", ""):
            try:
                import psycopg  # noqa: F401
            except ImportError as error:
                raise MissingDependencyError("psycopg", "postgres") from error
        # no pool_pre_ping: it costs a round trip per call; see retry_on_lost_connection
        return super().create_engine(autocommit=autocommit)

    @property
    def autocommit_engine(self) -> Engine:
        """An engine whose connections autocommit, for single statements and lookups (set
        once per connection, not switched and reset at every checkout)."""
        if self._autocommit_engine is None:
            self._autocommit_engine = self.create_engine(autocommit=True)
        return self._autocommit_engine

    @property
    def pinned(self) -> PinnedConnection:
        """The connection that new interactions are written on (see `PinnedConnection`)."""
        if self._pinned is None:
            self._pinned = PinnedConnection(self.autocommit_engine)
        return self._pinned

    def forget_connections(self) -> None:
        if self._pinned is not None:
            self._pinned.forget()
        if self._autocommit_engine is not None:
            self._autocommit_engine.dispose()

    def close(self) -> None:
        if self._pinned is not None:
            self._pinned.close()
            self._pinned = None
        if self._autocommit_engine is not None:
            self._autocommit_engine.dispose()
            self._autocommit_engine = None

    @contextmanager
    def lookup_connection(self, engine: Engine) -> Iterator[Connection]:
        # autocommits: at READ COMMITTED each statement has its own snapshot in a
        # transaction too, so BEGIN and COMMIT would be two round trips for nothing; the
        # pinned connection when it is free (a checkout costs as much CPU as a statement)
        with self.pinned.lease() as pinned:
            if pinned is None:
                with read_connection(self.autocommit_engine) as conn:
                    yield conn
                return
            try:
                with translate_errors():
                    yield pinned
            finally:
                if pinned.in_transaction():  # SQLAlchemy's, begun by its own executions:
                    with contextlib.suppress(exc.SQLAlchemyError):  # nothing is sent
                        pinned.rollback()

    @classmethod
    def in_list(cls, column: Any, name: str, item: Any) -> ColumnElement[bool]:
        # an array parameter: one statement text whatever the number of values
        return column == any_(bindparam(name, type_=postgresql.ARRAY(item)))  # type: ignore[no-any-return]

    @classmethod
    def fetch(cls, conn: Connection, statement: Any, params: Mapping[str, Any]) -> Rows:
        return execute_on_driver(conn, statement, params)

    @classmethod
    def fetch_mappings(cls, conn: Connection, statement: Any, params: Mapping[str, Any]) -> Maps:
        # read on the driver, with the columns' result processing here: SQLAlchemy's
        # execution of a lookup's one statement cost a tenth of its time
        def shape() -> tuple[tuple[str, ...], tuple[Any, ...] | None]:
            columns = list(statement.selected_columns)
            found = tuple(c.type.result_processor(conn.dialect, None) for c in columns)
            names = tuple(str(c.key) for c in columns)
            return names, found if any(p is not None for p in found) else None

        names, processors = cls._once(("shape", statement), shape)
        rows = execute_on_driver(conn, statement, params)
        if processors is not None:
            rows = [
                tuple(v if p is None else p(v) for p, v in zip(processors, row, strict=True))
                for row in rows
            ]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def read_candidates(
        self, conn: Connection, reads: CandidateReads, record: Any, params: Any, lock: bool
    ) -> tuple[Rows, bool]:
        if not lock:
            return execute_on_driver(conn, reads.each_once, params), False
        read = execute_on_driver(conn, reads.locking, params)
        customers = {row[-2] for row in read} - {None}
        return [row[:-1] for row in read], not customers or any(row[-1] for row in read)

    def batch_lock(self) -> BatchLock:
        return AdvisoryBatchLock()

    def _lock_schema(self, conn: Connection) -> None:
        conn.execute(_SCHEMA_LOCK)

    def _begin_locked(self, conn: Connection, names: Iterable[str]) -> None:
        # begun explicitly: the first statement may run on the driver's cursor
        # (`execute_on_driver`), which SQLAlchemy does not see, yet commits with it;
        # BEGIN is sent with the first statement run by `execute_folded`
        conn.begin()
        begin_with_next_statement(conn)
        params = lock_params(names)
        if params["keys"]:
            execute_folded(conn, NAME_LOCKS, params)

    def _end_locked(self, conn: Connection) -> None:
        end_folding(conn)

    def lock_customers(self, conn: Connection, customer_ids: Iterable[str]) -> None:
        ids = sorted(set(customer_ids))
        if ids:
            conn.execute(CUSTOMER_LOCKS, {"customers": ids})

    def insert_record_reading(
        self, conn: Connection, state: Select[Any], names: Iterable[str], values: Any
    ) -> tuple[Any, Any, int | None]:
        # one statement: the locks protect neither the state nor the record's own key
        # (its unique index does)
        statement = self._once(("locked", state), lambda: locked_read_and_new_record(state))
        row = execute_folded(conn, statement, {**lock_params(names), **values})[0]
        return row[0], row[1], row[3]

    def insert_alone(
        self, kind: _Kind, values: Mapping[str, Any], read: Select[Any]
    ) -> tuple[Any, Any] | None:
        # alone in its (autocommitted) transaction it is atomic, and it spares the BEGIN
        # and COMMIT round trips; on the pinned connection when it is free
        def build() -> Select[Any]:
            return select(select(new_row(kind).c.id).scalar_subquery(), read.scalar_subquery())

        statement = self._once(("alone", kind.name, read), build)
        with self.lookup_connection(self.autocommit_engine) as conn:
            return tuple(execute_on_driver(conn, statement, values)[0])

    @classmethod
    def insert_unflushed(
        cls, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        # one autocommitted statement on the driver: a round trip, no BEGIN or COMMIT of
        # its own, and no wait for the WAL's flush (see `unflushed_insert`)
        names = tuple(rows[0])
        statement = cls._once(("unflushed", table, names), lambda: unflushed_insert(table, names))
        execute_on_driver(conn, statement, unflushed_params(names, rows))

    def write_appends(self, conn: Connection, appends: Appends) -> None:
        execute_on_driver(conn, self._appends(), appends_params(appends))

    def commit_appends(self, conn: Connection, appends: Appends) -> None:
        execute_folded(conn, self._appends(), appends_params(appends), commit=True)

    @classmethod
    def _appends(cls) -> Select[Any]:
        return cls._once("appends", lambda: appends_statement(_COUNT_IN_BATCH.cte("counted")))

    def insert_rows(
        self, conn: Connection, codec: PreparedCodec, rows: Rows, *, batch_id: int, now: datetime
    ) -> int:
        """The rows go to a session-local staging table with COPY, then into the table with
        one INSERT ... SELECT in the rows' order (ids as `executemany` would give them).
        The staging table lives in the same transaction: a rollback takes its rows too."""
        quote = conn.dialect.identifier_preparer.quote
        table = quote(codec.kind.table.name)
        stage = quote(f"cx360_stage_{codec.kind.table.name}")
        columns = ", ".join(quote(n) for n in prepared_columns(codec.kind))
        tail = ", ".join(quote(n) for n in _TAIL)
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} AS "
            f"SELECT {columns}, 0 AS cx360_position FROM {table} WITH NO DATA"
        )
        conn.exec_driver_sql(f"TRUNCATE {stage}")
        driver: Any = conn.connection.driver_connection
        copy_in = f"COPY {stage} ({columns}, cx360_position) FROM STDIN"
        width = len(codec.columns)  # the values after them are not the table's
        try:
            with driver.cursor() as cursor, cursor.copy(copy_in) as copy:
                for position, row in enumerate(rows):
                    copy.write_row((*row[:width], position))
        except Exception as error:
            raise driver_error(conn, driver, error) from error
        result = conn.exec_driver_sql(
            f"INSERT INTO {table} ({columns}, {tail}) "
            f"SELECT {columns}, 1, %(batch_id)s, %(now)s, %(now)s FROM {stage} "
            "ORDER BY cx360_position ON CONFLICT DO NOTHING",
            {"batch_id": batch_id, "now": now},
        )
        return int(result.rowcount)


class PinnedConnection:
    """A connection of the autocommit engine kept checked out for new interactions and
    lookups: a checkout from the pool and SQLAlchemy's execution cost as much CPU as the
    statement.
    One thread at a time: `lease()` gives None while another holds it (the caller takes
    the pool). A lost connection is dropped with the engine's idle ones (they died with
    it); `retry_on_lost_connection` retries on a new one."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._closed = False

    @contextmanager
    def lease(self) -> Iterator[Connection | None]:
        if self._closed or not self._lock.acquire(blocking=False):
            yield None
            return
        try:
            if self._conn is None:
                with translate_errors():
                    self._conn = self._engine.connect()
            yield self._conn
        except StoreConnectionError:
            self._drop()
            self._engine.dispose()
            raise
        finally:
            self._lock.release()

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def forget(self) -> None:
        """Drop the connection unless a call holds it (it then finds out for itself)."""
        if self._lock.acquire(blocking=False):
            try:
                self._drop()
            finally:
                self._lock.release()

    def close(self) -> None:
        """Give the connection back to the pool (waits for a call under way)."""
        with self._lock:
            self._closed = True
            self._drop()
