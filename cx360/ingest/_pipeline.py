"""The ingest pipeline: rows → prepared (normalized) → written in atomic chunks.

Every chunk is one transaction holding its stored rows and its quarantine rows, so a run
killed midway leaves each row either fully stored (or quarantined) or not there at all,
and re-running the same input afterwards completes it without duplicates.
"""

from __future__ import annotations

import csv
import dataclasses
import gc
import logging
import marshal
import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from itertools import islice
from operator import itemgetter
from typing import Any

from cx360.ingest._batches import mark_interrupted, owned_batch
from cx360.ingest._declared import declared_columns
from cx360.ingest._indexes import drop_for_load, last_id
from cx360.ingest._prepare import (
    Quarantined,
    RowPlan,
    prepare_interaction,
    prepare_record_values,
)
from cx360.ingest._quarantine import StaleEntries, entries, forget_earlier_runs
from cx360.ingest._readers import (
    BlockReadError,
    CsvBlocks,
    CsvLayout,
    MalformedRow,
    parse_csv_block,
)
from cx360.models import IngestReport, QuarantineReason
from cx360.models._mapping import MappingUsed
from cx360.privacy._suppress import Suppression, load_suppression
from cx360.store import Store, utcnow
from cx360.store._writes import (
    INTERACTIONS,
    RECORDS,
    PreparedCodec,
    add_quarantine,
    finish_batch,
    insert_prepared,
)

log = logging.getLogger("cx360.ingest")

# Rows prepared together (a unit of work for a worker process).
CHUNK_ROWS = 5000
# Prepared chunks (or CSV blocks) are written in transactions of at least this many rows:
# fewer commits, and the pages every commit rewrites (the key index's, the table's last)
# are written less often (~2 µs of the writer's CPU a row against 5,000-row transactions).
TRANSACTION_ROWS = 20_000
# A load at least this large, and larger than what the table holds, drops most lookup
# indexes and rebuilds them at the end (`_indexes`).
DEFER_INDEXES_MIN_ROWS = 100_000
# Below this many rows, worker processes cost more to start than they save.
PARALLEL_MIN_ROWS = 20_000
# The workers' young-generation GC threshold. Preparing a row allocates many small
# containers and the normalizers' caches keep growing, so with the default (700) the cyclic
# collector runs every few rows and its full passes walk every cache entry: ~15% of a
# worker's CPU. Prepared rows hold no reference cycles worth collecting early.
WORKER_GC_THRESHOLD = 100_000

Row = tuple[int | None, Mapping[str, Any] | MalformedRow]
# A prepared row is a positional tuple encoded for the store's driver (see PreparedCodec).
Prepared = tuple[Any, ...] | Quarantined

_CODECS: dict[tuple[str, bool], PreparedCodec] = {}


def codec_for(kind: str, compact: bool) -> PreparedCodec:
    """The codec of a kind (built once per process: workers build their own)."""
    found = _CODECS.get((kind, compact))
    if found is None:
        spec = RECORDS if kind == "records" else INTERACTIONS
        found = _CODECS[(kind, compact)] = PreparedCodec(spec, compact)
    return found


@dataclasses.dataclass(frozen=True)
class _Job:
    """What every chunk of one ingest is prepared with (sent to each worker task)."""

    kind: str
    source_countries: Mapping[str, str]
    plan: RowPlan
    compact: bool  # rows encoded to str and int (`Strategy.compact_rows`)


def _malformed(number: int | None, row: MalformedRow) -> Quarantined:
    raw = {"line": row.text, "problem": row.detail}
    return Quarantined(number, QuarantineReason.MALFORMED_ROW, None, raw, *row.key)


def _prepare_chunk(job: _Job, chunk: Sequence[Row]) -> list[Prepared]:
    codec = codec_for(job.kind, job.compact)
    countries, plan = job.source_countries, job.plan
    out: list[Prepared] = []
    for number, row in chunk:
        if isinstance(row, MalformedRow):
            out.append(_malformed(number, row))
        elif job.kind == "records":
            values = prepare_record_values(row, number, countries, plan)
            out.append(values if isinstance(values, Quarantined) else codec.encode_values(values))
        else:
            prepared = prepare_interaction(row, number, countries, plan, strict=False)
            out.append(prepared if isinstance(prepared, Quarantined) else codec.encode(prepared))
    return out


