"""The `Store`: one database (SQLite file or PostgreSQL) holding everything cx360 knows."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Index, Table, func, insert, inspect, select, update

from cx360._errors import ConfigurationError
from cx360.store._engine import (
    SQLITE_TEMP_STORE,
    create_store_engine,
    migrate,
    resolve_store_url,
    translate_errors,
)
from cx360.store._schema import interactions, quarantine, records, sources


def secondary_indexes(table: Table) -> list[Index]:
    """A table's lookup indexes: the non-unique ones (unique ones enforce correctness)."""
    return sorted((ix for ix in table.indexes if not ix.unique), key=lambda ix: str(ix.name))


def index_names(conn: Connection, table: Table) -> set[str]:
    """The names of a table's indexes in the database (expression indexes too)."""
    if conn.dialect.name == "sqlite":
        # SQLAlchemy does not reflect SQLite's expression indexes (it warns and skips them)
        rows = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table.name,)
        )
        return {str(name) for (name,) in rows}
    return {str(ix["name"]) for ix in inspect(conn).get_indexes(table.name)}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Store:
    """A migrated database. Open with `Store.open(url)`; close with `close()`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_store_engine(url)
        self._autocommit_engine: Engine | None = None
        self.revision = migrate(self.engine)
        self.ensure_indexes()

    @classmethod
    def open(cls, url: str | os.PathLike[str] | None = None) -> Store:
        """Open (creating and migrating if needed) the store at `url` (see `resolve_store_url`)."""
        return cls(resolve_store_url(url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with translate_errors(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection for reads.

        The read ends in COMMIT, not the pool's ROLLBACK: psycopg forgets its prepared
        statements on every rollback (and deallocates them on the server), so lookups
        would be planned afresh on each call.
        """
        with translate_errors(), self.engine.connect() as connection:
            yield connection
            if connection.in_transaction():
                connection.commit()

    @contextmanager
    def lookup_connection(self) -> Iterator[Connection]:
        """A connection for a few short reads (real-time lookups).

        On PostgreSQL it autocommits: at READ COMMITTED each statement has its own
        snapshot in a transaction too, so BEGIN and COMMIT would be two round trips for
        nothing. On SQLite it reads in one transaction (one snapshot for every read).
        """
        if self.dialect != "postgresql":
            with self.connection() as connection:
                yield connection
            return
        with translate_errors(), self.autocommit_engine.connect() as connection:
            yield connection

    @property
    def autocommit_engine(self) -> Engine:
        """PostgreSQL: an engine whose connections autocommit, for single statements and
        lookups (set once per connection, not switched and reset at every checkout)."""
        if self._autocommit_engine is None:
            self._autocommit_engine = create_store_engine(self.url, autocommit=True)
        return self._autocommit_engine

    def close(self) -> None:
        self.engine.dispose()
        if self._autocommit_engine is not None:
            self._autocommit_engine.dispose()
            self._autocommit_engine = None

    # -- sources --------------------------------------------------------------------------

    def configure_source(
        self, name: str, *, default_country: str | None = None, priority: int = 0
    ) -> None:
        """Set a source's default country (for records without one) and survivorship priority."""
        if default_country is not None:
            if len(default_country) != 2 or not default_country.isalpha():
                raise ConfigurationError("default_country must be an ISO 3166 alpha-2 code")
            default_country = default_country.upper()
        values: dict[str, Any] = {
            "default_country": default_country,
            "priority": priority,
            "updated_at": utcnow(),
        }
        with self.transaction() as conn:
            exists = conn.execute(select(sources.c.name).where(sources.c.name == name)).first()
            if exists:
                conn.execute(update(sources).where(sources.c.name == name).values(values))
            else:
                conn.execute(insert(sources).values(name=name, **values))

    def source_countries(self) -> dict[str, str]:
        """Default country per configured source."""
        with self.connection() as conn:
            rows = conn.execute(
                select(sources.c.name, sources.c.default_country).where(
                    sources.c.default_country.is_not(None)
                )
            )
            return {name: country for name, country in rows}

    # -- indexes --------------------------------------------------------------------------

    def ensure_indexes(self) -> list[str]:
        """Create any lookup index that is missing, e.g. after a bulk load that deferred
        them was killed before rebuilding; returns the names created."""
        created: list[str] = []
        with self.transaction() as conn:
            missing: list[Index] = []
            for table in (records, interactions):
                present = index_names(conn, table)
                missing += (ix for ix in secondary_indexes(table) if ix.name not in present)
            if not missing:
                return created
            driver: Any = conn.connection.driver_connection
            # (temp_store cannot change within a transaction; sqlite3 opens none for DDL)
            sqlite = conn.dialect.name == "sqlite" and not driver.in_transaction
            if sqlite:
                # CREATE INDEX sorts the keys in temporary storage: in memory (the store's
                # setting) SQLite grows and copies its in-memory temporary files in small
                # pieces, which made rebuilding after a bulk load ~40% slower than with a
                # temporary file (the OS page cache keeps it in memory all the same).
                conn.exec_driver_sql("PRAGMA temp_store=FILE")
            try:
                for index in missing:
                    index.create(conn)
                    created.append(str(index.name))
            finally:
                if sqlite:
                    conn.exec_driver_sql(f"PRAGMA temp_store={SQLITE_TEMP_STORE}")
        return created

    def drop_secondary_indexes(self, table: Table) -> None:
        """Drop a table's non-unique lookup indexes before a bulk load (rebuilt by one sort
        afterwards with `ensure_indexes`, much cheaper than maintaining them row by row)."""
        with self.transaction() as conn:
            present = index_names(conn, table)
            for index in secondary_indexes(table):
                if index.name in present:
                    index.drop(conn)

    # -- counts ---------------------------------------------------------------------------

    def count_rows(self, kind: str) -> int:
        """Rows in the records or interactions table."""
        table = records if kind == "records" else interactions
        with self.connection() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def count_records(self) -> int:
        with self.connection() as conn:
            return int(conn.execute(select(func.count()).select_from(records)).scalar_one())

    def count_quarantined(self) -> int:
        with self.connection() as conn:
            return int(conn.execute(select(func.count()).select_from(quarantine)).scalar_one())
