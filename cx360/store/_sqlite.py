"""The SQLite strategy: a file with one writer at a time, whose statements cost no round
trip. A real-time transaction takes the write lock (BEGIN IMMEDIATE) and leaves the WAL's
checkpoints to a thread (`_sqlite_wal`); its reads run on sqlite3's own connection,
compiled once (`SQLiteSQL`); datetimes are kept as naive UTC text; bulk loads are one
executemany."""

from __future__ import annotations

import contextlib
import sqlite3
import weakref
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Engine,
    Insert,
    Select,
    Table,
    bindparam,
    event,
    exc,
    func,
    select,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL, Dialect

from cx360.store._batch_locks import BatchLock, file_lock_for
from cx360.store._engine import store_error, translate_errors
from cx360.store._schema import records
from cx360.store._sqlite_wal import WalCheckpointer
from cx360.store._strategy import Rows, Strategy
from cx360.store._writes import (
    _SQLITE_NULL,
    _TAIL,
    RECORDS,
    PreparedCodec,
    _Kind,
    encode_sqlite_datetime,
    nullable_positions,
    prepared_columns,
)

# Where SQLite keeps temporary tables and sorts (see `index_build` for bulk index builds).
SQLITE_TEMP_STORE = "MEMORY"
_MANUAL_CHECKPOINTS = "cx360_manual_checkpoints"  # marks a pooled connection set up for it


_SQLITE_PRAGMAS = (
    "journal_mode=WAL",  # readers (lookups) run while a writer (ingest) works
    "synchronous=NORMAL",  # durable in WAL
    "foreign_keys=ON",
    "busy_timeout=30000",
    "cache_size=-131072",  # 128 MiB page cache
    f"temp_store={SQLITE_TEMP_STORE}",
)


# The page cache while indexes are built (SQLite's default, in KiB).
_INDEX_BUILD_CACHE = -2000


@contextmanager
def _index_build(conn: Connection) -> Iterator[None]:
    """`SQLiteStrategy.index_build`."""
    # The page cache small meanwhile: the build scans the table once per index, and
    # keeping those pages in a large cache costs more than the OS page cache's copies.
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    with _pragma_set(conn, "cache_size", _INDEX_BUILD_CACHE, then=cache):
        driver: Any = conn.connection.driver_connection
        if driver.in_transaction:
            yield
            return
        with _pragma_set(conn, "temp_store", "FILE", then=SQLITE_TEMP_STORE):
            yield


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


@contextmanager
def _pragma_set(conn: Connection, pragma: str, value: object, *, then: object) -> Iterator[None]:
    """Within the block, `pragma` set to `value` on `conn`; `then` after it."""
    conn.exec_driver_sql(f"PRAGMA {pragma} = {value}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA {pragma} = {then}")


class SQLiteStrategy(Strategy):
    """A SQLite file: one writer at a time, statements without round trips."""

    name = "sqlite"
    compact_rows = True
    naive_datetimes = True
    dialect_insert = staticmethod(sqlite.insert)

    @classmethod
    def in_list(cls, column: Any, name: str, item: Any) -> ColumnElement[bool]:
        # the values as one JSON array: one statement text whatever their number, so it
        # is compiled once and read on the driver (`fetch`)
        values = func.json_each(bindparam(name, type_=JSON)).table_valued("value")
        return column.in_(select(values.c.value))  # type: ignore[no-any-return]

    @classmethod
    def fetch(cls, conn: Connection, statement: Any, params: Mapping[str, Any]) -> Rows:
        # on sqlite3's own connection, compiled once: SQLAlchemy's execution of the
        # candidates' statement (sixty parameters) cost more than SQLite's lookups
        # (False, not None, kept for a statement with a list parameter: its SQL depends
        # on the list's length, and SQLAlchemy runs it)
        compiled: SQLiteSQL | bool = cls._once(
            ("driver", statement), lambda: SQLiteSQL.of(statement, conn.dialect) or False
        )
        if isinstance(compiled, bool):
            return conn.execute(statement, params).all()
        return compiled.rows(conn, params)

    def __init__(self, url: URL) -> None:
        super().__init__(url)
        database = url.database
        self.file = database if database and database != ":memory:" else None
        self._checkpointer: WalCheckpointer | None = None

    def create_engine(self, *, autocommit: bool = False) -> Engine:
        if self.file is not None:
            Path(self.file).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = super().create_engine()
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None

    @contextmanager
    def schema_transaction(self, engine: Engine) -> Iterator[Connection]:
        # the write lock from the start: a deferred transaction that read the schema's
        # revision could not write after another process changed it
        with translate_errors(), engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def has_schema(self) -> bool | None:
        path = Path(self.file or "").expanduser()
        if self.file is None or not path.is_file():
            return None
        # read-only: the store's engine would turn on WAL, i.e. write to the file
        uri = f"{path.resolve().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            )
            return found.fetchone() is not None

    @classmethod
    def index_names(cls, conn: Connection, table: Table) -> set[str]:
        # SQLAlchemy does not reflect SQLite's expression indexes (it warns and skips them)
        rows = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table.name,)
        )
        return {str(name) for (name,) in rows}

    def index_build(self, conn: Connection) -> contextlib.AbstractContextManager[None]:
        # CREATE INDEX sorts in temporary storage: in memory SQLite grows and copies it in
        # small pieces, slower than a temporary file (which the OS page cache keeps).
        # temp_store cannot change within a transaction (sqlite3 opens none for DDL).
        return _index_build(conn)

    def erasing(self, conn: Connection) -> contextlib.AbstractContextManager[None]:
        # on for the erasure only: it costs every other write a page rewrite; then as the
        # connection had it (some builds of SQLite have it on by default)
        before = int(conn.exec_driver_sql("PRAGMA secure_delete").scalar() or 0)
        return _pragma_set(conn, "secure_delete", "ON", then=before)

    def batch_lock(self) -> BatchLock:
        return file_lock_for(self.url.database)

    def _begin_locked(self, conn: Connection, names: Iterable[str]) -> None:
        # a commit that fills the WAL would copy it into the database itself, making that
        # call slow: a background thread does it (SQLite's advice for such writers)
        if self._checkpointer is None and self.file is not None:
            self._checkpointer = WalCheckpointer(self.file)
            weakref.finalize(self, self._checkpointer.stop)  # a store dropped unclosed
        if self._checkpointer is not None and not conn.info.get(_MANUAL_CHECKPOINTS):
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
            conn.info[_MANUAL_CHECKPOINTS] = True
        # a deferred transaction that reads and then writes can fail at once with
        # SQLITE_BUSY when another writer got in between; IMMEDIATE waits its turn
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    def insert_record_reading(
        self, conn: Connection, state: Select[Any], names: Iterable[str], values: Any
    ) -> tuple[Any, Any, int | None]:
        # both on sqlite3's own connection (`fetch`): SQLAlchemy's execution of the two
        # statements cost more than SQLite's work on them
        model_id, run_id = self.fetch(conn, state, {})[0]
        inserted = self.fetch(conn, self._once("new_record", _new_record), values)
        return model_id, run_id, inserted[0][0] if inserted else None

    def insert_rows(
        self, conn: Connection, codec: PreparedCodec, rows: Rows, *, batch_id: int, now: datetime
    ) -> int:
        stamp: Any = encode_sqlite_datetime(now) if codec.compact else now
        tail = (1, batch_id, stamp, stamp)
        sql = _sqlite_insert_sql(conn.dialect, codec.kind)
        width = len(codec.columns)  # the values after them are not the table's
        return int(conn.exec_driver_sql(sql, [(*row[:width], *tail) for row in rows]).rowcount)


