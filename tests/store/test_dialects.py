"""One strategy per database (`store/_sqlite.py`, `store/_postgresql.py`), chosen once per
store: what differs between SQLite and PostgreSQL behaves on each real database, and no
other module of the package tests a database's name."""

from __future__ import annotations

import ast
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

import cx360
from cx360._errors import ConfigurationError
from cx360.ingest._prepare import prepare_record_values
from cx360.store import Store
from cx360.store._dialects import strategy_for
from cx360.store._pg_locks import lock_key
from cx360.store._postgresql import PostgresStrategy
from cx360.store._schema import records
from cx360.store._sqlite import SQLiteStrategy
from cx360.store._writes import RECORDS, PreparedCodec, start_batch

PACKAGE = Path(cx360.__file__).parent
# where a database's name may be tested: the choice of a strategy, the strategies, and the
# migrations (history, written per database on purpose)
STORE = PACKAGE / "store"
ALLOWED = {STORE / f"{name}.py" for name in ("_dialects", "_sqlite", "_postgresql", "_engine")}
NAMES = {"sqlite", "postgresql", "postgres"}
STRATEGIES = {"SQLiteStrategy", "PostgresStrategy"}


def test_the_strategy_is_chosen_once_per_store_from_its_url(store: Store, store_url: str) -> None:
    strategy = store.strategy
    expected = SQLiteStrategy if store_url.startswith("sqlite") else PostgresStrategy
    assert type(strategy) is expected
    assert store.strategy is strategy  # the same object for every call
    assert strategy.name == store.engine.dialect.name == store.dialect
    other = Store(store_url)
    try:
        assert type(other.strategy) is expected and other.strategy is not strategy
    finally:
        other.close()


def test_unknown_databases_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="unsupported store backend"):
        strategy_for("mysql://someone@localhost/db")
    with pytest.raises(ConfigurationError, match="invalid store URL"):
        strategy_for("not a url://")


def test_a_locked_transaction_holds_its_locks_until_it_ends(store: Store) -> None:
    """SQLite: the transaction holds the write lock (another writer cannot begin);
    PostgreSQL: it holds the advisory locks of its names only."""
    strategy = store.strategy
    with strategy.locked_transaction(store.engine, ["phone_key:+1"]):
        if isinstance(strategy, SQLiteStrategy):
            assert strategy.file is not None
            other = sqlite3.connect(strategy.file, timeout=0.05, isolation_level=None)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
        else:
            with store.engine.connect() as other:
                try_lock = text("SELECT pg_try_advisory_xact_lock(:k)")
                assert not other.execute(try_lock, {"k": lock_key("phone_key:+1")}).scalar()
                assert other.execute(try_lock, {"k": lock_key("phone_key:+2")}).scalar()
                other.rollback()
    if isinstance(strategy, PostgresStrategy):  # released at the end
        with store.engine.connect() as other:
            try_lock = text("SELECT pg_try_advisory_xact_lock(:k)")
            assert other.execute(try_lock, {"k": lock_key("phone_key:+1")}).scalar()
            other.rollback()


def test_customer_locks_are_taken_and_wait_on_postgresql(store: Store) -> None:
    strategy = store.strategy
    if not isinstance(strategy, PostgresStrategy):
        pytest.skip("SQLite: the transaction holds the write lock for every customer")
    waited = threading.Event()
    with strategy.locked_transaction(store.engine) as conn:
        strategy.lock_customers(conn, ["cus_a"])

        def other() -> None:
            with strategy.locked_transaction(store.engine) as mine:
                strategy.lock_customers(mine, ["cus_a"])
                waited.set()

        thread = threading.Thread(target=other)
        thread.start()
        assert not waited.wait(0.3)  # waits for the first transaction
    thread.join(timeout=5)
    assert waited.is_set()


def test_bulk_loads_insert_in_order_and_skip_stored_keys(store: Store) -> None:
    """COPY through a staging table on PostgreSQL, executemany on SQLite: the same rows."""
    strategy = store.strategy
    codec = PreparedCodec(RECORDS, strategy.compact_rows)
    now = datetime(2024, 5, 1, tzinfo=UTC)

    def rows(ids: range) -> list[tuple[Any, ...]]:
        prepared = [
            prepare_record_values({"source": "web", "source_record_id": f"r{i}"}, i) for i in ids
        ]
        return [codec.encode_values(values) for values in prepared if isinstance(values, tuple)]

    with store.transaction() as conn:
        batch = start_batch(conn, kind="records", origin=None, now=now)
        assert strategy.insert_rows(conn, codec, rows(range(3)), batch_id=batch, now=now) == 3
        assert strategy.insert_rows(conn, codec, rows(range(1, 5)), batch_id=batch, now=now) == 2
        if isinstance(strategy, PostgresStrategy):  # the session's staging table: COPY ran
            assert conn.execute(text("SELECT to_regclass('cx360_stage_records')")).scalar()
    with store.connection() as conn:
        found = conn.execute(select(records.c.source_record_id).order_by(records.c.id))
        assert list(found.scalars()) == ["r0", "r1", "r2", "r3", "r4"]


def test_the_lookup_connection(store: Store) -> None:
    """PostgreSQL autocommits its lookups (each statement has its own snapshot at READ
    COMMITTED anyway); SQLite reads in one transaction."""
    with store.lookup_connection() as conn:
        assert conn.execute(select(func.count()).select_from(records)).scalar() == 0
        rows = store.strategy.fetch(conn, select(records.c.id).where(records.c.id > 0), {})
        assert list(rows) == []
        if isinstance(store.strategy, PostgresStrategy):
            assert conn.connection.driver_connection.autocommit
        else:
            assert conn.in_transaction()


def _dialect_tests(source: str, name: str) -> list[str]:
    """Where a module tests a database's name: a comparison with one, a SQLAlchemy
    dialect's or URL's name, or a strategy class named outside its module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            items = [e for o in (node.left, *node.comparators) for e in getattr(o, "elts", [o])]
            if any(isinstance(e, ast.Constant) and e.value in NAMES for e in items):
                found.append(f"{name}:{node.lineno}")
        elif isinstance(node, ast.Attribute):
            dialect_name = node.attr == "name" and getattr(node.value, "attr", "") == "dialect"
            if dialect_name or node.attr == "get_backend_name":
                found.append(f"{name}:{node.lineno}")
        elif isinstance(node, ast.Name) and node.id in STRATEGIES:
            found.append(f"{name}:{node.lineno}")
        elif isinstance(node, ast.alias) and node.name in STRATEGIES:
            found.append(f"{name}: imports {node.name}")
    return found


def test_no_module_but_the_strategies_tests_a_database_name() -> None:
    modules = [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in ALLOWED and "migrations" not in path.relative_to(PACKAGE).parts
    ]
    assert len(modules) > 50
    found = [
        where
        for path in modules
        for where in _dialect_tests(
            path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE))
        )
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        'if conn.dialect.name == "sqlite": pass',
        'ok = store.dialect != "postgresql"',
        'ok = name in ("sqlite", "postgresql")',
        "ok = make_url(url).get_backend_name()",
        "from cx360.store._dialects import SQLiteStrategy",
        "ok = isinstance(store.strategy, PostgresStrategy)",
    ],
)
def test_the_check_finds_each_kind_of_test(source: str) -> None:
    assert _dialect_tests(source, "sample.py")
