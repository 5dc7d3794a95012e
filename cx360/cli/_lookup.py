"""`cx360 profile` and `cx360 context`: a customer looked up by any identifier."""

from __future__ import annotations

import argparse
from typing import Any

from cx360.cli._args import (
    json_option,
    open_hub,
    reader_args,
    reader_options,
    record_arg,
    store_option,
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, text in (
        ("profile", "a customer's unified profile: golden record, identifiers, timeline, cases"),
        ("context", "the compact card for an agent: name, verified IDs, open cases, channels"),
    ):
        lookup = sub.add_parser(
            name, help=f"{text} (by any identifier; exit status 1 when not exactly one customer)"
        )
        which = lookup.add_mutually_exclusive_group(required=True)
        which.add_argument("--phone", help="a phone number as typed (national: add --country)")
        which.add_argument("--email")
        which.add_argument("--national-id", metavar="ID")
        which.add_argument("--handle", help="a social handle or profile URL")
        which.add_argument("--customer-id", metavar="ID", help="a customer id (aliases too)")
        which.add_argument(
            "--record", type=record_arg, metavar="SOURCE:ID", help="a record, e.g. whatsapp:wa-1"
        )
        lookup.add_argument("--country", metavar="CC", help="country to read a phone or ID with")
        if name == "profile":
            lookup.add_argument(
                "--limit", type=int, default=20, help="interactions to show (default 20)"
            )
        reader_options(lookup)
        json_option(lookup, "the lookup")
        store_option(lookup)
        lookup.set_defaults(run=run_profile if name == "profile" else run_context)


def _lookup_args(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "phone": args.phone,
        "email": args.email,
        "national_id": args.national_id,
        "handle": args.handle,
        "customer_id": args.customer_id,
        "record": args.record,
        "country": args.country,
    }


def run_profile(args: argparse.Namespace) -> int:
    from cx360.profile._cards import profile_text

    with open_hub(args) as hub:
        found = hub.profile(**_lookup_args(args), limit=args.limit, **reader_args(args))
    print(found.model_dump_json(indent=2) if args.json else profile_text(found))
    return 0 if found.status == "found" else 1


def run_context(args: argparse.Namespace) -> int:
    from cx360.profile._cards import context_text

    with open_hub(args) as hub:
        found = hub.context(**_lookup_args(args), **reader_args(args))
    print(found.model_dump_json(indent=2) if args.json else context_text(found))
    return 0 if found.status == "found" else 1
