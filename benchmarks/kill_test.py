"""The kill test: SIGKILL cx360 operations at random points, check the store, re-run.

A generated dataset lives through a store's steps (ingest, batch resolve, a second ingest,
an incremental resolve, a stream of `resolve_record` calls, a last resolve, erasures of
customers, records and e-mails); each step is killed at random points (seeded) with SIGKILL
on its process group, the store's invariants are checked after every kill (after an
erasure's, also that each erasure is whole with its receipt or absent), and the step is then run to completion and compared with an
uninterrupted life of a fresh store (same records, versions, interactions and partition of
records into customers). Resolve steps are killed in each of their stages in turn.
With `CX360_FAULTS_KEEP=DIR`, a step whose re-run differs leaves its stores (before the
step, after its re-run, and the reference's) and the differing decisions in DIR.

    python benchmarks/kill_test.py --kills 50 --store sqlite:///kills.db
    python benchmarks/kill_test.py --kills 50 --store postgresql://user:pw@host/db

The store given says the backend: SQLite stores are scratch files in a temporary
directory; a PostgreSQL URL's database gets scratch schemas (dropped at the end). Prints kills per step,
invariant violations (must be 0) and whether each re-run equalled the reference.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.faults._harness import (  # noqa: E402
    PHASES,
    PhaseResult,
    build_reference,
    keep_store,
    kept_directory,
    make_data,
    run_kill_chain,
    scratch_store,
)

STAGE_TURNS = {
    "resolve": ("load", "train", "score", "cluster", "write"),
    "incremental resolve": ("load", "score", "components", "cluster", "write"),
    "final resolve": ("load", "score", "components", "cluster", "write"),
}
# share of the kills per step (resolves get more: they have more stages)
WEIGHTS = {
    "ingest": 2,
    "resolve": 3,
    "second ingest": 1,
    "incremental resolve": 2,
    "resolve_record stream": 2,
    "final resolve": 1,
    "erase": 2,
}


def kills_per_step(total: int, steps: tuple[str, ...] = PHASES) -> dict[str, int]:
    """`total` kills split over `steps` by `WEIGHTS` (at least one each; none for the
    other steps, which run uninterrupted)."""
    weight = sum(WEIGHTS[name] for name in steps)
    kills = {name: max(1, total * WEIGHTS[name] // weight) if name in steps else 0
             for name in PHASES}  # fmt: skip
    kills["resolve" if "resolve" in steps else steps[0]] += total - sum(kills.values())
    return kills


def _merged(results: list[PhaseResult], more: list[PhaseResult]) -> list[PhaseResult]:
    """The results of two lives added up step by step."""
    if not results:
        return more
    for total, extra in zip(results, more, strict=True):
        total.kills += extra.kills
        total.finished_first += extra.finished_first
        total.kill_points += extra.kill_points
        total.violations += extra.violations
        total.not_atomic += extra.not_atomic
        total.rerun_differences += extra.rerun_differences
        total.unexpected_exits += extra.unexpected_exits
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50, help="kills in all (default 50)")
    parser.add_argument("--store", required=True, help="sqlite:///path or postgresql://...")
    parser.add_argument("--records", type=int, default=3000, help="generated records")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--only", nargs="+", choices=PHASES, help="kill only these steps (default: every one)"
    )
    args = parser.parse_args()
    backend = "sqlite" if args.store.startswith("sqlite") else "postgresql"
    postgres = args.store if backend == "postgresql" else None
    rng = random.Random(args.seed)
    steps = tuple(args.only or PHASES)
    kills = kills_per_step(args.kills, steps)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cx360-kills-") as scratch:
        directory = Path(scratch)  # the data, and the SQLite stores
        data = make_data(directory, records=args.records, seed=args.seed)
        with scratch_store(backend, directory, postgres) as url:
            keep = None
            if kept_directory() is not None:  # the reference's life, to compare kept stores

                def keep(step: str, at: str) -> None:
                    keep_store(at, f"reference after {step}")

            reference = build_reference(url, data, keep)
        results: list[PhaseResult] = []
        while sum(r.kills for r in results) < args.kills:  # a step that ended before its
            # kill point ends its turn: another life on a fresh store makes up the count
            left = args.kills - sum(r.kills for r in results)
            with scratch_store(backend, directory, postgres) as url:
                chain = run_kill_chain(url, data, reference, rng, kills, STAGE_TURNS)
            results = _merged(results, chain)
            more = left - sum(r.kills for r in chain)
            kills = kills_per_step(more, steps) if more > 0 else kills
    seconds = time.perf_counter() - started
    rows = [
        {
            "step": r.name,
            "kills": r.kills,
            "finished_before_kill": r.finished_first,
            "violations": len(r.violations),
            "neither_old_nor_new": len(r.not_atomic),
            "rerun_equal": not r.rerun_differences,
            "unexpected_exits": len(r.unexpected_exits),
            "kill_points": r.kill_points,
            "problems": r.violations + r.not_atomic + r.rerun_differences + r.unexpected_exits,
        }
        for r in results
    ]
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        or "unknown"
    )
    print(f"backend {backend}, {args.records} records, seed {args.seed}, commit {commit}")
    print(f"machine: {platform.machine()}, {platform.python_version()}, {platform.platform()}")
    print("| step | kills | finished before its kill | violations | re-run equal |")
    print("|---|---:|---:|---:|---|")
    for row in rows:
        equal = "yes" if row["rerun_equal"] else "NO"
        print(
            f"| {row['step']} | {row['kills']} | {row['finished_before_kill']} "
            f"| {row['violations']} | {equal} |"
        )
    total_kills = sum(r.kills for r in results)
    total_violations = sum(len(r.violations) for r in results)
    all_equal = all(not r.rerun_differences for r in results)
    print(
        f"total: {total_kills} kills, {total_violations} invariant violations, "
        f"re-runs equal: {'all' if all_equal else 'NOT all'}, {seconds:.0f} s"
    )
    for row in rows:
        for problem in row["problems"]:
            print(f"  {row['step']}: {problem}")
    if args.json:
        args.json.write_text(json.dumps({"backend": backend, "commit": commit, "steps": rows}))
    return 0 if all(r.ok for r in results) and total_kills >= args.kills else 1


if __name__ == "__main__":
    sys.exit(main())
