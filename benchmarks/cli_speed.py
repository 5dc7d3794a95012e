"""Command-line start-up: `cx360 --help` against the bare interpreter, in the same run.

    python benchmarks/cli_speed.py [--runs 15]

The target is `--help` under 0.3 s; the interpreter's own start is the baseline (what no
lazy import can save). Prints the fastest and median of each, and the difference.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import machine


def timings(argv: list[str], runs: int) -> list[float]:
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        found.append(time.perf_counter() - started)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(machine())
    bare: list[float] = []
    helped: list[float] = []
    for _ in range(args.runs):  # alternated: the machine's load falls on both alike
        bare += timings([sys.executable, "-c", "pass"], 1)
        helped += timings([sys.executable, "-m", "cx360", "--help"], 1)
    for name, found in (("python -c pass", bare), ("cx360 --help", helped)):
        print(
            f"{name:15} fastest {min(found) * 1e3:6.1f} ms  median {statistics.median(found) * 1e3:6.1f} ms"
        )
    print(
        f"--help beyond the interpreter's start: {(min(helped) - min(bare)) * 1e3:.1f} ms (fastest)"
    )


if __name__ == "__main__":
    main()
