"""`cx360 ingest`: files of channel records and interactions into the store."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from cx360.cli._args import UsageError, show_progress, store_option

if TYPE_CHECKING:
    from cx360._hub import Hub
    from cx360.ingest._readers import RowSource
    from cx360.models import ColumnMapping, IngestReport, IngestResult

# Spelled here as in `cx360.ingest._readers.FORMATS`: importing it would load the ingest
# package (pydantic, SQLAlchemy) for every `--help`.
FORMATS = ("csv", "jsonl", "json", "parquet")
_DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ingest = sub.add_parser(
        "ingest",
        help="ingest a file of channel records (and interactions)",
        description="Ingest files of channel records and interactions. Delimiter and "
        "encoding are detected, and common column names in English and Spanish are "
        "recognized; the mapping used is printed. A row without its key is quarantined "
        "(cx360 quarantine); a bad value elsewhere keeps the row with that field unknown. "
        "Exits 1 when most rows of a file were set aside.",
    )
    ingest.add_argument(
        "records", nargs="?", help="records file (.csv, .tsv, .jsonl, .json, .parquet; - for stdin)"
    )
    ingest.add_argument("--interactions", help="interactions file (- for stdin)")
    mapping_options(ingest.add_argument_group("columns (for both files)"))
    reading = ingest.add_argument_group("reading")
    reading.add_argument("--delimiter", help="CSV delimiter: , ; | or tab (default: detected)")
    reading.add_argument(
        "--encoding", help="text encoding, e.g. utf-8, cp1252, latin-1 (default: detected)"
    )
    reading.add_argument(
        "--format", choices=FORMATS, help="input format (default: from the name; stdin: sniffed)"
    )
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
        key = f"{source.kind} {source.path}"
        bar = bars.get(key)
        by_rows = source.total_rows is not None or not source.total_bytes
        value = done if by_rows else source.position()
        if bar is None:
            # the first call comes after a first chunk (and, with workers, blocks read
            # ahead): counted as the start, so that the rate is not that chunk over no time
            bar = tqdm(
                total=source.total_rows if by_rows else source.total_bytes,
                initial=value,
                unit="row" if by_rows else "B",
                unit_scale=True,
                unit_divisor=1000 if by_rows else 1024,
                desc=f"{source.kind} {source.path.name}",
                file=sys.stderr,
            )
            bars[key] = bar
        bar.set_postfix_str(f"{done:,} rows", refresh=False)
        bar.update(max(value - bar.n, 0))

    def close() -> None:
        for bar in bars.values():
            if bar.total:
                bar.n = bar.total
            bar.close()

    return update, close


def _mapping_lines(report: IngestReport, name: str) -> list[str]:
    if report.mapping is None:
        return []
    lines = report.mapping.lines()
    return [f"{report.kind} {name}: {lines[0]}", *(f"  {line}" for line in lines[1:])]


def _print_report(report: IngestReport, name: str) -> None:
    for line in _mapping_lines(report, name):
        print(line)
    reasons = ", ".join(f"{k}={v:,}" for k, v in sorted(report.quarantine_reasons.items()))
    print(
        f"{report.kind}: {report.rows} rows in {report.seconds:.1f}s "
        f"({report.rows / max(report.seconds, 1e-9):,.0f}/s) — {report.inserted} new, "
        f"{report.updated} updated, {report.unchanged} unchanged, "
        f"{report.quarantined} quarantined" + (f" ({reasons})" if reasons else "")
    )
    if report.value_issues:
        issues = ", ".join(
            f"{code} {count:,}"
            for code, count in sorted(report.value_issues.items(), key=lambda kv: -kv[1])
        )
        print(f"  values set to unknown or flagged (rows kept): {issues}")
    if report.quarantine_forgotten:
        print(
            f"  {report.quarantine_forgotten:,} earlier quarantined rows now stored or "
            "listed again: no longer in the quarantine"
        )


def print_result(result: IngestResult, as_json: bool, names: Sequence[str] = ("", "")) -> None:
    """Print an ingest's reports (with the mapping each file was read with), as text lines
    or as JSON."""
    if as_json:
        print(result.model_dump_json(indent=2))
        return
    for report, name in zip((result.records, result.interactions), names, strict=True):
        if report is not None:
            _print_report(report, name)


def _set_aside_summary(report: IngestReport, name: str) -> str:
    reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(report.quarantine_reasons.items()))
    return (
        f"cx360 ingest: {report.quarantined:,} of {report.rows:,} {report.kind} rows of "
        f"{name} were set aside ({reasons}): is it a file of {report.kind}, read with the "
        "right delimiter, encoding and column mapping? `cx360 quarantine` lists the rows."
    )


def _configure_sources(hub: Hub, pairs: Sequence[str]) -> None:
    for pair in pairs:
        source, sep, country = pair.partition("=")
        if not sep or not source or len(country) != 2:
            raise UsageError(f"--source-country wants SOURCE=CC, got {pair!r}")
        hub.configure_source(source, default_country=country)


def mapping_options(mapping: argparse._ArgumentGroup) -> None:
    """The options saying which input column holds which contract column."""
    mapping.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="TARGET=COLUMN",
        help="read a contract column from this input column (repeatable; a target given "
        "twice takes several columns, e.g. --map phone=Celular --map phone=Teléfono)",
    )
    mapping.add_argument("--mapping", metavar="FILE", help="a TOML mapping file")
    mapping.add_argument("--source", metavar="NAME", help="the source of every row")
    mapping.add_argument(
        "--id-column", metavar="COLUMN", help="the column holding source_record_id"
    )
    mapping.add_argument(
        "--no-recognize",
        action="store_true",
        help="read only the contract's own column names (and --map)",
    )
    mapping.add_argument(
        "--attribute",
        action="append",
        default=[],
        metavar="NAME=KIND[:COLUMN]",
        help="declare a column to match on, kept in the store (repeatable): e.g. "
        "--attribute loyalty_card=identifier, --attribute passport=identifier:Pasaporte, "
        "--attribute employer=text:Empresa (kinds: identifier, exact, text, date, number)",
    )


def _delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    found = _DELIMITERS.get(text.lower(), text)
    if len(found) != 1:
        raise UsageError(f"--delimiter is one character (or 'tab'), got {text!r}")
    return found


def _explicit_columns(pairs: Sequence[str], id_column: str | None) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    for pair in pairs:
        target, sep, column = pair.partition("=")
        if not sep or not target.strip() or not column.strip():
            raise UsageError(f"--map wants TARGET=COLUMN, got {pair!r}")
        columns.setdefault(target.strip(), []).append(column.strip())
    if id_column is not None:
        if "source_record_id" in columns:
            raise UsageError("give the id column with --id-column or --map, not both")
        columns["source_record_id"] = [id_column]
    return columns


def _attributes(pairs: Sequence[str]) -> dict[str, dict[str, str | None]]:
    """`--attribute NAME=KIND[:COLUMN]` options as `ColumnMapping.attributes` entries."""
    found: dict[str, dict[str, str | None]] = {}
    for pair in pairs:
        name, sep, spec = pair.partition("=")
        kind, _, column = spec.partition(":")
        if not sep or not name.strip() or not kind.strip():
            raise UsageError(f"--attribute wants NAME=KIND[:COLUMN], got {pair!r}")
        found[name.strip()] = {"kind": kind.strip(), "column": column.strip() or None}
    return found


def mapping_for(args: argparse.Namespace, kind: str) -> ColumnMapping | None:
    """The mapping of one kind's file: the mapping file's, with the options on top. With
    both files, a target only one kind has applies to that kind's file."""
    from cx360.ingest._mapping import CONTRACT, EXTRA_TARGETS
    from cx360.models import ColumnMapping

    base = ColumnMapping.from_toml(args.mapping) if args.mapping else ColumnMapping()
    columns: dict[str, Any] = dict(base.columns)
    columns.update(_explicit_columns(args.map, args.id_column))
    # resolve-record's arguments have neither file
    files = (getattr(args, "records", None), getattr(args, "interactions", None))
    both = None not in files
    allowed = {*CONTRACT[kind], *EXTRA_TARGETS[kind]}
    if both:
        known = {t for k in CONTRACT for t in (*CONTRACT[k], *EXTRA_TARGETS[k])}
        unknown = sorted(set(columns) - known)
        if unknown:
            raise UsageError(f"--map: no column is called {', '.join(unknown)}")
        columns = {t: c for t, c in columns.items() if t in allowed}
    updates: dict[str, Any] = {
        "columns": {t: c[0] if len(c) == 1 else c for t, c in _lists(columns)}
    }
    if args.source is not None:
        updates["source"] = args.source
    if args.no_recognize:
        updates["recognize"] = False
    declared = _attributes(getattr(args, "attribute", []))
    if declared:
        updates["attributes"] = {
            **{n: s if isinstance(s, str) else s.model_dump() for n, s in base.attributes.items()},
            **declared,
        }
    changed = base.model_copy(update=updates)
    return ColumnMapping.model_validate(changed.model_dump())


