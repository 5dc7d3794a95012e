"""`cx360 consent`, `record-consent`, `subject-access`, `access-log`, `retain`, `erase`,
`erasures` and `unsuppress`: what a person allowed, everything held about them, who read
it, and how it leaves the store."""

from __future__ import annotations

import argparse
import csv
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
    from cx360.models import AccessEntry, ConsentEvent, ErasureReceipt

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
    _add_erasure_parsers(sub)


# what names an erasure (or a suppression entry): the options and a --file's columns
_SUBJECTS = ("customer_id", "record", "email", "phone", "national_id", "handle")


def _subject_options(parser: argparse.ArgumentParser, *, customers: bool) -> None:
    named = parser.add_mutually_exclusive_group(required=True)
    if customers:
        named.add_argument("--customer-id", metavar="ID", help="every record of a customer")
    named.add_argument("--record", type=record_arg, metavar="SOURCE:ID", help="one record")
    for kind in ("email", "phone", "national-id", "handle"):
        named.add_argument(f"--{kind}", help=f"every record holding this {kind}")
    if customers:
        named.add_argument(
            "--file", metavar="CSV",
            help="many at once: a CSV whose header names customer_id, record (SOURCE:ID), "
            "email, phone, national_id or handle (and country); one subject a row",
        )  # fmt: skip
    parser.add_argument("--country", help="ISO country for a phone or national ID")


def _add_erasure_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    erase = sub.add_parser(
        "erase", help="erase a person: records, history, links; kept out of later ingests"
    )
    _subject_options(erase, customers=True)
    erase.add_argument("--reason", required=True, help="why (a request number; no personal data)")
    erase.add_argument("--by", required=True, help="who asks for it")
    json_option(erase, "the receipts")
    store_option(erase)
    erase.set_defaults(run=run_erase)

    receipts = sub.add_parser("erasures", help="erasure receipts, newest first")
    receipts.add_argument("--limit", type=int, default=100, help="receipts to show (default 100)")
    json_option(receipts, "the receipts")
    store_option(receipts)
    receipts.set_defaults(run=run_erasures)

    back = sub.add_parser(
        "unsuppress", help="let an erased record key or identifier be ingested again"
    )
    _subject_options(back, customers=False)
    store_option(back)
    back.set_defaults(run=run_unsuppress)


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


def _named(args: argparse.Namespace) -> dict[str, object]:
    named = {k: getattr(args, k, None) for k in _SUBJECTS}
    found = {k: v for k, v in named.items() if v is not None}
    if args.country is not None:
        found["country"] = args.country
    return found


def _file_subjects(path: str) -> list[dict[str, object]]:
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    subjects: list[dict[str, object]] = []
    for number, row in enumerate(rows, start=2):
        item: dict[str, object] = {
            k: (v or "").strip() for k, v in row.items() if k and (v or "").strip()
        }
        unknown = set(item) - {*_SUBJECTS, "country"}
        if unknown:
            raise UsageError(f"{path}: unknown column {sorted(unknown)[0]!r} (line {number})")
        if isinstance(item.get("record"), str):
            try:
                item["record"] = record_arg(str(item["record"]))
            except argparse.ArgumentTypeError as error:
                raise UsageError(f"{path}: line {number}: {error}") from None
        subjects.append(item)
    return subjects


def _receipt_line(receipt: ErasureReceipt) -> str:
    removed = receipt.removed
    after = receipt.customers_after
    split = f", {after['new']} customers split off" if after.get("new") else ""
    return (
        f"#{receipt.id}  {receipt.erased_at:%Y-%m-%d %H:%M:%S}  {receipt.erased_by:<12}"
        f"{receipt.subject_kind:<12}{removed.get('records', 0)} records, "
        f"{removed.get('interactions', 0)} interactions, {removed.get('customers', 0)} "
        f"customers removed{split}  ({receipt.reason})"
    )


def _print_receipts(receipts: list[ErasureReceipt], as_json: bool) -> None:
    if as_json:
        from pydantic import TypeAdapter

        from cx360.models import ErasureReceipt

        print(TypeAdapter(list[ErasureReceipt]).dump_json(receipts, indent=2).decode())
        return
    for receipt in receipts:
        print(_receipt_line(receipt))


def run_erase(args: argparse.Namespace) -> int:
    with open_hub(args) as hub:
        if args.file is not None:
            receipts = hub.erase_many(_file_subjects(args.file), reason=args.reason, by=args.by)
        else:
            named = _named(args)
            receipts = [hub.erase(**named, reason=args.reason, by=args.by)]  # type: ignore[arg-type]
    _print_receipts(receipts, args.json)
    return 0


def run_erasures(args: argparse.Namespace) -> int:
    with open_hub(args) as hub:
        receipts = hub.erasures(limit=args.limit)
    _print_receipts(receipts, args.json)
    return 0


def run_unsuppress(args: argparse.Namespace) -> int:
    with open_hub(args) as hub:
        removed = hub.unsuppress(**_named(args))  # type: ignore[arg-type]
    print(f"taken off the suppression list: {removed} entries")
    return 0
