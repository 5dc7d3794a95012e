"""`cx360 ingest`: files of channel records and interactions into the store."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cx360.cli._args import UsageError, show_progress, store_option

if TYPE_CHECKING:
    from cx360._hub import Hub
    from cx360.ingest._readers import RowSource
    from cx360.models import IngestReport, IngestResult


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ingest = sub.add_parser("ingest", help="ingest a file of channel records (and interactions)")
    ingest.add_argument(
        "records", nargs="?", type=Path, help="records file (.csv, .jsonl, .parquet)"
    )
    ingest.add_argument("--interactions", type=Path, help="interactions file")
    ingest.add_argument(
        "--source-country",
        action="append",
        default=[],
        metavar="SOURCE=CC",
        help="default country for a source's records without one (repeatable)",
    )
    ingest.add_argument("--workers", type=int, help="normalization processes (default: auto)")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")
    store_option(ingest)
    ingest.set_defaults(run=run)


def _progress_bar(
    enabled: bool,
) -> tuple[Callable[[RowSource, int], None] | None, Callable[[], None]]:
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(source: RowSource, done: int) -> None:
        key = str(source.path)
        bar = bars.get(key)
        if bar is None:
            by_rows = source.total_rows is not None
            bar = tqdm(
                total=source.total_rows if by_rows else source.total_bytes,
                unit="row" if by_rows else "B",
                unit_scale=True,
                desc=f"{source.kind} {source.path.name}",
                file=sys.stderr,
            )
            bars[key] = bar
        bar.n = done if source.total_rows is not None else source.position()
        bar.set_postfix(rows=done, refresh=False)
        bar.refresh()

    def close() -> None:
        for bar in bars.values():
            bar.n = bar.total
            bar.close()

    return update, close


def _print_report(report: IngestReport) -> None:
    reasons = ", ".join(f"{k}={v}" for k, v in sorted(report.quarantine_reasons.items()))
    print(
        f"{report.kind}: {report.rows} rows in {report.seconds:.1f}s "
        f"({report.rows / max(report.seconds, 1e-9):,.0f}/s) — {report.inserted} new, "
        f"{report.updated} updated, {report.unchanged} unchanged, "
        f"{report.quarantined} quarantined" + (f" ({reasons})" if reasons else "")
    )


def print_result(result: IngestResult, as_json: bool) -> None:
    """Print an ingest's reports, as text lines or as JSON."""
    if as_json:
        print(result.model_dump_json(indent=2))
        return
    for report in (result.records, result.interactions):
        if report is not None:
            _print_report(report)


def _configure_sources(hub: Hub, pairs: Sequence[str]) -> None:
    for pair in pairs:
        source, sep, country = pair.partition("=")
        if not sep or not source or len(country) != 2:
            raise UsageError(f"--source-country wants SOURCE=CC, got {pair!r}")
        hub.configure_source(source, default_country=country)


def run(args: argparse.Namespace) -> int:
    from cx360._hub import connect

    if args.records is None and args.interactions is None:
        raise UsageError("give a records file and/or --interactions FILE")
    update, close = _progress_bar(show_progress(args))
    with connect(args.store) as hub:
        _configure_sources(hub, args.source_country)
        try:
            result = hub.ingest_files(
                args.records, args.interactions, workers=args.workers, progress=update
            )
        finally:
            close()
    print_result(result, args.json)
    return 0
