"""One strategy per database, chosen once per store (`Store.strategy`, from its URL): the
base and what it leaves to each database in `_strategy`, SQLite's in `_sqlite`,
PostgreSQL's in `_postgresql`. No other module tests a database's name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.engine import make_url

from cx360._errors import ConfigurationError
from cx360.store._postgresql import PostgresStrategy
from cx360.store._sqlite import SQLiteStrategy
from cx360.store._strategy import CandidateReads, Maps, Strategy, read_connection

__all__ = [
    "CandidateReads",
    "PostgresStrategy",
    "SQLiteStrategy",
    "Strategy",
    "fetch_mappings",
    "read_connection",
    "strategy_for",
    "strategy_of",
]


def strategy_for(url: str) -> Strategy:
    """The strategy of the database behind a store URL."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError as error:
        raise ConfigurationError("invalid store URL") from error
    backend = parsed.get_backend_name()
    for kind in (SQLiteStrategy, PostgresStrategy):
        if kind.name == backend:
            return kind(parsed)
    raise ConfigurationError(
        f"unsupported store backend {backend!r}: use sqlite:/// or postgresql://"
    )


def strategy_of(conn: Connection) -> type[Strategy]:
    """The strategy of a connection's database, for functions given only a connection."""
    return SQLiteStrategy if conn.dialect.name == SQLiteStrategy.name else PostgresStrategy


def fetch_mappings(conn: Connection, statement: Any, params: Mapping[str, Any]) -> Maps:
    """The rows of a lookup as mappings by column name (`Strategy.fetch_mappings`)."""
    return strategy_of(conn).fetch_mappings(conn, statement, params)
