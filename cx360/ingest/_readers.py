"""Streaming readers for CSV, JSON Lines, JSON arrays and Parquet, from files or stdin.

Each reader yields `(row_number, row)` where `row` is a dict keyed by the names the column
mapping stores (`_mapping.plan_header`), or a `MalformedRow` when the line itself cannot
be read (its detail says why and on which line of the file, so that the quarantine
listing points at it); nothing is loaded whole into memory (but Parquet from stdin).

Text is read as exports are written: the encoding is UTF-8 (with or without a BOM),
UTF-16 with a BOM, or else cp1252 (Excel's "CSV" on Windows in Spanish and English;
Latin-1 is its subset), detected on the first 64 KiB. In a UTF-8 file, a stray byte
sequence that is not UTF-8 (a line pasted from a Latin-1 export) is read as cp1252
instead of failing the file. A CSV file's delimiter is the one of `,` `;` tab `|` its
header line uses most. Both can be forced.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final, NamedTuple

from cx360._errors import InputFormatError, MissingDependencyError, SchemaError
from cx360.ingest._mapping import HeaderPlan, check_plan, plan_header
from cx360.models._mapping import ColumnMapping, MappingUsed

STDIN: Final = "-"
SAMPLE_BYTES: Final = 64 * 1024
DELIMITERS: Final = (",", ";", "\t", "|")
FORMATS: Final = ("csv", "jsonl", "json", "parquet")
_EXTENSIONS: Final = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_GZIP_MAGIC: Final = b"\x1f\x8b"
_PARQUET_MAGIC: Final = b"PAR1"
# Bytes cp1252 leaves undefined: read as Latin-1 (the same code points).
_CP1252_UNDEFINED: Final = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})
FALLBACK_ERRORS: Final = "cx360-cp1252"


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode bytes the text's encoding refuses as cp1252 (Latin-1 for its 5 holes)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    text = "".join(chr(b) if b in _CP1252_UNDEFINED else bytes([b]).decode("cp1252") for b in bad)
    return text, error.end


codecs.register_error(FALLBACK_ERRORS, _cp1252_fallback)


@dataclass(frozen=True, slots=True)
class MalformedRow:
    """A line that could not be read as a row; `detail` says why (and on which line of
    the file it starts, when the reader knows: `at_line`), `text` is what was there (for
    quarantine), `key` the (source, id) the line seems to hold, when its fields can be told."""

    detail: str
    text: str
    key: tuple[str | None, str | None] = (None, None)


def at_line(line: int | None, detail: str) -> str:
    """A malformed row's detail with the file line it starts on, when known."""
    return detail if line is None else f"line {line}: {detail}"


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """How a CSV input's text is read: what its worker processes need to parse blocks."""

    delimiter: str
    encoding: str
    header: list[str]  # the names rows are stored under (after mapping)
    key_positions: tuple[int | None, int | None]  # of the key columns, for MalformedRow

    @property
    def block_encoding(self) -> str:
        """The encoding of data after the header (a BOM is only at the start)."""
        return "utf-8" if self.encoding == "utf-8-sig" else self.encoding

    @property
    def ascii_compatible(self) -> bool:
        """Whether bytes `\\n` and `"` are those characters (not in UTF-16)."""
        return not self.encoding.startswith("utf-16")


@dataclass
class RowSource:
    """Rows of one input, with its size for progress reporting and how it was read."""

    path: Path
    kind: str
    fmt: str
    total_bytes: int
    rows: Iterator[tuple[int, dict[str, Any] | MalformedRow]]
    position: Callable[[], int]
    total_rows: int | None = None
    close: Callable[[], None] = lambda: None
    mapping: MappingUsed = field(default_factory=lambda: MappingUsed(format=""))
    csv: CsvLayout | None = None

    @property
    def origin(self) -> str:
        """What the ingest batch records as the input: the file's absolute path (so that
        ingesting it again is recognized, however it is named), or 'stdin'."""
        return "stdin" if self.is_stdin else str(self.path.resolve())

    @property
    def is_stdin(self) -> bool:
        return str(self.path) == STDIN


