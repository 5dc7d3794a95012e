"""`cx360 status`: what a store holds, its last resolution run and its schema revision."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from cx360.cli._args import json_option, open_hub, store_option

if TYPE_CHECKING:
    from cx360.models import ResolutionRun, StoreStatus


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    status = sub.add_parser(
        "status",
        help="what the store holds: records, customers, last resolution run, quarantine",
    )
    json_option(status, "the status")
    store_option(status)
    status.set_defaults(run=run)


def _when(value: datetime | None) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M}"


def _run_line(run: ResolutionRun | None) -> str:
    if run is None:
        return "none yet (cx360 resolve)"
    line = f"#{run.id} {run.status}, {_when(run.started_at)} to {_when(run.finished_at)}"
    model = run.matching_model
    if model is not None:
        made = "default parameters, on" if model.kind == "default" else f"{model.kind}, trained on"
        line += (
            f"; matching model #{model.id} ({made} {model.trained_on:,} "
            f"records, {_when(model.created_at)})"
        )
    return line


def status_text(status: StoreStatus) -> str:
    """The status as aligned lines of text."""
    rows = [
        ("store", f"{status.url} ({status.backend}, schema {status.schema_version})"),
        ("records", f"{status.records:,} ({status.unresolved_records:,} not resolved yet)"),
        ("customers", f"{status.customers:,}"),
        ("interactions", f"{status.interactions:,}"),
        ("quarantined", f"{status.quarantined:,} rows (cx360 quarantine lists them)"),
        ("last run", _run_line(status.last_run)),
    ]
    return "\n".join(f"{label:<13}{value}" for label, value in rows)


def run(args: argparse.Namespace) -> int:
    with open_hub(args) as hub:
        status = hub.status()
    print(status.model_dump_json(indent=2) if args.json else status_text(status))
    return 0
