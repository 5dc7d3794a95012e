"""A store built once per backend from a synthetic dataset: ingested and resolved."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from cx360 import Hub
from cx360.store import Store
from cx360.synthetic import write_dataset

N_RECORDS = 2_000
SEED = 11


def _postgres_base() -> str:
    base = os.environ.get("CX360_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI=true but CX360_TEST_POSTGRES_URL is not set: PostgreSQL tests must run")
        pytest.skip("set CX360_TEST_POSTGRES_URL to run PostgreSQL tests (.ci/run does)")
    if base.startswith("postgresql://"):
        base = "postgresql+psycopg://" + base.removeprefix("postgresql://")
    return base


@pytest.fixture(
    scope="package", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def built_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """A store holding ~2,000 synthetic records and their interactions, resolved.

    Built once per backend for the whole package (resolution takes seconds); tests only
    add rows with ids of their own, never change the dataset's. Tests read its tables to
    check what the hub (`built`) answers.
    """
    folder = tmp_path_factory.mktemp("profile-data")
    admin = None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'cx360.db'}"
    else:
        base = _postgres_base()
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in base else "?"
        url = f"{base}{separator}options=-csearch_path%3D{schema}"
    data = write_dataset(folder / "data", n_records=N_RECORDS, seed=SEED, fmt="csv")
    store = Store.open(url)
    try:
        hub = Hub(store)
        hub.ingest_files(data.records_path, data.interactions_path)
        hub.resolve()
        yield store
    finally:
        store.close()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture(scope="package")
def built(built_store: Store) -> Iterator[Hub]:
    """A hub on `built_store`."""
    hub = Hub(built_store)
    yield hub
    hub.close()
