"""The `cx360` command: batch jobs over files and the store."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from cx360._errors import Cx360Error
from cx360._hub import Hub, connect
from cx360.ingest._readers import RowSource
from cx360.models import IngestReport, IngestResult
from cx360.resolve import DEFAULT_SOLE_HOLDER_MATCH_WEIGHT
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

    resolve = sub.add_parser("resolve", help="resolve stored records into customers")
    resolve.add_argument("--retrain", action="store_true", help="train a new matching model")
    resolve.add_argument(
        "--full",
        action="store_true",
        help="score every pair again (by default only pairs involving new or changed records)",
    )
    resolve.add_argument(
        "--match-weight",
        type=float,
        help="link threshold (log2 odds) for pairs that share an identifier",
    )
    resolve.add_argument(
        "--name-only-match-weight",
        type=float,
        help="link threshold (log2 odds) for pairs that share only names",
    )
    sole = resolve.add_mutually_exclusive_group()
    sole.add_argument(
        "--sole-holder-match-weight",
        type=float,
        help="lowest weight of a pair sharing a contact identifier that may join a record to "
        "the one customer holding it (default -8)",
    )
    sole.add_argument(
        "--no-sole-holder",
        action="store_true",
        help="no sole-holder links: records join customers on the link weights only",
    )
    resolve.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="where matching runs: DuckDB in this process, or Spark (docs/spark.md)",
    )
    resolve.add_argument(
        "--spark-master",
        metavar="URL",
        help="Spark master (spark://host:7077, yarn, k8s://..., local[4]); default local[*]",
    )
    resolve.add_argument(
        "--spark-work-dir",
        metavar="DIR",
        help="directory or URL (hdfs://..., s3a://...) for the files exchanged with Spark; "
        "on a cluster it must be shared with the executors",
    )
    resolve.add_argument(
        "--spark-conf",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="a Spark setting, e.g. spark.executor.memory=8g (repeatable)",
    )
    resolve.add_argument("--json", action="store_true", help="print the report as JSON")
    resolve.add_argument("--no-progress", action="store_true", help="no progress bar")
    store_option(resolve)

    export = sub.add_parser("export", help="write source, source_record_id, customer_id")
    export.add_argument("--out", type=Path, required=True, help=".csv or .parquet file")
    store_option(export)

    explain = sub.add_parser(
        "explain", help="why records match: a pair's waterfall, or a record's chain of links"
    )
    explain.add_argument(
        "record", type=_record_arg, metavar="SOURCE:ID", help="a record, e.g. whatsapp:wa-1"
    )
    explain.add_argument(
        "other",
        nargs="?",
        type=_record_arg,
        metavar="SOURCE:ID",
        help="a second record: explain the pair",
    )
    explain.add_argument("--json", action="store_true", help="print the explanation as JSON")
    explain.add_argument("--html", type=Path, metavar="FILE", help="also write an HTML page")
    store_option(explain)

    report = sub.add_parser(
        "report", help="CX measures: repeat contacts, channel hops, FCR, time to resolution"
    )
    report.add_argument("--customer-id", metavar="ID", help="one customer (default: the store)")
    report.add_argument("--since", type=_when, metavar="DATE", help="from this UTC date-time on")
    report.add_argument(
        "--until", type=_when, metavar="DATE", help="before this UTC date-time (exclusive)"
    )
    report.add_argument("--channel", help="only this channel (cases: those started on it)")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    store_option(report)

    for name, text in (
        ("profile", "a customer's unified profile: golden record, identifiers, timeline, cases"),
        ("context", "the compact card for an agent: name, verified IDs, open cases, channels"),
    ):
        lookup = sub.add_parser(
            name, help=f"{text} (by any identifier; exit status 1 when not exactly one customer)"
        )
        which = lookup.add_mutually_exclusive_group(required=True)
        which.add_argument("--phone", help="a phone number as typed (national: add --country)")
        which.add_argument("--email")
        which.add_argument("--national-id", metavar="ID")
        which.add_argument("--handle", help="a social handle or profile URL")
        which.add_argument("--customer-id", metavar="ID", help="a customer id (aliases too)")
        which.add_argument(
            "--record", type=_record_arg, metavar="SOURCE:ID", help="a record, e.g. whatsapp:wa-1"
        )
        lookup.add_argument("--country", metavar="CC", help="country to read a phone or ID with")
        if name == "profile":
            lookup.add_argument(
                "--limit", type=int, default=20, help="interactions to show (default 20)"
            )
        lookup.add_argument("--json", action="store_true", help="print the lookup as JSON")
        store_option(lookup)

    realtime = sub.add_parser(
        "resolve-record",
        help="store one record and resolve it into a customer now; prints the match as JSON",
    )
    realtime.add_argument(
        "--json",
        dest="record_json",
        metavar="OBJECT",
        help="the record as a JSON object (input-contract columns); default: read stdin",
    )
    store_option(realtime)

    quarantine = sub.add_parser("quarantine", help="list quarantined rows (reason, row, column)")
    quarantine.add_argument("--batch", type=int, help="only this ingest batch")
    quarantine.add_argument("--limit", type=int, default=50)
    store_option(quarantine)

    override = sub.add_parser(
        "override", help="a data steward's decisions: link or separate two records, audited"
    )
    actions = override.add_subparsers(dest="action", required=True)
    for action, text in (
        ("link", "these two records are one person (joins their customers)"),
        ("separate", "these two records are never one person (splits their customer)"),
    ):
        pair = actions.add_parser(action, help=f"{text}; applies at the next resolve")
        pair.add_argument("a", type=_record_arg, metavar="SOURCE:ID", help="a record")
        pair.add_argument("b", type=_record_arg, metavar="SOURCE:ID", help="the other record")
        pair.add_argument("--reason", required=True, help="why (kept for audit)")
        pair.add_argument("--by", metavar="NAME", help="who decides (default: OS user name)")
        store_option(pair)
    revoke = actions.add_parser("revoke", help="revoke an override (the row is kept, stamped)")
    revoke.add_argument("id", type=int, help="override id (see `cx360 override list`)")
    revoke.add_argument("--reason", required=True, help="why (kept for audit)")
    revoke.add_argument("--by", metavar="NAME", help="who decides (default: OS user name)")
    store_option(revoke)
    listing = actions.add_parser("list", help="list the active overrides")
    listing.add_argument("--all", action="store_true", help="revoked ones too")
    listing.add_argument("--json", action="store_true", help="print them as JSON")
    store_option(listing)
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


def _stage_bar(enabled: bool) -> tuple[Callable[[str], None] | None, Callable[[], None]]:
    """A progress bar over resolution's stages (the current one shown, with its time)."""
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    from cx360.resolve._batch import RESOLVE_STAGES

    bar = tqdm(total=len(RESOLVE_STAGES), desc="resolve", unit="stage", file=sys.stderr)

    def stage(name: str) -> None:
        bar.n = RESOLVE_STAGES.index(name)
        bar.set_postfix_str(name, refresh=False)
        bar.refresh()

    def close() -> None:
        bar.n = bar.total
        bar.set_postfix_str("done", refresh=False)
        bar.close()

    return stage, close


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
        report = hub.resolve()
        print(
            f"resolved {report.records} records into {report.customers} customers "
            f"in {report.seconds.get('total', 0):.1f}s"
        )
        _show_customer(hub)
    return 0


