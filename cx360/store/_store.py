"""The `Store`: one database (SQLite file or PostgreSQL) holding everything cx360 knows."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Index, Table, func, select

from cx360._errors import ConfigurationError
from cx360.store._dialects import read_connection, strategy_for, strategy_of
from cx360.store._engine import migrate, resolve_store_url, translate_errors
from cx360.store._schema import interactions, quarantine, records, sources


def secondary_indexes(table: Table) -> list[Index]:
    """A table's lookup indexes: the non-unique ones (unique ones enforce correctness)."""
    return sorted((ix for ix in table.indexes if not ix.unique), key=lambda ix: str(ix.name))


def index_names(conn: Connection, table: Table) -> set[str]:
    """The names of a table's indexes in the database (expression indexes too)."""
    return strategy_of(conn).index_names(conn, table)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Store:
    """A migrated database. Open with `Store.open(url)`; close with `close()`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.strategy = strategy_for(url)  # what differs between the databases
        self.engine = self.strategy.create_engine()
        self.revision = migrate(self.engine, self.strategy.schema_transaction)
        self.ensure_indexes()

    @classmethod
    def open(cls, url: str | os.PathLike[str] | None = None) -> Store:
        """Open (creating and migrating if needed) the store at `url` (see `resolve_store_url`)."""
        return cls(resolve_store_url(url))

    @property
    def dialect(self) -> str:
        return self.strategy.name

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with translate_errors(), self.engine.begin() as connection:
            yield connection

    def connection(self) -> AbstractContextManager[Connection]:
        """A connection for reads."""
        return read_connection(self.engine)

    def lookup_connection(self) -> AbstractContextManager[Connection]:
        """A connection for a few short reads (real-time lookups)."""
        return self.strategy.lookup_connection(self.engine)

    def close(self) -> None:
        self.strategy.close()
        self.engine.dispose()

    def forget_connections(self) -> None:
        """Drop every idle connection: one was found lost, and a server that dropped one
        (a restart, a failover) dropped them all."""
        self.strategy.forget_connections()
        self.engine.dispose()

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
        upsert = self.strategy.dialect_insert(sources).values(name=name, **values)
        with self.transaction() as conn:
            conn.execute(upsert.on_conflict_do_update(index_elements=[sources.c.name], set_=values))

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
        with self.connection() as conn:  # read only: a read-only store opens
            if not self._missing_indexes(conn):
                return created
        with self.strategy.schema_transaction(self.engine) as conn:
            missing = self._missing_indexes(conn)  # another process may have built them
            if not missing:
                return created
            with self.strategy.index_build(conn):
                for index in missing:
                    index.create(conn)
                    created.append(str(index.name))
        return created

    def _missing_indexes(self, conn: Connection) -> list[Index]:
        missing: list[Index] = []
        for table in (records, interactions):
            present = self.strategy.index_names(conn, table)
            missing += (ix for ix in secondary_indexes(table) if ix.name not in present)
        return missing

    def drop_secondary_indexes(self, table: Table) -> None:
        """Drop a table's non-unique lookup indexes before a bulk load (rebuilt by one sort
        afterwards with `ensure_indexes`, much cheaper than maintaining them row by row)."""
        with self.transaction() as conn:
            present = self.strategy.index_names(conn, table)
            for index in secondary_indexes(table):
                if index.name in present:
                    index.drop(conn)

    # -- counts ---------------------------------------------------------------------------

    def count_rows(self, kind: str) -> int:
        """Rows in the records, interactions or quarantine table."""
        table = {"records": records, "interactions": interactions}.get(kind, quarantine)
        with self.connection() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def count_records(self) -> int:
        return self.count_rows("records")

    def count_quarantined(self) -> int:
        return self.count_rows("quarantine")
