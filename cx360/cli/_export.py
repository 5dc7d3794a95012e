"""`cx360 export`: which customer each channel record belongs to, or one row per customer's
profile, as a file or on stdout."""

from __future__ import annotations

import argparse
import sys

from cx360.cli._args import UsageError, reader_args, reader_options, store_option

# Spelled as in `cx360.profile._export.FORMATS` (importing it would load the store for
# every `--help`).
FORMATS = ("csv", "parquet", "jsonl", "json")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = sub.add_parser(
        "export",
        help="write source, source_record_id, customer_id (or, --profiles, the profiles)",
        description="Write one row per channel record (source, source_record_id, "
        "customer_id) or, with --profiles, one row per customer: golden values and the "
        "channel each came from, identifiers, channels, counts, open cases. The format "
        "follows the file name (.csv, .parquet, .jsonl, .json); - writes to stdout.",
    )
    export.add_argument(
        "--out", required=True, help="file (.csv, .parquet, .jsonl, .json), or - for stdout"
    )
    export.add_argument(
        "--profiles", action="store_true", help="one row per customer's unified profile"
    )
    export.add_argument(
        "--format", choices=FORMATS, help="format (default: from the file name; stdout: csv)"
    )
    reader_options(export)
    store_option(export)
    export.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from cx360.cli._args import open_hub
    from cx360.profile._export import export_format

    export_format(args.out, args.format)  # refuse an unknown name before opening the store
    reader = reader_args(args)
    if args.actor and not args.profiles:
        raise UsageError("--actor logs an export of profiles: add --profiles")
    with open_hub(args) as hub:
        if args.profiles:
            written = hub.export_profiles(args.out, format=args.format, **reader)
        else:
            written = hub.export(args.out, format=args.format)
    what = "customers" if args.profiles else "records"
    where = "stdout" if args.out == "-" else args.out
    if args.out != "-":
        print(f"{written:,} {what} written to {where}")
    elif not getattr(args, "quiet", False):  # on stdout the data is the output
        print(f"{written:,} {what} written to {where}", file=sys.stderr)
    return 0