def _prepare_block(
    job: _Job, data: bytes, layout: CsvLayout
) -> tuple[list[Prepared] | bytes, int, bool]:
    """Parse and prepare one CSV block in a worker: (prepared rows numbered from 1 within
    the block and packed by `_pack`, rows in it, whether it ended where a row ends)."""
    try:
        rows, ended = parse_csv_block(data, layout)
    except csv.Error:
        # only possible when the block did not start where a row starts (an earlier block
        # ended mid-row): the pipeline reads from the earlier block on, row by row
        return [], 0, False
    if not ended:
        return [], 0, False
    return _pack(_prepare_chunk(job, rows), job.compact), len(rows), True


def _prepare_chunk_packed(job: _Job, chunk: Sequence[Row]) -> list[Prepared] | bytes:
    """`_prepare_chunk` in a worker, packed for the trip to the writer (see `_pack`)."""
    return _pack(_prepare_chunk(job, chunk), job.compact)


def _pack(prepared: list[Prepared], compact: bool) -> list[Prepared] | bytes:
    """Prepared rows as they leave a worker: compact rows hold only `str` and `int`,
    which `marshal` writes and reads faster than pickle (~1 µs a row less in all);
    chunks with anything else (a quarantined row, datetimes) stay a list and are pickled."""
    if compact:
        try:
            return marshal.dumps(prepared)
        except ValueError:  # an object marshal does not write
            pass
    return prepared


def _unpack(packed: list[Prepared] | bytes) -> list[Prepared]:
    if isinstance(packed, bytes):
        rows: list[Prepared] = marshal.loads(packed)  # noqa: S302 (our own workers wrote it)
        return rows
    return packed


def _shifted(prepared: list[Prepared], offset: int) -> list[Prepared]:
    """Row numbers of a block's quarantined rows made file-wide."""
    if not offset:
        return prepared
    return [
        dataclasses.replace(item, row_number=(item.row_number or 0) + offset)
        if isinstance(item, Quarantined)
        else item
        for item in prepared
    ]


def _grouped(chunks: Iterable[list[Prepared]], rows: int) -> Iterator[list[Prepared]]:
    """Consecutive prepared chunks joined until they hold at least `rows` rows (one
    transaction each); the last group may be smaller."""
    group: list[Prepared] = []
    for chunk in chunks:
        if group:
            group.extend(chunk)
        else:
            group = chunk
        if len(group) >= rows:
            yield group
            group = []
    if group:
        yield group


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _init_worker() -> None:
    """In each worker process: what the parent had at fork time is never garbage, and
    the cyclic collector runs rarely (see WORKER_GC_THRESHOLD)."""
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(WORKER_GC_THRESHOLD, second, third)


def _prepared_chunks(
    job: _Job, rows: Iterable[Row] | CsvBlocks, workers: int
) -> Iterator[list[Prepared]]:
    if workers <= 1:
        blocks_rows = rows.rest([]) if isinstance(rows, CsvBlocks) else rows
        for chunk in _chunks(blocks_rows, CHUNK_ROWS):
            yield _prepare_chunk(job, chunk)
        return
    # Normalization is CPU-bound pure Python: spread it over processes, keep input order,
    # and keep only a few chunks in flight so memory stays flat on huge files.
    # fork: workers start at once and need no `if __name__ == "__main__"` guard in scripts
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker
    ) as pool:
        if isinstance(rows, CsvBlocks):
            yield from _block_map(pool, job, rows, workers * 3)
        else:
            yield from _bounded_map(pool, job, _chunks(rows, CHUNK_ROWS), workers * 3)


