"""Where a resolve's training time goes: a store retrained in full with each training step
timed (Splink's prior and u sampling, the EM sessions, the EM pass of the levels trained
apart, the first pass's prediction and clustering, u counted on its clusters).

    python benchmarks/training_steps.py --store sqlite:///bench-data/scale-1m.db

Retrains the store's model (`resolve(retrain=True, full=True)`): run it on a copy.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import machine

import cx360
from cx360.resolve import _splink, _training

_spent: dict[str, float] = defaultdict(float)


def _timed(owner: Any, name: str, label: str) -> None:
    """Replace `owner.name` by itself, adding its wall time to `_spent[label]`."""
    function = getattr(owner, name)

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _spent[label] += time.perf_counter() - started

    setattr(owner, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="a store to retrain (use a copy)")
    args = parser.parse_args()
    from splink.internals.linker_components.training import LinkerTraining

    _timed(_training, "train_model", "training: Splink model (all below but the first pass)")
    _timed(LinkerTraining, "estimate_probability_two_random_records_match", "  prior")
    _timed(LinkerTraining, "estimate_u_using_random_sampling", "  u sampling")
    _timed(_splink, "_run_em", "  EM sessions (the levels trained apart's included)")
    _timed(_splink, "_train_levels_apart", "    of which the levels trained apart")
    _timed(_training, "predict_edges", "first pass: prediction")
    _timed(_training, "cluster", "first pass: clustering")
    _timed(_training, "refine_u", "first pass: u counted on its clusters")
    print(machine())
    with cx360.connect(args.store) as hub:
        started = time.perf_counter()
        hub.resolve(retrain=True, full=True)
        print(f"resolve (retrain, full): {time.perf_counter() - started:.1f} s")
    for label, seconds in _spent.items():
        print(f"{label:<55} {seconds:7.1f} s")


if __name__ == "__main__":
    main()
