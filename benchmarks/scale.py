"""Scale curve: ingest, resolve and export at several sizes, plain Splink beside them.

    python benchmarks/scale.py --sizes 100000 300000 1000000
    python benchmarks/scale.py --sizes 1000000 --postgres postgresql://u:p@host/db --no-plain

For each size: a generated dataset (seed 7 unless --seed says otherwise, CSV; made once
under --data-dir, in `<size>` for seed 7 and `<size>-s<seed>` for others), a fresh
store, then `cx360 ingest`, `cx360 resolve`, `cx360 export`, each in its own process
(wall time and peak RSS of its whole process tree, polled every 0.1 s), the export's
accuracy against the truth file, and plain Splink 5 (the accuracy benchmark's baseline:
the same normalized columns, trained and clustered at probability 0.9) on the same
records in its own process, in the same run. Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

from _common import ensure_dataset, machine

_CLI = "import sys; from cx360.cli import main; sys.exit(main(sys.argv[1:]))"


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        process = psutil.Process(pid)
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += member.memory_info().rss
    return total


def run_stage(argv: list[str]) -> dict[str, Any]:
    """Run a command; its wall seconds, the peak RSS of its process tree (MiB), stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            done.wait(0.1)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    out, err = process.communicate()
    done.set()
    watcher.join()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{argv[3:5]} failed ({process.returncode}):\n{err[-2000:]}")
    return {"seconds": seconds, "peak_mib": peak / 2**20, "stdout": out}


def cx360(*args: str) -> list[str]:
    return [sys.executable, "-c", _CLI, *args]


def plain_splink_run(records: str, truth: str) -> dict[str, Any]:
    """Plain Splink on the records' normalized columns (run in a child process)."""
    from _baselines import normalized_frame, plain_splink, truth_series
    from _metrics import evaluate

    frame = normalized_frame(records)
    result = plain_splink(frame)
    metrics = evaluate(result.clusters, truth_series(truth))
    return {"seconds": sum(result.seconds.values()), "stages": result.seconds, **metrics.as_dict()}


def evaluate_export(assignments: Path, truth: Path) -> dict[str, Any]:
    import pandas as pd
    from _baselines import truth_series
    from _metrics import evaluate

    frame = pd.read_csv(assignments, dtype=str, keep_default_na=False)
    predicted = pd.Series(
        frame.customer_id.to_numpy(), index=frame.source + "|" + frame.source_record_id
    )
    return evaluate(predicted, truth_series(truth)).as_dict()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--data-dir", type=Path, default=Path("bench-data"))
    parser.add_argument("--work-dir", type=Path, default=None, help="stores (default: temp)")
    parser.add_argument("--postgres", help="also run the stages on this PostgreSQL URL")
    parser.add_argument("--no-plain", action="store_true", help="skip plain Splink")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--json", type=Path, help="also write all figures here")
    parser.add_argument("--seed", type=int, default=7, help="of the generated data")
    parser.add_argument("--plain-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.plain_child:
        print(json.dumps(plain_splink_run(*args.plain_child)))
        return 0

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="cx360-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"# {machine()}", flush=True)
    rows: list[dict[str, Any]] = []
    for size in args.sizes:
        folder = str(size) if args.seed == 7 else f"{size}-s{args.seed}"
        paths = ensure_dataset(args.data_dir / folder, size, seed=args.seed)
        stores = [] if args.no_sqlite else [("SQLite", f"sqlite:///{work / f'{size}.db'}")]
        if args.postgres:
            stores.append(("PostgreSQL", args.postgres))
        for label, url in stores:
            if url.startswith("sqlite"):
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{work / f'{size}.db'}{suffix}").unlink(missing_ok=True)
            else:
                _reset_postgres(url)
            out = work / f"{size}-{label}.csv"
            ingest = run_stage(
                cx360(
                    "ingest",
                    str(paths["records"]),
                    "--interactions",
                    str(paths["interactions"]),
                    "--store",
                    url,
                )
            )
            resolve = run_stage(cx360("resolve", "--store", url))
            export = run_stage(cx360("export", "--out", str(out), "--store", url))
            accuracy = evaluate_export(out, paths["truth"])
            row = {
                "records": size,
                "store": label,
                "ingest": ingest,
                "resolve": resolve,
                "export": export,
                "total_seconds": ingest["seconds"] + resolve["seconds"] + export["seconds"],
                "accuracy": accuracy,
            }
            rows.append(row)
            _print_row(row)
        if not args.no_plain:
            plain = run_stage(
                [
                    sys.executable,
                    __file__,
                    "--plain-child",
                    str(paths["records"]),
                    str(paths["truth"]),
                ]
            )
            figures = json.loads(plain["stdout"].strip().splitlines()[-1])
            row = {"records": size, "store": "plain Splink", "plain": figures, **plain}
            rows.append(row)
            print(
                f"| {size:,} | plain Splink (train+predict+cluster, own process) | "
                f"{figures['seconds']:.1f} s | {plain['peak_mib']:,.0f} MiB | "
                f"P {figures['precision']:.4f} R {figures['recall']:.4f} "
                f"F1 {figures['f1']:.4f} |",
                flush=True,
            )
    if args.json:
        for row in rows:
            for stage in ("ingest", "resolve", "export"):
                if stage in row:
                    row[stage].pop("stdout", None)
            row.pop("stdout", None)
        args.json.write_text(json.dumps(rows, indent=1))
    if args.work_dir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _print_row(row: dict[str, Any]) -> None:
    accuracy = row["accuracy"]
    stages = " · ".join(
        f"{stage} {row[stage]['seconds']:.1f} s / {row[stage]['peak_mib']:,.0f} MiB"
        for stage in ("ingest", "resolve", "export")
    )
    print(
        f"| {row['records']:,} | cx360 on {row['store']}: {stages} | "
        f"{row['total_seconds']:.1f} s | "
        f"{max(row[s]['peak_mib'] for s in ('ingest', 'resolve', 'export')):,.0f} MiB | "
        f"P {accuracy['precision']:.4f} R {accuracy['recall']:.4f} F1 {accuracy['f1']:.4f} |",
        flush=True,
    )


def _reset_postgres(url: str) -> None:
    """Drop cx360's tables from a benchmark database, so each size starts empty."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
