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
from collections.abc import Callable, Iterable, Iterator
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
    close: Callable[[], None] = lambda: None


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

    return RowSource(file_path, kind, fmt, size, chained(), progress.position, close=raw.close)


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
    yield from csv_rows_from_fields(csv.reader(text, dialect=dialect), header)


def csv_rows_from_fields(
    reader: Iterable[list[str]], header: list[str], start: int = 0
) -> Iterator[tuple[int, dict[str, Any] | MalformedRow]]:
    """Rows (numbered from `start` + 1) from parsed CSV fields; blank lines are not rows."""
    width = len(header)
    number = start
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


# -- CSV in blocks, for worker processes ------------------------------------------------
#
# The parent cuts the file into blocks of whole lines and workers parse them, so rows are
# never parsed, turned into dicts and pickled in the parent. A cut is made after a newline
# with an even number of quotes before it: in CSV whose quotes open and close fields (and
# are doubled inside them) that newline ends a row. Files with other quotes (a lone `"` in
# an unquoted field) can fool the count, so each worker also checks that its block ends
# where a row ends (`parse_csv_block`); when one does not, the pipeline reads the rest of
# the file row by row instead (`CsvBlocks.rest`), which gives the same rows.

BLOCK_BYTES = 512 * 1024
# A block that would grow past this without a usable cut (a huge quoted field, or quotes
# that never pair up) ends block reading: the rest is read row by row.
MAX_BLOCK_BYTES = 64 * 1024 * 1024
# Appended after a block's last newline: parsed as a row of its own exactly when the block
# ended where a row ends (inside a quoted field it would be absorbed into that field).
_END_OF_BLOCK = "\x1fcx360:end-of-block\x1f"


class BlockReadError(Exception):
    """Block reading cannot go on: the rest of the file must be read row by row."""


class CsvBlocks:
    """The data lines of a CSV file (after its header) as blocks of whole rows.

    Iterate for the blocks (bytes, each ending with a newline but maybe the last); if a
    block turns out not to end where a row ends, `rest(from_blocks)` gives the text from
    that block on (the blocks handed out since, then the unread file) to read row by row.
    """

    def __init__(
        self,
        raw: IO[bytes],
        stream: IO[bytes],
        header: list[str],
        dialect: str,
        block_bytes: int = BLOCK_BYTES,
        max_block_bytes: int = MAX_BLOCK_BYTES,
    ) -> None:
        self.header = header
        self.dialect = dialect
        self._raw = raw
        self._stream = stream
        self._block_bytes = block_bytes
        self._max_block_bytes = max_block_bytes
        self._carry = b""

    def position(self) -> int:
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        self._raw.close()

    def __iter__(self) -> Iterator[bytes]:
        while True:
            data = self._stream.read(self._block_bytes)
            if not data:
                if self._carry:
                    block, self._carry = self._carry, b""
                    yield block
                return
            buffer = self._carry + data if self._carry else data
            cut = _last_row_end(buffer)
            if cut <= 0:
                if len(buffer) > self._max_block_bytes:
                    self._carry = buffer
                    raise BlockReadError("no row boundary found within the block limit")
                self._carry = buffer
                continue
            self._carry = buffer[cut:]
            yield buffer[:cut]

    def rest(
        self, blocks: Iterable[bytes], start: int = 0
    ) -> Iterator[tuple[int, dict[str, Any] | MalformedRow]]:
        """Rows (numbered from `start` + 1) of `blocks`, then of all not yet handed out."""

        def chunks() -> Iterator[bytes]:
            yield from blocks
            carry, self._carry = self._carry, b""
            if carry:
                yield carry
            while data := self._stream.read(self._block_bytes):
                yield data

        text = io.TextIOWrapper(
            io.BufferedReader(_IterStream(chunks())), encoding="utf-8", newline=""
        )
        return csv_rows_from_fields(csv.reader(text, dialect=self.dialect), self.header, start)


def _last_row_end(buffer: bytes) -> int:
    """The offset just after the last newline with an even number of quotes before it;
    0 when there is none."""
    quotes_before = buffer.count(b'"')
    end = len(buffer)
    while True:
        newline = buffer.rfind(b"\n", 0, end)
        if newline < 0:
            return 0
        quotes_before -= buffer.count(b'"', newline + 1, end)
        if quotes_before % 2 == 0:
            return newline + 1
        end = newline


class _IterStream(io.RawIOBase):
    """A readable binary stream over an iterator of bytes."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(target), len(self._pending))
        target[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def open_csv_blocks(path: str | os.PathLike[str], kind: str) -> CsvBlocks | None:
    """A CSV file's rows as blocks for worker processes; None when the file is not CSV or
    its header line is one the row reader would split differently (then read it by row).

    Call after `open_rows` has checked the file: this only re-reads its header.
    """
    file_path = Path(path)
    if detect_format(file_path) != "csv":
        return None
    raw, stream = _open_binary(file_path)
    try:
        line = stream.readline()
        # the row reader's header is the first line ending in \n, \r\n or \r: refuse a
        # lone \r before the end, where the two readings would differ
        body = line[:-2] if line.endswith(b"\r\n") else line[:-1]
        if not line.endswith(b"\n") or b"\r" in body:
            raw.close()
            return None
        sample = line.decode("utf-8-sig")
    except (UnicodeDecodeError, OSError):
        raw.close()
        return None
    dialect = (
        "excel-tab"
        if file_path.suffix.lower() == ".tsv" or ("\t" in sample and "," not in sample)
        else "excel"
    )
    header_rows = list(csv.reader([sample], dialect=dialect))
    if not header_rows:
        raw.close()
        return None
    return CsvBlocks(raw, stream, normalize_header(header_rows[0], kind), dialect)


def parse_csv_block(
    data: bytes, header: list[str], dialect: str
) -> tuple[list[tuple[int, dict[str, Any] | MalformedRow]], bool]:
    """The rows of one block (numbered from 1), and whether it ended where a row ends.

    A block that does not end with a newline is the file's last: it always counts as ended.
    """
    text = data.decode("utf-8")
    checked = text.endswith("\n")
    if checked:
        text += _END_OF_BLOCK
    fields = list(csv.reader(io.StringIO(text, newline=""), dialect=dialect))
    ended = not checked
    if checked and fields and fields[-1] == [_END_OF_BLOCK]:
        fields.pop()
        ended = True
    return list(csv_rows_from_fields(fields, header)), ended