def _show_customer(hub: Hub) -> None:
    """Print the customer seen on the most channels: records and interactions, one history."""
    from sqlalchemy import func, select

    from cx360.store._schema import interactions, record_customers, records

    with hub.store.connection() as conn:
        customer = conn.execute(
            select(record_customers.c.customer_id)
            .join(records, records.c.id == record_customers.c.record_id)
            .group_by(record_customers.c.customer_id)
            .order_by(func.count(func.distinct(records.c.source)).desc(), func.count().desc())
            .limit(1)
        ).scalar()
        if customer is None:
            return
        rows = conn.execute(
            select(
                records.c.source,
                records.c.source_record_id,
                records.c.given_names,
                records.c.surnames,
                records.c.email_display,
                records.c.phone_e164,
            )
            .join(record_customers, record_customers.c.record_id == records.c.id)
            .where(record_customers.c.customer_id == customer)
            .order_by(records.c.source)
        ).all()
        history = conn.execute(
            select(
                interactions.c.occurred_at,
                interactions.c.source,
                interactions.c.type,
                interactions.c.status,
                interactions.c.case_id,
            )
            .join(
                records,
                (records.c.source == interactions.c.source)
                & (records.c.source_record_id == interactions.c.source_record_id),
            )
            .join(record_customers, record_customers.c.record_id == records.c.id)
            .where(record_customers.c.customer_id == customer)
            .order_by(interactions.c.occurred_at.desc())
            .limit(10)
        ).all()
    print(f"\ncustomer {customer}: {len(rows)} channel records")
    for row in rows:
        name = " ".join(filter(None, (row.given_names, row.surnames))) or "-"
        print(
            f"  {row.source:<12} {row.source_record_id[:20]:<20} {name:<30} "
            f"{row.email_display or '-':<34} {row.phone_e164 or '-'}"
        )
    print("  latest interactions, every channel:")
    for item in history:
        when = item.occurred_at.strftime("%Y-%m-%d %H:%M") if item.occurred_at else "-"
        print(
            f"    {when}  {item.source:<12} {item.type or '-':<10} "
            f"{item.status or '-':<9} case {item.case_id or '-'}"
        )


