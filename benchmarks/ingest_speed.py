"""Ingest speed and memory: `cx360 ingest` of N generated records, with baselines.

    python benchmarks/ingest_speed.py --records 1000000 [--postgres postgresql://...]

Prints, for the same CSV in the same run:
- raw load: the CSV streamed into a SQLite table with `sqlite3.executemany`, no
  validation or normalization (what the disk and SQLite allow: the ceiling);
- normalization alone: `prepare_record` over every row in one process (records/s), and
  phone normalization alone, cold cache and warm;
- cx360 ingest into a fresh SQLite file (and PostgreSQL when --postgres is given), run as
  the `cx360 ingest` command in its own process, with peak memory of its process tree
  (main process + normalization workers, sampled).
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from _common import ensure_dataset, machine


def raw_sqlite_load(records: Path, db: Path) -> float:
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    with records.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        cols = ", ".join(f'"{c}" TEXT' for c in header)
        con.execute(f"CREATE TABLE raw ({cols})")
        marks = ", ".join("?" for _ in header)
        start = time.perf_counter()
        batch: list[list[str]] = []
        for row in reader:
            batch.append(row)
            if len(batch) == 2000:
                con.executemany(f"INSERT INTO raw VALUES ({marks})", batch)
                con.commit()
                batch = []
        if batch:
            con.executemany(f"INSERT INTO raw VALUES ({marks})", batch)
            con.commit()
        seconds = time.perf_counter() - start
    con.close()
    return seconds


def normalization_only(records: Path, limit: int) -> tuple[float, int]:
    from cx360.ingest._prepare import prepare_record

    with records.open(newline="", encoding="utf-8") as handle:
        rows = [row for _, row in zip(range(limit), csv.DictReader(handle), strict=False)]
    start = time.perf_counter()
    for number, row in enumerate(rows, 1):
        prepare_record(row, number)
    return time.perf_counter() - start, len(rows)


def phones_only(records: Path, limit: int) -> tuple[float, float, int]:
    from cx360.normalize.phones import normalize_phone

    with records.open(newline="", encoding="utf-8") as handle:
        pairs = [
            (row["phone"], row["country"])
            for _, row in zip(range(limit), csv.DictReader(handle), strict=False)
            if row["phone"]
        ]
    start = time.perf_counter()
    for phone, country in pairs:
        normalize_phone(phone, country)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    for phone, country in pairs:
        normalize_phone(phone, country)
    warm = time.perf_counter() - start
    return cold, warm, len(pairs)


def in_fresh_process(function: Any, *args: Any) -> Any:
    """Run `function(*args)` in a new child process (cold caches) and return its result."""
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def run_cx360_ingest(records: Path, store: str) -> tuple[float, float, dict[str, object], float]:
    """Run `cx360 ingest` in its own process; (seconds, peak tree RSS MiB, report, CPU
    seconds of its process tree: main process and normalization workers, not a server)."""
    argv = [sys.executable, "-m", "cx360.cli", "ingest", str(records), "--store", store, "--json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                total = sum(p.memory_info().rss for p in procs if p.is_running())
                peak[0] = max(peak[0], total)
            except psutil.Error:
                pass
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"cx360 ingest failed with exit code {proc.returncode}")
    report = json.loads(out)["records"]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return seconds, peak[0] / 2**20, report, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, help="dataset folder (default bench-data/<N>)")
    parser.add_argument("--postgres", help="also ingest into this PostgreSQL URL (emptied first)")
    parser.add_argument(
        "--sample", type=int, default=100_000, help="rows for the in-process figures"
    )
    parser.add_argument(
        "--no-ingest", action="store_true", help="only the baseline and in-process figures"
    )
    args = parser.parse_args()

    data = args.data or Path("bench-data") / str(args.records)
    paths = ensure_dataset(data, args.records, args.seed)
    records = paths["records"]
    with records.open(encoding="utf-8") as handle:
        n = sum(1 for _ in handle) - 1
    print(f"machine: {machine()}")
    import cx360.ingest._prepare as prepare_module

    compiled = not prepare_module.__file__.endswith(".py")
    print(f"normalizers: {'compiled (mypyc)' if compiled else 'pure Python'}")
    print(f"dataset: {records} ({n:,} records, seed {args.seed})\n")

    with tempfile.TemporaryDirectory() as tmp:
        raw_s = raw_sqlite_load(records, Path(tmp) / "raw.db")
        print(
            f"baseline raw load (csv -> sqlite3, no normalization): {raw_s:7.1f} s  {n / raw_s:10,.0f} rec/s"
        )

        # each in-process figure runs in a fresh child, so no cache is warm from another
        cold, warm, phones = in_fresh_process(phones_only, records, args.sample)
        print(
            f"phone normalization ({phones:,} phones): cold cache {phones / cold:,.0f}/s, warm {phones / warm:,.0f}/s"
        )
        norm_s, norm_n = in_fresh_process(normalization_only, records, args.sample)
        print(
            f"normalization only, 1 process ({norm_n:,} rows):        {norm_s:7.1f} s  {norm_n / norm_s:10,.0f} rec/s"
        )

        if args.no_ingest:
            return
        db = Path(tmp) / "cx360.db"
        secs, peak, report, cpu = run_cx360_ingest(records, f"sqlite:///{db}")
        print(
            f"cx360 ingest -> SQLite:                              {secs:7.1f} s  {n / secs:10,.0f} rec/s"
            f"  peak RSS {peak:,.0f} MiB  (x{secs / raw_s:.1f} the raw load)"
        )
        print(f"  CPU of the ingest processes: {cpu:.1f} s, {cpu / n * 1e6:.0f} µs/record")
        print(f"  report: {report}")

    if args.postgres:
        from sqlalchemy import create_engine, text

        from cx360.store import resolve_store_url

        engine = create_engine(resolve_store_url(args.postgres))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        secs, peak, report, cpu = run_cx360_ingest(records, args.postgres)
        print(
            f"cx360 ingest -> PostgreSQL:                          {secs:7.1f} s  {n / secs:10,.0f} rec/s"
            f"  peak RSS {peak:,.0f} MiB"
        )
        print(
            f"  CPU of the ingest processes (not the server): {cpu:.1f} s, {cpu / n * 1e6:.0f} µs/record"
        )
        print(f"  report: {report}")


if __name__ == "__main__":
    main()
