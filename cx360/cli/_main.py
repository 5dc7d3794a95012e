"""The parser of the `cx360` command, its common options and its dispatch.

Conventions every command follows: `-v`/`-q` anywhere on the line; `--json` is always
output; usage errors exit 2; a closed pipe (`cx360 ... | head`) ends quietly; third-party
libraries' warnings show only with `-v`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence

from cx360 import __version__
from cx360._errors import (
    ConfigurationError,
    Cx360Error,
    InputError,
    NotFoundError,
    OverrideConflictError,
    StoreNotFoundError,
)
from cx360.cli import (
    _explain,
    _export,
    _ingest,
    _lookup,
    _override,
    _privacy,
    _quarantine,
    _report,
    _resolve,
    _sample,
    _status,
)
from cx360.cli._args import UsageError

# the order of the commands in `cx360 --help`
_COMMAND_MODULES = (
    _ingest,
    _sample,
    _resolve,
    _status,
    _export,
    _explain,
    _report,
    _lookup,
    _quarantine,
    _override,
    _privacy,
)

EXIT_FAILED = 1
EXIT_USAGE = 2
# what a shell reports for a process a closed pipe stopped (128 + SIGPIPE)
EXIT_BROKEN_PIPE = 141

_EPILOG = """\
exit status: 0 done; 1 failed (the store, resolution) or, for profile and context, not
exactly one customer found; 2 a usage error (options, files, IDs or a store that do not
exist).
"""


def _verbosity(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """`-v`/`-q` on `parser`. Subcommands take them too, without defaults of their own
    (argparse copies a subcommand's defaults over the values given before it)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0 if top else argparse.SUPPRESS,
        help="log progress details (-vv: debugging; third-party warnings too)",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="errors only: no progress bars, no warnings",
    )


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):  # aliases: once each
                yield child
                yield from _subcommands(child)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cx360",
        description="Customer 360 profiles from omnichannel records.",
        epilog=_EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"cx360 {__version__}")
    _verbosity(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in _COMMAND_MODULES:
        module.add_parser(sub)
    for child in _subcommands(parser):
        _verbosity(child, top=False)
    return parser


class _LogFilter(logging.Filter):
    """cx360's own records at the chosen level; other libraries' (Splink's WARNING blocks,
    py.warnings) only at -v, errors excepted: they speak of their internals, not of what
    the user asked."""

    def __init__(self, verbose: int, quiet: bool) -> None:
        super().__init__()
        own = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
        other = logging.INFO if verbose > 1 else logging.WARNING if verbose else logging.ERROR
        self.own = logging.ERROR if quiet else own
        self.other = logging.ERROR if quiet else other

    def filter(self, record: logging.LogRecord) -> bool:
        mine = record.name == "cx360" or record.name.startswith("cx360.")
        return record.levelno >= (self.own if mine else self.other)


_handler: logging.Handler | None = None


def _configure_logging(verbose: int, quiet: bool) -> None:
    global _handler
    root = logging.getLogger()
    if _handler is not None:  # main() called again in one process: one handler, new levels
        root.removeHandler(_handler)
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    _handler.addFilter(_LogFilter(verbose, quiet))
    root.addHandler(_handler)
    root.setLevel(logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    logging.captureWarnings(True)


def _exit_status(error: Cx360Error) -> int:
    """2 when what the user gave is wrong (an option, a file, an ID, a store path), as for
    argparse's usage errors; 1 when the work itself failed."""
    given = (
        ConfigurationError,
        InputError,
        NotFoundError,
        StoreNotFoundError,
        OverrideConflictError,
    )
    return EXIT_USAGE if isinstance(error, given) else EXIT_FAILED


def _silence_stdout() -> None:
    """After the reader of our stdout went away: point stdout at /dev/null, so that
    flushing it at exit raises nothing either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cx360` console script; returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit:  # --help, --version, a usage error: printed; flushed here
        if _pipe_closed_on_flush():
            return EXIT_BROKEN_PIPE
        raise
    _configure_logging(args.verbose, args.quiet)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        status = run(args)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except UsageError as error:
        words = (parser.prog, args.command, getattr(args, "action", None))
        command = " ".join(word for word in words if word)
        print(f"{command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Cx360Error as error:
        print(f"cx360: error: {error}", file=sys.stderr)
        return _exit_status(error)
    return EXIT_BROKEN_PIPE if _pipe_closed_on_flush() else status


def _pipe_closed_on_flush() -> bool:
    """Flush stdout now (not at exit, where a closed pipe prints a traceback); True when
    its reader went away."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return True
    return False