def _resolve(args: argparse.Namespace) -> int:
    spark: dict[str, Any] = {}
    if args.engine == "spark":
        conf = dict(item.partition("=")[::2] for item in args.spark_conf)
        spark = {
            "spark_master": args.spark_master,
            "spark_work_dir": args.spark_work_dir,
            "spark_conf": conf,
        }
    elif args.spark_master or args.spark_work_dir or args.spark_conf:
        raise SystemExit("cx360 resolve: --spark-* options need --engine spark")
    show = not args.no_progress and not args.json and sys.stderr.isatty()
    stage, close = _stage_bar(show)
    try:
        with connect(args.store) as hub:
            report = hub.resolve(
                retrain=args.retrain,
                full=args.full,
                match_weight=args.match_weight,
                name_only_match_weight=args.name_only_match_weight,
                sole_holder_match_weight=(
                    None
                    if args.no_sole_holder
                    else DEFAULT_SOLE_HOLDER_MATCH_WEIGHT
                    if args.sole_holder_match_weight is None
                    else args.sole_holder_match_weight
                ),
                engine=args.engine,
                progress=stage,
                **spark,
            )
    finally:
        close()
    if args.json:
        print(report.model_dump_json(indent=2))
        return 0
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items())
    print(
        f"resolved {report.records} records into {report.customers} customers "
        f"({report.new_customers} new, {report.merged_customers} merged, "
        f"{report.split_customers} split, {report.records_reassigned} records reassigned)"
    )
    print(
        f"{report.mode} run: {report.records_scored} records scored, "
        f"{report.candidate_pairs} pairs kept, {report.links} links on weight and "
        f"{report.sole_holder_links} to the sole holder of a contact identifier; "
        f"{timings}"
    )
    if report.override_links or report.overrides_refused:
        refused = ", ".join(str(i) for i in report.overrides_refused) or "none"
        print(
            f"steward overrides: {report.override_links} links honoured; refused "
            f"(they would join separated records): {refused}"
        )
    return 0


def _export(args: argparse.Namespace) -> int:
    with connect(args.store) as hub:
        written = hub.export(args.out)
    print(f"{written} records written to {args.out}")
    return 0


def _resolve_record(args: argparse.Namespace) -> int:
    from cx360._errors import InputError

    text = args.record_json if args.record_json is not None else sys.stdin.read()
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        # the position only: the text is a customer's record
        raise InputError(f"the record is not valid JSON (at character {error.pos})") from None
    if not isinstance(record, dict):
        raise InputError("the record must be a JSON object of input-contract columns")
    with connect(args.store) as hub:
        match = hub.resolve_record(record)
    print(match.model_dump_json(indent=2))
    return 0


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