def detect_format(path: Path) -> str:
    """'csv', 'jsonl', 'json' or 'parquet' from the file name (a '.gz' suffix is allowed)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if ext in (".xlsx", ".xls", ".xlsm", ".ods"):
        raise InputFormatError(
            f"{path.name} is a spreadsheet: save it as CSV (UTF-8) and ingest that file"
        )
    raise InputFormatError(
        f"cannot tell the format of {path.name!r}: use .csv, .tsv, .jsonl, .json or "
        ".parquet, or give the format (--format)"
    )


def _sniff_format(head: bytes) -> str:
    """The format of input without a name (stdin), from its first bytes."""
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        return "jsonl"
    return "csv"


def detect_encoding(head: bytes) -> str:
    """The encoding of text whose first bytes are `head` (see the module docstring).

    UTF-8 unless bytes that are not UTF-8 outnumber the non-ASCII characters read as
    UTF-8: cp1252 text almost never forms valid UTF-8 sequences ('Ã©'), while a UTF-8
    export with a line pasted from a Latin-1 one has far more valid ones than stray bytes.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.isascii():
        return "utf-8"
    text = head.decode("utf-8", errors="surrogateescape")
    stray = sum(1 for ch in text if "\udc80" <= ch <= "\udcff")
    if stray <= 3 and len(head) == SAMPLE_BYTES:  # maybe only a character cut at the end
        stray = sum(1 for ch in text[:-3] if "\udc80" <= ch <= "\udcff")
    if not stray:
        return "utf-8"
    readable = sum(1 for ch in text if not ch.isascii() and not "\udc80" <= ch <= "\udcff")
    return "utf-8" if readable >= stray else "cp1252"


def _checked_encoding(name: str) -> str:
    try:
        found = codecs.lookup(name).name
    except LookupError:
        raise InputFormatError(f"unknown encoding {name!r}") from None
    return {"iso8859-1": "latin-1", "windows-1252": "cp1252"}.get(found, found)


