"""`cx360 quarantine`: the rows ingest set aside, with their reasons."""

from __future__ import annotations

import argparse

from cx360.cli._args import store_option


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    quarantine = sub.add_parser("quarantine", help="list quarantined rows (reason, row, column)")
    quarantine.add_argument("--batch", type=int, help="only this ingest batch")
    quarantine.add_argument("--limit", type=int, default=50)
    store_option(quarantine)
    quarantine.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cx360._hub import connect

    with connect(args.store, create=False) as hub:
        rows = hub.quarantined(batch_id=args.batch, limit=args.limit)
    for row in rows:
        print(
            f"batch {row.batch_id} {row.kind} row {row.row_number}: {row.reason.value}"
            + (f" (column {row.column})" if row.column else "")
            + (f" value {row.value}" if row.value is not None else "")
        )
    if not rows:
        print("no quarantined rows")
    return 0
