"""Opening a store: URL rules, migrations, error translation, JSON text."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, exc

from cx360._errors import (
    StoreConnectionError,
    StoreError,
    StoreIntegrityError,
    StoreVersionError,
)

log = logging.getLogger("cx360.store")

DEFAULT_STORE_URL = "sqlite:///cx360.db"
STORE_ENV_VAR = "CX360_STORE"
_MIGRATIONS = Path(__file__).parent / "migrations"
_T = TypeVar("_T")
# A store strategy's `schema_transaction`: a transaction holding the schema's lock.
SchemaTransaction = Callable[[Engine], AbstractContextManager[Connection]]


def resolve_store_url(url: str | os.PathLike[str] | None = None) -> str:
    """The store URL to use: the argument, else `$CX360_STORE`, else `sqlite:///cx360.db`.
    A bare file path means a SQLite file; `postgresql://` gets the psycopg 3 driver."""
    chosen = os.fspath(url) if url is not None else os.environ.get(STORE_ENV_VAR)
    if not chosen:
        return DEFAULT_STORE_URL
    if "://" not in chosen:
        return f"sqlite:///{chosen}"
    if chosen.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn driver and SQLAlchemy errors into cx360's own, at the storage boundary (the
    engines hide parameters: messages carry no personal data)."""
    try:
        yield
    except exc.SQLAlchemyError as error:
        raise store_error(error) from error


def store_error(error: exc.SQLAlchemyError) -> StoreError:
    """cx360's error for a SQLAlchemy (or wrapped driver) error (`translate_errors`)."""
    if isinstance(error, exc.IntegrityError):
        return StoreIntegrityError(f"store constraint violated: {_describe(error)}")
    if isinstance(error, exc.DBAPIError):
        if _no_server(error):
            return StoreConnectionError(
                "cannot connect to the store's database server (refused, not there, or the "
                "login was not accepted)"
            )
        if error.connection_invalidated:
            return StoreConnectionError(f"connection to the store lost: {_describe(error)}")
        short_of = _INSUFFICIENT_RESOURCES.get(getattr(error.orig, "sqlstate", None) or "")
        if short_of is not None:
            return StoreError(f"store error: {short_of} ({_describe(error)})")
        return StoreError(f"store error: {_describe(error)}")
    return StoreError(f"store error: {type(error).__name__}")


# PostgreSQL's class 53 (insufficient resources) in words, as SQLite's own message says
# "database or disk is full": a SQLSTATE alone does not tell an operator what to free.
_INSUFFICIENT_RESOURCES = {
    "53000": "the database server is short of resources",
    "53100": "the database server's disk is full",
    "53200": "the database server is out of memory",
    "53300": "the database server has too many connections",
    "53400": "a configured limit of the database server was reached",
}


def retry_on_lost_connection(
    call: Callable[[], _T], forget_connections: Callable[[], None] | None = None
) -> _T:
    """`call()`, once more if the store's connection was lost (`StoreConnectionError`):
    pooled connections are not pinged before use (a round trip per call). Before the
    retry `forget_connections` drops the store's other idle connections, which a call
    may use after the first (they died with it). Only for idempotent calls (lookups,
    writes keyed by the caller's IDs): a connection lost during COMMIT leaves it unknown
    whether the first attempt was stored."""
    try:
        return call()
    except StoreConnectionError:
        log.info("store connection lost; retrying once on a new connection")
        if forget_connections is not None:
            forget_connections()
        return call()


def _no_server(error: exc.DBAPIError) -> bool:
    # psycopg's failed connection: an OperationalError without a SQLSTATE (no server spoke)
    orig = error.orig
    return (
        isinstance(error, exc.OperationalError)
        and getattr(orig, "diag", None) is not None
        and getattr(orig, "sqlstate", None) is None
    )


def _describe(error: exc.DBAPIError) -> str:
    """The driver's message without values: PostgreSQL puts row values in DETAIL and in
    some primary messages, so only the SQLSTATE and constraint name are kept there."""
    orig = error.orig
    diag = getattr(orig, "diag", None)
    if diag is not None:  # psycopg
        parts = [f"SQLSTATE {getattr(orig, 'sqlstate', None) or '?'}"]
        if diag.constraint_name:
            parts.append(f"constraint {diag.constraint_name}")
        if diag.table_name:
            parts.append(f"table {diag.table_name}")
        return ", ".join(parts)
    # sqlite3 messages name tables and columns, never values
    return f"{type(orig).__name__}: {str(orig).splitlines()[0][:200]}"


class SerializedJSON(str):
    """JSON text serialized once upstream (in an ingest worker): stored as it is."""

    __slots__ = ()


def json_default(value: object) -> str:
    """JSON for what `json` cannot write: dates as ISO text, anything else as its repr."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return repr(value)


def json_text(value: object) -> str:
    """A value as the JSON text stored for it (what engines serialize JSON columns with)."""
    if isinstance(value, SerializedJSON):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=json_default)


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, schema_transaction: SchemaTransaction) -> str:
    """Bring the store's schema to this version's head; returns the revision.

    A store already at its head is only read (a read-only store opens). Otherwise the
    upgrade runs in `schema_transaction` (one process at a time), which reads the revision
    again: another process may have migrated the store meanwhile.
    """
    with translate_errors(), engine.connect() as connection:
        head, current = _revisions(connection)
    if current == head:
        return head
    with schema_transaction(engine) as connection:
        head, current = _revisions(connection)
        if current != head:
            log.info("migrating store schema %s -> %s", current, head)
            command.upgrade(_alembic_config(connection), "head")
        return head


def _revisions(connection: Connection) -> tuple[str, str | None]:
    """This version's head revision, and the store's (None: a new store)."""
    script = ScriptDirectory.from_config(_alembic_config(connection))
    head = script.get_current_head()
    assert head is not None
    current = MigrationContext.configure(connection).get_current_revision()
    if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
        raise StoreVersionError(
            f"the store is at schema revision {current!r}, unknown to this cx360; upgrade cx360"
        )
    return head, current