def _block_map(
    pool: Executor, job: _Job, blocks: CsvBlocks, in_flight: int
) -> Iterator[list[Prepared]]:
    """Workers parse and prepare CSV blocks (in order); if a block turns out not to end
    where a row ends, the rest of the file from that block on is read row by row."""
    source = iter(blocks)
    pending: deque[tuple[bytes, Future[tuple[list[Prepared] | bytes, int, bool]]]] = deque()
    stopped = False

    def submit() -> None:
        nonlocal stopped
        if stopped:
            return
        try:
            data = next(source)
        except (StopIteration, BlockReadError):
            stopped = True
            return
        pending.append((data, pool.submit(_prepare_block, job, data, blocks.layout)))

    for _ in range(in_flight):
        submit()
    offset = 0
    redo: list[bytes] = []
    while pending:
        data, future = pending.popleft()
        prepared, count, ended = future.result()
        if not ended:
            redo = [data, *(d for d, _ in pending)]
            for _, later in pending:  # stale: they started where no row starts
                if not later.cancel():
                    later.exception()
            pending.clear()
            break
        yield _shifted(_unpack(prepared), offset)
        offset += count
        submit()
    # after a block that did not end on a row, or when block reading gave up
    rows = blocks.rest(redo, start=offset)
    yield from _bounded_map(pool, job, _chunks(rows, CHUNK_ROWS), in_flight)


def _bounded_map(
    pool: Executor, job: _Job, chunks: Iterator[list[Row]], in_flight: int
) -> Iterator[list[Prepared]]:
    pending = [pool.submit(_prepare_chunk_packed, job, c) for c in islice(chunks, in_flight)]
    while pending:
        head = pending.pop(0)
        following = next(chunks, None)
        if following is not None:
            pending.append(pool.submit(_prepare_chunk_packed, job, following))
        yield _unpack(head.result())


def ingest_rows(
    store: Store,
    kind: str,
    rows: Iterable[Row] | CsvBlocks,
    *,
    origin: str | None = None,
    workers: int = 0,
    on_progress: Callable[[int], None] | None = None,
    defer_indexes: bool = False,
    plan: RowPlan | None = None,
    mapping: MappingUsed | None = None,
    whole_file: bool = False,
) -> IngestReport:
    """Ingest records or interactions from `(row_number, row)` pairs.

    Args:
        store: where to write.
        kind: "records" or "interactions".
        rows: the input, streamed: `(row_number, row)` pairs (named as the contract
            names them: see `_mapping.plan_header`), or a CSV file's blocks (parsed in the
            worker processes when there are any).
        origin: where the rows came from (a file name), kept on the batch.
        workers: normalization processes; 0 or 1 normalizes in this process.
        on_progress: called with the number of rows done after every chunk.
        defer_indexes: after the first transaction, drop the table's lookup indexes that
            cost the load more than their build (see `_indexes`) and rebuild them at the
            end (also after a failure; after a kill, the next `Store.open` does).
        plan: what applies to every row (a source given for all, more status words).
        mapping: how the input was read, for the report.
        whole_file: `rows` are a whole file, `origin`: when they are all read, entries of
            earlier ingests of that file leave the quarantine (see `_quarantine`).
    """
    if kind not in ("records", "interactions"):
        raise ValueError("kind must be 'records' or 'interactions'")
    compact = store.strategy.compact_rows
    codec = codec_for(kind, compact)
    started = time.perf_counter()
    mark_interrupted(store)  # batches of ingests that were killed: 'interrupted'
    with owned_batch(store, kind=kind, origin=origin) as batch_id:
        report = IngestReport(batch_id=batch_id, kind=kind, mapping=mapping)
        plan = (plan or RowPlan()).with_identifiers(*declared_columns(store))
        job = _Job(kind, store.source_countries(), plan, compact)
        stale = StaleEntries.load(store, kind, batch_id)
        suppressed = load_suppression(store)  # erased people's keys: None when there are none
        table = codec.kind.table
        first_new_after = last_id(store, table) if defer_indexes else 0
        try:
            groups = _grouped(_prepared_chunks(job, rows, workers), TRANSACTION_ROWS)
            for done, prepared in enumerate(groups):
                _write_group(store, codec, prepared, report, stale, suppressed)
                if defer_indexes and not done:  # the first rows tell which keys they hold
                    drop_for_load(store, table, after_id=first_new_after)
                if on_progress is not None:
                    on_progress(report.rows)
        except BaseException:
            try:
                with store.transaction() as conn:
                    counts = _counts(report)
                    finish_batch(conn, batch_id, status="failed", now=utcnow(), counts=counts)
                if defer_indexes:
                    store.ensure_indexes()
            except Exception:  # the store itself may be what failed; keep the first error
                log.warning("could not mark ingest batch %s as failed", batch_id)
            raise
        if defer_indexes:
            loaded = time.perf_counter()
            built = store.ensure_indexes()
            log.info(
                "rows written in %.1f s; %d lookup indexes built in %.1f s",
                loaded - started,
                len(built),
                time.perf_counter() - loaded,
            )
        report.seconds = time.perf_counter() - started
        with store.transaction() as conn:
            if whole_file and origin is not None:
                report.quarantine_forgotten += forget_earlier_runs(
                    conn, kind=kind, origin=origin, batch_id=batch_id
                )
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


