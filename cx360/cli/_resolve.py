"""`cx360 resolve` (stored records into customers) and `cx360 resolve-record` (one, now)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from cx360.cli._args import store_option


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    resolve.set_defaults(run=run_resolve)

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
    realtime.set_defaults(run=run_resolve_record)


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


def run_resolve(args: argparse.Namespace) -> int:
    from cx360._hub import connect
    from cx360.resolve import DEFAULT_SOLE_HOLDER_MATCH_WEIGHT

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


def run_resolve_record(args: argparse.Namespace) -> int:
    from cx360._errors import InputError
    from cx360._hub import connect

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
