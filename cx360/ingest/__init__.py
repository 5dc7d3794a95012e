"""Ingest: readers (CSV, Parquet, JSON Lines), validation, normalization, quarantine."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from cx360.ingest._pipeline import DEFER_INDEXES_MIN_ROWS, PARALLEL_MIN_ROWS, ingest_rows
from cx360.ingest._readers import CsvBlocks, RowSource, open_csv_blocks, open_rows
from cx360.models import IngestReport
from cx360.store import Store

__all__ = ["ingest_file", "ingest_objects", "open_rows"]


def _as_dict(item: Mapping[str, Any] | BaseModel) -> Mapping[str, Any]:
    if isinstance(item, BaseModel):
        return item.model_dump()
    return item


def ingest_objects(
    store: Store,
    kind: str,
    items: Iterable[Mapping[str, Any] | BaseModel],
    *,
    origin: str | None = "python",
) -> IngestReport:
    """Ingest records or interactions given as dicts or pydantic models."""
    rows = ((number, _as_dict(item)) for number, item in enumerate(items, start=1))
    return ingest_rows(store, kind, rows, origin=origin)


def ingest_file(
    store: Store,
    path: str | os.PathLike[str],
    kind: str,
    *,
    workers: int | None = None,
    progress: Callable[[RowSource, int], None] | None = None,
) -> IngestReport:
    """Ingest a CSV / JSONL / Parquet file of records or interactions.

    Args:
        workers: normalization processes; default: all cores for large files, none for small.
        progress: called with the open source and rows done after each chunk.
    """
    source = open_rows(path, kind)
    expected = source.total_rows or source.total_bytes // 150
    if workers is None:
        big = expected >= PARALLEL_MIN_ROWS
        workers = (os.cpu_count() or 1) if big and kind == "records" else 0
    defer = expected >= DEFER_INDEXES_MIN_ROWS and expected > store.count_rows(kind)
    callback = (lambda done: progress(source, done)) if progress else None
    # with workers, a CSV file goes to them in blocks of lines, parsed there
    blocks: CsvBlocks | None = None
    if workers > 1 and source.fmt == "csv":
        blocks = open_csv_blocks(source.path, kind)
    if blocks is None:
        return ingest_rows(
            store,
            kind,
            source.rows,
            origin=str(source.path),
            workers=workers,
            on_progress=callback,
            defer_indexes=defer,
        )
    source.close()
    source.position = blocks.position
    try:
        return ingest_rows(
            store,
            kind,
            blocks,
            origin=str(source.path),
            workers=workers,
            on_progress=callback,
            defer_indexes=defer,
        )
    finally:
        blocks.close()
