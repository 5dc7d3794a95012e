"""Streaming writers: CSV (stdlib), JSON Lines, Parquet (pyarrow, in row groups).

Rows go to disk as they are generated; memory stays bounded by the generator's shuffle
buffer plus, for Parquet, one row group per file. Files are written under temporary names
and renamed into place at the end, so a failed run leaves no half-written dataset behind.
With several workers, each lane is written to hidden part files by a worker process and the
parts are then joined in lane order (a byte copy for CSV/JSONL; Parquet is re-batched into
the same row groups), giving the same bytes as a single process.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, Protocol

from cx360._errors import ConfigurationError
from cx360.synthetic._generator import (
    INTERACTION_COLUMNS,
    LANES,
    RECORD_COLUMNS,
    TRUTH_COLUMNS,
    DatasetStream,
    GenerationStats,
    SyntheticConfig,
    SyntheticDataset,
)
from cx360.synthetic._profiles import Profile

__all__ = ["FORMATS", "DatasetFormat", "WrittenDataset", "write_dataset"]

DatasetFormat = Literal["csv", "jsonl", "parquet"]
FORMATS: tuple[str, ...] = ("csv", "jsonl", "parquet")


@dataclass(frozen=True)
class WrittenDataset(Mapping[str, Path]):
    """Where a dataset was written and what it holds.

    Also a read-only mapping {"records": path, "interactions": path, "truth": path}.
    """

    directory: Path
    format: str
    records_path: Path
    interactions_path: Path
    truth_path: Path
    stats: GenerationStats
    seconds: float
    workers: int = 1

    @property
    def paths(self) -> dict[str, Path]:
        return {
            "records": self.records_path,
            "interactions": self.interactions_path,
            "truth": self.truth_path,
        }

    def __getitem__(self, name: str) -> Path:
        return self.paths[name]

    def __iter__(self) -> Iterator[str]:
        return iter(("records", "interactions", "truth"))

    def __len__(self) -> int:
        return 3


class _Sink(Protocol):
    def write(self, row: Sequence[str]) -> None: ...

    def close(self) -> None: ...


class _CsvSink:
    def __init__(self, path: Path, columns: Sequence[str], header: bool = True) -> None:
        self._fh: IO[str] = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._fh)
        if header:
            self._writer.writerow(columns)

    def write(self, row: Sequence[str]) -> None:
        self._writer.writerow(row)

    def close(self) -> None:
        self._fh.close()


class _JsonlSink:
    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self._fh: IO[str] = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        self._columns = tuple(columns)
        self._dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode

    def write(self, row: Sequence[str]) -> None:
        self._fh.write(self._dumps(dict(zip(self._columns, row, strict=True))))
        self._fh.write("\n")

    def close(self) -> None:
        self._fh.close()


class _ParquetSink:
    def __init__(self, path: Path, columns: Sequence[str], row_group_size: int) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as exc:  # pragma: no cover - pyarrow is a core dependency
            raise ConfigurationError("writing Parquet needs pyarrow: pip install pyarrow") from exc
        self._pa: Any = pa
        self._columns = tuple(columns)
        self._schema = pa.schema([(c, pa.string()) for c in self._columns])
        self._writer: Any = pq.ParquetWriter(str(path), self._schema, compression="zstd")
        self._rows: list[Sequence[str]] = []
        self._size = row_group_size

    def write(self, row: Sequence[str]) -> None:
        self._rows.append(row)
        if len(self._rows) >= self._size:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        cols = list(zip(*self._rows, strict=True))
        arrays = [self._pa.array(col, type=self._pa.string()) for col in cols]
        table = self._pa.Table.from_arrays(arrays, schema=self._schema)
        self._writer.write_table(table, row_group_size=self._size)
        self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


def _open(
    fmt: str, path: Path, columns: Sequence[str], row_group_size: int, header: bool = True
) -> _Sink:
    if fmt == "csv":
        return _CsvSink(path, columns, header)
    if fmt == "jsonl":
        return _JsonlSink(path, columns)
    return _ParquetSink(path, columns, row_group_size)


_NAMES = ("records", "interactions", "truth")
_COLUMNS = {"records": RECORD_COLUMNS, "interactions": INTERACTION_COLUMNS, "truth": TRUTH_COLUMNS}
_MIN_PARALLEL = 20_000  # below this many records, worker processes cost more than they save


def _write_stream(
    stream: DatasetStream, paths: Mapping[str, Path], fmt: str, rgs: int, header: bool
) -> None:
    sinks: dict[str, _Sink] = {}
    try:
        for name in _NAMES:
            sinks[name] = _open(fmt, paths[name], _COLUMNS[name], rgs, header)
        write_record = sinks["records"].write
        write_interaction = sinks["interactions"].write
        write_truth = sinks["truth"].write
        for bundle in stream:
            write_record(bundle.record)
            for row in bundle.interactions:
                write_interaction(row)
            write_truth(bundle.truth)
    finally:
        stream.close()
        for sink in sinks.values():
            sink.close()


def _part_paths(directory: Path, lane: int, fmt: str) -> dict[str, Path]:
    return {name: directory / f".part{lane}.{name}.{fmt}" for name in _NAMES}


def _write_lane(
    config: SyntheticConfig, lane: int, directory: Path, fmt: str, rgs: int
) -> GenerationStats:
    """Write one lane's rows to its own part files (runs in a worker process)."""
    stream = DatasetStream(config, lanes=(lane,))
    _write_stream(stream, _part_paths(directory, lane, fmt), fmt, rgs, header=False)
    return stream.stats


