"""Real-time write helpers: locked transactions, lock keys, the pinned connection,
background WAL checkpoints."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import String, bindparam, func, literal, select, text

from cx360._errors import StoreError
from cx360.store import Store
from cx360.store._pg_driver import execute_on_driver
from cx360.store._pg_locks import lock_key
from cx360.store._postgresql import PinnedConnection, PostgresStrategy
from cx360.store._sqlite import SQLiteSQL, SQLiteStrategy
from cx360.store._sqlite_wal import WalCheckpointer


def test_lock_keys_are_stable_signed_64_bit_numbers() -> None:
    assert lock_key("phone_key:+573001234567") == lock_key("phone_key:+573001234567")
    assert lock_key("a") != lock_key("b")
    assert all(-(2**63) <= lock_key(str(n)) < 2**63 for n in range(1000))


def test_a_locked_transaction_commits_or_rolls_back(store: Store) -> None:
    lock = store.strategy.locked_transaction
    with lock(store.engine, ["phone_key:+1", "email_key:a@b.co"]) as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))

    def failing() -> None:
        with lock(store.engine, ["phone_key:+1"]) as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))
            raise RuntimeError("the caller failed")

    with pytest.raises(RuntimeError):
        failing()
    with store.connection() as conn:
        assert conn.execute(text("SELECT x FROM t")).scalars().all() == [1]


def test_a_pinned_connection_serves_one_thread_and_outlives_a_failed_statement(
    store: Store,
) -> None:
    if not isinstance(store.strategy, PostgresStrategy):
        pytest.skip("PostgreSQL only: SQLite statements cost no round trip")
    pinned = PinnedConnection(store.strategy.autocommit_engine)
    backend = select(func.pg_backend_pid())
    try:
        with pinned.lease() as conn:
            assert conn is not None
            with pinned.lease() as busy:
                assert busy is None  # another caller takes a pooled connection meanwhile
            first = execute_on_driver(conn, backend, {})[0][0]
        with pinned.lease() as conn:  # kept between calls
            assert conn is not None
            assert execute_on_driver(conn, backend, {})[0][0] == first
        with pinned.lease() as conn:
            assert conn is not None
            with pytest.raises(StoreError):
                execute_on_driver(conn, select(literal(1) / literal(0)), {})
        with pinned.lease() as conn:  # autocommitted: nothing to roll back, still the same
            assert conn is not None
            assert execute_on_driver(conn, backend, {})[0][0] == first
    finally:
        pinned.close()
    with pinned.lease() as closed:
        assert closed is None


def test_checkpoints_start_a_long_wal_over(tmp_path: Path) -> None:
    """What each tick of the checkpointer does, run here by hand so that the test does not
    depend on the thread winning a race against the writers on a loaded machine (that
    race made a time-based version of this test fail in CI). Without the tick the log
    doubles; the RESTART branch, which matters only under a steady stream of writers, is
    exercised by benchmarks/realtime_speed.py, not here."""
    import sqlite3

    store = Store.open(tmp_path / "c.db")
    strategy = store.strategy
    assert isinstance(strategy, SQLiteStrategy)
    # the store's own, with an interval so long that the thread only checkpoints when stopped
    checkpointer = WalCheckpointer(str(tmp_path / "c.db"), interval=3600, reset_frames=200)
    strategy._checkpointer = checkpointer
    own = sqlite3.connect(tmp_path / "c.db", isolation_level=None)
    wal = tmp_path / "c.db-wal"
    try:
        with store.transaction() as conn:
            conn.execute(text("CREATE TABLE t (x TEXT)"))

        def burst() -> None:
            for _ in range(400):  # small commits, as real-time calls make
                with store.strategy.locked_transaction(store.engine) as conn:
                    conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": "x" * 2000})

        burst()
        first = wal.stat().st_size
        assert first > 4096 * 200  # longer than reset_frames
        checkpointer._checkpoint(own)  # one tick: the log is copied into the database
        burst()
        # the next writers started the log over instead of appending to it
        assert wal.stat().st_size <= first * 1.2
    finally:
        own.close()
        store.close()  # stops the store's checkpointer
    assert not checkpointer._thread.is_alive()


def _sqlite_store(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'reads.db'}")
    import cx360

    cx360.Hub(store).ingest(
        records=[
            {"source": "crm", "source_record_id": f"r-{n}", "full_name": "Ana Vidal",
             "email": f"ana.vidal.{n}@proton.me", "national_id": "1020304050",
             "country": "CO", "observed_at": "2024-06-14T10:50:00"}
            for n in range(3)
        ]
    )  # fmt: skip
    return store


def test_sqlite_reads_on_the_driver_give_what_sqlalchemy_gives(tmp_path: Path) -> None:
    from cx360.resolve.realtime._candidates import CANDIDATES, _query_params
    from cx360.store._schema import records

    store = _sqlite_store(tmp_path)
    try:
        typed = select(records.c.id, records.c.observed_at, records.c.national_id_valid).where(
            records.c.source == literal("crm"), records.c.observed_at >= bindparam("since")
        )
        # a list parameter: its SQL depends on the list's length
        listed = select(records.c.id).where(
            records.c.source_record_id.in_(bindparam("keys", expanding=True))
        )
        # a list of `in_list`: one JSON array, one statement text
        in_list = select(records.c.id, records.c.source_record_id).where(
            SQLiteStrategy.in_list(records.c.source_record_id, "keys", String)
        )
        with store.connection() as conn:
            row = conn.execute(select(records).limit(1)).mappings().one()
            params = _query_params(dict(row))
            for statement, values in (
                (CANDIDATES.by_rule, params),  # real time's candidates: sixty parameters
                # datetimes and booleans processed as SQLAlchemy does, both ways
                (typed, {"since": datetime(2024, 6, 14, 10, 50)}),
                (listed, {"keys": ["r-0", "r-2"]}),  # a list: SQLAlchemy runs it
                (in_list, {"keys": ["r-0", "r-2", "r-2", 'it\'s "quoted"']}),
            ):
                expected = [tuple(r) for r in conn.execute(statement, values).all()]
                found = [tuple(r) for r in SQLiteStrategy.fetch(conn, statement, values)]
                assert found == expected
                assert found
                assert [type(v) for v in found[0]] == [type(v) for v in expected[0]]
            assert SQLiteStrategy._built[("driver", listed)] is False  # not compiled again
            assert isinstance(SQLiteStrategy._built[("driver", in_list)], SQLiteSQL)
            found = SQLiteStrategy.fetch(conn, in_list, {"keys": ["r-2", "r-0"]})
            assert sorted(key for _, key in found) == ["r-0", "r-2"]
            assert SQLiteStrategy.fetch(conn, in_list, {"keys": []}) == []
            with pytest.raises(StoreError, match="no such table"):
                SQLiteStrategy.fetch(conn, text("SELECT x FROM nowhere"), {})
    finally:
        store.close()