def _write_group(
    store: Store,
    codec: PreparedCodec,
    prepared: list[Prepared],
    report: IngestReport,
    stale: StaleEntries,
    suppressed: Suppression | None = None,
) -> None:
    """One transaction: the group's stored rows, its quarantined rows, and the earlier
    quarantine entries its stored rows make stale."""
    now = utcnow()
    set_aside = [item for item in prepared if isinstance(item, Quarantined)]
    good: list[tuple[Any, ...]] = (
        [item for item in prepared if not isinstance(item, Quarantined)] if set_aside else prepared  # type: ignore[assignment]
    )
    if suppressed is not None:  # rows of erased people: set aside as 'erased', no values
        good, erased = suppressed.split(report.kind, good, codec)
        set_aside += erased
    assert report.batch_id is not None
    with store.transaction() as conn:
        add_quarantine(
            conn, entries(set_aside, batch_id=report.batch_id, kind=report.kind, now=now)
        )
        for part in _split_at_repeats(good, codec):
            counts = insert_prepared(
                conn, store.strategy, codec, part, batch_id=report.batch_id, now=now
            )
            report.inserted += counts.inserted
            report.updated += counts.updated
            report.unchanged += counts.unchanged
        if stale:
            report.quarantine_forgotten += stale.forget(conn, _keys(good, codec))
    for item in set_aside:
        report.add_quarantined(item.reason.value)
    _count_issues(good, codec, report)
    report.rows += len(prepared)


def _keys(rows: list[tuple[Any, ...]], codec: PreparedCodec) -> Iterator[Any]:
    """The stored rows' keys as `StaleEntries` holds them."""
    if len(codec.key_positions) == 1:
        (at,) = codec.key_positions
        return (row[at] for row in rows)
    return (codec.key(row) for row in rows)


def _count_issues(rows: list[tuple[Any, ...]], codec: PreparedCodec, report: IngestReport) -> None:
    at = codec.index.get("issues")
    if at is None:
        return
    counts = report.value_issues
    for row in rows:
        issues = row[at]
        if issues.__class__ is str:  # None, or SQLite's NULL marker, when there are none
            for issue in issues.split():
                counts[issue] = counts.get(issue, 0) + 1


def _counts(report: IngestReport) -> dict[str, int]:
    return {
        "rows": report.rows,
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "quarantined": report.quarantined,
    }


def _split_at_repeats(
    rows: list[tuple[Any, ...]], codec: PreparedCodec
) -> Iterator[list[tuple[Any, ...]]]:
    """Split a chunk where a key repeats, so later rows update earlier ones in order."""
    seen: set[Any] = set()
    part: list[tuple[Any, ...]] = []
    key = itemgetter(*codec.key_positions)  # a tuple, or the value of a one-column key
    for row in rows:
        k = key(row)
        if k in seen:
            yield part
            seen.clear()
            part = []
        seen.add(k)
        part.append(row)
    if part:
        yield part
