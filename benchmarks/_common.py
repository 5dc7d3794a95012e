"""Helpers shared by the benchmark scripts: timing, peak memory, machine description."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def machine() -> str:
    """One line describing this machine, for docs/benchmarks.md."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def peak_rss_mib() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest finished child, in MiB."""
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return self_kib / 1024, child_kib / 1024


@contextmanager
def timed() -> Iterator[list[float]]:
    """`with timed() as t: ...` then `t[0]` holds the seconds taken."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def ensure_dataset(out: Path, records: int, seed: int, fmt: str = "csv") -> dict[str, Path]:
    """Generate the synthetic dataset once; reuse it when it is already there."""
    from cx360.synthetic import write_dataset

    expected = out / f"records.{fmt}"
    if expected.exists() and (out / f"truth.{fmt}").exists():
        return {name: out / f"{name}.{fmt}" for name in ("records", "interactions", "truth")}
    return write_dataset(out, n_records=records, seed=seed, fmt=fmt)


def run_isolated(argv: list[str]) -> str:
    """Run a command in a fresh Python process (so peak memory is its own); its stdout."""
    done = subprocess.run([sys.executable, *argv], check=True, capture_output=True, text=True)
    return done.stdout


def copy_store(url: str, name: str, directory: Path | None = None) -> str:
    """A fresh copy of the store at `url` to time on, so that every run starts alike;
    the copy's URL. Copies named `name` replace the last one of that name.

    SQLite: the file is checkpointed first (everything in it, nothing in its WAL) and
    copied to `<stem>-<name>.db` beside it (or in `directory`). PostgreSQL: CREATE
    DATABASE `<database>_<name>` TEMPLATE `<database>`, a file copy (no other session
    may be connected to the source, and the role must be allowed to create databases).
    Then `sync`, so that no write-back of the copy lands in the timings.
    """
    import shutil
    import sqlite3

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    started = time.perf_counter()
    if url.startswith("sqlite:///"):
        source = Path(url.removeprefix("sqlite:///"))
        copy = (directory or source.parent) / f"{source.stem}-{name}.db"
        for stale in copy.parent.glob(copy.name + "*"):
            stale.unlink()
        with sqlite3.connect(source) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(source, copy)
        copied = f"sqlite:///{copy}"
    else:
        parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
        target = f"{parsed.database}_{name}"
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target}"'))
            conn.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{parsed.database}"'))
        admin.dispose()
        copied = parsed.set(database=target).render_as_string(hide_password=False)
    os.sync()
    shown = copied.split("@")[-1].split("?")[0]
    print(f"timing a copy: {shown} ({time.perf_counter() - started:.0f} s to copy)")
    return copied