def detect_delimiter(header_line: str) -> str:
    """The candidate delimiter the header line uses most, outside quotes (',' on a tie)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first on a tie
    return best if counts[best] else ","


class _Prefixed(io.RawIOBase):
    """A stream that gives `head` again, then the rest of `stream`."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        if self._head:
            size = min(len(target), len(self._head))
            target[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._stream.read(len(target))
        target[: len(data)] = data
        return len(data)


@dataclass
class _Input:
    """An input's binary stream (decompressed), its first bytes, and how far it is read."""

    path: Path
    raw: IO[bytes]  # what is closed, and whose position is progress
    stream: IO[bytes]  # what is read: head first
    head: bytes
    size: int

    def position(self) -> int:
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0


def _open_input(path: Path) -> _Input:
    if str(path) == STDIN:
        raw: IO[bytes] = sys.stdin.buffer
        size = 0
    else:
        if not path.is_file():
            raise InputFormatError(f"no such file: {path}")
        raw = open(path, "rb")  # noqa: SIM115 - closed by the caller's reader
        size = path.stat().st_size
    stream: IO[bytes] = raw
    try:
        peek = getattr(raw, "peek", None)
        if peek is not None and peek(2)[:2] == _GZIP_MAGIC:
            stream = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
        head = stream.read(SAMPLE_BYTES)
    except (OSError, EOFError) as error:
        raw.close()
        raise InputFormatError(f"{path.name}: cannot be read ({error})") from error
    prefixed = io.BufferedReader(_Prefixed(head, stream), buffer_size=SAMPLE_BYTES)
    return _Input(path, raw, prefixed, head, size)


def open_rows(
    path: str | os.PathLike[str],
    kind: str,
    *,
    mapping: ColumnMapping | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    fmt: str | None = None,
) -> RowSource:
    """Open a records or interactions input for streaming: a file, or '-' for stdin.

    Args:
        mapping: column names and vocabulary (default: recognition of common names).
        delimiter, encoding: force them (else `mapping`'s, else detected).
        fmt: 'csv', 'jsonl', 'json' or 'parquet' (default: from the name, or sniffed).

    Raises:
        InputFormatError: no such file, an unknown format, an unreadable file.
        SchemaError: the input lacks required columns (nothing has been read past them).
    """
    file_path = Path(path)
    mapping = mapping or ColumnMapping()
    if fmt is not None and fmt not in FORMATS:
        raise InputFormatError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt is None and str(file_path) != STDIN:
        fmt = detect_format(file_path)
    source = _open_input(file_path)
    try:
        fmt = fmt or _sniff_format(source.head)
        if fmt == "parquet":
            return _parquet_rows(source, kind, mapping)
        chosen = encoding or mapping.encoding
        text_encoding = _checked_encoding(chosen) if chosen else detect_encoding(source.head)
        text = io.TextIOWrapper(
            source.stream, encoding=text_encoding, errors=FALLBACK_ERRORS, newline=""
        )
        if fmt == "csv":
            return _csv_source(source, text, kind, mapping, delimiter, text_encoding)
        return _json_source(source, text, kind, mapping, fmt, text_encoding)
    except BaseException:
        source.raw.close()
        raise


def _reading(source: _Input, kind: str, fmt: str, rows: Iterator[Any]) -> RowSource:
    """A RowSource over `rows` that closes the input when they end."""

    def chained() -> Iterator[tuple[int, dict[str, Any] | MalformedRow]]:
        try:
            yield from rows
        finally:
            source.raw.close()

    return RowSource(
        source.path, kind, fmt, source.size, chained(), source.position, close=source.raw.close
    )


def _origin(path: Path) -> str:
    return "stdin" if str(path) == STDIN else path.name


def _checked_plan(header: list[str], kind: str, mapping: ColumnMapping, origin: str) -> HeaderPlan:
    plan = plan_header(header, kind, mapping, origin)
    check_plan(plan, kind, origin, source_given=mapping.source is not None)
    return plan


# -- CSV, row by row -------------------------------------------------------------------


def _csv_source(
    source: _Input,
    text: IO[str],
    kind: str,
    mapping: ColumnMapping,
    delimiter: str | None,
    encoding: str,
) -> RowSource:
    origin = _origin(source.path)
    line = text.readline()
    suffix = source.path.suffix.lower()
    chosen = delimiter or mapping.delimiter or ("\t" if suffix == ".tsv" else None)
    if chosen is not None and len(chosen) != 1:
        raise InputFormatError(f"a delimiter is one character, not {chosen!r}")
    found = chosen or detect_delimiter(line)
    header_rows = list(csv.reader([line], delimiter=found))
    if not header_rows or not any(h.strip() for h in header_rows[0]):
        raise SchemaError(f"{origin}: empty input or no header row")
    plan = _checked_plan(header_rows[0], kind, mapping, origin)
    layout = CsvLayout(found, encoding, plan.names, _key_positions(plan.names, kind))
    rows = csv_rows_from_fields(_numbered(csv.reader(text, delimiter=found), 2), layout)
    reading = _reading(source, kind, "csv", rows)
    reading.mapping = plan.used.model_copy(
        update={"format": "csv", "encoding": encoding, "delimiter": found}
    )
    reading.csv = layout
    return reading


def _key_positions(header: list[str], kind: str) -> tuple[int | None, int | None]:
    second = "interaction_id" if kind == "interactions" else "source_record_id"
    return (
        header.index("source") if "source" in header else None,
        header.index(second) if second in header else None,
    )


def _numbered(reader: Any, first_line: int | None) -> Iterator[tuple[list[str], int | None]]:
    """A `csv.reader`'s rows, each with the file line it starts on (`first_line` is the
    line the reader starts at; None: unknown, as for a block read on its own)."""
    if first_line is None:
        for fields in reader:
            yield fields, None
        return
    before = 0
    for fields in reader:
        yield fields, first_line + before
        before = reader.line_num  # lines read so far: a quoted field may span several


def csv_rows_from_fields(
    reader: Iterable[tuple[list[str], int | None]], layout: CsvLayout, start: int = 0
) -> Iterator[tuple[int, dict[str, Any] | MalformedRow]]:
    """Rows (numbered from `start` + 1) from parsed CSV fields and the line each starts
    on (`_numbered`); blank lines are not rows."""
    header = layout.header
    width = len(header)
    number = start
    for fields, line in reader:
        number += 1
        if len(fields) == width:
            yield number, dict(zip(header, fields, strict=True))
        elif not fields or (len(fields) == 1 and not fields[0].strip()):
            number -= 1  # a blank line is not a row
        else:
            yield number, _malformed(fields, layout, line)


def _malformed(fields: list[str], layout: CsvLayout, line: int | None) -> MalformedRow:
    def at(position: int | None) -> str | None:
        if position is None or position >= len(fields):
            return None
        return fields[position].strip() or None

    source_at, id_at = layout.key_positions
    return MalformedRow(
        at_line(line, f"{len(fields)} fields where the header has {len(layout.header)}"),
        layout.delimiter.join(fields),
        (at(source_at), at(id_at)),
    )


# -- JSON Lines and JSON arrays ----------------------------------------------------------


class _Plans:
    """Header plans of JSON objects, one per key layout (objects of one input may differ:
    an API leaves out empty fields). The first layout is checked and reported."""

    def __init__(self, kind: str, mapping: ColumnMapping, origin: str) -> None:
        self.kind = kind
        self.mapping = mapping
        self.origin = origin
        self.first: HeaderPlan | None = None
        self._plans: dict[tuple[str, ...], HeaderPlan] = {}

    def row(self, value: Mapping[str, Any]) -> dict[str, Any]:
        keys = tuple(value)
        plan = self._plans.get(keys)
        if plan is None:
            if self.first is None:
                plan = self.first = _checked_plan(list(keys), self.kind, self.mapping, self.origin)
            else:
                plan = plan_header(list(keys), self.kind, self.mapping, strict=False)
            if len(self._plans) < 1024:
                self._plans[keys] = plan
        if plan.identity:
            return value if isinstance(value, dict) else dict(value)
        return dict(zip(plan.names, value.values(), strict=True))


def _json_source(
    source: _Input, text: IO[str], kind: str, mapping: ColumnMapping, fmt: str, encoding: str
) -> RowSource:
    origin = _origin(source.path)
    plans = _Plans(kind, mapping, origin)
    first = text.read(1)
    while first.isspace():
        first = text.read(1)
    if fmt == "json" and first != "[":
        fmt = "jsonl"  # a .json file of one object per line
    lines = _json_array(text, origin) if first == "[" else _json_lines(first, text)
    rows = _json_rows(lines, plans, origin)
    first_row = next(rows, None)  # reads the first object: bad columns fail before writes

    def all_rows() -> Iterator[tuple[int, dict[str, Any] | MalformedRow]]:
        if first_row is not None:
            yield first_row
        yield from rows

    reading = _reading(source, kind, "json" if first == "[" else "jsonl", all_rows())
    used = plans.first.used if plans.first is not None else MappingUsed(format="")
    reading.mapping = used.model_copy(update={"format": reading.fmt, "encoding": encoding})
    return reading


_JSON_TYPES: Final = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


class _Line(NamedTuple):
    text: str
    number: int  # in the file, from 1


def _json_lines(first: str, text: IO[str]) -> Iterator[_Line]:
    """The lines of JSON Lines text whose first character was already read (blank lines
    are skipped, but counted)."""
    line = first + text.readline()
    number = 1
    while line:
        if line.strip():
            yield _Line(line, number)
        line = text.readline()
        number += 1


_DECODER: Final = json.JSONDecoder()
_ARRAY_CHUNK: Final = 1 << 16
_MAX_ELEMENT: Final = 64 << 20


def _json_array(text: IO[str], origin: str) -> Iterator[_Parsed]:
    """The elements of a JSON array (its '[' already read), parsed one by one as the text
    streams in; a syntax error stops the input (nothing after it can be told apart)."""
    buffer = ""
    position = 0
    done = False
    while True:
        stripped = _skip(buffer, position)
        if stripped >= len(buffer) and not done:
            more = text.read(_ARRAY_CHUNK)
            buffer, position, done = buffer[position:] + more, 0, not more
            continue
        position = stripped
        if position < len(buffer) and buffer[position] == "]":
            return
        if position >= len(buffer):
            raise InputFormatError(f"{origin}: the JSON array is not closed")
        try:
            value, end = _DECODER.raw_decode(buffer, position)
        except json.JSONDecodeError as error:
            if not done and _cut_short(error, buffer, position):
                more = text.read(_ARRAY_CHUNK)
                buffer, position, done = buffer[position:] + more, 0, not more
                continue
            raise InputFormatError(
                f"{origin}: not valid JSON ({error.msg}); the rows before it were read"
            ) from None
        if end >= len(buffer) and not done:  # a number may go on in the next chunk
            more = text.read(_ARRAY_CHUNK)
            buffer, position, done = buffer[position:] + more, 0, not more
            continue
        yield _Parsed(value)
        position = end


def _cut_short(error: json.JSONDecodeError, buffer: str, position: int) -> bool:
    """Whether the element may only be cut by the chunk's end: the error is at the end
    (or in a string still open there), and the element is not past the size limit."""
    if len(buffer) - position > _MAX_ELEMENT:
        return False
    return error.pos >= len(buffer) - 1 or error.msg.startswith("Unterminated string")


def _skip(buffer: str, position: int) -> int:
    """Past whitespace and one separating comma."""
    length = len(buffer)
    while position < length and (buffer[position].isspace() or buffer[position] == ","):
        position += 1
    return position


@dataclass(frozen=True, slots=True)
class _Parsed:
    value: Any


def _json_rows(
    items: Iterator[Any], plans: _Plans, origin: str
) -> Iterator[tuple[int, dict[str, Any] | MalformedRow]]:
    number = 0
    for item in items:
        number += 1
        if isinstance(item, _Parsed):
            value, text, line = item.value, None, None
        else:
            text, line = item.text.rstrip("\n"), item.number
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                # the parser's message and column, never the text (it holds personal data)
                why = f"not valid JSON ({error.msg} at column {error.colno})"
                yield number, MalformedRow(at_line(line, why), text)
                continue
        if not isinstance(value, dict):
            why = f"a JSON {_JSON_TYPES.get(type(value), 'value')}, not an object"
            yield number, MalformedRow(at_line(line, why), text or json.dumps(value)[:1000])
            continue
        yield number, plans.row(value)
    if plans.first is None:
        raise SchemaError(f"{origin}: no rows")


# -- Parquet -----------------------------------------------------------------------------


def _parquet_rows(source: _Input, kind: str, mapping: ColumnMapping) -> RowSource:
    try:
        import pyarrow.parquet as pq
    except ImportError as error:  # pragma: no cover - pyarrow is a required dependency
        raise MissingDependencyError("pyarrow", "parquet") from error
    origin = _origin(source.path)
    target: Any = source.path
    if str(source.path) == STDIN:
        target = io.BytesIO(source.stream.read())  # Parquet's footer is at the end
    try:
        parquet = pq.ParquetFile(target)
    except Exception as error:  # pyarrow raises its own ArrowInvalid / OSError
        raise InputFormatError(f"{origin}: not a readable Parquet file") from error
    plan = _checked_plan(list(parquet.schema_arrow.names), kind, mapping, origin)
    total = parquet.metadata.num_rows
    done = [0]

    def rows() -> Iterator[tuple[int, dict[str, Any] | MalformedRow]]:
        number = 0
        try:
            for batch in parquet.iter_batches(batch_size=8192):
                columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                for values in zip(*columns, strict=True):
                    number += 1
                    yield number, dict(zip(plan.names, values, strict=True))
                done[0] = number
        finally:
            parquet.close()
            source.raw.close()

    # progress for Parquet is counted in rows, not bytes
    return RowSource(
        source.path,
        kind,
        "parquet",
        source.size,
        rows(),
        lambda: done[0],
        total_rows=total,
        close=source.raw.close,
        mapping=plan.used.model_copy(update={"format": "parquet"}),
    )


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


class CsvBlock(bytes):
    """A block of a CSV file's data lines, and the file line it starts on (so that a
    worker parsing it alone can say on which line a malformed row is)."""

    first_line: int | None = None

    @classmethod
    def starting_at(cls, data: bytes, first_line: int) -> CsvBlock:
        block = cls(data)
        block.first_line = first_line
        return block


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
        layout: CsvLayout,
        block_bytes: int = BLOCK_BYTES,
        max_block_bytes: int = MAX_BLOCK_BYTES,
    ) -> None:
        self.layout = layout
        self._raw = raw
        self._stream = stream
        self._block_bytes = block_bytes
        self._max_block_bytes = max_block_bytes
        self._carry = b""
        self._next_line = 2  # the file line the next block starts on (the header is line 1)

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
                    yield self._numbered(block)
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
            yield self._numbered(buffer[:cut])

    def _numbered(self, data: bytes) -> CsvBlock:
        block = CsvBlock.starting_at(data, self._next_line)
        # lines as the row reader counts them: \r\n, \n and a lone \r each end one
        self._next_line += data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
        return block

    def rest(
        self, blocks: Iterable[bytes], start: int = 0
    ) -> Iterator[tuple[int, dict[str, Any] | MalformedRow]]:
        """Rows (numbered from `start` + 1) of `blocks`, then of all not yet handed out."""
        blocks = list(blocks)
        first_line = getattr(blocks[0], "first_line", None) if blocks else self._next_line

        def chunks() -> Iterator[bytes]:
            yield from blocks
            carry, self._carry = self._carry, b""
            if carry:
                yield carry
            while data := self._stream.read(self._block_bytes):
                yield data

        text = io.TextIOWrapper(
            io.BufferedReader(_IterStream(chunks())),
            encoding=self.layout.block_encoding,
            errors=FALLBACK_ERRORS,
            newline="",
        )
        reader = csv.reader(text, delimiter=self.layout.delimiter)
        return csv_rows_from_fields(_numbered(reader, first_line), self.layout, start)


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


