"""The parser of the `cx360` command and its dispatch to the command modules."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from cx360._errors import Cx360Error
from cx360.cli import (
    _explain,
    _export,
    _ingest,
    _lookup,
    _override,
    _quarantine,
    _report,
    _resolve,
    _sample,
)

# the order of the commands in `cx360 --help`
_COMMAND_MODULES = (
    _ingest,
    _sample,
    _resolve,
    _export,
    _explain,
    _report,
    _lookup,
    _quarantine,
    _override,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cx360", description="Customer 360 profiles from omnichannel records."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in _COMMAND_MODULES:
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cx360` console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except Cx360Error as error:
        print(f"cx360: error: {error}", file=sys.stderr)
        return 2
