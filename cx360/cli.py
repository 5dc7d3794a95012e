"""The `cx360` command: batch jobs over files and the store."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cx360._errors import Cx360Error
from cx360._hub import Hub, connect
from cx360.ingest._readers import RowSource
from cx360.models import IngestReport, IngestResult
from cx360.store import STORE_ENV_VAR

log = logging.getLogger("cx360")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cx360", description="Customer 360 profiles from omnichannel records."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    def store_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--store",
            metavar="URL",
            help=f"store URL or SQLite path (default: ${STORE_ENV_VAR}, else sqlite:///cx360.db)",
        )

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

    generate = sub.add_parser("generate", help="write a synthetic omnichannel dataset")
    generate.add_argument("--records", type=int, default=10_000, help="approximate record count")
    generate.add_argument("--seed", type=int, default=1)
    generate.add_argument("--out", type=Path, required=True, help="output folder")
    generate.add_argument("--format", choices=("csv", "jsonl", "parquet"), default="csv")

    demo = sub.add_parser("demo", help="generate a sample, ingest it and show what cx360 knows")
    demo.add_argument("--records", type=int, default=5_000)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--dir", type=Path, default=Path("cx360-demo"), help="where the sample goes")
    store_option(demo)

    quarantine = sub.add_parser("quarantine", help="list quarantined rows (reason, row, column)")
    quarantine.add_argument("--batch", type=int, help="only this ingest batch")
    quarantine.add_argument("--limit", type=int, default=50)
    store_option(quarantine)
    return parser


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


def _print_result(result: IngestResult, as_json: bool) -> None:
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
            raise SystemExit(f"--source-country wants SOURCE=CC, got {pair!r}")
        hub.configure_source(source, default_country=country)


def _ingest(args: argparse.Namespace) -> int:
    if args.records is None and args.interactions is None:
        raise SystemExit("cx360 ingest: give a records file and/or --interactions FILE")
    show = not args.no_progress and not args.json and sys.stderr.isatty()
    update, close = _progress_bar(show)
    with connect(args.store) as hub:
        _configure_sources(hub, args.source_country)
        try:
            result = hub.ingest_files(
                args.records, args.interactions, workers=args.workers, progress=update
            )
        finally:
            close()
    _print_result(result, args.json)
    return 0


def _generate(args: argparse.Namespace) -> int:
    from cx360.synthetic import write_dataset

    paths = write_dataset(args.out, n_records=args.records, seed=args.seed, fmt=args.format)
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from cx360.synthetic import write_dataset

    paths = write_dataset(args.dir, n_records=args.records, seed=args.seed, fmt="csv")
    print(f"sample written to {args.dir}/ ({args.records} records, seed {args.seed})")
    with connect(args.store) as hub:
        print(f"store: {hub.store.url}")
        result = hub.ingest_files(paths["records"], paths["interactions"])
        _print_result(result, as_json=False)
        _show_sample(hub)
    return 0


def _show_sample(hub: Hub) -> None:
    """Print the stored channel records sharing the most common phone: one person's traces."""
    from sqlalchemy import func, select

    from cx360.store._schema import records

    with hub.store.connection() as conn:
        phone = conn.execute(
            select(records.c.phone_key)
            .where(records.c.phone_key.is_not(None))
            .group_by(records.c.phone_key)
            .having(func.count(func.distinct(records.c.source)) > 1)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar()
        if phone is None:
            return
        rows = conn.execute(
            select(
                records.c.source,
                records.c.source_record_id,
                records.c.given_names,
                records.c.surnames,
                records.c.email_key,
                records.c.birth_date,
                records.c.issues,
            ).where(records.c.phone_key == phone)
        ).all()
    print(f"\nchannel records sharing one phone (normalized to {phone[:-4]}****):")
    for row in rows:
        name = " ".join(filter(None, (row.given_names, row.surnames))) or "-"
        print(
            f"  {row.source:<12} {row.source_record_id:<16} {name:<32} "
            f"{row.email_key or '-':<32} {row.birth_date or '-':<10} {row.issues or ''}"
        )


def _quarantine(args: argparse.Namespace) -> int:
    with connect(args.store) as hub:
        rows = hub.quarantined(batch_id=args.batch, limit=args.limit)
    for row in rows:
        print(
            f"batch {row['batch_id']} {row['kind']} row {row['row_number']}: "
            f"{row['reason']}" + (f" (column {row['column_name']})" if row["column_name"] else "")
        )
    if not rows:
        print("no quarantined rows")
    return 0


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "ingest": _ingest,
    "generate": _generate,
    "demo": _demo,
    "quarantine": _quarantine,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cx360` console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    try:
        return _COMMANDS[args.command](args)
    except Cx360Error as error:
        print(f"cx360: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
