"""`cx360 consent`, `record-consent`, `subject-access` and `access-log`: what a person
allowed, everything held about them, and who read it."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cx360.cli._args import (
    UsageError,
    json_option,
    open_hub,
    reader_args,
    reader_options,
    record_arg,
    store_option,
    when_arg,
)

if TYPE_CHECKING:
    from cx360.models import AccessEntry, ConsentEvent

_STATUSES = ("granted", "denied", "revoked")
_PERIOD_DAYS = {"d": 1, "w": 7, "y": 365}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    consent = sub.add_parser(
        "consent", help="a customer's consents: the current state and the whole history"
    )
    consent.add_argument("customer_id", metavar="CUSTOMER_ID")
    json_option(consent, "the history")
    store_option(consent)
    consent.set_defaults(run=run_consent)

    record = sub.add_parser(
        "record-consent", help="add a consent given, refused or withdrawn to the ledger"
    )
    owner = record.add_mutually_exclusive_group(required=True)
    owner.add_argument("--customer-id", metavar="ID")
    owner.add_argument("--record", type=record_arg, metavar="SOURCE:ID")
    record.add_argument("--purpose", required=True, help="marketing, service, profiling, ...")
    record.add_argument("--status", required=True, choices=_STATUSES)
    record.add_argument("--channel", help="the channel it applies to (default: every channel)")
    record.add_argument("--source", required=True, help="where it was given")
    record.add_argument("--at", type=when_arg, metavar="WHEN", help="when (default: now)")
    record.add_argument("--evidence", help="what shows it (a form, a call reference)")
    record.add_argument("--by", help="who records it")
    store_option(record)
    record.set_defaults(run=run_record_consent)

    access = sub.add_parser(
        "subject-access", help="everything the store holds about a customer, as one JSON"
    )
    access.add_argument("customer_id", metavar="CUSTOMER_ID")
    access.add_argument("--out", default="-", metavar="FILE", help="where to write (default -)")
    reader_options(access)
    store_option(access)
    access.set_defaults(run=run_subject_access)

    log = sub.add_parser("access-log", help="who read whose data, newest first")
    log.add_argument("--customer-id", metavar="ID")
    log.add_argument("--actor")
    log.add_argument("--since", type=when_arg, metavar="WHEN")
    log.add_argument("--limit", type=int, default=100, help="entries to show (default 100)")
    json_option(log, "the entries")
    store_option(log)
    log.set_defaults(run=run_access_log)

    retain = sub.add_parser(
        "retain", help="purge interactions and earlier versions older than a period"
    )
    retain.add_argument(
        "--interactions", type=period_arg, metavar="PERIOD",
        help="purge interactions older than this (e.g. 730d, 104w, 2y); open cases stay",
    )  # fmt: skip
    retain.add_argument(
        "--versions", type=period_arg, metavar="PERIOD",
        help="purge earlier versions of records and interactions replaced this long ago",
    )  # fmt: skip
    retain.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    json_option(retain, "the counts")
    store_option(retain)
    retain.set_defaults(run=run_retain)


def period_arg(text: str) -> timedelta:
    """A retention period: a number of days, weeks or years (`730d`, `104w`, `2y`)."""
    unit = text[-1:].lower()
    if unit in _PERIOD_DAYS and text[:-1].isdigit() and int(text[:-1]) > 0:
        return timedelta(days=int(text[:-1]) * _PERIOD_DAYS[unit])
    raise argparse.ArgumentTypeError("a period is a number and d, w or y, e.g. 730d, 2y")


def _event_line(event: ConsentEvent) -> str:
    channel = event.channel or "every channel"
    how = f"column of {event.source}" if event.origin == "ingest" else f"from {event.source}"
    return f"{event.at:%Y-%m-%d %H:%M}  {event.purpose:<16}{channel:<15}{event.status:<9}{how}"


def run_consent(args: argparse.Namespace) -> int:
    from pydantic import TypeAdapter

    from cx360.models import ConsentEvent

    with open_hub(args) as hub:
        history = hub.consents(args.customer_id)
    if args.json:
        print(TypeAdapter(list[ConsentEvent]).dump_json(history, indent=2).decode())
        return 0
    latest = {(e.purpose, e.channel): e for e in history}
    print("now:")
    for event in sorted(latest.values(), key=lambda e: (e.purpose, e.channel or "")):
        print("  " + _event_line(event))
    print("history (oldest first):")
    for event in history:
        print("  " + _event_line(event))
    return 0


def run_record_consent(args: argparse.Namespace) -> int:
    with open_hub(args) as hub:
        hub.record_consent(
            args.purpose,
            args.status,
            customer_id=args.customer_id,
            record=args.record,
            channel=args.channel,
            at=args.at,
            source=args.source,
            evidence=args.evidence,
            by=args.by,
        )
    print(f"recorded: {args.purpose} {args.status} ({args.channel or 'every channel'})")
    return 0


def run_subject_access(args: argparse.Namespace) -> int:
    reader = reader_args(args)
    with open_hub(args) as hub:
        document = hub.subject_access(args.customer_id, **reader)
    text = document.model_dump_json(indent=2)
    if args.out == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        counts = (len(document.records), len(document.interactions), len(document.consents))
        print("wrote {}: {} records, {} interactions, {} consents".format(args.out, *counts))
    return 0


def _entry_line(entry: AccessEntry) -> str:
    who = entry.customer_id or ("every customer" if entry.view == "export" else "no one found")
    why = f"  ({entry.purpose})" if entry.purpose else ""
    return f"{entry.at:%Y-%m-%d %H:%M:%S}  {entry.actor:<16}{entry.view:<15}{who}{why}"


def run_access_log(args: argparse.Namespace) -> int:
    from pydantic import TypeAdapter

    from cx360.models import AccessEntry

    with open_hub(args) as hub:
        entries = hub.access_log(
            customer_id=args.customer_id, actor=args.actor, since=args.since, limit=args.limit
        )
    if args.json:
        print(TypeAdapter(list[AccessEntry]).dump_json(entries, indent=2).decode())
    else:
        for entry in entries:
            print(_entry_line(entry))
    return 0


def run_retain(args: argparse.Namespace) -> int:
    if args.interactions is None and args.versions is None:
        raise UsageError("say what to purge: --interactions PERIOD and/or --versions PERIOD")
    with open_hub(args) as hub:
        report = hub.retain(
            interactions=args.interactions, versions=args.versions, dry_run=args.dry_run
        )
    if args.json:
        print(report.model_dump_json(indent=2))
        return 0
    verb = "would purge" if report.dry_run else "purged"
    print(
        f"{verb}: {report.interactions:,} interactions, {report.interaction_versions:,} "
        f"earlier interaction versions, {report.record_versions:,} earlier record versions"
    )
    if report.kept_open:
        print(f"kept: {report.kept_open:,} old interactions of cases still open")
    return 0
