"""Kill cx360 operations running in real processes, then check what they left.

The pieces the fault tests and `benchmarks/kill_test.py` share:

- `FaultData`: a generated dataset cut into the files of a store's life: a first ingest
  (records and interactions), a second one (new records, and newer versions of some first
  ones with changed identifiers), and records that arrive one at a time (`resolve_record`).
- `Child`: an operation in a process of its own (`_child.py`) in its own process group,
  which `kill()` ends with SIGKILL, workers included.
- `violations(url)`: the store's invariants, each a count of offending rows.
- `Snapshot`: what a store holds, by the records' keys (IDs differ between stores):
  records and versions, interactions, and the partition of records into customers.
- `Reference`: an uninterrupted life of a fresh store, with a snapshot after each step and
  each step's measured duration, from which kill points are drawn.
- `run_kill_chain`: one store's life with each step killed at random points (seeded) and
  then completed; after each kill the invariants, after each completion the equality with
  the reference. A re-run that differs says which customers differ and what each life's
  `resolve_record` calls decided on their records; with `CX360_FAULTS_KEEP` set
  (`KEEP_ENV`), it also keeps the stores to replay the deciding calls on.

The last step erases (`erase_plan`): customers one call each, then records and e-mails
in one `erase_many` call of several chunks. Killed while it deletes, each erasure (each
chunk of the call) is there whole with its receipt and suppressions, or not at all
(`erasure_violations`).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import NullPool, create_engine, text

import cx360
from cx360.store import resolve_store_url
from cx360.synthetic import write_dataset
from tests._stores import clone_store, schema_of
from tests._stores import scratch_store as scratch_store  # used by benchmarks/kill_test.py
from tests._stores import sqlite_path as _sqlite_path

REPO = Path(__file__).resolve().parents[2]

# -- data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultData:
    """The files of a store's life (see the module docstring)."""

    first_records: Path
    first_interactions: Path
    second_records: Path
    stream_records: Path
    seed: int
    erasures: Path | None = None  # the erase step's plan (`erase_plan`)


