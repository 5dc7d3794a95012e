"""`cx360 explain`: why records match, as text, JSON or an HTML page."""

from __future__ import annotations

import argparse
from pathlib import Path

from cx360.cli._args import json_option, open_hub, record_arg, store_option


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    explain = sub.add_parser(
        "explain", help="why records match: a pair's waterfall, or a record's chain of links"
    )
    explain.add_argument(
        "record", type=record_arg, metavar="SOURCE:ID", help="a record, e.g. whatsapp:wa-1"
    )
    explain.add_argument(
        "other",
        nargs="?",
        type=record_arg,
        metavar="SOURCE:ID",
        help="a second record: explain the pair",
    )
    json_option(explain, "the explanation")
    explain.add_argument("--html", type=Path, metavar="FILE", help="also write an HTML page")
    store_option(explain)
    explain.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cx360.cli import _render_explain

    with open_hub(args) as hub:
        if args.other is None:
            found = hub.explain_record(args.record)
            text = _render_explain.record_text(found)
            page = _render_explain.record_html(found)
            dump = found.model_dump_json(indent=2)
        else:
            pair = hub.explain_pair(args.record, args.other)
            text, page = _render_explain.pair_text(pair), _render_explain.pair_html(pair)
            dump = pair.model_dump_json(indent=2)
    if args.html is not None:
        args.html.write_text(page, encoding="utf-8")
    print(dump if args.json else text)
    return 0
