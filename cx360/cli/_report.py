"""`cx360 report`: CX measures from the unified timeline."""

from __future__ import annotations

import argparse

from cx360.cli._args import json_option, open_hub, store_option, when_arg


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser(
        "report", help="CX measures: repeat contacts, channel hops, FCR, time to resolution"
    )
    report.add_argument("--customer-id", metavar="ID", help="one customer (default: the store)")
    report.add_argument("--since", type=when_arg, metavar="DATE", help="from this UTC date-time on")
    report.add_argument(
        "--until", type=when_arg, metavar="DATE", help="before this UTC date-time (exclusive)"
    )
    report.add_argument("--channel", help="only this channel (cases: those started on it)")
    json_option(report, "the report")
    store_option(report)
    report.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cx360.cli._render_report import report_text

    with open_hub(args) as hub:
        found = hub.report(
            args.customer_id, since=args.since, until=args.until, channel=args.channel
        )
    print(found.model_dump_json(indent=2) if args.json else report_text(found))
    return 0
