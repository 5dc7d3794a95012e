"""The Spark side of the Spark engine: the session, the work directory, Parquet exchange.

Splink is not imported here: the adapter (`_splink.py`) drives Splink's `SparkAPI` over
the session and work directory set up here. Data goes both ways as Parquet files in a
per-run directory under the work directory, so the same code runs against a cluster when
both this process and the executors reach it (HDFS, S3, a shared mount).

pyspark is the `spark` extra and is imported only when the engine starts.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import tempfile
import uuid
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from cx360._errors import ConfigurationError, MissingDependencyError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger("cx360.resolve")

# Settings cx360 gives a session it builds itself (a session passed in is used as it is).
DEFAULT_CONF: dict[str, str] = {
    "spark.app.name": "cx360-resolve",
    "spark.ui.showConsoleProgress": "false",
    # Splink's joins are many; adaptive execution coalesces their small partitions
    "spark.sql.adaptive.enabled": "true",
}


_RUN_PREFIX = "cx360-run-"


@dataclass(frozen=True, slots=True)
class SparkOptions:
    """Where and how the Spark engine runs.

    Attributes:
        master: the cluster manager URL (`spark://host:7077`, `yarn`, `k8s://...`,
            `local[4]`); None: `SPARK_MASTER`, else the environment's `spark.master`
            (under `spark-submit`, or with `SPARK_CONF_DIR`), else `local[*]`. Ignored
            when `session` is given.
        work_dir: where Parquet files and Spark checkpoints go, as a path or URL
            (`hdfs://nn/tmp/cx360`, `s3a://bucket/cx360`); it must be reachable by this
            process and every executor. None: a local temporary directory (local mode).
        session: an existing `pyspark.sql.SparkSession` to run on; cx360 leaves it open.
        conf: extra Spark settings for a session cx360 builds (`spark.executor.memory`...).
    """

    master: str | None = None
    work_dir: str | None = None
    session: SparkSession | None = field(default=None, compare=False)
    conf: Mapping[str, str] = field(default_factory=dict)


def _pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError as error:
        raise MissingDependencyError("pyspark", "spark") from error
    return pyspark.sql


def java_available() -> bool:
    """Whether a Java runtime for Spark can be found (JAVA_HOME or `java` on PATH)."""
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return True
    return shutil.which("java") is not None


def _is_local(uri: str) -> bool:
    scheme = urlparse(uri).scheme
    return scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt")


class SparkEngine(AbstractContextManager["SparkEngine"]):
    """A Spark session and this run's directory in the work directory; as a context
    manager, on exit the directory is deleted, and the session stopped if cx360 built it."""

    def __init__(self, spark: SparkSession, work_dir: str, *, owns_session: bool) -> None:
        self.spark = spark
        self._owns_session = owns_session
        self._temporary: str | None = None
        if not work_dir and not (spark.sparkContext.master or "").startswith("local"):
            raise ConfigurationError(
                "Spark runs on a cluster: give a work directory that it shares with this "
                "process (spark_work_dir / --spark-work-dir: hdfs://..., s3a://...)"
            )
        if not work_dir:
            self._temporary = tempfile.mkdtemp(prefix="cx360-spark-")
            work_dir = self._temporary
        run = f"{_RUN_PREFIX}{uuid.uuid4().hex[:12]}"
        if _is_local(work_dir):
            local = os.path.abspath(urlparse(work_dir).path if "://" in work_dir else work_dir)
            self._fs: pafs.FileSystem = pafs.LocalFileSystem()
            self._root = os.path.join(local, run)
            self._spark_root = "file://" + self._root
        else:
            # pyarrow knows Hadoop's `s3a://` as `s3://`
            self._fs, path = pafs.FileSystem.from_uri(re.sub("^s3a://", "s3://", work_dir))
            self._root = path.rstrip("/") + "/" + run
            self._spark_root = work_dir.rstrip("/") + "/" + run
        self._fs.create_dir(self._root, recursive=True)
        context = spark.sparkContext
        current = context.getCheckpointDir()
        if current is None or _RUN_PREFIX in current:
            # Splink breaks long query lineages by writing Parquet there (a directory of
            # an earlier cx360 run on this session is gone: take this run's)
            context.setCheckpointDir(self.uri("checkpoints"))

    @classmethod
    def start(cls, options: SparkOptions) -> SparkEngine:
        """Take the session in `options`, or build one (local mode unless a master is set)."""
        if options.session is not None:
            return cls(options.session, options.work_dir or "", owns_session=False)
        sql = _pyspark()
        if not java_available():
            raise ConfigurationError(
                "the Spark engine needs a Java runtime (17 or later): set JAVA_HOME or put "
                "`java` on PATH"
            )
        builder = sql.SparkSession.builder
        master = options.master or os.environ.get("SPARK_MASTER")
        if master:
            builder = builder.master(master)
        elif not (os.environ.get("PYSPARK_GATEWAY_PORT") or os.environ.get("SPARK_CONF_DIR")):
            # no master from a JVM that `spark-submit` started, nor from spark-defaults.conf
            builder = builder.master("local[*]")
            # Python UDFs (`_splink.register_jaro_winkler`) run in this interpreter, whose
            # packages they import, unless told otherwise (read when the session starts)
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        for key, value in {**DEFAULT_CONF, **options.conf}.items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("WARN")
        try:
            return cls(spark, options.work_dir or "", owns_session=True)
        except BaseException:
            spark.stop()
            raise

    def uri(self, name: str) -> str:
        """The URL under which Spark finds `name` in this run's directory."""
        return f"{self._spark_root}/{name}"

    def write(self, name: str, table: pa.Table) -> None:
        """Write an Arrow table as Parquet for Spark (at `uri(name)`)."""
        self._fs.create_dir(f"{self._root}/{name}", recursive=True)
        pq.write_table(table, f"{self._root}/{name}/part-0.parquet", filesystem=self._fs)

    def read(self, name: str) -> pa.Table:
        """Read back a Parquet directory that Spark wrote (`frame.write.parquet(uri(name))`)."""
        selector = pafs.FileSelector(f"{self._root}/{name}", recursive=True)
        found = self._fs.get_file_info(selector)
        files = sorted(i.path for i in found if i.is_file and i.path.endswith(".parquet"))
        if not files:
            return pa.table({})
        return pq.ParquetDataset(files, filesystem=self._fs).read().combine_chunks()

    def frame(self, name: str) -> DataFrame:
        """A Parquet directory of this run as a Spark DataFrame."""
        return self.spark.read.parquet(self.uri(name))

    def close(self) -> None:
        try:
            self._fs.delete_dir(self._root)
        except (FileNotFoundError, OSError) as error:
            log.warning("Spark work directory not removed: %s", type(error).__name__)
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
        if self._owns_session:
            self.spark.stop()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
