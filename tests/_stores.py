"""Stores built once and copied into each test's own store.

Ingesting and resolving a generated dataset takes seconds on each backend; copying the
built store takes a fraction of that (a SQLite backup, or one INSERT ... SELECT per table
between two schemas of the same PostgreSQL database). A test given a copy holds what it
would have built itself: the same rows, IDs, model and customers, in a store of its own.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import NullPool, create_engine, text

import cx360
from cx360.store import Store, resolve_store_url
from cx360.store._schema import metadata
from tests.conftest import POSTGRES_URL, fresh_schema


def backend_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def schema_of(url: str) -> str:
    """The schema of a PostgreSQL store URL made by `scratch_store` (or `postgres_url`)."""
    found = re.search(r"search_path%3D(\w+)", url)
    assert found is not None, "not a scratch PostgreSQL store"
    return found.group(1)


@contextlib.contextmanager
def scratch_store(backend: str, directory: Path, postgres_url: str | None) -> Iterator[str]:
    """The URL of a new empty store: a SQLite file in `directory`, or a PostgreSQL schema
    (dropped afterwards)."""
    if backend == "sqlite":
        path = directory / f"store-{uuid.uuid4().hex[:8]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    assert postgres_url is not None, "PostgreSQL stores need a server URL"
    with fresh_schema(resolve_store_url(postgres_url), "f") as url:
        yield url


def clone_store(source: str, target: str) -> None:
    """Copy the store at `source` into the empty store at `target` (same backend)."""
    if source.startswith("sqlite"):
        with (
            contextlib.closing(sqlite3.connect(sqlite_path(source))) as origin,
            contextlib.closing(sqlite3.connect(sqlite_path(target))) as copy,
        ):
            origin.backup(copy)
        return
    cx360.connect(target).close()  # the schema
    schema = schema_of(source)
    engine = create_engine(resolve_store_url(target), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            for table in metadata.sorted_tables:  # referenced tables first
                name = table.name
                conn.execute(text(f'INSERT INTO "{name}" SELECT * FROM "{schema}"."{name}"'))
                if "id" in table.c and table.c.id.autoincrement is not False:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"
                            f' (SELECT COALESCE(max(id), 0) + 1 FROM "{name}"), false)'
                            f" WHERE pg_get_serial_sequence('{name}', 'id') IS NOT NULL"
                        )
                    )
    finally:
        engine.dispose()


class BuiltStores:
    """One store per backend, built by `build` when a test first asks for a copy."""

    def __init__(
        self, build: Callable[[cx360.Hub], None], directory: Path, stack: contextlib.ExitStack
    ) -> None:
        self._build = build
        self._directory = directory
        self._stack = stack
        self._built: dict[str, str] = {}

    def copy_into(self, store: Store, url: str) -> None:
        """Fill `store` (empty, opened on `url`) with a copy of its backend's built store."""
        backend = backend_of(url)
        if backend not in self._built:
            built = self._stack.enter_context(scratch_store(backend, self._directory, POSTGRES_URL))
            with cx360.connect(built) as hub:
                self._build(hub)
            self._built[backend] = built
        store.engine.dispose()  # no pooled connection sees the empty store afterwards
        clone_store(self._built[backend], url)


@contextlib.contextmanager
def built_stores(build: Callable[[cx360.Hub], None], directory: Path) -> Iterator[BuiltStores]:
    """`BuiltStores` whose stores are removed when the context ends."""
    with contextlib.ExitStack() as stack:
        yield BuiltStores(build, directory, stack)
