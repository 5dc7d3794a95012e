"""What differs between SQLite and PostgreSQL: one strategy each, chosen once per store
(`Store.strategy`); no other module tests a database's name. The base class runs plain
SQLAlchemy statements, as SQLite does; PostgreSQL overrides what it does in fewer round
trips (each of its statements costs one; SQLite's cost none).

- Locks: a SQLite transaction takes the write lock (BEGIN IMMEDIATE); PostgreSQL takes
  advisory locks on names (a record's keys, its candidates' customers), in key order, so
  calls about different people run side by side. The second reads what the first wrote.
- Bulk loads: COPY into a staging table (PostgreSQL), executemany (SQLite).
- Values: SQLite keeps datetimes as naive UTC text; ingest encodes rows for it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import math
import sqlite3
import threading
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Connection,
    Engine,
    Float,
    Insert,
    Select,
    String,
    Table,
    any_,
    bindparam,
    create_engine,
    event,
    exc,
    func,
    insert,
    inspect,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.sql.selectable import CTE

from cx360._errors import ConfigurationError, MissingDependencyError, StoreConnectionError
from cx360.store._batch_locks import AdvisoryBatchLock, BatchLock, file_lock_for
from cx360.store._customers import Appends, write_appends
from cx360.store._engine import json_text, store_error, translate_errors
from cx360.store._schema import (
    Timestamp,
    customers,
    match_edges,
    record_customers,
    record_links,
    records,
)
from cx360.store._writes import (
    _COUNT_IN_BATCH,
    _SQLITE_NULL,
    _TAIL,
    RECORDS,
    PreparedCodec,
    _Kind,
    batch_counts,
    count_in_batch,
    encode_sqlite_datetime,
    nullable_positions,
    prepared_columns,
)

log = logging.getLogger("cx360.store")

Rows = Sequence[Sequence[Any]]
Keep = Callable[[Mapping[str, Any], Rows], list[Sequence[Any]]]
Maps = list[Mapping[Any, Any]]
_T = TypeVar("_T")


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for reads, ended in COMMIT, not the pool's ROLLBACK: psycopg forgets
    its prepared statements on every rollback, so lookups would be planned afresh."""
    with translate_errors(), engine.connect() as connection:
        yield connection
        if connection.in_transaction():
            connection.commit()


@dataclass(frozen=True, slots=True)
class CandidateReads:
    """A real-time record's candidates in each store's form: `by_rule`, every rule's
    lookup as it is (rows: rule, id, ...), whose pairs `keep` picks in Python; or
    `each_once`, the pairs picked in SQL, each candidate once, and `locking`, which also
    takes their customers' locks (one statement less on PostgreSQL)."""

    by_rule: Any
    keep: Keep
    each_once: Select[Any]
    locking: Select[Any]

    @classmethod
    def of(cls, by_rule: Any, keep: Keep, pairs: Select[Any]) -> CandidateReads:
        """From `pairs`: the pairs found, a row per rule that finds one, id first."""
        each_once = pairs.ext(postgresql.distinct_on(pairs.selected_columns[0]))
        return cls(by_rule, keep, each_once, with_customer_locks(each_once))


