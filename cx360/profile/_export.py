"""Exports, streamed: record → customer assignments, and one row per customer's profile.

The format follows the file name: `.csv`, `.parquet` (`.pq`), `.jsonl` (`.ndjson`) or
`.json` (one JSON array); any other name is refused rather than written in a format it
does not say. `-` writes to stdout (CSV unless a format is given). Lists (a customer's
phones, channels) are JSON arrays in JSON, list columns in Parquet, and `; `-separated in
CSV; times are ISO 8601 in UTC.

A CSV cell that a spreadsheet would run as a formula (text starting with `=`, `+`, `-`,
`@`, a tab or a carriage return) is written with a leading `'`, which spreadsheets show
as text; a cell that is a plain number (an E.164 phone, `-3`) stays as it is, since a
spreadsheet reads it as a number, not a formula. JSON and Parquet are written as stored.

Profiles are built as `Hub.profile` builds them (the same golden record, identifiers and
open cases), customers read in chunks, so memory stays flat whatever the store holds.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Final

from sqlalchemy import Connection, bindparam, select

from cx360._errors import InputError
from cx360.models._export import GOLDEN_ATTRIBUTES, ProfileRow
from cx360.profile._build import build_profile
from cx360.profile._lookup import (
    _CUSTOMER_INTERACTIONS_FROM,
    _CUSTOMER_RECORDS_FROM,
    _INTERACTION_COLUMNS,
    _RECORD_COLUMNS,
)
from cx360.profile._survivorship import SurvivorshipRules, aware
from cx360.store import Store
from cx360.store._schema import interactions, record_customers, records

STDOUT: Final = "-"
FORMATS: Final = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}
_ASSIGNMENT_COLUMNS: Final = ("source", "source_record_id", "customer_id")
_CHUNK: Final = 50_000
# Customers whose interactions are read in one statement.
_CUSTOMERS_PER_READ: Final = 500
_LIST_COLUMNS: Final = frozenset({"emails", "phones", "national_ids", "handles", "channels"})
_COUNT_COLUMNS: Final = frozenset({"records", "interactions", "open_cases"})
_TIME_COLUMNS: Final = frozenset({"first_seen", "last_seen", "last_contact"})
PROFILE_COLUMNS: Final = tuple(ProfileRow.model_fields)
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER: Final = re.compile(r"[+-]?\d+(?:\.\d+)?")


def export_format(out: str | os.PathLike[str], fmt: str | None = None) -> str:
    """'csv', 'parquet', 'jsonl' or 'json': `fmt` when given, else the file name's.

    Raises:
        InputError: an unknown format, or a file name that says none of them.
    """
    known = sorted(set(FORMATS.values()))
    if fmt is not None:
        if fmt not in known:
            raise InputError(f"unknown export format {fmt!r}: use one of {', '.join(known)}")
        return fmt
    if str(out) == STDOUT:
        return "csv"
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"cannot tell the export format from {Path(out).name!r}: name the file .csv, "
            ".parquet, .jsonl or .json (or give the format)"
        )
    return FORMATS[suffix]


# -- writers ---------------------------------------------------------------------------


@contextmanager
def _opened(out: str | os.PathLike[str], binary: bool) -> Iterator[IO[Any]]:
    if str(out) == STDOUT:
        stream: IO[Any] = sys.stdout.buffer if binary else sys.stdout
        yield stream
        stream.flush()
        return
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    if binary:
        with target.open("wb") as handle:
            yield handle
    else:
        with target.open("w", encoding="utf-8", newline="") as handle:
            yield handle


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list):
        value = "; ".join(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralized(value)
    return _text(value)


def neutralized(cell: str) -> str:
    """`cell` as a spreadsheet will show it rather than run it (see the module docstring)."""
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def write_rows(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    out: str | os.PathLike[str],
    fmt: str,
    arrow_types: Mapping[str, Any] | None = None,
) -> int:
    """Write dict rows (`columns` in order) to `out` in `fmt`; rows written."""
    if fmt == "parquet":
        return _write_parquet(rows, columns, out, arrow_types or {})
    written = 0
    with _opened(out, binary=False) as handle:
        if fmt == "csv":
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_csv_cell(row[c]) for c in columns])
                written += 1
            return written
        if fmt == "json":
            handle.write("[")
        for row in rows:
            if fmt == "json" and written:
                handle.write(",")
            handle.write("\n" if fmt == "json" else "")
            line = {c: _text(row[c]) for c in columns}
            handle.write(json.dumps(line, ensure_ascii=False))
            if fmt == "jsonl":
                handle.write("\n")
            written += 1
        if fmt == "json":
            handle.write("\n]\n" if written else "]\n")
    return written


def _write_parquet(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    out: str | os.PathLike[str],
    types: Mapping[str, Any],
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(c, types.get(c, pa.string())) for c in columns])
    written = 0
    with _opened(out, binary=True) as handle:
        sink: Any = handle if str(out) != STDOUT else pa.PythonFile(handle, mode="w")
        with pq.ParquetWriter(sink, schema) as writer:
            batch: list[Mapping[str, Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= 10_000:
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    written += len(batch)
                    batch = []
            if batch or not written:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                written += len(batch)
    return written


# -- record → customer assignments -------------------------------------------------------


def export_assignments(store: Store, out: str | os.PathLike[str], fmt: str | None = None) -> int:
    """Stream `source, source_record_id, customer_id` for every record (customer_id
    None for records not resolved yet); rows written."""
    chosen = export_format(out, fmt)
    query = (
        select(records.c.source, records.c.source_record_id, record_customers.c.customer_id)
        .outerjoin(record_customers, record_customers.c.record_id == records.c.id)
        .order_by(records.c.id)
    )
    with store.connection() as conn:
        result = conn.execution_options(yield_per=_CHUNK).execute(query)
        rows = (
            dict(zip(_ASSIGNMENT_COLUMNS, row, strict=True))
            for part in result.partitions()
            for row in part
        )
        return write_rows(rows, _ASSIGNMENT_COLUMNS, out, chosen)


# -- profiles ----------------------------------------------------------------------------

_CUSTOMER_RECORDS_IN_ORDER = (
    select(*_RECORD_COLUMNS, record_customers.c.customer_id.label("customer_id"))
    .select_from(_CUSTOMER_RECORDS_FROM)
    .order_by(record_customers.c.customer_id, records.c.id)
)
_INTERACTIONS_OF_CUSTOMERS = (
    select(*_INTERACTION_COLUMNS, record_customers.c.customer_id.label("customer_id"))
    .select_from(_CUSTOMER_INTERACTIONS_FROM)
    .where(record_customers.c.customer_id.in_(bindparam("customer_ids", expanding=True)))
    .order_by(interactions.c.id)
)


def _customers(conn: Connection) -> Iterator[tuple[str, list[Any]]]:
    """(customer_id, its records) for every customer, read in one streamed statement."""
    result = conn.execution_options(yield_per=_CHUNK).execute(_CUSTOMER_RECORDS_IN_ORDER)
    current: str | None = None
    held: list[Any] = []
    for part in result.partitions():
        for row in part:
            mapping = row._mapping
            if mapping["customer_id"] != current:
                if current is not None:
                    yield current, held
                current, held = mapping["customer_id"], []
            held.append(mapping)
    if current is not None:
        yield current, held


def _chunked(items: Iterator[tuple[str, list[Any]]], size: int) -> Iterator[list[Any]]:
    chunk: list[tuple[str, list[Any]]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def iter_profile_rows(
    store: Store, rules: SurvivorshipRules, *, chunk: int = _CUSTOMERS_PER_READ
) -> Iterator[ProfileRow]:
    """One `ProfileRow` per customer, in customer-id order, streamed."""
    with store.connection() as conn:
        for group in _chunked(_customers(conn), chunk):
            ids = [customer_id for customer_id, _ in group]
            found: dict[str, list[Any]] = {customer_id: [] for customer_id in ids}
            for row in conn.execute(_INTERACTIONS_OF_CUSTOMERS, {"customer_ids": ids}):
                found[row.customer_id].append(row._mapping)
            for customer_id, held in group:
                yield profile_row(customer_id, held, found[customer_id], rules)


def profile_row(
    customer_id: str,
    held: Sequence[Mapping[str, Any]],
    contacts: Sequence[Mapping[str, Any]],
    rules: SurvivorshipRules,
) -> ProfileRow:
    """A customer's profile (as `Hub.profile` builds it), flat."""
    profile = build_profile(customer_id, held, contacts, rules, limit=0)
    golden = profile.golden
    values: dict[str, Any] = {}
    for attribute in GOLDEN_ATTRIBUTES:
        value = getattr(golden, attribute)
        values[attribute] = value.value if value is not None else None
        values[f"{attribute}_source"] = value.source if value is not None else None
    valid: dict[str, list[str]] = {"phone": [], "email": [], "national_id": [], "handle": []}
    for identifier in profile.identifiers:
        if identifier.valid:
            valid[identifier.kind].append(identifier.value)
    seen = [w for w in (aware(r["observed_at"]) for r in held) if w is not None]
    times = [w for w in (aware(r["occurred_at"]) for r in contacts) if w is not None]
    return ProfileRow(
        customer_id=customer_id,
        given_names=golden.given_names,
        surnames=golden.surnames,
        emails=valid["email"],
        phones=valid["phone"],
        national_ids=valid["national_id"],
        handles=valid["handle"],
        channels=profile.sources,
        records=len(held),
        interactions=profile.interaction_count,
        open_cases=len(profile.open_cases),
        first_seen=min(seen, default=None),
        last_seen=max(seen, default=None),
        last_contact=max(times, default=None),
        **values,
    )