def open_csv_blocks(source: RowSource) -> CsvBlocks | None:
    """A CSV file's rows as blocks for worker processes; None when the input is not a CSV
    file (stdin, JSON, Parquet), its encoding is not ASCII-compatible (UTF-16), or its
    header line is one the row reader would split differently (then read it by row).

    Call with the `open_rows` source of the file: this only re-reads its header line.
    """
    layout = source.csv
    if layout is None or source.is_stdin or not layout.ascii_compatible:
        return None
    opened = _open_input(source.path)
    raw, stream = opened.raw, opened.stream
    try:
        line = stream.readline()
    except OSError:
        raw.close()
        return None
    # the row reader's header is the first line ending in \n, \r\n or \r: refuse a
    # lone \r before the end, where the two readings would differ
    body = line[:-2] if line.endswith(b"\r\n") else line[:-1]
    if not line.endswith(b"\n") or b"\r" in body:
        raw.close()
        return None
    return CsvBlocks(raw, stream, layout)


def parse_csv_block(
    data: bytes, layout: CsvLayout
) -> tuple[list[tuple[int, dict[str, Any] | MalformedRow]], bool]:
    """The rows of one block (numbered from 1), and whether it ended where a row ends.

    A block that does not end with a newline is the file's last: it always counts as ended.
    A `CsvBlock` knows its first line, so its malformed rows say their line in the file.
    """
    text = data.decode(layout.block_encoding, FALLBACK_ERRORS)
    checked = text.endswith("\n")
    if checked:
        text += _END_OF_BLOCK
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter)
    fields = list(_numbered(reader, getattr(data, "first_line", None)))
    ended = not checked
    if checked and fields and fields[-1][0] == [_END_OF_BLOCK]:
        fields.pop()
        ended = True
    return list(csv_rows_from_fields(fields, layout)), ended
