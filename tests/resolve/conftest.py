"""A generated dataset resolved in batch once per session, for the tests that only need
a resolved store of it: the scorer's agreement with Splink, counted u's training, and
the batch side of real time's agreement with batch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cx360 import Hub
from cx360.store import Store
from cx360.synthetic import write_dataset
from tests._stores import BuiltStores, built_stores


@dataclass(frozen=True)
class ResolvedDataset:
    """The files of a generated dataset, and its store ingested and resolved on SQLite."""

    records: Path
    truth: Path
    stores: BuiltStores

    def copy(self, directory: Path) -> Store:
        """A SQLite store in `directory` holding a copy of the resolved store."""
        url = f"sqlite:///{directory / 'resolved.db'}"
        store = Store.open(url)
        self.stores.copy_into(store, url)
        return store


@pytest.fixture(scope="session")
def resolved_3000(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ResolvedDataset]:
    """3,000 generated records (seed 5), every one ingested, resolved in one full run."""
    data = write_dataset(tmp_path_factory.mktemp("seed5"), n_records=3000, seed=5, fmt="csv")

    def build(hub: Hub) -> None:
        hub.ingest_files(data.records_path)
        hub.resolve()

    with built_stores(build, tmp_path_factory.mktemp("seed5-resolved")) as stores:
        yield ResolvedDataset(data.records_path, data.truth_path, stores)