def _arrow_types() -> dict[str, Any]:
    import pyarrow as pa

    types: dict[str, Any] = {}
    for column in PROFILE_COLUMNS:
        if column in _LIST_COLUMNS:
            types[column] = pa.list_(pa.string())
        elif column in _COUNT_COLUMNS:
            types[column] = pa.int64()
        elif column in _TIME_COLUMNS:
            types[column] = pa.timestamp("us", tz="UTC")
        else:
            types[column] = pa.string()
    return types


def export_profiles(
    store: Store,
    out: str | os.PathLike[str],
    rules: SurvivorshipRules,
    fmt: str | None = None,
    on_row: Callable[[int], None] | None = None,
) -> int:
    """Write one row per customer to `out` (see the module docstring); rows written."""
    chosen = export_format(out, fmt)

    def rows() -> Iterator[dict[str, Any]]:
        for n, row in enumerate(iter_profile_rows(store, rules), start=1):
            if on_row is not None:
                on_row(n)
            yield row.model_dump()

    types = _arrow_types() if chosen == "parquet" else None
    return write_rows(rows(), PROFILE_COLUMNS, out, chosen, types)


__all__ = [
    "FORMATS",
    "PROFILE_COLUMNS",
    "export_assignments",
    "export_format",
    "export_profiles",
    "iter_profile_rows",
    "profile_row",
    "write_rows",
]
