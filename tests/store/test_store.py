from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert, inspect, text

from cx360 import ConfigurationError, StoreIntegrityError, StoreVersionError
from cx360.store import Store, resolve_store_url, utcnow
from cx360.store._schema import customers

EXPECTED_TABLES = {
    "sources",
    "ingest_batches",
    "records",
    "record_versions",
    "interactions",
    "interaction_versions",
    "quarantine",
    "customers",
    "record_customers",
    "models",
    "resolution_runs",
    "record_links",
    "overrides",
    "alembic_version",
}


def test_open_creates_schema_at_head(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert tables >= EXPECTED_TABLES
    with store.connection() as conn:
        assert (
            conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == store.revision
        )


def test_reopen_is_idempotent(store_url: str) -> None:
    first = Store.open(store_url)
    revision = first.revision
    first.close()
    second = Store.open(store_url)
    assert second.revision == revision
    second.close()


def test_store_newer_than_code_is_refused(store: Store) -> None:
    with store.transaction() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    with pytest.raises(StoreVersionError):
        Store.open(store.url)


def test_integrity_errors_are_translated_without_values(store: Store) -> None:
    row = {
        "customer_id": "C-SECRET-99",
        "status": "active",
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }
    with store.transaction() as conn:
        conn.execute(insert(customers), row)
    with pytest.raises(StoreIntegrityError) as caught, store.transaction() as conn:
        conn.execute(insert(customers), row)
    assert "C-SECRET-99" not in str(caught.value)


def test_source_configuration(store: Store) -> None:
    store.configure_source("whatsapp", default_country="co")
    store.configure_source("store", default_country="ES", priority=10)
    store.configure_source("whatsapp", default_country="MX")
    assert store.source_countries() == {"whatsapp": "MX", "store": "ES"}
    with pytest.raises(ConfigurationError):
        store.configure_source("web", default_country="Colombia")


def test_store_url_rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CX360_STORE", raising=False)
    assert resolve_store_url(None) == "sqlite:///cx360.db"
    assert resolve_store_url(tmp_path / "a.db") == f"sqlite:///{tmp_path / 'a.db'}"
    assert resolve_store_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("CX360_STORE", "sqlite:///elsewhere.db")
    assert resolve_store_url(None) == "sqlite:///elsewhere.db"
    assert resolve_store_url("sqlite:///given.db") == "sqlite:///given.db"


def test_unknown_backend_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        Store.open("mysql://u@h/db")


def test_migrations_match_the_schema_module(store: Store) -> None:
    """The tables the migrations build are the ones the code declares (no drift)."""
    import warnings

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import cx360.privacy._tables  # noqa: F401  (the privacy tables share the metadata)
    from cx360.store._schema import metadata, records
    from cx360.store._store import index_names

    with store.connection() as conn, warnings.catch_warnings():
        # SQLite's expression indexes cannot be reflected, so autogenerate skips them
        # (and warns): they are checked by name below instead
        warnings.filterwarnings("ignore", message=".*expression-based index")
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        present = index_names(conn, records)
    assert diff == []
    assert {str(ix.name) for ix in records.indexes} <= present
