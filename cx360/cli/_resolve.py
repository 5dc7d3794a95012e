"""`cx360 resolve` (stored records into customers) and `cx360 resolve-record` (one, now)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from cx360.cli._args import UsageError, json_option, open_hub, show_progress, store_option
from cx360.cli._ingest import mapping_for, mapping_options

if TYPE_CHECKING:
    from cx360 import SparkOptions
    from cx360.models import Match


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
        help="link threshold (log2 odds) for pairs that share an identifier (default: 2, "
        "lowered where the store shows more matches than the model's prior expects)",
    )
    resolve.add_argument(
        "--name-only-match-weight",
        type=float,
        help="link threshold (log2 odds) for pairs that share only names (default: 14, "
        "lowered as --match-weight is)",
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
    json_option(resolve, "the report")
    resolve.add_argument("--no-progress", action="store_true", help="no progress bar")
    store_option(resolve)
    resolve.set_defaults(run=run_resolve)

    realtime = sub.add_parser(
        "resolve-record", help="store one record and resolve it into a customer now"
    )
    realtime.add_argument(
        "--record-json",
        metavar="OBJECT",
        help="the record as a JSON object (keys read as ingest reads a header); "
        "default: read stdin",
    )
    mapping_options(realtime.add_argument_group("columns"))
    json_option(realtime, "the match (with the deciding pair's explanation)")
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


def _spark_options(args: argparse.Namespace) -> SparkOptions | None:
    """`--spark-*` as the Hub's `SparkOptions` (None for the DuckDB engine)."""
    given = args.spark_master or args.spark_work_dir or args.spark_conf
    if args.engine != "spark":
        if given:
            raise UsageError("--spark-* options need --engine spark")
        return None
    from cx360 import SparkOptions

    conf: dict[str, str] = {}
    for item in args.spark_conf:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--spark-conf wants KEY=VALUE, got {item!r}")
        conf[key] = value
    return SparkOptions(master=args.spark_master, work_dir=args.spark_work_dir, conf=conf)


def _sole_holder_weight(args: argparse.Namespace) -> float | None:
    from cx360.resolve import DEFAULT_SOLE_HOLDER_MATCH_WEIGHT

    if args.no_sole_holder:
        return None
    if args.sole_holder_match_weight is None:
        return DEFAULT_SOLE_HOLDER_MATCH_WEIGHT
    return float(args.sole_holder_match_weight)


def run_resolve(args: argparse.Namespace) -> int:
    spark = _spark_options(args)
    stage, close = _stage_bar(show_progress(args))
    try:
        with open_hub(args) as hub:
            report = hub.resolve(
                retrain=args.retrain,
                full=args.full,
                match_weight=args.match_weight,
                name_only_match_weight=args.name_only_match_weight,
                sole_holder_match_weight=_sole_holder_weight(args),
                engine=args.engine,
                spark=spark,
                progress=stage,
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
    for note in report.notes:
        print(f"note: {note}")
    if report.override_links or report.overrides_refused:
        refused = ", ".join(str(i) for i in report.overrides_refused) or "none"
        print(
            f"steward overrides: {report.override_links} links honoured; refused "
            f"(they would join separated records): {refused}"
        )
    return 0


def match_text(match: Match) -> str:
    """A real-time match in a few lines (`--json` has every field)."""
    first = f"{match.record}: {match.status}"
    if match.customer_id is not None:
        first += f" -> customer {match.customer_id}" + (" (a new ID)" if match.created else "")
    if match.stored != match.status:
        first += f"; record {match.stored}"
    lines = [first]
    if match.match_weight is not None:
        lines.append(
            f"deciding pair: with {match.matched_record}, weight {match.match_weight:.2f} "
            f"(link at {match.threshold:.2f}; {match.candidates} candidates scored)"
        )
    if match.merged_customers:
        lines.append(f"merged into it: {', '.join(match.merged_customers)}")
    for other in match.alternatives:
        why = f" (kept apart: {other.reason})" if other.reason else ""
        lines.append(
            f"also scored: customer {other.customer_id} via {other.record}, "
            f"weight {other.match_weight:.2f}{why}"
        )
    return "\n".join(lines)


def run_resolve_record(args: argparse.Namespace) -> int:
    from cx360._errors import InputError

    text = args.record_json if args.record_json is not None else sys.stdin.read()
    try:
        record = json.loads(text)
    except json.JSONDecodeError as error:
        # the position only: the text is a customer's record
        raise InputError(f"the record is not valid JSON (at character {error.pos})") from None
    if not isinstance(record, dict):
        raise InputError("the record must be a JSON object of input-contract columns")
    with open_hub(args, create=True) as hub:
        match = hub.resolve_record(record, mapping=mapping_for(args, "records"), explain=True)
    print(match.model_dump_json(indent=2) if args.json else match_text(match))
    return 0