class Strategy(ABC):
    """One database's ways (see the module docstring)."""

    name: ClassVar[str]
    # ingest encodes prepared rows to str and int only (see `PreparedCodec`)
    compact_rows: ClassVar[bool] = False
    # datetimes are stored naive (UTC): a bound compared with them must be naive too
    naive_datetimes: ClassVar[bool] = False
    # `locked_transaction` locks the names it is given (not the whole database): a writer
    # that learns what it touches only by reading must check it holds their names
    named_locks: ClassVar[bool] = False
    dialect_insert: ClassVar[Any]  # the dialect's INSERT, which has ON CONFLICT
    _built: ClassVar[dict[Hashable, Any]]

    def __init__(self, url: URL) -> None:
        self.url = url

    def __init_subclass__(cls) -> None:
        cls._built = {}

    @classmethod
    def _once(cls, key: Hashable, build: Callable[[], _T]) -> _T:
        """`build()`, once per database and key: a statement is compiled once."""
        found = cls._built.get(key)
        if found is None:
            found = cls._built[key] = build()
        return found

    def create_engine(self, *, autocommit: bool = False) -> Engine:
        """An engine on the store (`autocommit`: its connections autocommit); its
        statements' parameters are left out of error messages (personal data)."""
        isolation = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
        return create_engine(self.url, hide_parameters=True, json_serializer=json_text, **isolation)

    def close(self) -> None:  # noqa: B027 (nothing to stop unless overridden)
        """Stop what real-time calls started."""

    def has_schema(self) -> bool | None:
        """Whether the database holds cx360's schema (None: there is no database)."""
        engine = self.create_engine()
        try:
            with translate_errors(), engine.connect() as conn:  # a server not there: StoreError
                return inspect(conn).has_table("alembic_version")
        finally:
            engine.dispose()

    # -- reads ------------------------------------------------------------------------------

    @classmethod
    def index_names(cls, conn: Connection, table: Table) -> set[str]:
        return {str(ix["name"]) for ix in inspect(conn).get_indexes(table.name)}

    def index_build(self, conn: Connection) -> contextlib.AbstractContextManager[None]:
        """Around creating indexes in `conn`'s transaction."""
        return contextlib.nullcontext()

    def lookup_connection(self, engine: Engine) -> contextlib.AbstractContextManager[Connection]:
        """A connection for a few short reads (real-time lookups)."""
        return read_connection(engine)

    @classmethod
    def statement(cls, build: Callable[[type[Strategy]], _T]) -> _T:
        """The statement `build` makes with this database's hooks (`in_list`), once."""
        return cls._once(build, lambda: build(cls))

    @classmethod
    def in_list(cls, column: Any, name: str, item: Any) -> ColumnElement[bool]:
        """`column` among the values of the list parameter `name` (of `item`s)."""
        return column.in_(bindparam(name, expanding=True))  # type: ignore[no-any-return]

    @classmethod
    def fetch(cls, conn: Connection, statement: Any, params: Mapping[str, Any]) -> Rows:
        """The rows of a real-time read."""
        return conn.execute(statement, params).all()

    @classmethod
    def fetch_mappings(cls, conn: Connection, statement: Any, params: Mapping[str, Any]) -> Maps:
        """The rows of a lookup as mappings by column name."""
        return [row._mapping for row in conn.execute(statement, params)]

    def read_candidates(
        self, conn: Connection, reads: CandidateReads, record: Any, params: Any, lock: bool
    ) -> tuple[Rows, bool]:
        """A record's candidates (`CandidateReads`: id, ..., customer_id, each once), and
        whether their customers' locks are held (`lock`: take them if it saves a trip)."""
        return reads.keep(record, self.fetch(conn, reads.by_rule, params)), True

    # -- real-time writes -------------------------------------------------------------------

    @contextmanager
    def locked_transaction(self, engine: Engine, names: Iterable[str] = ()) -> Iterator[Connection]:
        """One transaction, committed at the end, holding the locks of `names` (of every
        write, on SQLite) from its first statement on."""
        with translate_errors(), engine.connect() as conn:
            self._begin_locked(conn, names)
            try:
                yield conn
            except BaseException:
                conn.rollback()
                self._end_locked(conn)
                raise
            conn.commit()
            self._end_locked(conn)

    @abstractmethod
    def _begin_locked(self, conn: Connection, names: Iterable[str]) -> None: ...

    def _end_locked(self, conn: Connection) -> None:  # noqa: B027
        """After a locked transaction ended (committed or rolled back)."""

    def lock_customers(self, conn: Connection, customer_ids: Iterable[str]) -> None:  # noqa: B027
        """Take (or wait for) the locks of customers until the transaction ends (SQLite:
        the transaction holds the write lock already)."""

    @classmethod
    def insert_new(cls, table: Table) -> Insert:
        """INSERT ... ON CONFLICT DO NOTHING RETURNING id."""

        def build() -> Insert:
            return cls.dialect_insert(table).on_conflict_do_nothing().returning(table.c.id)  # type: ignore[no-any-return]

        return cls._once(("insert_new", table), build)

    def insert_record_reading(
        self, conn: Connection, state: Select[Any], names: Iterable[str], values: Any
    ) -> tuple[Any, Any, int | None]:
        """Under the locks of `names`, read `state` (two columns) and insert a new record
        (`values`): (*state, the record's id, None if its key is stored)."""
        model_id, run_id = conn.execute(state).one()
        return model_id, run_id, conn.execute(self.insert_new(records), values).scalar()

    def insert_alone(self, kind: _Kind, values: Any, read: Select[Any]) -> tuple[Any, Any] | None:
        """A new row of `kind` and the value `read` finds, in one autocommitted statement
        where that saves round trips: (its id, None if its key is stored; the value).
        None: take a `locked_transaction`."""
        return None

    def write_appends(self, conn: Connection, appends: Appends) -> None:
        """A decision's appends, and the count of its record in its batch."""
        count_in_batch(conn, appends.batch_id, appends.stored, appends.now)
        write_appends(conn, appends)

    def commit_appends(self, conn: Connection, appends: Appends) -> None:
        """`write_appends` as the last statement of a `locked_transaction`, which may
        commit with it (PostgreSQL: in its round trip); nothing is run after it."""
        self.write_appends(conn, appends)

    def erasing(self, conn: Connection) -> contextlib.AbstractContextManager[None]:
        """Around an erasure's deletes in `conn`: what makes the database overwrite the
        bytes it deletes, where a setting does (PostgreSQL leaves them to VACUUM)."""
        return contextlib.nullcontext()

    @abstractmethod
    def batch_lock(self) -> BatchLock:
        """The lock an ingest holds on its batch while its process lives."""

    # -- bulk loads -------------------------------------------------------------------------

    @abstractmethod
    def insert_rows(
        self, conn: Connection, codec: PreparedCodec, rows: Rows, *, batch_id: int, now: datetime
    ) -> int:
        """Insert encoded prepared rows, in their order, skipping keys already stored;
        how many were inserted."""


