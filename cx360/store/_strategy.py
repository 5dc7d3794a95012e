"""What a store's database does its own way, as one strategy class per database (`_sqlite`,
`_postgresql`), chosen once per store (`_dialects.strategy_for`). The base class runs plain
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
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Insert,
    Select,
    Table,
    bindparam,
    create_engine,
    insert,
    inspect,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL

from cx360.store._batch_locks import BatchLock
from cx360.store._customers import Appends, write_appends
from cx360.store._engine import json_text, translate_errors
from cx360.store._pg_locks import with_customer_locks
from cx360.store._schema import records
from cx360.store._writes import PreparedCodec, _Kind, count_in_batch

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
    # a read may write in a WITH (INSERT ... in a CTE): a lookup writes its access-log
    # entry in the statement that reads, and saves a round trip
    writes_in_reads: ClassVar[bool] = False
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

    def forget_connections(self) -> None:  # noqa: B027 (none kept unless overridden)
        """Drop the connections real-time calls keep (a lost one's siblings are lost too)."""

    def has_schema(self) -> bool | None:
        """Whether the database holds cx360's schema (None: there is no database)."""
        engine = self.create_engine()
        try:
            with translate_errors(), engine.connect() as conn:  # a server not there: StoreError
                return inspect(conn).has_table("alembic_version")
        finally:
            engine.dispose()

    @contextmanager
    def schema_transaction(self, engine: Engine) -> Iterator[Connection]:
        """A transaction that changes the store's schema (migrations, lookup indexes), one
        process at a time: two processes opening a fresh store at once would both create
        its tables, and one would fail."""
        with translate_errors(), engine.begin() as conn:
            self._lock_schema(conn)
            yield conn

    def _lock_schema(self, conn: Connection) -> None:  # noqa: B027 (overridden where needed)
        """Wait for and hold, until the transaction ends, the lock on the schema."""

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

    @classmethod
    def insert_unflushed(
        cls, conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """`rows` into `table` in a transaction of their own on a lookup connection
        (`lookup_connection`), committed before this returns by a commit that does not
        wait for the disk: for a log whose last rows a crash of the database's machine
        may lose, never corrupt (docs/privacy.md). Every SQLite commit is so already
        (synchronous=NORMAL in WAL mode)."""
        conn.execute(insert(table), list(rows))
        conn.commit()

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
