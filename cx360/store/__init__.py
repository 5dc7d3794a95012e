"""Storage: SQLAlchemy schema, Alembic migrations, bulk writes. SQLite or PostgreSQL."""

from cx360.store._engine import (
    DEFAULT_STORE_URL,
    STORE_ENV_VAR,
    resolve_store_url,
    retry_on_lost_connection,
)
from cx360.store._store import Store, utcnow

__all__ = [
    "DEFAULT_STORE_URL",
    "STORE_ENV_VAR",
    "Store",
    "resolve_store_url",
    "retry_on_lost_connection",
    "utcnow",
]
