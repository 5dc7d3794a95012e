"""How many statements one real-time call sends, on a real store of each database: on
PostgreSQL each round trip to the server costs a call more than most of its work, so the
counts are pinned here (a statement added to the path shows as a failure). PostgreSQL's
are counted in the wire protocol (libpq's trace: one ReadyForQuery ends each round trip);
SQLite's as the statements its connections run (they cost no round trip, but a new one
on the path shows all the same)."""

from __future__ import annotations

import csv
import random
import sqlite3
import string
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from psycopg import pq
from sqlalchemy import Engine, event

from cx360 import Hub
from cx360.store import Store
from cx360.synthetic import write_dataset


class StatementCounter:
    """Counts what the store's connections send while `counting()` runs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.active = False
        self.sqlite_statements = 0
        self.servers: list[Any] = []  # psycopg connections, traced while counting

    def on_connect(self, dbapi_connection: Any, _record: object) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(self._sqlite_statement)
        else:
            self.servers.append(dbapi_connection)

    def _sqlite_statement(self, _sql: str) -> None:
        if self.active:
            self.sqlite_statements += 1

    def count(self, call: Callable[[], object]) -> int:
        """Statements (SQLite) or round trips (PostgreSQL) of one `call()`."""
        self.sqlite_statements = 0
        live = [c for c in self.servers if not c.closed]
        paths = [self.folder / f"trace-{i}.txt" for i in range(len(live))]
        with ExitStack() as stack:
            for connection, path in zip(live, paths, strict=True):
                trace = stack.enter_context(path.open("w"))
                connection.pgconn.trace(trace.fileno())
                connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
                stack.callback(connection.pgconn.untrace)  # flushes the trace
            self.active = True
            try:
                call()
            finally:
                self.active = False
        replies = sum(  # lines: direction, length, message, ...
            line.split("\t")[:3:2] == ["B", "ReadyForQuery"]
            for path in paths
            for line in path.read_text().splitlines()
        )
        return self.sqlite_statements + replies


@pytest.fixture
def counter(tmp_path: Path) -> Iterator[StatementCounter]:
    found = StatementCounter(tmp_path)
    event.listen(Engine, "connect", found.on_connect)
    try:
        yield found
    finally:
        event.remove(Engine, "connect", found.on_connect)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _strangers(n: int) -> list[dict[str, str]]:
    """Records of people unlike anyone stored or each other (made-up letters)."""
    pick = random.Random(5)
    made = []
    for i in range(n):
        first, last = ("".join(pick.choices(string.ascii_lowercase, k=9)) for _ in "fl")
        made.append(
            {
                "source": "web",
                "source_record_id": f"other-{i}",
                "first_name": first.title(),
                "last_name": last.title(),
                "email": f"{first}.{last}@correo.co",
            }
        )
    return made


# (new record, same record again, context lookup, profile lookup by customer ID)
EXPECTED = {"postgresql": (3, 4, 1, 1), "sqlite": (8, 7, 1, 1)}


def test_one_resolve_record_and_one_lookup_send_few_statements(
    store_url: str, tmp_path: Path, counter: StatementCounter
) -> None:
    data = write_dataset(tmp_path / "data", n_records=600, seed=7, fmt="csv")
    rows = _rows(data.records_path)
    with Hub(Store.open(store_url)) as hub:
        hub.ingest(records=rows[:500])
        hub.resolve()
        for row in rows[500:510]:  # warm: the model read, statements prepared
            hub.resolve_record(row)
            hub.resolve_record(row)
        stranger = {
            "source": "web",
            "source_record_id": "stranger-1",
            "first_name": "Zebulon",
            "last_name": "Quixotl",
            "email": "zebulon.quixotl@correo.co",
        }
        # others like it first, each twice: a statement's first run on each pooled
        # connection prepares it (a round trip of its own, once)
        for other in _strangers(12):
            hub.resolve_record(other)
            hub.resolve_record(other)
        matches = []
        new = counter.count(lambda: matches.append(hub.resolve_record(stranger)))
        again = counter.count(lambda: matches.append(hub.resolve_record(stranger)))
        match = matches[0]
        assert match.status == "new" and match.customer_id is not None
        assert [m.record.source_record_id for m in matches] == ["stranger-1"] * 2
        assert matches[1].customer_id == match.customer_id
        email = {"email": stranger["email"]}
        for _ in range(3):
            hub.context(**email)
            hub.profile(customer_id=match.customer_id)
        context = counter.count(lambda: hub.context(**email))
        profile = counter.count(lambda: hub.profile(customer_id=match.customer_id))
        assert hub.context(**email).status == "found"
        backend = hub.status().backend
    assert (new, again, context, profile) == EXPECTED[backend]