def _explain(args: argparse.Namespace) -> int:
    from cx360 import _render

    with connect(args.store) as hub:
        if args.other is None:
            found = hub.explain_record(args.record)
            text, page = _render.record_text(found), _render.record_html(found)
            dump = found.model_dump_json(indent=2)
        else:
            pair = hub.explain_pair(args.record, args.other)
            text, page = _render.pair_text(pair), _render.pair_html(pair)
            dump = pair.model_dump_json(indent=2)
    if args.html is not None:
        args.html.write_text(page, encoding="utf-8")
    print(dump if args.json else text)
    return 0


def _report(args: argparse.Namespace) -> int:
    from cx360._render_report import report_text

    with connect(args.store) as hub:
        found = hub.report(
            args.customer_id, since=args.since, until=args.until, channel=args.channel
        )
    print(found.model_dump_json(indent=2) if args.json else report_text(found))
    return 0


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "a date is YYYY-MM-DD or an ISO date-time, e.g. 2024-06-01T08:00"
        ) from None


def _record_arg(text: str) -> tuple[str, str]:
    # split at the first colon only: record ids may hold colons, source names do not
    source, sep, record_id = text.partition(":")
    if not sep or not source or not record_id:
        raise argparse.ArgumentTypeError("a record is SOURCE:ID, e.g. whatsapp:wa-1")
    return source, record_id


def _steward(args: argparse.Namespace) -> str:
    if args.by:
        return str(args.by)
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment (some containers)
        raise SystemExit("cx360 override: give --by NAME (the OS user name is unknown)") from None


def _override(args: argparse.Namespace) -> int:
    with connect(args.store) as hub:
        if args.action == "list":
            found = hub.overrides(include_revoked=args.all)
            if args.json:
                print(json.dumps([o.model_dump(mode="json") for o in found], indent=2))
                return 0
            for item in found:
                print(
                    f"{item.id:>5}  {item.kind:<8}  {item.record_a}  {item.record_b}  "
                    f"by {item.created_by} {item.created_at:%Y-%m-%d %H:%M}: {item.reason}"
                )
                if item.revoked_at is not None:
                    print(
                        f"       revoked by {item.revoked_by} "
                        f"{item.revoked_at:%Y-%m-%d %H:%M}: {item.revoke_reason}"
                    )
            if not found:
                print("no overrides" if args.all else "no active overrides")
            return 0
        by = _steward(args)
        if args.action == "revoke":
            revoked = hub.revoke_override(args.id, reason=args.reason, by=by)
            print(f"override {revoked.id} revoked; the next resolve no longer honours it")
            return 0
        add = hub.link_records if args.action == "link" else hub.separate_records
        override_id = add(args.a, args.b, reason=args.reason, by=by)
    print(f"override {override_id}: {args.action}; applies at the next resolve")
    return 0


def _lookup_args(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "phone": args.phone,
        "email": args.email,
        "national_id": args.national_id,
        "handle": args.handle,
        "customer_id": args.customer_id,
        "record": args.record,
        "country": args.country,
    }


def _profile(args: argparse.Namespace) -> int:
    from cx360.profile._cards import profile_text

    with connect(args.store) as hub:
        found = hub.profile(**_lookup_args(args), limit=args.limit)
    print(found.model_dump_json(indent=2) if args.json else profile_text(found))
    return 0 if found.status == "found" else 1


def _context(args: argparse.Namespace) -> int:
    from cx360.profile._cards import context_text

    with connect(args.store) as hub:
        found = hub.context(**_lookup_args(args))
    print(found.model_dump_json(indent=2) if args.json else context_text(found))
    return 0 if found.status == "found" else 1


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "ingest": _ingest,
    "generate": _generate,
    "demo": _demo,
    "quarantine": _quarantine,
    "resolve-record": _resolve_record,
    "resolve": _resolve,
    "export": _export,
    "override": _override,
    "explain": _explain,
    "profile": _profile,
    "context": _context,
    "report": _report,
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
