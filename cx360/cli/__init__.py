"""The `cx360` command: batch jobs over files and the store, and their text/HTML rendering.

`main` is the console script's entry point. Each command lives in its own module, which adds
its parser and handles its arguments; heavy modules are imported inside the commands.
"""

from cx360.cli._main import main

__all__ = ["main"]