def _concatenate(
    parts: list[Path], target: Path, fmt: str, columns: Sequence[str], rgs: int
) -> None:
    """Join lane parts into one file, exactly as if it had been written in one go."""
    if fmt in ("csv", "jsonl"):
        with open(target, "wb") as out:
            if fmt == "csv":  # the header, written as _CsvSink writes it
                header = io.StringIO(newline="")
                csv.writer(header).writerow(columns)
                out.write(header.getvalue().encode("utf-8"))
            for part in parts:
                with open(part, "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 22)
                part.unlink()
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(c, pa.string()) for c in columns])
    writer = pq.ParquetWriter(str(target), schema, compression="zstd")
    pending: list[Any] = []
    n_pending = 0
    try:
        for part in parts:
            for batch in pq.ParquetFile(str(part)).iter_batches(batch_size=rgs):
                pending.append(batch)
                n_pending += batch.num_rows
                while n_pending >= rgs:
                    table = pa.Table.from_batches(pending, schema=schema)
                    writer.write_table(table.slice(0, rgs), row_group_size=rgs)
                    rest = table.slice(rgs)
                    pending = rest.to_batches() if rest.num_rows else []
                    n_pending = rest.num_rows
            part.unlink()
        if n_pending:
            writer.write_table(pa.Table.from_batches(pending, schema=schema), row_group_size=rgs)
    finally:
        writer.close()


def _other_threads() -> bool:
    """Does this process run threads besides the calling one (native ones included)?"""
    try:
        return len(os.listdir("/proc/self/task")) > 1
    except OSError:  # no /proc: Python's own threads are all that can be seen
        import threading

        return threading.active_count() > 1


def _pool_context() -> Any:
    """fork where it is safe, else spawn. fork is quick and needs no `if __name__ ==
    "__main__"` guard in the caller's script (the children run only this package's
    Python code), but the forked child of a process that runs other threads (a database
    engine's workers, say) can crash on a lock or allocator state those threads held."""
    import multiprocessing as mp

    if os.name == "posix" and not _other_threads():
        return mp.get_context("fork")
    return mp.get_context("spawn")


def write_dataset(
    dataset: SyntheticDataset | SyntheticConfig | str | os.PathLike[str],
    directory: str | os.PathLike[str] | None = None,
    *,
    format: DatasetFormat | None = None,
    row_group_size: int = 65_536,
    workers: int = 1,
    n_records: int | None = None,
    seed: int = 0,
    noise: float = 1.0,
    fmt: DatasetFormat | None = None,
    profile: Profile = "today",
) -> WrittenDataset:
    """Generate `dataset` straight to `directory` as records/interactions/truth files.

    Writes `records.<ext>`, `interactions.<ext>` and `truth.<ext>` (ext = csv, jsonl or
    parquet; default csv), replacing files of the same names. Streamed: memory does not
    grow with the number of records. `workers` > 1 generates the lanes (see LANES) in that
    many processes, each writing its own part files that are then joined; the files are
    byte-identical whatever the number of workers, and hold the rows in the order
    `SyntheticDataset.stream()` yields them.

    Shorthand: ``write_dataset(directory, n_records=..., seed=..., noise=..., fmt=...,
    profile=...)`` generates ``generate(n_records, seed=seed, noise=noise, profile=profile)``
    (`fmt` = `format`).
    """
    if isinstance(dataset, str | os.PathLike):
        if directory is not None:
            raise ConfigurationError("write_dataset: give a dataset and a directory")
        directory = dataset
        dataset = SyntheticConfig(
            n_records=10_000 if n_records is None else n_records,
            seed=seed,
            noise=noise,
            profile=profile,
        )
    elif directory is None:
        raise ConfigurationError("write_dataset: the output directory is missing")
    fmt = format or fmt or "csv"
    if fmt not in FORMATS:
        raise ConfigurationError(f"unknown format {fmt!r}; choose among {', '.join(FORMATS)}")
    if row_group_size < 1:
        raise ConfigurationError("row_group_size must be >= 1")
    config = dataset.config if isinstance(dataset, SyntheticDataset) else dataset
    workers = max(1, min(int(workers), LANES))
    if config.n_records < _MIN_PARALLEL:
        workers = 1
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    final = {name: out / f"{name}.{fmt}" for name in _NAMES}
    partial = {name: out / f".{name}.{fmt}.partial" for name in _NAMES}
    lane_parts = [_part_paths(out, lane, fmt) for lane in range(LANES)]
    started = time.perf_counter()
    stats = GenerationStats()
    try:
        if workers == 1 and fmt != "parquet":
            stream = DatasetStream(config)
            _write_stream(stream, partial, fmt, row_group_size, header=True)
            stats = stream.stats
        else:
            jobs = [(config, lane, out, fmt, row_group_size) for lane in range(LANES)]
            if workers == 1:
                results = [_write_lane(*job) for job in jobs]
            else:
                from concurrent.futures import ProcessPoolExecutor

                # An executor, not a Pool: a worker that dies (killed, out of memory)
                # fails the run with BrokenProcessPool instead of hanging it forever.
                ctx = _pool_context()
                with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                    results = list(pool.map(_write_lane, *zip(*jobs, strict=True)))
            for lane_stats in results:
                stats.add(lane_stats)
            for name in _NAMES:
                parts = [paths[name] for paths in lane_parts]
                _concatenate(parts, partial[name], fmt, _COLUMNS[name], row_group_size)
        for name in _NAMES:
            os.replace(partial[name], final[name])
    finally:
        leftovers = list(partial.values()) + [p for paths in lane_parts for p in paths.values()]
        for path in leftovers:
            if path.exists():
                path.unlink()
    return WrittenDataset(
        directory=out,
        format=fmt,
        records_path=final["records"],
        interactions_path=final["interactions"],
        truth_path=final["truth"],
        stats=stats,
        seconds=time.perf_counter() - started,
        workers=workers,
    )
