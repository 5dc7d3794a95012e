"""What erasure costs on a resolved store: one customer at a time, and many in one call.

    python benchmarks/erase_speed.py --store sqlite:///bench-data/rt-1m.db --copy
    python benchmarks/erase_speed.py --store postgresql://.../cx360_rt --copy

On a copy of the store (SQLite: the file; PostgreSQL: CREATE DATABASE ... TEMPLATE;
opening it migrates it first, which the script times apart), customers are drawn at
random among those of several records (the ones whose erasure resolves nothing again
are the cheap case): `--one-by-one` of them are erased with `hub.erase(customer_id=...)`,
each timed, then `--many` others with one `hub.erase_many(...)` call; then
`--one-by-one` single records of other customers of several records, each timed (what
remains of the customer is resolved again); `--many-records` then erases one record of
each of that many such customers in one call. Prints p50/p95 of the single erasures, the
total of each call, and the rows removed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from _common import copy_store, machine
from sqlalchemy import func, select

import cx360
from cx360.store._schema import record_customers, records


def _sample(hub: cx360.Hub, count: int, seed: int) -> list[str]:
    """`count` customers drawn at random, half of them of one record and half of
    several, as a store holds both kinds."""
    with hub._store.connection() as conn:
        sizes = conn.execute(
            select(record_customers.c.customer_id, func.count()).group_by(
                record_customers.c.customer_id
            )
        ).all()
    rng = random.Random(seed)
    single = [cid for cid, n in sizes if n == 1]
    several = [cid for cid, n in sizes if n > 1]
    half = count // 2
    return rng.sample(several, count - half) + rng.sample(single, half)


def _records_of_others(hub: cx360.Hub, count: int, seed: int) -> list[tuple[str, str]]:
    """One record of each of `count` customers of three records or more, at random."""
    with hub._store.connection() as conn:
        sizes = conn.execute(
            select(record_customers.c.customer_id, func.min(record_customers.c.record_id))
            .group_by(record_customers.c.customer_id)
            .having(func.count() >= 3)
        ).all()
        chosen = random.Random(seed).sample([int(r) for _, r in sizes], count)
        rows = conn.execute(
            select(records.c.source, records.c.source_record_id).where(records.c.id.in_(chosen))
        ).all()
    return [(str(s), str(k)) for s, k in rows]


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3


def _erase_many(hub: cx360.Hub, many: list[str]) -> None:
    """Erase `many` customers in one call, and print what it took."""
    started = time.perf_counter()
    receipts = hub.erase_many([{"customer_id": c} for c in many], reason="benchmark", by="bench")
    took = time.perf_counter() - started
    total: Counter[str] = Counter()
    for receipt in receipts:
        total.update(receipt.removed)
    resolved = sum(r.customers_after["resolved"] for r in receipts)
    print(
        f"erase_many {len(many):,} customers: {took:.1f} s ({took / len(many) * 1e3:.1f} ms each;"
        f" {total['records']:,} records, {total['match_edges']:,} scored pairs removed,"
        f" {resolved} customers resolved again)"
    )


def _erase_many_records(hub: cx360.Hub, refs: list[tuple[str, str]]) -> None:
    """Erase these records in one call (each customer resolved again), and print it."""
    started = time.perf_counter()
    receipts = hub.erase_many([{"record": ref} for ref in refs], reason="benchmark", by="bench")
    took = time.perf_counter() - started
    resolved = sum(r.customers_after["resolved"] for r in receipts)
    new = sum(r.customers_after["new"] for r in receipts)
    print(
        f"erase_many {len(refs):,} records: {took:.1f} s ({took / len(refs) * 1e3:.1f} ms each;"
        f" {resolved} customers resolved again, {new} split)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--copy", action="store_true", help="time a fresh copy of --store")
    parser.add_argument("--one-by-one", type=int, default=100)
    parser.add_argument("--many", type=int, default=10_000)
    parser.add_argument(
        "--many-records",
        type=int,
        default=0,
        help="then erase one record of each of this many customers in one call",
    )
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    url = args.store
    if args.copy:
        url = copy_store(url, "erase")
    print(machine())
    started = time.perf_counter()
    hub = cx360.connect(url)
    print(f"opened (migrated if needed) in {time.perf_counter() - started:.1f} s")
    status = hub.status()
    print(f"store: {status.backend}, {status.records:,} records, {status.customers:,} customers")
    chosen = _sample(hub, args.one_by_one + args.many, args.seed)
    single, many = chosen[: args.one_by_one], chosen[args.one_by_one :]
    seconds: list[float] = []
    removed: Counter[str] = Counter()
    for customer_id in single:
        started = time.perf_counter()
        receipt = hub.erase(customer_id=customer_id, reason="benchmark", by="bench")
        seconds.append(time.perf_counter() - started)
        removed.update(receipt.removed)
    if seconds:
        print(
            f"erase one customer: p50 {_p(seconds, 0.5):7.1f} ms  p95 {_p(seconds, 0.95):7.1f} ms"
            f"  mean {statistics.fmean(seconds) * 1e3:7.1f} ms  (n={len(seconds)}; "
            f"{removed['records']} records, {removed['interactions']} interactions, "
            f"{removed['match_edges']} scored pairs removed)"
        )
    if many:
        _erase_many(hub, many)
    seconds = []
    removed = Counter()
    resolved = 0
    for ref in _records_of_others(hub, args.one_by_one, args.seed + 1):
        started = time.perf_counter()
        receipt = hub.erase(record=ref, reason="benchmark", by="bench")
        seconds.append(time.perf_counter() - started)
        removed.update(receipt.removed)
        resolved += receipt.customers_after["new"]
    print(
        f"erase one record:   p50 {_p(seconds, 0.5):7.1f} ms  p95 {_p(seconds, 0.95):7.1f} ms"
        f"  mean {statistics.fmean(seconds) * 1e3:7.1f} ms  (n={len(seconds)}; its customer"
        f" resolved again each time, {resolved} split)"
    )
    if args.many_records:
        _erase_many_records(hub, _records_of_others(hub, args.many_records, args.seed + 2))
    hub.close()


if __name__ == "__main__":
    main()
