"""`cx360 override`: a data steward's link, separate, revoke and list."""

from __future__ import annotations

import argparse
import getpass
import json

from cx360.cli._args import UsageError, json_option, open_hub, record_arg, store_option


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    override = sub.add_parser(
        "override", help="a data steward's decisions: link or separate two records, audited"
    )
    override.set_defaults(run=run)
    actions = override.add_subparsers(dest="action", required=True)
    for action, text in (
        ("link", "these two records are one person (joins their customers)"),
        ("separate", "these two records are never one person (splits their customer)"),
    ):
        pair = actions.add_parser(action, help=f"{text}; applies at the next resolve")
        pair.add_argument("a", type=record_arg, metavar="SOURCE:ID", help="a record")
        pair.add_argument("b", type=record_arg, metavar="SOURCE:ID", help="the other record")
        pair.add_argument("--reason", required=True, help="why (kept for audit)")
        pair.add_argument("--by", metavar="NAME", help="who decides (default: OS user name)")
        store_option(pair)
    revoke = actions.add_parser("revoke", help="revoke an override (the row is kept, stamped)")
    revoke.add_argument("id", type=int, help="override id (see `cx360 override list`)")
    revoke.add_argument("--reason", required=True, help="why (kept for audit)")
    revoke.add_argument("--by", metavar="NAME", help="who decides (default: OS user name)")
    store_option(revoke)
    listing = actions.add_parser("list", help="list the active overrides")
    listing.add_argument("--all", action="store_true", help="revoked ones too")
    json_option(listing, "them")
    store_option(listing)


def _steward(args: argparse.Namespace) -> str:
    if args.by:
        return str(args.by)
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment (some containers)
        raise UsageError("give --by NAME (the OS user name is unknown)") from None


def run(args: argparse.Namespace) -> int:
    with open_hub(args) as hub:
        if args.action == "list":
            found = hub.overrides(include_revoked=args.all)
            if args.json:
                print(json.dumps([o.model_dump(mode="json") for o in found], indent=2))
                return 0
            for item in found:
                print(
                    f"{item.id:>5}  {item.kind:<8}  {item.record_a}  {item.record_b}  "
                    f"by {item.created_by} {item.created_at:%Y-%m-%d %H:%M}: {item.reason}"
                )
                if item.revoked_at is not None:
                    print(
                        f"       revoked by {item.revoked_by} "
                        f"{item.revoked_at:%Y-%m-%d %H:%M}: {item.revoke_reason}"
                    )
            if not found:
                print("no overrides" if args.all else "no active overrides")
            return 0
        by = _steward(args)
        if args.action == "revoke":
            revoked = hub.revoke_override(args.id, reason=args.reason, by=by)
            print(f"override {revoked.id} revoked; the next resolve no longer honours it")
            return 0
        add = hub.link_records if args.action == "link" else hub.separate_records
        override_id = add(args.a, args.b, reason=args.reason, by=by)
    print(f"override {override_id}: {args.action}; applies at the next resolve")
    return 0