def make_data(directory: Path, *, records: int = 3000, seed: int = 17) -> FaultData:
    """Generate `records` synthetic records and cut them: 2/3 first, 1/5 second (with
    newer versions of 1/20 of the first ones), the rest one at a time."""
    generated = write_dataset(directory / "generated", n_records=records, seed=seed)
    with open(generated.records_path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    first_end = records * 2 // 3
    second_end = first_end + records // 5
    first, second, stream = rows[:first_end], rows[first_end:second_end], rows[second_end:]
    second = second + _newer_versions(first, records // 20, seed)
    paths = {
        "first": directory / "first_records.csv",
        "second": directory / "second_records.csv",
        "stream": directory / "stream_records.csv",
    }
    for name, part in (("first", first), ("second", second), ("stream", stream)):
        with open(paths[name], "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, columns)
            writer.writeheader()
            writer.writerows(part)
    interactions = directory / "first_interactions.csv"
    shutil.copyfile(generated.interactions_path, interactions)
    plan = directory / "erasures.json"
    plan.write_text(json.dumps(_erasures(first, second, seed)))
    return FaultData(paths["first"], interactions, paths["second"], paths["stream"], seed, plan)


# what the erase step erases: customers (each named by one of its records, found when
# its turn comes), then records and e-mails in one call of several chunks
ERASE_CHUNK = 25


def _erasures(
    first: list[dict[str, str]], second: list[dict[str, str]], seed: int
) -> dict[str, Any]:
    rng = random.Random(f"erase-{seed}")
    chosen = rng.sample(first, 90)
    emails = sorted({r["email"] for r in rng.sample(second, 40) if r["email"]})[:10]
    return {
        "customers_of": [[r["source"], r["source_record_id"]] for r in chosen[:20]],
        "records": [[r["source"], r["source_record_id"]] for r in chosen[20:]],
        "emails": emails,
    }


def erase_plan(hub: cx360.Hub, path: Path, progress: Callable[[int], None] | None = None) -> None:
    """The erase step: each planned customer erased by its own call (the customer of
    the record naming it, if that record is still there), then one `erase_many` call of
    the records and e-mails, `ERASE_CHUNK` per transaction. Run again after a kill, it
    erases what is left in the same order, so it ends as an uninterrupted run does."""
    from cx360.privacy import _erase

    plan = json.loads(path.read_text())
    for number, (source, key) in enumerate(plan["customers_of"], 1):
        found = hub.profile(record=(source, key)).profile
        if found is not None and found.customer_id is not None:
            hub.erase(customer_id=found.customer_id, reason="kill test", by="faults")
        if progress is not None:
            progress(number)
    subjects: list[dict[str, Any]] = [{"record": tuple(r)} for r in plan["records"]]
    subjects += [{"email": email} for email in plan["emails"]]
    chunk, _erase.CHUNK = _erase.CHUNK, ERASE_CHUNK
    try:
        hub.erase_many(subjects, reason="kill test", by="faults")
    finally:
        _erase.CHUNK = chunk


def _newer_versions(rows: list[dict[str, str]], count: int, seed: int) -> list[dict[str, str]]:
    """Later versions of `count` records: half take another record's phone (new links),
    half lose their e-mail (links that held may go)."""
    rng = random.Random(seed)
    latest = max(datetime.fromisoformat(r["observed_at"].replace("Z", "+00:00")) for r in rows)
    later = (latest + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    phones = [r["phone"] for r in rows if r["phone"]]
    changed = []
    for number, row in enumerate(rng.sample(rows, count)):
        newer = {**row, "observed_at": later}
        if number % 2:
            newer["phone"] = rng.choice(phones)
        else:
            newer["email"] = ""
        changed.append(newer)
    return changed


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


# -- stores ----------------------------------------------------------------------------------


def _engine(url: str) -> Any:
    return create_engine(resolve_store_url(url), poolclass=NullPool)


# -- invariants ------------------------------------------------------------------------------

_BATCH_ROWS = {"records": ("records", "record_versions"), "interactions": ("interactions",
    "interaction_versions")}  # fmt: skip

INVARIANTS: dict[str, str] = {
    "record in more than one customer": (
        "SELECT count(*) FROM (SELECT record_id FROM record_customers"
        " GROUP BY record_id HAVING count(*) > 1) AS d"
    ),
    "assignment of a missing record": (
        "SELECT count(*) FROM record_customers a"
        " WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.id = a.record_id)"
    ),
    "assignment to a missing customer": (
        "SELECT count(*) FROM record_customers a"
        " WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = a.customer_id)"
    ),
    "assignment to a customer that is not active": (
        "SELECT count(*) FROM record_customers a"
        " JOIN customers c ON c.customer_id = a.customer_id WHERE c.status <> 'active'"
    ),
    "active customer holding no record": (
        "SELECT count(*) FROM customers c WHERE c.status = 'active' AND NOT EXISTS"
        " (SELECT 1 FROM record_customers a WHERE a.customer_id = c.customer_id)"
    ),
    "customer neither active nor merged": (
        "SELECT count(*) FROM customers WHERE status NOT IN ('active', 'merged')"
    ),
    "active customer merged into another": (
        "SELECT count(*) FROM customers WHERE status = 'active' AND merged_into IS NOT NULL"
    ),
    "alias pointing at no customer": (
        "SELECT count(*) FROM customers c WHERE c.status = 'merged' AND (c.merged_into IS NULL"
        " OR NOT EXISTS (SELECT 1 FROM customers t WHERE t.customer_id = c.merged_into))"
    ),
    "alias not one step from an active customer (chain or cycle)": (
        "SELECT count(*) FROM customers c JOIN customers t ON t.customer_id = c.merged_into"
        " WHERE c.status = 'merged' AND t.status <> 'active'"
    ),
    "link of a missing record": (
        "SELECT count(*) FROM record_links k"
        " WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.id = k.record_id_l)"
        " OR NOT EXISTS (SELECT 1 FROM records r WHERE r.id = k.record_id_r)"
    ),
    "link of a run that is not recorded": (
        "SELECT count(*) FROM record_links k WHERE k.run_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM resolution_runs u WHERE u.id = k.run_id)"
    ),
    "kept pair of a missing record": (
        "SELECT count(*) FROM match_edges e"
        " WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.id = e.record_id_l)"
        " OR NOT EXISTS (SELECT 1 FROM records r WHERE r.id = e.record_id_r)"
    ),
    "kept pair out of order": "SELECT count(*) FROM match_edges WHERE record_id_l >= record_id_r",
    "kept pair of a missing model": (
        "SELECT count(*) FROM match_edges e"
        " WHERE NOT EXISTS (SELECT 1 FROM models m WHERE m.id = e.model_id)"
    ),
    "override of a missing record": (
        "SELECT count(*) FROM overrides o"
        " WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.id = o.record_id_l)"
        " OR NOT EXISTS (SELECT 1 FROM records r WHERE r.id = o.record_id_r)"
    ),
    "version of a missing record": (
        "SELECT count(*) FROM record_versions v"
        " WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.id = v.record_id)"
    ),
    "record of no ingest batch": (
        "SELECT count(*) FROM records r WHERE r.batch_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM ingest_batches b WHERE b.id = r.batch_id)"
    ),
    "resolution run not finished, or without its model": (
        "SELECT count(*) FROM resolution_runs u WHERE u.status <> 'done'"
        " OR u.finished_at IS NULL"
        " OR NOT EXISTS (SELECT 1 FROM models m WHERE m.id = u.model_id)"
    ),
    "resolution run whose model has no term frequencies": (
        "SELECT count(*) FROM resolution_runs u WHERE NOT EXISTS"
        " (SELECT 1 FROM term_frequencies f WHERE f.model_id = u.model_id)"
    ),
    "suppression of no erasure": (
        "SELECT count(*) FROM suppressions s WHERE s.erasure_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.id = s.erasure_id)"
    ),
    "erasure that removed records without suppressing them": (
        "SELECT count(*) FROM erasures e WHERE CAST(e.refs AS TEXT) <> '[]' AND NOT EXISTS"
        " (SELECT 1 FROM suppressions s WHERE s.erasure_id = e.id)"
    ),
    "finished ingest batch whose counts do not add up": (
        "SELECT count(*) FROM ingest_batches WHERE status = 'done'"
        " AND rows <> inserted + updated + unchanged + quarantined"
    ),
    "unfinished ingest batch with a finish time": (
        "SELECT count(*) FROM ingest_batches WHERE status = 'running' AND finished_at IS NOT NULL"
    ),
    "finished ingest batch with more quarantined rows than counted": (
        "SELECT count(*) FROM ingest_batches b WHERE b.status = 'done' AND b.quarantined <"
        " (SELECT count(*) FROM quarantine q WHERE q.batch_id = b.id)"
    ),
    **{
        f"finished {kind} batch whose inserted + updated differ from the rows it wrote": (
            # every insert or update by a batch leaves one row carrying its id: the
            # current row, or a version row once a later batch replaced it (or a late
            # one), until an erasure removes it
            f"SELECT count(*) FROM (SELECT b.inserted + b.updated AS counted,"
            f" (SELECT count(*) FROM {current} x WHERE x.batch_id = b.id)"
            f" + (SELECT count(*) FROM {versions} v WHERE v.batch_id = b.id) AS held"
            f" FROM ingest_batches b WHERE b.status = 'done' AND b.kind = '{kind}') AS c"
            f" WHERE c.counted < c.held"
            f" OR (c.counted > c.held AND NOT EXISTS (SELECT 1 FROM erasures))"
        )
        for kind, (current, versions) in _BATCH_ROWS.items()
    },
}


def violations(url: str) -> dict[str, int]:
    """Each broken invariant of the store with its count of offending rows."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            found = {name: int(conn.execute(text(sql)).scalar_one()) for name, sql in
                     INVARIANTS.items()}  # fmt: skip
    finally:
        engine.dispose()
    return {name: count for name, count in found.items() if count}


def erasure_violations(url: str, before: Snapshot) -> dict[str, int]:
    """Erasures left half done since `before`: records gone without an erasure receipt
    naming them (its salted references), and receipts naming records still stored."""
    from cx360.privacy._suppress import digest, record_value

    engine = _engine(url)
    try:
        with engine.connect() as conn:
            salt = conn.execute(text("SELECT salt FROM erasure_salt WHERE id = 1")).scalar()
            refs: set[str] = set()
            for (found,) in conn.execute(text("SELECT refs FROM erasures")):
                refs.update(json.loads(found) if isinstance(found, str) else found)
    finally:
        engine.dispose()
    now = {(s, k) for s, k, _, _ in snapshot(url).records}
    was = {(s, k) for s, k, _, _ in before.records}
    if salt is None:
        return {"records gone without an erasure": len(was - now)} if was - now else {}
    key = bytes.fromhex(salt)
    found = {
        "records gone without an erasure": sum(
            digest(key, "record", record_value(s, k)) not in refs for s, k in was - now
        ),
        "erasure receipt naming a record still stored": sum(
            digest(key, "record", record_value(s, k)) in refs for s, k in now
        ),
    }
    return {name: count for name, count in found.items() if count}


def unfinished_batches(url: str) -> int:
    """Ingest batches left 'running' (their process was killed)."""
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            sql = "SELECT count(*) FROM ingest_batches WHERE status = 'running'"
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


# -- snapshots -------------------------------------------------------------------------------

Key = tuple[str, str]
Partition = frozenset[frozenset[Key]]


@dataclass(frozen=True)
class Snapshot:
    """A store's content by keys: records and record versions as (source, id, version,
    content hash), interactions as (id, version, hash), customers as sets of keys."""

    records: frozenset[tuple[str, str, int, str]]
    versions: frozenset[tuple[str, str, int, str]]
    interactions: frozenset[tuple[str, int, str]]
    partition: Partition

    def differences(self, other: Snapshot) -> list[str]:
        """What differs from `other`, in words (empty: equal)."""
        said = []
        for name in ("records", "versions", "interactions", "partition"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                only_here, only_there = len(mine - theirs), len(theirs - mine)
                said.append(f"{name}: {only_here} here only, {only_there} there only")
        return said


def snapshot(url: str) -> Snapshot:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            records = conn.execute(
                text("SELECT source, source_record_id, version, content_hash FROM records")
            ).all()
            versions = conn.execute(
                text(
                    "SELECT r.source, r.source_record_id, v.version, v.content_hash"
                    " FROM record_versions v JOIN records r ON r.id = v.record_id"
                )
            ).all()
            interactions = conn.execute(
                text("SELECT interaction_id, version, content_hash FROM interactions")
            ).all()
            members = conn.execute(
                text(
                    "SELECT a.customer_id, r.source, r.source_record_id"
                    " FROM record_customers a JOIN records r ON r.id = a.record_id"
                )
            ).all()
    finally:
        engine.dispose()
    customers: dict[str, set[Key]] = {}
    for customer_id, source, record_id in members:
        customers.setdefault(customer_id, set()).add((source, record_id))
    return Snapshot(
        frozenset((s, i, int(v), h) for s, i, v, h in records),
        frozenset((s, i, int(v), h) for s, i, v, h in versions),
        frozenset((i, int(v), h) for i, v, h in interactions),
        frozenset(frozenset(members) for members in customers.values()),
    )


# -- child processes -------------------------------------------------------------------------


class Child:
    """An operation (`_child.py`) in its own process group; its output lines are read as
    they come (`wait_for`), its standard error kept for failure messages."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self.errors: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults._child", json.dumps(spec)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: a kill reaches its workers
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._read_output, daemon=True).start()
        threading.Thread(target=self._read_errors, daemon=True).start()

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip("\n"))
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _read_errors(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.errors.append(line.rstrip("\n"))
            del self.errors[:-40]  # the tail is what explains a crash

    def wait_for(self, prefix: str, timeout: float = 300.0) -> str | None:
        """The first line starting with `prefix`; None when the process ended first."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no {prefix!r} from {self.describe()}") from None
            if line is None:
                return None
            if line.startswith(prefix):
                return line

    def kill(self) -> bool:
        """SIGKILL the process group; whether the operation was still running."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        return self.process.returncode == -signal.SIGKILL

    def finish(self, timeout: float = 600.0) -> int:
        """Wait for the operation to end by itself; its exit status."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def decisions(self) -> dict[str, str]:
        """The stream's decisions it printed (`decision <key> <text>` lines), by key."""
        said = (line.split(" ", 2) for line in self.output if line.startswith("decision "))
        return {parts[1]: parts[2] for parts in said if len(parts) == 3}

    def last_line(self, prefix: str) -> str | None:
        return next((line for line in reversed(self.output) if line.startswith(prefix)), None)

    def describe(self) -> str:
        return f"{self.spec['op']} (exit {self.process.returncode}): " + " | ".join(
            self.output[-3:] + self.errors[-8:]
        )

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.kill()


def kill_after(spec: dict[str, Any], wait_for: str, delay: float) -> Child:
    """Run `spec`, and SIGKILL it `delay` seconds after its line `wait_for` (unless it
    has ended by then: check `Child.process.returncode`)."""
    child = Child(spec)
    with child:
        if child.wait_for(wait_for) is not None:
            deadline = time.monotonic() + delay
            while child.process.poll() is None and time.monotonic() < deadline:
                time.sleep(min(0.005, max(0.0, deadline - time.monotonic())))
            if child.process.poll() is None:
                child.kill()
        child.finish()
    return child


# -- the reference: an uninterrupted life ----------------------------------------------------


@dataclass
class Step:
    """A step's outcome in the reference, and how long it and its stages took."""

    after: Snapshot
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)  # resolve stage -> seconds
    decisions: dict[str, str] = field(default_factory=dict)  # the stream's, by record key


def _timed_resolve(hub: cx360.Hub) -> tuple[float, dict[str, float]]:
    starts: list[tuple[str, float]] = []
    started = time.perf_counter()
    hub.resolve(progress=lambda stage: starts.append((stage, time.perf_counter())))
    ended = time.perf_counter()
    stages = {
        stage: (starts[i + 1][1] if i + 1 < len(starts) else ended) - at
        for i, (stage, at) in enumerate(starts)
    }
    return ended - started, stages


def stream_records(hub: cx360.Hub, path: Path) -> dict[str, str]:
    """Each record of `path` through `resolve_record`; what each call decided
    (`decision`), by the record's key."""
    return {key_text(row): decision(hub.resolve_record(row)) for row in read_rows(path)}


def key_text(row: dict[str, str]) -> str:
    return f"{row['source']}/{row['source_record_id']}"


def decision(match: cx360.Match) -> str:
    """What a `resolve_record` call decided, in terms that mean the same in every life
    of a store (records' keys, weights; not the random customer IDs): its status, the
    deciding pair and its weight, and each alternative refused with its guard."""

    def ref(record: Any) -> str:
        return "-" if record is None else f"{record.source}/{record.source_record_id}"

    # weights to six decimals: lives of a store may differ in their last bits
    weight = "-" if match.match_weight is None else f"{match.match_weight:.6f}"
    said = [match.status, f"with {ref(match.matched_record)} at {weight}"]
    said += [f"not {ref(a.record)} at {a.match_weight:.6f} ({a.reason})"
             for a in match.alternatives]  # fmt: skip
    return "; ".join(said)


# The steps of a store's life, in order. Each: (name, child spec without the URL, what
# completes it in this process, whether it is one transaction: all or nothing).
def _steps(data: FaultData) -> list[tuple[str, dict[str, Any], Callable[[cx360.Hub], Any]]]:
    first = {"records": str(data.first_records), "interactions": str(data.first_interactions)}
    return [
        ("ingest", {"op": "ingest", **first, "workers": 2},
         lambda hub: hub.ingest_files(**first)),
        ("resolve", {"op": "resolve"}, _timed_resolve),
        ("second ingest", {"op": "ingest", "records": str(data.second_records)},
         lambda hub: hub.ingest_files(records=data.second_records)),
        ("incremental resolve", {"op": "resolve"}, _timed_resolve),
        ("resolve_record stream", {"op": "stream", "records": str(data.stream_records)},
         lambda hub: stream_records(hub, data.stream_records)),
        ("final resolve", {"op": "resolve"}, _timed_resolve),
        ("erase", {"op": "erase", "plan": str(data.erasures)},
         lambda hub: erase_plan(hub, _planned(data))),
    ]  # fmt: skip


def _planned(data: FaultData) -> Path:
    assert data.erasures is not None, "data made by make_data has an erase plan"
    return data.erasures


PHASES = (
    "ingest",
    "resolve",
    "second ingest",
    "incremental resolve",
    "resolve_record stream",
    "final resolve",
    "erase",
)
# one transaction each: a kill leaves the old state or the new
ATOMIC = {"resolve", "incremental resolve", "final resolve"}


def build_reference(
    url: str, data: FaultData, keep: Callable[[str, str], None] | None = None
) -> dict[str, Step]:
    """Each step run to completion on the fresh store at `url`, in order; `keep(step,
    url)`, when given, is called after each step (to copy the store as it is then)."""
    steps: dict[str, Step] = {}
    with cx360.connect(url) as hub:
        for name, _spec, complete in _steps(data):
            started = time.perf_counter()
            outcome = complete(hub)
            seconds = time.perf_counter() - started
            stages = outcome[1] if isinstance(outcome, tuple) else {}
            decisions = outcome if isinstance(outcome, dict) else {}
            steps[name] = Step(snapshot(url), seconds, stages, decisions)
            if keep is not None:
                keep(name, url)
    return steps


# -- the kill chain --------------------------------------------------------------------------


@dataclass
class PhaseResult:
    """What the kills of one step did."""

    name: str
    kills: int = 0  # SIGKILLs that landed while the operation ran
    finished_first: int = 0  # kill points the operation finished before
    kill_points: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    not_atomic: list[str] = field(default_factory=list)  # neither the old nor the new state
    rerun_differences: list[str] = field(default_factory=list)  # empty: equal to reference
    unexpected_exits: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # stores kept to look into (`KEEP_ENV`)

    @property
    def ok(self) -> bool:
        return not (
            self.violations or self.not_atomic or self.rerun_differences or self.unexpected_exits
        )


def _kill_point(
    name: str, step: Step, rng: random.Random, stages: tuple[str, ...]
) -> tuple[str, float]:
    """Where to kill: a random time within the step (from 'ready'), or within a stage of
    a resolve (from the stage's start): the next of `stages` when given, else any."""
    if name in ATOMIC:
        stage = stages[0] if stages else rng.choice(list(step.stages))
        return f"stage {stage}", rng.uniform(0.0, step.stages[stage] * 0.9)
    return "ready", rng.uniform(0.0, step.seconds * 0.9)


def run_kill_chain(
    url: str,
    data: FaultData,
    reference: dict[str, Step],
    rng: random.Random,
    kills: dict[str, int],
    stages: dict[str, tuple[str, ...]] | None = None,
) -> list[PhaseResult]:
    """Live the reference's life on the empty store at `url`, killing each step
    `kills[step]` times at random points before completing it (see module docstring);
    `stages[step]`: the resolve stages to kill in, one per kill in turn (default: any)."""
    cx360.connect(url).close()  # the schema, so that the first snapshot can read it
    results = []
    for name, spec, complete in _steps(data):
        result = PhaseResult(name)
        before = snapshot(url)
        as_it_was = keep_store(url, f"before {name}") if kept_directory() else None
        killed_decisions: dict[str, str] = {}
        expected = reference[name].after
        attempts = 0
        while result.kills < kills.get(name, 0) and attempts < 3 * kills.get(name, 0):
            attempts += 1
            chosen = (stages or {}).get(name, ())
            turn = chosen[result.kills % len(chosen) :] if chosen else ()
            wait_for, delay = _kill_point(name, reference[name], rng, turn)
            child = kill_after({**spec, "url": url}, wait_for, delay)
            point = f"{wait_for} +{delay:.3f}s"
            killed_decisions.update(child.decisions())
            code = child.process.returncode
            if code == -signal.SIGKILL:
                result.kills += 1
                result.kill_points.append(point)
            elif code == 0:
                result.finished_first += 1
            else:
                result.unexpected_exits.append(f"{point}: {child.describe()}")
            result.violations += [f"{point}: {v} ({n})" for v, n in violations(url).items()]
            if name == "erase":
                result.not_atomic += [f"{point}: {v} ({n})" for v, n in
                                      erasure_violations(url, before).items()]  # fmt: skip
            elif name in ATOMIC:
                partition = snapshot(url).partition
                if partition not in (before.partition, expected.partition):
                    result.not_atomic.append(point)
            else:
                state = snapshot(url)
                stray = (state.records - before.records) - expected.records
                if stray:
                    result.not_atomic.append(f"{point}: {len(stray)} records in no state")
            if code == 0:
                break  # completed: nothing left to kill in this step
        with cx360.connect(url) as hub:
            outcome = complete(hub)
        result.violations += [f"after re-run: {v} ({n})" for v, n in violations(url).items()]
        after = snapshot(url)
        result.rerun_differences = after.differences(expected)
        if result.rerun_differences:
            customers = partition_differences(after.partition, expected.partition)
            result.rerun_differences += customers
            decided = {
                "reference": reference[name].decisions,
                "killed": killed_decisions,
                "re-run": outcome if isinstance(outcome, dict) else {},
            }
            result.rerun_differences += decisions_of(customers, decided)
        if as_it_was is not None:
            if result.rerun_differences:
                result.kept = [as_it_was, keep_store(url, f"after {name}")]
                _note_kept(name, result)
            else:
                drop_kept(as_it_was)
        results.append(result)
    return results


def partition_differences(here: Partition, there: Partition, most: int = 6) -> list[str]:
    """The customers of `here` that `there` does not have, each with the customers of
    `there` holding its records (at most `most`)."""
    customer_of = {key: members for members in there for key in members}
    said = []
    for members in sorted(here - there, key=lambda m: sorted(m))[:most]:
        theirs = {customer_of[key] for key in members if key in customer_of}
        said.append(
            f"customer {_keys(members)} here; there "
            + " + ".join(_keys(other) for other in sorted(theirs, key=lambda m: sorted(m)))
        )
    return said


def _keys(members: frozenset[Key]) -> str:
    return "{" + ", ".join(f"{s}/{k}" for s, k in sorted(members)) + "}"


def decisions_of(customers: list[str], decided: dict[str, dict[str, str]]) -> list[str]:
    """Each life's `resolve_record` decision on the records named in `customers`."""
    named = sorted({key for line in customers for key in re.findall(r"[\w.-]+/[\w.-]+", line)})
    return [
        f"{key} {life}: {decisions[key]}"
        for key in named
        for life, decisions in decided.items()
        if key in decisions
    ]


# -- stores kept for a look --------------------------------------------------------------------

# A directory: a step whose re-run differs from the reference leaves there (and, for
# PostgreSQL, as schemas `kept_...` of the same database, to drop once looked at) the
# store as it was before the step and after its re-run, listed in `kept.jsonl` with the
# differences and each life's decisions on the records concerned.
KEEP_ENV = "CX360_FAULTS_KEEP"


def kept_directory() -> Path | None:
    chosen = os.environ.get(KEEP_ENV)
    return Path(chosen) if chosen else None


def keep_store(url: str, label: str) -> str:
    """A lasting copy of the store at `url` (`KEEP_ENV`), by its URL."""
    directory = kept_directory()
    assert directory is not None, f"set {KEEP_ENV} to keep stores"
    directory.mkdir(parents=True, exist_ok=True)
    name = f"kept_{uuid.uuid4().hex[:10]}"
    if url.startswith("sqlite"):
        copy = f"sqlite:///{directory / name}.db"
    else:
        base = url.split("options=")[0].rstrip("?&")
        engine = _engine(base)
        try:
            with engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{name}"'))
        finally:
            engine.dispose()
        separator = "&" if "?" in base else "?"
        copy = f"{base}{separator}options=-csearch_path%3D{name}"
    clone_store(url, copy)
    with open(directory / "kept.jsonl", "a", encoding="utf-8") as listing:
        listing.write(json.dumps({"label": label, "url": copy}) + "\n")
    return copy


def drop_kept(url: str) -> None:
    """Remove a store made by `keep_store` (its listing says so)."""
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{_sqlite_path(url)}{suffix}").unlink(missing_ok=True)
    else:
        engine = _engine(url.split("options=")[0].rstrip("?&"))
        try:
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema_of(url)}" CASCADE'))
        finally:
            engine.dispose()
    directory = kept_directory()
    assert directory is not None
    with open(directory / "kept.jsonl", "a", encoding="utf-8") as listing:
        listing.write(json.dumps({"dropped": url}) + "\n")


def _note_kept(step: str, result: PhaseResult) -> None:
    directory = kept_directory()
    assert directory is not None
    said = {"step": step, "kept": result.kept, "differences": result.rerun_differences,
            "kill_points": result.kill_points}  # fmt: skip
    with open(directory / "kept.jsonl", "a", encoding="utf-8") as listing:
        listing.write(json.dumps(said) + "\n")


def summary(results: list[PhaseResult]) -> str:
    return "; ".join(
        f"{r.name}: {r.kills} kills, {len(r.violations)} violations"
        + ("" if not r.rerun_differences else f", re-run differs: {r.rerun_differences}")
        + ("" if not r.not_atomic else f", neither old nor new state after {r.not_atomic}")
        + ("" if not r.unexpected_exits else f", exits: {r.unexpected_exits}")
        + ("" if not r.kept else f", stores kept: {r.kept}")
        for r in results
    )
