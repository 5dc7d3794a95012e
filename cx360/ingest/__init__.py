"""Ingest: readers (CSV, JSON Lines, JSON arrays, Parquet), column mapping, validation,
normalization, quarantine."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from cx360._errors import ConfigurationError
from cx360.ingest._declared import declare, read_declarations
from cx360.ingest._mapping import HeaderPlan, plan_header
from cx360.ingest._pipeline import DEFER_INDEXES_MIN_ROWS, PARALLEL_MIN_ROWS, Row, ingest_rows
from cx360.ingest._prepare import RowPlan
from cx360.ingest._readers import CsvBlocks, RowSource, open_csv_blocks, open_rows
from cx360.models import IngestReport
from cx360.models._attributes import AttributeSpec, DeclaredAttribute
from cx360.models._mapping import ColumnMapping
from cx360.normalize.text import fold
from cx360.normalize.vocabulary import STATES
from cx360.store import Store

__all__ = [
    "as_mapping",
    "declared_mapping",
    "ingest_file",
    "ingest_objects",
    "named_row",
    "open_rows",
]

MappingLike = ColumnMapping | Mapping[str, str | list[str]]


def as_mapping(mapping: MappingLike | None) -> ColumnMapping | None:
    """A `ColumnMapping` from one, or from a plain `{contract column: input column}` dict."""
    if mapping is None or isinstance(mapping, ColumnMapping):
        return mapping
    return ColumnMapping(columns=dict(mapping))


def declared_mapping(store: Store, mapping: ColumnMapping | None) -> ColumnMapping | None:
    """Declare in the store the attributes a mapping declares (`ColumnMapping.attributes`);
    the mapping with every attribute the store declares, whose columns are then read as
    they came (a declared "Número de cliente" is not taken for `source_record_id`)."""
    for name, spec in (mapping.attributes if mapping is not None else {}).items():
        kind, column = (spec, None) if isinstance(spec, str) else (spec.kind, spec.column)
        try:
            attribute = DeclaredAttribute(name=name, kind=kind, column=column or name)
        except ValidationError as error:
            problem = error.errors()[0]["msg"]
            raise ConfigurationError(f"attribute {name!r}: {problem}") from None
        declare(store, attribute)
    with store.connection() as conn:
        declared = read_declarations(conn)
    if not declared:
        return mapping
    chosen = mapping or ColumnMapping()
    specs = {a.name: AttributeSpec(kind=a.kind, column=a.column) for a in declared}
    return chosen.model_copy(update={"attributes": {**chosen.attributes, **specs}})


def row_plan(mapping: ColumnMapping | None) -> RowPlan:
    """What the pipeline applies to every row of an input read with `mapping`."""
    if mapping is None:
        return RowPlan()
    if mapping.source is not None and not 0 < len(mapping.source.strip()) <= 64:
        raise ConfigurationError("a source name is 1 to 64 characters")
    statuses = {fold(word): state for word, state in mapping.statuses.items()}
    unknown = sorted(set(statuses.values()) - STATES)
    if unknown:  # pragma: no cover - the model's Literal already refuses them
        raise ConfigurationError(f"unknown case states {unknown}")
    source = mapping.source.strip() if mapping.source is not None else None
    return RowPlan(source, statuses)


class _ObjectRows:
    """Rows given as dicts or models, renamed by the mapping (one plan per key layout)."""

    def __init__(self, kind: str, mapping: ColumnMapping | None) -> None:
        self.kind = kind
        self.mapping = mapping or ColumnMapping()
        self.first: HeaderPlan | None = None
        self._plans: dict[tuple[str, ...], HeaderPlan] = {}

    def rows(self, items: Iterable[Mapping[str, Any] | BaseModel]) -> Iterator[Row]:
        for number, item in enumerate(items, start=1):
            yield number, self._named(item.model_dump() if isinstance(item, BaseModel) else item)

    def _named(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        keys = tuple(row)
        plan = self._plans.get(keys)
        if plan is None:
            # rows given one by one: a key or a mapped column a row lacks is a value it
            # lacks (a row without its key is quarantined), not a wrong input
            plan = plan_header([str(k) for k in keys], self.kind, self.mapping, strict=False)
            if self.first is None:
                self.first = plan
            if len(self._plans) < 1024:
                self._plans[keys] = plan
        if plan.identity:
            return row
        return dict(zip(plan.names, row.values(), strict=True))


# Rows given alone (real time) without a mapping: one plan per key layout, kept for the
# process, so a channel app sending its own header names pays the recognition once.
_ALONE: dict[str, _ObjectRows] = {}


def named_row(
    kind: str, row: Mapping[str, Any], mapping: MappingLike | None = None
) -> tuple[Mapping[str, Any], RowPlan | None]:
    """One row given alone (`resolve_record`, `record_interaction`), its keys read as
    ingest reads a header, and what the mapping applies to it (its source, its case-status
    words), or None when there is no mapping."""
    chosen = as_mapping(mapping)
    if chosen is None:
        named = _ALONE.get(kind)
        if named is None:
            named = _ALONE[kind] = _ObjectRows(kind, None)
        return named._named(row), None
    return _ObjectRows(kind, chosen)._named(row), row_plan(chosen)


def ingest_objects(
    store: Store,
    kind: str,
    items: Iterable[Mapping[str, Any] | BaseModel],
    *,
    origin: str | None = "python",
    mapping: MappingLike | None = None,
) -> IngestReport:
    """Ingest records or interactions given as dicts or pydantic models.

    Keys are read as a file's header is (`mapping`, the contract's names in any case, and
    common names in English and Spanish unless `mapping.recognize` is False); a row
    without its key is quarantined.
    """
    chosen = declared_mapping(store, as_mapping(mapping))
    named = _ObjectRows(kind, chosen)
    rows = _checked_first(named.rows(items))
    report = ingest_rows(store, kind, rows, origin=origin, plan=row_plan(chosen))
    if named.first is not None:
        report.mapping = named.first.used.model_copy(update={"format": "objects"})
    return report


def _checked_first(rows: Iterator[Row]) -> Iterator[Row]:
    """`rows`, with the first read before the ingest starts: a first row without the
    required columns fails before a batch is written."""
    first = next(rows, None)
    if first is None:
        return iter(())

    def chained() -> Iterator[Row]:
        yield first
        yield from rows

    return chained()


def ingest_file(
    store: Store,
    path: str | os.PathLike[str],
    kind: str,
    *,
    workers: int | None = None,
    progress: Callable[[RowSource, int], None] | None = None,
    mapping: MappingLike | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    fmt: str | None = None,
) -> IngestReport:
    """Ingest a CSV / JSON Lines / JSON / Parquet file (or '-': stdin) of records or
    interactions.

    Args:
        workers: normalization processes; default: all cores for large files, none for
            small ones (stdin: all cores for records).
        progress: called with the open source and rows done after each chunk.
        mapping: column names, a source for every row, vocabulary (`ColumnMapping`).
        delimiter, encoding: force them (else detected; see `_readers`).
        fmt: 'csv', 'jsonl', 'json' or 'parquet' (else from the name; sniffed on stdin).
    """
    chosen = declared_mapping(store, as_mapping(mapping))
    plan = row_plan(chosen)
    source = open_rows(path, kind, mapping=chosen, delimiter=delimiter, encoding=encoding, fmt=fmt)
    expected = source.total_rows or source.total_bytes // 150
    if workers is None:
        big = expected >= PARALLEL_MIN_ROWS or source.is_stdin
        workers = (os.cpu_count() or 1) if big and kind == "records" else 0
    defer = expected >= DEFER_INDEXES_MIN_ROWS and expected > store.count_rows(kind)
    callback = (lambda done: progress(source, done)) if progress else None
    options: dict[str, Any] = {
        "origin": source.origin,
        "workers": workers,
        "on_progress": callback,
        "defer_indexes": defer,
        "plan": plan,
        "mapping": source.mapping,
        "whole_file": not source.is_stdin,
    }
    # with workers, a CSV file goes to them in blocks of lines, parsed there
    blocks: CsvBlocks | None = None
    if workers > 1 and source.fmt == "csv":
        blocks = open_csv_blocks(source)
    if blocks is None:
        try:
            return ingest_rows(store, kind, source.rows, **options)
        finally:
            source.close()
    source.close()
    source.position = blocks.position
    try:
        return ingest_rows(store, kind, blocks, **options)
    finally:
        blocks.close()
