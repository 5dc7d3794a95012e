"""PostgreSQL's folded statements (`execute_folded`): BEGIN or COMMIT sent with a statement
whose values go as literals. They must store exactly what psycopg's bound parameters
store, keep the transaction whole (a failure after the first statement undoes it), leave
the connection as it found it, and survive the server forgetting its prepared statements."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql

from cx360._errors import StoreError
from cx360.store import Store
from cx360.store._pg_driver import execute_on_driver
from cx360.store._pg_folding import execute_folded
from cx360.store._postgresql import PostgresStrategy

_META = MetaData()
_VALUES = Table(
    "folding_values",
    _META,
    Column("id", Integer, primary_key=True),
    Column("words", Text),
    Column("number", BigInteger),
    Column("weight", Float),
    Column("flag", Boolean),
    Column("aware", DateTime(timezone=True)),
    Column("naive", DateTime(timezone=False)),
    Column("day", Date),
    Column("document", JSON),
    Column("names", postgresql.ARRAY(Text)),
    Column("numbers", postgresql.ARRAY(BigInteger)),
    Column("weights", postgresql.ARRAY(Float)),
)
_INSERT = insert(_VALUES).returning(*_VALUES.c)
_COLUMNS = [c.name for c in _VALUES.c]

_AWKWARD = [
    "O'Brien", "back\\slash", "{braces},commas", 'say "hi"', "línea\nnueva\ttab", "'; DROP",
]  # fmt: skip
_ROWS: list[dict[str, Any]] = [
    {
        "words": word,
        "number": number,
        "weight": weight,
        "flag": flag,
        "aware": datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=-5))),
        "naive": datetime(2024, 5, 6, 7, 8, 9),
        "day": date(1987, 2, 28),
        "document": {"text": word, "list": [1, None, "x"]},
        "names": [word, None, "", "NULL", "a b"],
        "numbers": [number, -1, 0],
        "weights": [weight, -0.5],
    }
    for word, number, weight, flag in zip(
        _AWKWARD,
        [0, -(2**63), 2**63 - 1, 42, -7, 12345678901],
        [12.5, -3.25e-12, math.inf, -math.inf, 1e300, 0.1],
        [True, False, True, False, True, False],
        strict=True,
    )
] + [dict.fromkeys(_COLUMNS[1:])]  # every value NULL


@pytest.fixture
def pg_store(store: Store) -> Iterator[Store]:
    if not isinstance(store.strategy, PostgresStrategy):
        pytest.skip("PostgreSQL only: SQLite statements cost no round trip")
    with store.transaction() as conn:
        _META.create_all(conn)
    try:
        yield store
    finally:
        with store.transaction() as conn:
            _META.drop_all(conn)


def _stored(store: Store) -> list[tuple[Any, ...]]:
    with store.connection() as conn:
        return [tuple(r) for r in conn.execute(select(_VALUES).order_by(_VALUES.c.id))]


def _driver(conn: Any) -> Any:
    return conn.connection.dbapi_connection


def test_folded_values_are_stored_as_bound_ones(pg_store: Store) -> None:
    strategy = pg_store.strategy
    for n, row in enumerate(_ROWS):
        with strategy.locked_transaction(pg_store.engine) as conn:  # BEGIN rides along
            folded = execute_folded(conn, _INSERT, {**row, "id": 2 * n})
            driver = _driver(conn)
            assert driver.autocommit  # psycopg sends no BEGIN or COMMIT of its own
        assert not driver.autocommit  # as it was
        with strategy.locked_transaction(pg_store.engine) as conn:
            bound = execute_on_driver(conn, _INSERT, {**row, "id": 2 * n + 1})
        assert folded[0][1:] == bound[0][1:]
    stored = _stored(pg_store)
    assert [r[1:] for r in stored[0::2]] == [r[1:] for r in stored[1::2]]
    assert stored[0][1] == _AWKWARD[0] and stored[0][9] == [_AWKWARD[0], None, "", "NULL", "a b"]


def test_a_folded_commit_ends_the_transaction_with_its_statement(pg_store: Store) -> None:
    strategy = pg_store.strategy
    with strategy.locked_transaction(pg_store.engine, ["folding:a"]) as conn:  # lock + BEGIN
        execute_on_driver(conn, _INSERT, {**_ROWS[0], "id": 1})
        execute_folded(conn, _INSERT, {**_ROWS[1], "id": 2}, commit=True)
        assert _driver(conn).pgconn.transaction_status == 0  # idle: committed
    assert [r[0] for r in _stored(pg_store)] == [1, 2]


def test_a_failure_after_the_folded_begin_undoes_the_transaction(pg_store: Store) -> None:
    strategy = pg_store.strategy

    def same_key_twice() -> None:
        with strategy.locked_transaction(pg_store.engine) as conn:
            execute_folded(conn, _INSERT, {**_ROWS[0], "id": 1})
            execute_folded(conn, _INSERT, {**_ROWS[1], "id": 1}, commit=True)

    def caller_fails() -> None:
        with strategy.locked_transaction(pg_store.engine) as conn:
            execute_folded(conn, _INSERT, {**_ROWS[0], "id": 3})
            raise RuntimeError("the caller failed")

    with pytest.raises(StoreError):
        same_key_twice()
    with pytest.raises(RuntimeError):
        caller_fails()
    assert _stored(pg_store) == []
    with strategy.locked_transaction(pg_store.engine) as conn:  # the connection still serves
        execute_folded(conn, _INSERT, {**_ROWS[2], "id": 4})
        execute_folded(conn, _INSERT, {**_ROWS[3], "id": 5}, commit=True)
    assert [r[0] for r in _stored(pg_store)] == [4, 5]


def test_statements_the_server_forgot_are_prepared_again(pg_store: Store) -> None:
    strategy = pg_store.strategy
    backend = select(func.pg_backend_pid())
    with strategy.locked_transaction(pg_store.engine) as conn:
        pid = execute_folded(conn, backend, {})[0][0]
    for n in range(3):
        with strategy.locked_transaction(pg_store.engine) as conn:
            assert execute_on_driver(conn, backend, {})[0][0] == pid  # the same connection
            conn.execute(text("DEALLOCATE ALL"))
        with strategy.locked_transaction(pg_store.engine) as conn:
            execute_folded(conn, _INSERT, {**_ROWS[n], "id": n})
    assert [r[0] for r in _stored(pg_store)] == [0, 1, 2]


def test_a_value_without_a_literal_form_goes_bound(pg_store: Store) -> None:
    """A NUL in text: psycopg's own error, never a statement cut short at the NUL."""
    strategy = pg_store.strategy
    with pytest.raises(StoreError), strategy.locked_transaction(pg_store.engine) as conn:
        execute_folded(conn, _INSERT, {**_ROWS[0], "id": 1, "words": "a\x00b"})
    with strategy.locked_transaction(pg_store.engine) as conn:
        execute_folded(conn, _INSERT, {**_ROWS[0], "id": 2, "aware": datetime.now(UTC)})
    assert [r[0] for r in _stored(pg_store)] == [2]
