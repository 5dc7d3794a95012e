"""The ingest pipeline: rows → prepared (normalized) → written in atomic chunks.

Every chunk is one transaction holding its stored rows and its quarantine rows, so a run
killed midway leaves each row either fully stored (or quarantined) or not there at all,
and re-running the same input afterwards completes it without duplicates.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from itertools import islice
from typing import Any

from cx360.ingest._prepare import Quarantined, prepare_interaction, prepare_record
from cx360.ingest._readers import MalformedRow
from cx360.models import IngestReport, QuarantineReason
from cx360.store import Store, utcnow
from cx360.store._writes import (
    INTERACTIONS,
    RECORDS,
    add_quarantine,
    finish_batch,
    start_batch,
    upsert,
)

log = logging.getLogger("cx360.ingest")

CHUNK_ROWS = 5000
# Below this many rows, worker processes cost more to start than they save.
PARALLEL_MIN_ROWS = 20_000

Row = tuple[int | None, Mapping[str, Any] | MalformedRow]
Prepared = dict[str, Any] | Quarantined


def _prepare_chunk(
    kind: str, chunk: list[Row], source_countries: Mapping[str, str]
) -> list[Prepared]:
    out: list[Prepared] = []
    for number, row in chunk:
        if isinstance(row, MalformedRow):
            out.append(
                Quarantined(number, QuarantineReason.MALFORMED_ROW, None, {"line": row.text})
            )
        elif kind == "records":
            out.append(prepare_record(row, number, source_countries))
        else:
            out.append(prepare_interaction(row, number))
    return out


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _prepared_chunks(
    kind: str,
    rows: Iterable[Row],
    source_countries: Mapping[str, str],
    workers: int,
) -> Iterator[list[Prepared]]:
    chunks = _chunks(rows, CHUNK_ROWS)
    if workers <= 1:
        for chunk in chunks:
            yield _prepare_chunk(kind, chunk, source_countries)
        return
    # Normalization is CPU-bound pure Python: spread it over processes, keep input order,
    # and keep only a few chunks in flight so memory stays flat on huge files.
    # fork: workers start at once and need no `if __name__ == "__main__"` guard in scripts
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from _bounded_map(pool, kind, chunks, source_countries, in_flight=workers * 3)


def _bounded_map(
    pool: Executor,
    kind: str,
    chunks: Iterator[list[Row]],
    source_countries: Mapping[str, str],
    in_flight: int,
) -> Iterator[list[Prepared]]:
    pending = [
        pool.submit(_prepare_chunk, kind, c, source_countries) for c in islice(chunks, in_flight)
    ]
    while pending:
        head = pending.pop(0)
        following = next(chunks, None)
        if following is not None:
            pending.append(pool.submit(_prepare_chunk, kind, following, source_countries))
        yield head.result()


def ingest_rows(
    store: Store,
    kind: str,
    rows: Iterable[Row],
    *,
    origin: str | None = None,
    workers: int = 0,
    on_progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest records or interactions from `(row_number, row)` pairs.

    Args:
        store: where to write.
        kind: "records" or "interactions".
        rows: the input, streamed.
        origin: where the rows came from (a file name), kept on the batch.
        workers: normalization processes; 0 or 1 normalizes in this process.
        on_progress: called with the number of rows done after every chunk.
    """
    if kind not in ("records", "interactions"):
        raise ValueError("kind must be 'records' or 'interactions'")
    spec = RECORDS if kind == "records" else INTERACTIONS
    started = time.perf_counter()
    with store.transaction() as conn:
        batch_id = start_batch(conn, kind=kind, origin=origin, now=utcnow())
    report = IngestReport(batch_id=batch_id, kind=kind)
    source_countries = store.source_countries() if kind == "records" else {}
    try:
        for prepared in _prepared_chunks(kind, rows, source_countries, workers):
            now = utcnow()
            quarantined: list[dict[str, Any]] = []
            good: list[dict[str, Any]] = []
            for item in prepared:
                if isinstance(item, Quarantined):
                    quarantined.append(
                        {
                            "batch_id": batch_id,
                            "kind": kind,
                            "row_number": item.row_number,
                            "reason": item.reason.value,
                            "column_name": item.column,
                            "raw": item.raw,
                            "created_at": now,
                        }
                    )
                else:
                    good.append(item)
            with store.transaction() as conn:
                add_quarantine(conn, quarantined)
                for part in _split_at_repeats(good, spec.key):
                    counts = upsert(conn, spec, part, batch_id=batch_id, now=now)
                    report.inserted += counts.inserted
                    report.updated += counts.updated
                    report.unchanged += counts.unchanged
            for q in quarantined:
                report.add_quarantined(q["reason"])
            report.rows += len(prepared)
            if on_progress is not None:
                on_progress(report.rows)
    except BaseException:
        try:
            with store.transaction() as conn:
                finish_batch(conn, batch_id, status="failed", now=utcnow(), counts=_counts(report))
        except Exception:  # the store itself may be what failed; keep the first error
            log.warning("could not mark ingest batch %s as failed", batch_id)
        raise
    report.seconds = time.perf_counter() - started
    with store.transaction() as conn:
        finish_batch(conn, batch_id, status="done", now=utcnow(), counts=_counts(report))
    log.info(
        "ingested %s %s: %s new, %s updated, %s unchanged, %s quarantined",
        report.rows,
        kind,
        report.inserted,
        report.updated,
        report.unchanged,
        report.quarantined,
    )
    return report


def _counts(report: IngestReport) -> dict[str, int]:
    return {
        "rows": report.rows,
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "quarantined": report.quarantined,
    }


def _split_at_repeats(
    rows: list[dict[str, Any]], key: tuple[str, ...]
) -> Iterator[list[dict[str, Any]]]:
    """Split a chunk where a key repeats, so later rows update earlier ones in order."""
    seen: set[tuple[Any, ...]] = set()
    part: list[dict[str, Any]] = []
    for row in rows:
        k = tuple(row[c] for c in key)
        if k in seen:
            yield part
            seen.clear()
            part = []
        seen.add(k)
        part.append(row)
    if part:
        yield part