def strategy_for(url: str) -> Strategy:
    """The strategy of the database behind a store URL."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError as error:
        raise ConfigurationError("invalid store URL") from error
    backend = parsed.get_backend_name()
    for kind in (SQLiteStrategy, PostgresStrategy):
        if kind.name == backend:
            return kind(parsed)
    raise ConfigurationError(
        f"unsupported store backend {backend!r}: use sqlite:/// or postgresql://"
    )


def strategy_of(conn: Connection) -> type[Strategy]:
    """The strategy of a connection's database, for functions given only a connection."""
    return SQLiteStrategy if conn.dialect.name == SQLiteStrategy.name else PostgresStrategy


def fetch_mappings(conn: Connection, statement: Any, params: Mapping[str, Any]) -> Maps:
    """The rows of a lookup as mappings by column name (`Strategy.fetch_mappings`)."""
    return strategy_of(conn).fetch_mappings(conn, statement, params)


# -- SQLite --------------------------------------------------------------------------------

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
        driver: Any = conn.connection.driver_connection
        if driver.in_transaction:
            return contextlib.nullcontext()
        return _pragma_set(conn, "temp_store", "FILE", then=SQLITE_TEMP_STORE)

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

    def insert_rows(
        self, conn: Connection, codec: PreparedCodec, rows: Rows, *, batch_id: int, now: datetime
    ) -> int:
        stamp: Any = encode_sqlite_datetime(now) if codec.compact else now
        tail = (1, batch_id, stamp, stamp)
        sql = _sqlite_insert_sql(conn.dialect, codec.kind)
        width = len(codec.columns)  # the values after them are not the table's
        return int(conn.exec_driver_sql(sql, [(*row[:width], *tail) for row in rows]).rowcount)


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


class WalCheckpointer:
    """Checkpoints a SQLite store's WAL from a daemon thread, on its own connection: every
    `interval` seconds PASSIVE (blocks no one). Under a steady stream of writes that never
    catches up with the log's end, and SQLite starts the log over only once one has, so at
    `reset_frames` pages a RESTART (little left to copy by then; it gives up after 100 ms
    rather than wait long for a reader) makes the next writer start it over."""

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
            self._checkpoint(con)  # a last one when the store closes
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


# -- PostgreSQL ----------------------------------------------------------------------------


def _locking(keys: Any) -> Select[Any]:
    """Take the advisory locks of `keys` (a subquery with a key column `k`) in one
    statement: PostgreSQL evaluates a volatile function in the select list after the
    ORDER BY, so they are acquired in key order (calls that want the same ones queue)."""
    return select(func.pg_advisory_xact_lock(keys.c.k).label("locked")).order_by(keys.c.k)


def _customer_keys(customer_id: Any) -> Select[Any]:
    """The lock keys of customers (a column of their IDs), each once: keyed in SQL, the
    same way wherever they are locked (`lock_customers`, `with_customer_locks`)."""
    key = func.hashtextextended(literal("customer:", String) + customer_id, 0)
    return select(key.label("k")).where(customer_id.is_not(None)).distinct()