def _new_record() -> Insert:
    """A new record from parameters (prepared columns and tail), nothing if its key is
    stored, returning its id: its columns written out, so that its SQL does not depend on
    the values given."""
    columns = (*prepared_columns(RECORDS), *_TAIL)
    return SQLiteStrategy.insert_new(records).values({c: bindparam(c) for c in columns})


def _sqlite_insert_sql(dialect: Dialect, kind: _Kind) -> str:
    """INSERT of prepared columns + tail that skips rows whose key already exists; NULLs
    of nullable columns come encoded (`_SQLITE_NULL`)."""
    quote = dialect.identifier_preparer.quote
    names = [*prepared_columns(kind), *_TAIL]
    marks = ["?"] * len(names)
    for i in nullable_positions(kind):
        marks[i] = f"NULLIF(?, {_SQLITE_NULL})"
    return (
        f"INSERT INTO {quote(kind.table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join(marks)}) ON CONFLICT DO NOTHING"
    )


@dataclass(frozen=True, slots=True)
class SQLiteSQL:
    """A statement compiled once for sqlite3's own connection, with what SQLAlchemy would
    do to its values: the parameters it made (a LIMIT), bind processing, and the columns'
    result processing (text read back as dates, numbers as booleans)."""

    sql: str
    order: tuple[str, ...]  # the parameters' names, by position
    defaults: Mapping[str, Any]
    processors: Mapping[str, Any]
    results: tuple[tuple[int, Any], ...]  # (column, processor) where one is needed

    @classmethod
    def of(cls, statement: Any, dialect: Dialect) -> SQLiteSQL | None:
        """None for a statement whose SQL changes with its values (a list parameter)."""
        compiled = statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            return None
        names = compiled.bind_names
        made = {names[bind] for bind in names if not bind.required}
        processors = {
            names[bind]: processor
            for bind in names
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        results = tuple(
            (at, processor)
            for at, column in enumerate(compiled._result_columns)
            if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))
            is not None
        )
        defaults = {n: v for n, v in compiled.params.items() if n in made}
        order = tuple(compiled.positiontup or ())
        return cls(compiled.string, order, defaults, processors, results)

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> Rows:
        """The statement's rows, in `conn`'s transaction."""
        values = {**self.defaults, **params}
        for name, processor in self.processors.items():
            values[name] = processor(values[name])
        driver_error = conn.dialect.loaded_dbapi.Error
        try:
            cursor = conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
                self.sql, [values[n] for n in self.order]
            )
            rows: Rows = cursor.fetchall()
        except driver_error as error:  # as SQLAlchemy would have raised it
            wrapped = exc.DBAPIError.instance(None, None, error, driver_error)
            raise store_error(wrapped) from error
        if not self.results:
            return rows
        processed = []
        for row in rows:
            found = list(row)
            for at, processor in self.results:
                found[at] = processor(found[at])
            processed.append(tuple(found))
        return processed
