"""Argument types and options shared by the commands."""

from __future__ import annotations

import argparse
from datetime import datetime

from cx360.store import STORE_ENV_VAR


def store_option(parser: argparse.ArgumentParser) -> None:
    """The `--store URL` option every command that opens a store takes."""
    parser.add_argument(
        "--store",
        metavar="URL",
        help=f"store URL or SQLite path (default: ${STORE_ENV_VAR}, else sqlite:///cx360.db)",
    )


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
