"""Streaming readers for CSV, JSON Lines and Parquet files of records or interactions.

Each reader yields `(row_number, row)` where `row` is a dict, or a `MalformedRow` when the
line itself cannot be read; nothing is loaded whole into memory.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cx360._errors import InputFormatError, MissingDependencyError, SchemaError
from cx360.models import INTERACTION_COLUMNS, RECORD_COLUMNS

_IDENTITY_COLUMNS = frozenset(RECORD_COLUMNS) - {"source", "source_record_id", "observed_at"}
_REQUIRED = {
    "records": ("source", "source_record_id"),
    "interactions": ("source", "source_record_id", "interaction_id"),
}
_CONTRACT = {"records": frozenset(RECORD_COLUMNS), "interactions": frozenset(INTERACTION_COLUMNS)}


@dataclass(frozen=True, slots=True)
class MalformedRow:
    """A line that could not be read as a row; `text` is what was there (for quarantine)."""

    detail: str
    text: str


def detect_format(path: Path) -> str:
    """'csv', 'jsonl' or 'parquet' from the file name (a '.gz' suffix is allowed)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext in (".csv", ".tsv", ".txt"):
        return "csv"
    if ext in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if ext in (".parquet", ".pq"):
        return "parquet"
    raise InputFormatError(f"cannot tell the format of {path.name!r}: use .csv, .jsonl or .parquet")


def check_columns(columns: list[str], kind: str, origin: str) -> None:
    """Refuse a file that cannot be of this kind: required columns missing, or no identity."""
    missing = [c for c in _REQUIRED[kind] if c not in columns]
    if missing:
        raise SchemaError(
            f"{origin}: missing required column(s) {', '.join(missing)} for {kind}; "
            f"found {', '.join(columns[:20])}",
            column=missing[0],
        )
    if kind == "records" and not _IDENTITY_COLUMNS.intersection(columns):
        raise SchemaError(
            f"{origin}: no identity column (e.g. email, phone, full_name) in a records file"
        )


def normalize_header(names: list[str], kind: str) -> list[str]:
    """Strip header names; contract columns are matched case-insensitively."""
    contract = _CONTRACT[kind]
    out = []
    for name in names:
        stripped = name.strip()
        lowered = stripped.lower()
        out.append(lowered if lowered in contract else stripped)
    return out


class _Progress:
    """Bytes read so far from a binary file, for a progress bar."""

    def __init__(self, raw: IO[bytes], total: int) -> None:
        self.raw = raw
        self.total = total

    def position(self) -> int:
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0


def _open_binary(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    raw = open(path, "rb")  # noqa: SIM115 - closed by the caller's reader
    if path.suffix.lower() == ".gz":
        return raw, gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    return raw, raw


@dataclass
class RowSource:
    """Rows of one file, with its size for progress reporting."""

    path: Path
    kind: str
    fmt: str
    total_bytes: int
    rows: Iterator[tuple[int, dict[str, Any] | MalformedRow]]
    position: Callable[[], int]
    total_rows: int | None = None


def open_rows(path: str | os.PathLike[str], kind: str) -> RowSource:
    """Open a records or interactions file for streaming."""
    file_path = Path(path)
    if not file_path.is_file():
        raise InputFormatError(f"no such file: {file_path}")
    fmt = detect_format(file_path)
    size = file_path.stat().st_size
    if fmt == "parquet":
        return _parquet_rows(file_path, kind, size)
    raw, stream = _open_binary(file_path)
    progress = _Progress(raw, size)
    try:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
        rows = (
            _csv_rows(text, file_path, kind) if fmt == "csv" else _jsonl_rows(text, file_path, kind)
        )
        first = next(rows, None)  # reads the header now: bad columns fail before any write
    except UnicodeDecodeError as error:
        raw.close()
        raise InputFormatError(f"{file_path.name}: not UTF-8 text") from error
    except BaseException:
        raw.close()
        raise

    def chained() -> Iterator[tuple[int, dict[str, Any] | MalformedRow]]:
        try:
            if first is not None:
                yield first
            yield from rows
        finally:
            raw.close()

    return RowSource(file_path, kind, fmt, size, chained(), progress.position)


def _csv_rows(
    text: IO[str], path: Path, kind: str
) -> Iterator[tuple[int, dict[str, Any] | MalformedRow]]:
    sample = text.readline()
    dialect = (
        "excel-tab"
        if path.suffix.lower() == ".tsv" or ("\t" in sample and "," not in sample)
        else "excel"
    )
    header_rows = list(csv.reader([sample], dialect=dialect))
    if not header_rows or not any(h.strip() for h in header_rows[0]):
        raise SchemaError(f"{path.name}: empty file or no header row")
    header = normalize_header(header_rows[0], kind)
    check_columns(header, kind, path.name)
    width = len(header)
    reader = csv.reader(text, dialect=dialect)
    number = 0
    for fields in reader:
        number += 1
        if len(fields) == width:
            yield number, dict(zip(header, fields, strict=True))
        elif not fields or (len(fields) == 1 and not fields[0].strip()):
            number -= 1  # a blank line is not a row
        else:
            yield (
                number,
                MalformedRow(
                    f"{len(fields)} fields where the header has {width}", ",".join(fields)
                ),
            )


def _jsonl_rows(
    text: IO[str], path: Path, kind: str
) -> Iterator[tuple[int, dict[str, Any] | MalformedRow]]:
    checked = False
    number = 0
    for line in text:
        if not line.strip():
            continue
        number += 1
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            yield number, MalformedRow("not a JSON object", line.rstrip("\n"))
            continue
        if not isinstance(value, dict):
            yield number, MalformedRow("not a JSON object", line.rstrip("\n"))
            continue
        row = dict(zip(normalize_header(list(value), kind), value.values(), strict=True))
        if not checked:
            check_columns(list(row), kind, path.name)
            checked = True
        yield number, row
    if not checked:
        raise SchemaError(f"{path.name}: no rows")


def _parquet_rows(path: Path, kind: str, size: int) -> RowSource:
    try:
        import pyarrow.parquet as pq
    except ImportError as error:  # pragma: no cover - pyarrow is a required dependency
        raise MissingDependencyError("pyarrow", "parquet") from error
    try:
        parquet = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises its own ArrowInvalid / OSError
        raise InputFormatError(f"{path.name}: not a readable Parquet file") from error
    header = normalize_header(list(parquet.schema_arrow.names), kind)
    check_columns(header, kind, path.name)
    total = parquet.metadata.num_rows
    done = [0]

    def rows() -> Iterator[tuple[int, dict[str, Any] | MalformedRow]]:
        number = 0
        try:
            for batch in parquet.iter_batches(batch_size=8192):
                columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                for values in zip(*columns, strict=True):
                    number += 1
                    yield number, dict(zip(header, values, strict=True))
                done[0] = number
        finally:
            parquet.close()

    # progress for Parquet is counted in rows, not bytes
    return RowSource(path, kind, "parquet", size, rows(), lambda: done[0], total_rows=total)
