"""Statements run on psycopg's own cursor, compiled once: a real-time call's reads and
writes skip SQLAlchemy's execution, which cost as much CPU as the statements. Errors come
out as the store's, as SQLAlchemy would have raised them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.engine import Dialect

from cx360.store._engine import store_error


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


_DRIVER_CURSOR = "cx360_driver_cursor"  # a pooled connection's psycopg raw cursor, reused


def _raw_cursor(connection: Any) -> Any:
    from psycopg import RawCursor  # installed: the engine checked (`create_engine`)

    return RawCursor(connection)


def execute_on_driver(
    conn: Connection, statement: Any, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of `statement` run in `conn`'s transaction on psycopg's cursor (see
    `_postgresql.PinnedConnection` for why). A lost connection is invalidated, for the
    call's retry."""
    cursor = driver_cursor(conn)
    try:
        # every statement run this way returns rows (`cursor.description` costs time)
        rows: list[tuple[Any, ...]] = (
            compiled_for_driver(conn, statement).execute(cursor, params).fetchall()
        )
        return rows
    except Exception as error:
        raise driver_error(conn, cursor.connection, error) from error


def driver_cursor(conn: Connection) -> Any:
    """psycopg's raw cursor on `conn`'s connection, made once per driver connection."""
    pooled = conn.connection
    cursor: Any = pooled.info.get(_DRIVER_CURSOR)
    if cursor is None or cursor.closed or cursor.connection is not pooled.dbapi_connection:
        cursor = pooled.info[_DRIVER_CURSOR] = _raw_cursor(pooled.dbapi_connection)
    return cursor


_COMPILED: dict[Any, DriverSQL] = {}  # a statement -> its SQL for the driver


def compiled_for_driver(conn: Connection, statement: Any) -> DriverSQL:
    """`statement` compiled for psycopg's cursor, once."""
    compiled = _COMPILED.get(statement)
    if compiled is None:
        compiled = _COMPILED[statement] = DriverSQL.of(statement, conn.dialect)
    return compiled


def driver_error(conn: Connection, driver: Any, error: Exception) -> Exception:
    """A driver's error as the store's (others as they are); a lost connection is
    invalidated."""
    dbapi_error = conn.dialect.loaded_dbapi.Error
    if not isinstance(error, dbapi_error):
        return error
    lost = bool(driver.closed)  # psycopg closes a connection it lost
    if lost:
        conn.invalidate(error)
    wrapped = exc.DBAPIError.instance(None, None, error, dbapi_error, connection_invalidated=lost)
    return store_error(wrapped)
