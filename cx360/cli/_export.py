"""`cx360 export`: which customer each channel record belongs to, as a file."""

from __future__ import annotations

import argparse
from pathlib import Path

from cx360.cli._args import store_option


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser("export", help="write source, source_record_id, customer_id")
    export.add_argument("--out", type=Path, required=True, help=".csv or .parquet file")
    store_option(export)
    export.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cx360._hub import connect

    with connect(args.store, create=False) as hub:
        written = hub.export(args.out)
    print(f"{written} records written to {args.out}")
    return 0
