"""Argument types, options and helpers shared by the commands.

Kept light: the parser is built from these on every call, `--help` included, so nothing
here imports the store, Splink or pydantic (commands import them when they run).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from cx360._hub import Hub

# `cx360.store.STORE_ENV_VAR` (a test checks they agree): importing the store here would
# load SQLAlchemy and Alembic for every `--help`
STORE_ENV_VAR = "CX360_STORE"


class UsageError(Exception):
    """Arguments that do not fit together: reported like argparse's own errors (exit 2)."""


def store_option(parser: argparse.ArgumentParser) -> None:
    """The `--store URL` option every command that opens a store takes."""
    parser.add_argument(
        "--store",
        metavar="URL",
        help=f"store URL or SQLite path (default: ${STORE_ENV_VAR}, else sqlite:///cx360.db)",
    )


def json_option(parser: argparse.ArgumentParser, what: str = "the result") -> None:
    """`--json`: the command's output as JSON (never input: that has flags of its own)."""
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON")


def reader_options(parser: argparse.ArgumentParser) -> None:
    """`--actor` and `--purpose`: who reads and why, written to the access log."""
    parser.add_argument("--actor", help="who reads: the read is written to the access log")
    parser.add_argument(
        "--purpose", dest="read_purpose", metavar="WHY", help="why (logged with --actor)"
    )


class ReaderArgs(TypedDict):
    actor: str | None
    purpose: str | None


def reader_args(args: argparse.Namespace) -> ReaderArgs:
    """The `actor` and `purpose` keywords of a Hub read."""
    if args.read_purpose and not args.actor:
        raise UsageError("--purpose is logged with --actor: give --actor too")
    return {"actor": args.actor, "purpose": args.read_purpose}


def open_hub(args: argparse.Namespace, *, create: bool = False) -> Hub:
    """The hub on `--store`. Commands that only read (or need records already stored)
    refuse a store that does not exist rather than create an empty one."""
    from cx360._hub import connect

    return connect(args.store, create=create)


def show_progress(args: argparse.Namespace) -> bool:
    """Whether to draw a progress bar: on a terminal, unless asked for quiet or JSON."""
    quiet = getattr(args, "quiet", False) or getattr(args, "json", False)
    return not quiet and not getattr(args, "no_progress", False) and sys.stderr.isatty()


def when_arg(text: str) -> datetime:
    """A `--since`/`--until` value: a date or an ISO date-time."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "a date is YYYY-MM-DD or an ISO date-time, e.g. 2024-06-01T08:00"
        ) from None


def record_arg(text: str) -> tuple[str, str]:
    """A record given as `SOURCE:ID`."""
    # split at the first colon only: record ids may hold colons, source names do not
    source, sep, record_id = text.partition(":")
    if not sep or not source or not record_id:
        raise argparse.ArgumentTypeError("a record is SOURCE:ID, e.g. whatsapp:wa-1")
    return source, record_id
