"""Processes opening a new store at the same moment: one creates its schema, the others
wait for it and open the store it made (none fails, on SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from cx360.store import Store

_OPEN_AT = """
import sys, time
from cx360.store import Store
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
store = Store.open(sys.argv[1])
print(store.revision)
store.close()
"""


@pytest.mark.parametrize("attempt", [1, 2])
def test_processes_opening_a_new_store_at_once_all_open_it(store_url: str, attempt: int) -> None:
    start = time.time() + 4.0  # every process imported and waiting by then
    opening = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN_AT, store_url, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    done = [process.communicate(timeout=120) for process in opening]
    failed = [
        err[-2000:] for process, (_, err) in zip(opening, done, strict=True) if process.returncode
    ]
    assert not failed, failed
    store = Store.open(store_url)
    try:
        assert {out.strip() for out, _ in done} == {store.revision}
        with store.connection() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert not store.ensure_indexes()  # every lookup index built once
    finally:
        store.close()