def _array_rows(name: str, item: Any) -> Any:
    """The items of the array parameter `name`, as rows of a column `v`."""
    return (
        func.unnest(bindparam(name, type_=postgresql.ARRAY(item)))
        .table_valued("v")
        .render_derived()
    )


_PG_LOCK = _locking(select(_array_rows("keys", BigInteger).c.v.label("k")).subquery("keys"))
_PG_CUSTOMER_LOCK = _locking(_customer_keys(_array_rows("customers", String).c.v).subquery("keys"))
CUSTOMER_LOCKS_PER_STATEMENT = 64  # more: only the customers a decision joins are locked


def lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for a name (PostgreSQL's lock key space)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock_params(names: Iterable[str]) -> dict[str, list[int]]:
    return {"keys": sorted({lock_key(name) for name in names})}


def with_customer_locks(candidates: Any) -> Select[Any]:
    """The rows of `candidates` (with a `customer_id` column) and a last column counting
    the locks taken, after the read, on their customers (none when there are more than
    CUSTOMER_LOCKS_PER_STATEMENT: then `lock_customers` those that matter)."""
    found = candidates.cte("candidates")
    few = (
        select(func.count(func.distinct(found.c.customer_id))).scalar_subquery()
        <= CUSTOMER_LOCKS_PER_STATEMENT
    )
    locked = _locking(_customer_keys(found.c.customer_id).subquery("keys")).where(few)
    return select(
        found, select(func.count()).select_from(locked.subquery("locked")).scalar_subquery()
    )


def _locked_read_and_new_record(state: Select[Any]) -> Select[Any]:
    """`state` with the count of the advisory locks of `:keys` taken (only for reads the
    locks do not protect: its snapshot is older), the id of the record inserted from the
    parameters, and the generic plans for the rest of the transaction (for a call's index
    lookups they are as good as plans per value, and planning per call costs more)."""
    locks = _PG_LOCK.subquery("locks")
    new = _new_row(RECORDS)
    return state.add_columns(
        select(func.count()).select_from(locks).scalar_subquery(),
        select(new.c.id).scalar_subquery(),
        func.set_config(literal("plan_cache_mode"), literal("force_generic_plan"), True),
    )


def _new_row(kind: _Kind) -> CTE:
    """A new row of `kind` from parameters (prepared columns and tail), nothing if its
    key is stored, returning its id."""
    values: dict[str, Any] = {c: bindparam(c) for c in (*prepared_columns(kind), *_TAIL)}
    name = f"new_{kind.table.name.removesuffix('s')}"
    return PostgresStrategy.insert_new(kind.table).values(values).cte(name)


def _written(table: Table, columns: list[str], rows: Any, name: str) -> CTE:
    return insert(table).from_select(columns, rows).cte(name)


# A real-time call's pairs (l, r, weight) and links (l, r, weight, kind), sent as one
# array parameter per column (`_unnested`, `_arrays`).
_EDGE_COLUMNS = {"l": BigInteger, "r": BigInteger, "w": Float}
_LINK_COLUMNS = {**_EDGE_COLUMNS, "kind": String}


def _unnested(name: str, prefix: str, columns: dict[str, Any]) -> Any:
    """The rows of parallel array parameters (`{prefix}_{column}`) as table `name`."""
    arrays = (bindparam(f"{prefix}_{c}", type_=postgresql.ARRAY(t)) for c, t in columns.items())
    return func.unnest(*arrays).table_valued(*columns).render_derived(name)


def _arrays(prefix: str, columns: dict[str, Any], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """The parameters of `_unnested(..., prefix, columns)` for `rows`."""
    return {f"{prefix}_{c}": [row[i] for row in rows] for i, c in enumerate(columns)}


def _now() -> Any:
    return bindparam("b_now", type_=Timestamp)


def _appends_statement(counted: CTE) -> Select[Any]:
    """One statement that writes a decision's appends (`_appends_params`) and `counted`:
    one round trip instead of one per table. A customer and its record's assignment are
    written when their flags are set (the foreign key is checked at the statement's end,
    when both rows are there); the pairs and links come as parallel arrays."""
    new_customer = select(bindparam("c_customer_id", type_=String), literal("active", String))
    created = _written(
        customers,
        ["customer_id", "status", "created_at", "updated_at"],
        new_customer.add_columns(_now(), _now()).where(bindparam("c_create", type_=Boolean)),
        "created",
    )
    assignment = select(
        bindparam("a_record_id", type_=BigInteger), bindparam("a_customer_id", type_=String), _now()
    ).where(bindparam("a_assign", type_=Boolean))
    assigned = _written(
        record_customers, ["record_id", "customer_id", "assigned_at"], assignment, "assigned"
    )
    edge = _unnested("edge", "e", _EDGE_COLUMNS)
    edges = _written(
        match_edges,
        ["record_id_l", "record_id_r", "match_weight", "model_id"],
        select(edge.c.l, edge.c.r, edge.c.w, bindparam("e_model_id", type_=BigInteger)),
        "edges",
    )
    link = _unnested("link", "l", _LINK_COLUMNS)
    links = _written(
        record_links,
        ["record_id_l", "record_id_r", "match_weight", "kind", "created_at"],
        select(link.c.l, link.c.r, link.c.w, link.c.kind, _now()),
        "links",
    )
    return select(literal(1)).add_cte(created, assigned, edges, links, counted)


def _appends_params(appends: Appends) -> dict[str, Any]:
    """The parameters of `_appends_statement` (with the count in the batch's)."""
    record_id, customer_id = appends.assignment or (None, None)
    return {
        **batch_counts(appends.batch_id, appends.stored, appends.now),
        "c_create": appends.new_customer is not None,
        "c_customer_id": appends.new_customer,
        "a_assign": appends.assignment is not None,
        "a_record_id": record_id,
        "a_customer_id": customer_id,
        "e_model_id": appends.model_id,
        **_arrays("e", _EDGE_COLUMNS, appends.edges),
        **_arrays("l", _LINK_COLUMNS, appends.links),
    }


class PostgresStrategy(Strategy):
    """A PostgreSQL server: advisory locks, few round trips, COPY."""

    name = "postgresql"
    named_locks = True
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

    def _begin_locked(self, conn: Connection, names: Iterable[str]) -> None:
        # begun explicitly: the first statement may run on the driver's cursor
        # (`execute_on_driver`), which SQLAlchemy does not see, yet commits with it;
        # BEGIN is sent with the first statement run by `execute_folded`
        conn.begin()
        begin_with_next_statement(conn)
        params = _lock_params(names)
        if params["keys"]:
            execute_folded(conn, _PG_LOCK, params)

    def _end_locked(self, conn: Connection) -> None:
        end_folding(conn)

    def lock_customers(self, conn: Connection, customer_ids: Iterable[str]) -> None:
        ids = sorted(set(customer_ids))
        if ids:
            conn.execute(_PG_CUSTOMER_LOCK, {"customers": ids})

    def insert_record_reading(
        self, conn: Connection, state: Select[Any], names: Iterable[str], values: Any
    ) -> tuple[Any, Any, int | None]:
        # one statement: the locks protect neither the state nor the record's own key
        # (its unique index does)
        statement = self._once(("locked", state), lambda: _locked_read_and_new_record(state))
        row = execute_folded(conn, statement, {**_lock_params(names), **values})[0]
        return row[0], row[1], row[3]

    def insert_alone(
        self, kind: _Kind, values: Mapping[str, Any], read: Select[Any]
    ) -> tuple[Any, Any] | None:
        # alone in its (autocommitted) transaction it is atomic, and it spares the BEGIN
        # and COMMIT round trips; on the pinned connection when it is free
        def build() -> Select[Any]:
            return select(select(_new_row(kind).c.id).scalar_subquery(), read.scalar_subquery())

        statement = self._once(("alone", kind.name, read), build)
        with self.lookup_connection(self.autocommit_engine) as conn:
            return tuple(execute_on_driver(conn, statement, values)[0])

    def write_appends(self, conn: Connection, appends: Appends) -> None:
        execute_on_driver(conn, self._appends(), _appends_params(appends))

    def commit_appends(self, conn: Connection, appends: Appends) -> None:
        execute_folded(conn, self._appends(), _appends_params(appends), commit=True)

    @classmethod
    def _appends(cls) -> Select[Any]:
        return cls._once("appends", lambda: _appends_statement(_COUNT_IN_BATCH.cte("counted")))

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
            raise _driver_error(conn, driver, error) from error
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

    def close(self) -> None:
        """Give the connection back to the pool (waits for a call under way)."""
        with self._lock:
            self._closed = True
            self._drop()


@dataclass(frozen=True, slots=True)
class DriverSQL:
    """A statement compiled once by SQLAlchemy for psycopg's raw cursor, in PostgreSQL's
    own $1 form (psycopg parses a long statement's %(name)s places again at every call),
    with the values of the parameters SQLAlchemy made (a LIMIT) and the others' bind
    processing (JSON). Rows come back as psycopg reads them: for text, numbers and plain
    timestamps."""

    sql: bytes
    order: tuple[str, ...]  # the parameters' names, by number
    defaults: Mapping[str, Any]
    processors: Mapping[str, Any]

    @classmethod
    def of(cls, statement: Any, dialect: Dialect) -> DriverSQL:
        numbered: Any = type(dialect)
        compiled = statement.compile(dialect=numbered(paramstyle="numeric_dollar"))
        names = compiled.bind_names  # each parameter by the name rendered in the SQL
        made = {names[bind] for bind in names if not bind.required}
        processors = {
            names[bind]: processor
            for bind in names
            if (processor := bind.type.bind_processor(dialect)) is not None
        }
        defaults = {n: v for n, v in compiled.params.items() if n in made}
        order = tuple(compiled.positiontup or ())
        return cls(compiled.string.encode(), order, defaults, processors)

    def values(self, params: Mapping[str, Any]) -> list[Any]:
        """The parameters' values, by number."""
        values = {**self.defaults, **params}
        for name, processor in self.processors.items():
            values[name] = processor(values[name])
        return [values[n] for n in self.order]

    def execute(self, cursor: Any, params: Mapping[str, Any]) -> Any:
        """Execute on a raw driver cursor (prepared on the server); the cursor."""
        return cursor.execute(self.sql, self.values(params), prepare=True)


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


_DRIVER_CURSOR = "cx360_driver_cursor"  # a pooled connection's psycopg raw cursor, reused


def _raw_cursor(connection: Any) -> Any:
    from psycopg import RawCursor  # installed: the engine checked (`create_engine`)

    return RawCursor(connection)


def execute_on_driver(
    conn: Connection, statement: Any, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of `statement` run in `conn`'s transaction on psycopg's cursor (see
    `PinnedConnection` for why). A lost connection is invalidated, for the call's retry."""
    cursor = _driver_cursor(conn)
    try:
        # every statement run this way returns rows (`cursor.description` costs time)
        rows: list[tuple[Any, ...]] = _compiled(conn, statement).execute(cursor, params).fetchall()
        return rows
    except Exception as error:
        raise _driver_error(conn, cursor.connection, error) from error


def _driver_cursor(conn: Connection) -> Any:
    pooled = conn.connection
    cursor: Any = pooled.info.get(_DRIVER_CURSOR)
    if cursor is None or cursor.closed or cursor.connection is not pooled.dbapi_connection:
        cursor = pooled.info[_DRIVER_CURSOR] = _raw_cursor(pooled.dbapi_connection)
    return cursor


def _compiled(conn: Connection, statement: Any) -> DriverSQL:
    return PostgresStrategy._once(statement, lambda: DriverSQL.of(statement, conn.dialect))


def _driver_error(conn: Connection, driver: Any, error: Exception) -> Exception:
    """A driver's error as the store's (others as they are); a lost connection is
    invalidated."""
    driver_error = conn.dialect.loaded_dbapi.Error
    if not isinstance(error, driver_error):
        return error
    lost = bool(driver.closed)  # psycopg closes a connection it lost
    if lost:
        conn.invalidate(error)
    wrapped = exc.DBAPIError.instance(None, None, error, driver_error, connection_invalidated=lost)
    return store_error(wrapped)


# -- BEGIN and COMMIT in a statement's round trip ------------------------------------------
#
# psycopg sends a transaction's BEGIN and its COMMIT each in a round trip of its own. A
# real-time decision sends BEGIN with its first statement and COMMIT with its last write:
# the statement is prepared on the server by name (SQL PREPARE, once per connection) and
# run as EXECUTE with its values written as literals, in one simple-protocol message
# ("BEGIN; EXECUTE ..." or "EXECUTE ...; COMMIT") that PostgreSQL runs in order, stopping
# at the first error. (psycopg's pipeline mode would send them with bound parameters, at
# more CPU per call than the round trips cost.) The statement text carries the values:
# it never goes into an exception or a log line of cx360's.

_BEGIN_PENDING = "cx360_begin_pending"  # conn.info: its transaction's BEGIN is not sent yet
# conn.info: psycopg set to autocommit for the transaction (it would send BEGIN itself)
_DRIVER_AUTOCOMMITS = "cx360_driver_autocommits"
# conn.info: a named statement ran in the transaction, so none of the connection's was
# deallocated since it was prepared (see `_statement_name`): COMMIT may follow one
_NAMES_HOLD = "cx360_names_hold"
_NAMED = "cx360_named_statements"  # pooled.info: (its driver connection, names prepared)
_STATEMENT_NAMES: dict[bytes, str] = {}  # a folded statement's SQL -> its PREPARE name
_NOT_PREPARED = "26000"  # SQLSTATE invalid_sql_statement_name: EXECUTE of an unknown name


class _NoLiteralError(Exception):
    """A value that `_literal` does not write: the statement goes as psycopg sends it."""


def _quoted(text: str) -> str:
    # standard_conforming_strings is on (checked in `_can_fold`): only quotes double
    if "\x00" in text:
        raise _NoLiteralError  # PostgreSQL text holds no NUL: psycopg's error, not a cut string
    return "'" + text.replace("'", "''") + "'"


def _array_item(value: Any) -> str:
    if value is None:
        return "NULL"
    kind = type(value)
    if kind is str:
        text: str = value
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if kind is int or kind is float:
        return _number(value)
    raise _NoLiteralError


def _number(value: float) -> str:
    if type(value) is float and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return repr(value)


def _array(values: Sequence[Any]) -> str:
    if all(type(v) is int for v in values):  # keys and ids: the common case, quickest
        return "'{" + ",".join(map(str, values)) + "}'"
    return _quoted("{" + ",".join(map(_array_item, values)) + "}")


def _datetime(value: datetime) -> str:
    return f"'{value.isoformat()}'::timestamp{'tz' if value.tzinfo is not None else ''}"


# A parameter's value as an SQL literal that PostgreSQL reads into the prepared statement's
# parameter type as it reads psycopg's bound value: text for the type's input function,
# datetimes typed as psycopg types them (naive: timestamp). By the value's exact type.
_LITERALS: dict[type, Callable[[Any], str]] = {
    str: _quoted,
    type(None): lambda _: "NULL",
    bool: lambda value: "true" if value else "false",
    int: lambda value: f"'{value}'",
    float: lambda value: f"'{_number(value)}'",
    datetime: _datetime,
    date: lambda value: f"'{value.isoformat()}'::date",
    list: _array,
    tuple: _array,
}


def _literal(value: Any) -> str:
    """A parameter's value as an SQL literal (`_LITERALS`)."""
    write = _LITERALS.get(type(value))
    if write is not None:
        return write(value)
    if isinstance(value, _psycopg_json()):  # a JSON value, as its bind processing wraps it
        return _quoted((value.dumps or json_text)(value.obj))
    raise _NoLiteralError


@functools.cache
def _psycopg_json() -> Any:
    from psycopg.types.json import Json  # installed: the engine checked (`create_engine`)

    return Json


def _can_fold(driver: Any) -> bool:
    """Whether the connection reads literals as `_quoted` writes them, and begins its
    transactions with a plain BEGIN (no isolation level or access mode of its own)."""
    status = driver.pgconn.parameter_status
    return (
        status(b"standard_conforming_strings") == b"on"
        and status(b"client_encoding") == b"UTF8"
        and driver.isolation_level is None
        and driver.read_only is None
        and driver.deferrable is None
    )


def begin_with_next_statement(conn: Connection) -> None:
    """Send the BEGIN of `conn`'s transaction (begun in SQLAlchemy) with its next
    `execute_folded` statement; any other statement first makes psycopg send it alone."""
    conn.info[_BEGIN_PENDING] = True


def end_folding(conn: Connection) -> None:
    """After `conn`'s transaction: no BEGIN pending, psycopg as it was."""
    conn.info.pop(_BEGIN_PENDING, None)
    conn.info.pop(_NAMES_HOLD, None)
    if conn.info.pop(_DRIVER_AUTOCOMMITS, False):
        driver: Any = conn.connection.dbapi_connection
        if not driver.closed:  # ended: COMMIT or ROLLBACK sent (a lost one is dropped)
            driver.autocommit = False


def _prepared_names(conn: Connection, driver: Any) -> set[str]:
    pooled = conn.connection
    found = pooled.info.get(_NAMED)
    if found is None or found[0] is not driver:
        found = pooled.info[_NAMED] = (driver, set())
    names: set[str] = found[1]
    return names


def _statement_name(conn: Connection, cursor: Any, compiled: DriverSQL) -> str:
    """The name `compiled` is prepared under on the connection (prepared now if not yet).

    psycopg deallocates every statement of its connection after a ROLLBACK (when it has
    prepared some itself), ours with them, unseen. So before preparing one, the names the
    server holds are read again: the names known are then true until a deallocation,
    after which the first EXECUTE of any of them fails (and `execute_folded` starts over).
    """
    name = _STATEMENT_NAMES.setdefault(compiled.sql, f"cx360_folded_{len(_STATEMENT_NAMES)}")
    prepared = _prepared_names(conn, cursor.connection)
    if name not in prepared:
        cursor.execute(_OUR_PREPARED, prepare=False)
        prepared.clear()
        prepared.update(str(found) for (found,) in cursor.fetchall())
    if name not in prepared:
        cursor.execute(f"PREPARE {name} AS ".encode() + compiled.sql, prepare=False)
        prepared.add(name)
    return name


_OUR_PREPARED = b"SELECT name FROM pg_prepared_statements WHERE name LIKE 'cx360\\_folded\\_%'"


def execute_folded(
    conn: Connection, statement: Any, params: Mapping[str, Any], *, commit: bool = False
) -> list[tuple[Any, ...]]:
    """`execute_on_driver` with the transaction's BEGIN before the statement when it is
    pending (`begin_with_next_statement`), and (`commit`) its COMMIT after it, in the
    statement's round trip; its rows. Where a value has no literal form the statement
    goes as `execute_on_driver` sends it (psycopg sends BEGIN, then COMMIT, alone)."""
    cursor = _driver_cursor(conn)
    driver = cursor.connection
    begin = conn.info.pop(_BEGIN_PENDING, False) and driver.pgconn.transaction_status == 0
    # else COMMIT is left to the transaction's end (a statement named may be gone)
    commit = commit and (begin or conn.info.get(_NAMES_HOLD, False))
    if not (begin or commit) or not _can_fold(driver):
        return _execute_then_commit(conn, statement, params, commit)
    compiled = _compiled(conn, statement)
    try:
        values = ", ".join(map(_literal, compiled.values(params)))
    except _NoLiteralError:
        return _execute_then_commit(conn, statement, params, commit)
    try:
        try:
            return _run_folded(conn, cursor, compiled, values, begin, commit)
        except conn.dialect.loaded_dbapi.Error as error:
            if not begin or getattr(error, "sqlstate", None) != _NOT_PREPARED:
                raise
            # psycopg deallocated every statement (a ROLLBACK elsewhere): prepare again
            driver.rollback()
            _prepared_names(conn, driver).clear()  # read again before preparing
            return _run_folded(conn, cursor, compiled, values, begin, commit)
    except Exception as error:
        raise _driver_error(conn, cursor.connection, error) from error


def _run_folded(
    conn: Connection, cursor: Any, compiled: DriverSQL, values: str, begin: bool, commit: bool
) -> list[tuple[Any, ...]]:
    if begin and not cursor.connection.autocommit:
        # psycopg would send BEGIN itself before the message; autocommitting, it sends
        # none (nor COMMIT) while the transaction the message begins is open
        cursor.connection.autocommit = True
        conn.info[_DRIVER_AUTOCOMMITS] = True
    name = _statement_name(conn, cursor, compiled)
    call = f"EXECUTE {name}({values})" if values else f"EXECUTE {name}"
    sql = f"{'BEGIN; ' if begin else ''}{call}{'; COMMIT' if commit else ''}"
    cursor.execute(sql.encode(), prepare=False)
    if begin:
        cursor.nextset()  # BEGIN's result, then the statement's
    rows: list[tuple[Any, ...]] = cursor.fetchall()
    conn.info[_NAMES_HOLD] = True
    return rows


def _execute_then_commit(
    conn: Connection, statement: Any, params: Mapping[str, Any], commit: bool
) -> list[tuple[Any, ...]]:
    rows = execute_on_driver(conn, statement, params)
    if commit:
        with translate_errors():
            conn.commit()
    return rows
