"""A generated dataset resolved in batch once per session, for the tests that only need
a resolved store of it: the scorer's agreement with Splink, counted u's training, and
the batch side of real time's agreement with batch; and one local Spark for the tests
marked `spark`.

The tests marked `spark` need pyspark (`pip install 'cx360[spark]'`) and Java 17+. They
are skipped without them, except in CI (`CI` set), where a missing Spark fails.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cx360 import Hub
from cx360.resolve._spark import java_available
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


def spark_test(test: Any) -> Any:
    return pytest.mark.slow(pytest.mark.spark(test))


def _spark_or_skip() -> None:
    missing = []
    if importlib.util.find_spec("pyspark") is None:
        missing.append("pyspark (pip install 'cx360[spark]')")
    if not java_available():
        missing.append("Java 17+ (JAVA_HOME or java on PATH)")
    if not missing:
        return
    if os.environ.get("CI") is not None:
        pytest.fail(f"CI is set but Spark cannot run, missing: {', '.join(missing)}")
    pytest.skip(f"Spark tests need {', '.join(missing)}")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One small local Spark for the session: 2 cores, 2 shuffle partitions, no UI.

    Splink sends Spark many small queries; on test-sized data, compiling each one to Java
    (whole-stage code generation) and re-planning it adaptively cost more than running
    it interpreted: about a third less CPU for a training on Spark.
    """
    _spark_or_skip()
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Python UDFs: this interpreter
    session = (
        SparkSession.builder.master("local[2]")
        .appName("cx360-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