def _lists(columns: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(t, [c] if isinstance(c, str) else list(c)) for t, c in columns.items()]


def run(args: argparse.Namespace) -> int:
    from cx360._hub import connect

    if args.records is None and args.interactions is None:
        raise UsageError("give a records file and/or --interactions FILE")
    if args.records == "-" and args.interactions == "-":
        raise UsageError("only one of the files can be read from stdin (-)")
    options: dict[str, Any] = {
        "delimiter": _delimiter(args.delimiter),
        "encoding": args.encoding,
        "format": args.format,
    }
    mappings = {kind: mapping_for(args, kind) for kind in ("records", "interactions")}
    update, close = _progress_bar(show_progress(args))
    with connect(args.store) as hub:
        _configure_sources(hub, args.source_country)
        result = _ingest(hub, args, options, mappings, update, close)
    names = [_name(args.records), _name(args.interactions)]
    print_result(result, args.json, names)
    failed = False
    for report, name in zip((result.records, result.interactions), names, strict=True):
        if report is not None and report.mostly_set_aside:
            print(_set_aside_summary(report, name), file=sys.stderr)
            failed = True
    return 1 if failed else 0


def _ingest(
    hub: Hub,
    args: argparse.Namespace,
    options: dict[str, Any],
    mappings: dict[str, ColumnMapping | None],
    update: Callable[[RowSource, int], None] | None,
    close: Callable[[], None],
) -> IngestResult:
    from cx360.models import IngestResult

    result = IngestResult()
    try:
        if args.records is not None:
            done = hub.ingest_files(
                args.records,
                workers=args.workers,
                progress=update,
                mapping=mappings["records"],
                **options,
            )
            result.records = done.records
        if args.interactions is not None:
            done = hub.ingest_files(
                interactions=args.interactions,
                workers=args.workers,
                progress=update,
                mapping=mappings["interactions"],
                **options,
            )
            result.interactions = done.interactions
    finally:
        close()
    return result


def _name(path: str | None) -> str:
    return "stdin" if path == "-" else str(path or "")
