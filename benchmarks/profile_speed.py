"""Profile and context lookup speed on a large store (SQLite, and PostgreSQL if given).

    python benchmarks/profile_speed.py --records 1000000 [--postgres postgresql://...]

Ingests N generated records and their interactions into a fresh store, then assigns
records to customers from the dataset's ground truth (one customer per person): lookup
speed depends on the store's size and indexes, not on who resolved it, and resolving 1M
records is another benchmark. Then times, one call after another on one hub:
`hub.profile(phone=...)` with the phone typed in national format, `hub.profile(email=...)`,
`hub.profile(customer_id=...)` and `hub.context(phone=...)` for random identifiers,
printing p50/p95/p99 in ms, and the query plans of the lookup statements (a sequential
scan of a big table would show there).
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

sys.path.insert(0, str(Path(__file__).parent))
from _common import ensure_dataset, machine, timed

import cx360
from cx360.profile import _lookup
from cx360.store import Store, utcnow
from cx360.store._schema import customers, record_customers, records

_CHUNK = 20_000


def assign_truth(store: Store, truth: Path) -> int:
    """One customer per true person; returns the customers written."""
    person_of: dict[tuple[str, str], str] = {}
    with truth.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            person_of[(row["source"], row["source_record_id"])] = row["person_id"]
    now = utcnow()
    with store.transaction() as conn:
        conn.execute(record_customers.delete())
        conn.execute(customers.delete())
        people = sorted(set(person_of.values()))
        for start in range(0, len(people), _CHUNK):
            conn.execute(
                insert(customers),
                [
                    {"customer_id": f"cus_{p}", "status": "active", "created_at": now,
                     "updated_at": now}
                    for p in people[start : start + _CHUNK]
                ],
            )  # fmt: skip
        rows = conn.execute(select(records.c.id, records.c.source, records.c.source_record_id))
        batch: list[dict[str, Any]] = []
        for record_id, source, source_record_id in rows.all():
            person = person_of.get((source, source_record_id))
            if person is not None:
                batch.append(
                    {"record_id": record_id, "customer_id": f"cus_{person}", "assigned_at": now}
                )
            if len(batch) >= _CHUNK:
                conn.execute(insert(record_customers), batch)
                batch = []
        if batch:
            conn.execute(insert(record_customers), batch)
    if store.dialect == "postgresql":
        with store.transaction() as conn:
            conn.execute(text("ANALYZE"))
    return len(people)


def sample(store: Store, n: int, seed: int) -> dict[str, list[Any]]:
    """Random phones (as national digits + country), e-mails and customer ids."""
    rng = random.Random(seed)
    with store.connection() as conn:
        top = conn.execute(select(records.c.id).order_by(records.c.id.desc()).limit(1)).scalar()
        ids = [rng.randint(1, int(top or 1)) for _ in range(n * 4)]
        rows = conn.execute(
            select(
                records.c.phone_e164, records.c.country, records.c.email_display,
                record_customers.c.customer_id,
            )
            .outerjoin(record_customers, record_customers.c.record_id == records.c.id)
            .where(records.c.id.in_(ids))
        ).all()  # fmt: skip
    phones = [(r.phone_e164, r.country) for r in rows if r.phone_e164 and r.country]
    return {
        "phone": phones[:n],
        "email": [r.email_display for r in rows if r.email_display][:n],
        "customer_id": [r.customer_id for r in rows if r.customer_id][:n],
    }


def _national(e164: str, country: str) -> str:
    import phonenumbers

    number = phonenumbers.parse(e164)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def measure(label: str, calls: list[Callable[[], Any]]) -> None:
    for call in calls[:20]:  # warm the statement cache and the connection pool
        call()
    times = []
    statuses: dict[str, int] = {}
    for call in calls:
        started = time.perf_counter()
        found = call()
        times.append((time.perf_counter() - started) * 1000)
        statuses[found.status] = statuses.get(found.status, 0) + 1
    q = statistics.quantiles(times, n=100)
    print(
        f"  {label:<34} n={len(times):>5}  p50 {q[49]:6.2f} ms  p95 {q[94]:6.2f} ms  "
        f"p99 {q[98]:6.2f} ms  max {max(times):7.2f} ms  {statuses}"
    )


def plans(store: Store, phone: str, customer_id: str) -> None:
    statements = {
        "holders by phone key": (_lookup._HOLDERS["phone"], {"key": phone}),
        "customer's records": (_lookup._CUSTOMER_RECORDS, {"customer_id": customer_id}),
        "customer's interactions": (_lookup._CUSTOMER_INTERACTIONS, {"customer_id": customer_id}),
    }
    explain = "EXPLAIN QUERY PLAN " if store.dialect == "sqlite" else "EXPLAIN "
    with store.connection() as conn:
        for name, (statement, params) in statements.items():
            compiled = statement.compile(dialect=conn.dialect)
            bound = compiled.construct_params(params)
            if store.dialect == "sqlite":
                args: Any = tuple(bound[k] for k in compiled.positiontup or ())
            else:
                args = bound
            lines = conn.exec_driver_sql(explain + str(compiled), args).all()
            print(f"  plan: {name}")
            for line in lines:
                print(f"    {line[-1]}")


def run(url: str, paths: dict[str, Path], n: int, seed: int) -> None:
    print(f"store: {url.split('?')[0]}")
    store = Store.open(url)
    with cx360.Hub(store) as hub:
        if store.count_records() == 0:
            with timed() as took:
                hub.ingest_files(paths["records"], paths["interactions"])
            print(f"  ingested in {took[0]:.0f}s")
        with timed() as took:
            made = assign_truth(store, paths["truth"])
        print(f"  {store.count_records()} records, {made} customers (from truth, {took[0]:.0f}s)")
        picked = sample(store, n, seed)
        phones = picked["phone"]
        measure(
            "profile(phone=national, country=)",
            [lambda p=p: hub.profile(phone=_national(*p), country=p[1]) for p in phones],
        )
        measure("profile(email=)", [lambda e=e: hub.profile(email=e) for e in picked["email"]])
        measure(
            "profile(customer_id=)",
            [lambda c=c: hub.profile(customer_id=c) for c in picked["customer_id"]],
        )
        measure(
            "context(phone=national, country=)",
            [lambda p=p: hub.context(phone=_national(*p), country=p[1]) for p in phones],
        )
        plans(store, phones[0][0], picked["customer_id"][0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, help="dataset folder (default bench-data/<N>)")
    parser.add_argument("--sqlite", type=Path, help="SQLite file to use (kept; reused if full)")
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (reused if full)")
    parser.add_argument("--lookups", type=int, default=2_000)
    args = parser.parse_args()
    paths = ensure_dataset(
        args.data or Path("bench-data") / str(args.records), args.records, args.seed
    )
    print(machine())
    sqlite = args.sqlite or Path("bench-data") / f"profile-{args.records}.db"
    run(f"sqlite:///{sqlite}", paths, args.lookups, args.seed)
    if args.postgres:
        run(args.postgres, paths, args.lookups, args.seed)


if __name__ == "__main__":
    main()
