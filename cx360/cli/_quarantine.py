"""`cx360 quarantine`: the rows ingest set aside, with their reasons."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from cx360.cli._args import json_option, store_option

if TYPE_CHECKING:
    from cx360.models import QuarantinedRow


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    quarantine = sub.add_parser(
        "quarantine",
        help="list quarantined rows (reason, row, column, masked value)",
        description="List the rows ingest set aside, newest first: why, where, and the value "
        "at fault masked. A row leaves the list when a later ingest stores its key, or when "
        "its file is ingested again.",
    )
    quarantine.add_argument("--batch", type=int, help="only this ingest batch")
    quarantine.add_argument("--limit", type=int, default=50, help="rows shown (default 50)")
    json_option(quarantine, "the rows and the total")
    store_option(quarantine)
    quarantine.set_defaults(run=run)


def _line(row: QuarantinedRow) -> str:
    line = f"batch {row.batch_id} {row.kind} row {row.row_number}: {row.reason.value}"
    if row.column:
        line += f" (column {row.column})"
    if row.value is not None:
        line += f" value {row.value}"
    if row.source or row.key:
        line += f" record {row.source or '?'}:{row.key or '?'}"
    if row.detail:
        line += f" ({row.detail})"
    return line


def run(args: argparse.Namespace) -> int:
    from cx360.cli._args import open_hub

    with open_hub(args) as hub:
        rows = hub.quarantined(batch_id=args.batch, limit=args.limit + 1)
        total = hub.status().quarantined if args.batch is None else None
    more = len(rows) > args.limit
    rows = rows[: args.limit]
    if args.json:
        found: dict[str, Any] = {
            "total": total,
            "shown": len(rows),
            "more": more,
            "rows": [row.model_dump(mode="json") for row in rows],
        }
        print(json.dumps(found, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("no quarantined rows" + (f" in batch {args.batch}" if args.batch else ""))
        return 0
    if total is not None:
        print(f"{total:,} quarantined rows in the store; the newest {len(rows):,}:")
    else:
        print(f"quarantined rows of batch {args.batch}, newest first:")
    for row in rows:
        print(_line(row))
    if more:
        shown = f"{total - len(rows):,} more" if total is not None else "more"
        print(f"{shown}: --limit N shows more, --batch N one ingest, --json every field")
    return 0
