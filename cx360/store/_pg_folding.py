"""BEGIN and COMMIT in a statement's round trip, on PostgreSQL.

psycopg sends a transaction's BEGIN and its COMMIT each in a round trip of its own. A
real-time decision sends BEGIN with its first statement and COMMIT with its last write:
the statement is prepared on the server by name (SQL PREPARE, once per connection) and
run as EXECUTE with its values written as literals, in one simple-protocol message
("BEGIN; EXECUTE ..." or "EXECUTE ...; COMMIT") that PostgreSQL runs in order, stopping
at the first error. (psycopg's pipeline mode would send them with bound parameters, at
more CPU per call than the round trips cost.) The statement text carries the values:
it never goes into an exception or a log line of cx360's.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from cx360.store._engine import json_text, translate_errors
from cx360.store._pg_driver import (
    DriverSQL,
    compiled_for_driver,
    driver_cursor,
    driver_error,
    execute_on_driver,
)

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
    cursor = driver_cursor(conn)
    driver = cursor.connection
    begin = conn.info.pop(_BEGIN_PENDING, False) and driver.pgconn.transaction_status == 0
    # else COMMIT is left to the transaction's end (a statement named may be gone)
    commit = commit and (begin or conn.info.get(_NAMES_HOLD, False))
    if not (begin or commit) or not _can_fold(driver):
        return _execute_then_commit(conn, statement, params, commit)
    compiled = compiled_for_driver(conn, statement)
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
        raise driver_error(conn, cursor.connection, error) from error


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
