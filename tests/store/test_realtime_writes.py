"""Real-time write helpers: locked transactions, lock keys, background WAL checkpoints."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from cx360.store import Store
from cx360.store._realtime import WalCheckpointer, lock_key, locked_transaction


def test_lock_keys_are_stable_signed_64_bit_numbers() -> None:
    assert lock_key("phone_key:+573001234567") == lock_key("phone_key:+573001234567")
    assert lock_key("a") != lock_key("b")
    assert all(-(2**63) <= lock_key(str(n)) < 2**63 for n in range(1000))


def test_a_locked_transaction_commits_or_rolls_back(store: Store) -> None:
    with locked_transaction(store, ["phone_key:+1", "email_key:a@b.co"]) as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))

    def failing() -> None:
        with locked_transaction(store, ["phone_key:+1"]) as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))
            raise RuntimeError("the caller failed")

    with pytest.raises(RuntimeError):
        failing()
    with store.connection() as conn:
        assert conn.execute(text("SELECT x FROM t")).scalars().all() == [1]


def test_background_checkpoints_keep_the_wal_small(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "c.db")
    checkpointer = WalCheckpointer(str(tmp_path / "c.db"), interval=0.05, reset_frames=200)
    try:
        with store.transaction() as conn:
            conn.execute(text("CREATE TABLE t (x TEXT)"))
        started = time.monotonic()
        while time.monotonic() - started < 2.0:  # a steady stream of small commits
            with locked_transaction(store, manual_checkpoints=True) as conn:
                conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": "x" * 2000})
        wal = tmp_path / "c.db-wal"
        # without resets the log would hold every page written (thousands); with them it
        # holds what was written since the last one
        assert wal.stat().st_size < 4096 * 2000
    finally:
        checkpointer.stop()
        store.close()
    assert not checkpointer._thread.is_alive()
