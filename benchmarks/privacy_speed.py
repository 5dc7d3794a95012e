"""What the consent ledger and the access log cost a context lookup, on a resolved store.

    python benchmarks/privacy_speed.py --store sqlite:///bench-data/rt-1m.db --copy
    python benchmarks/privacy_speed.py --store postgresql://.../cx360_rt --copy

On a copy of the store (SQLite: the file; PostgreSQL: CREATE DATABASE ... TEMPLATE), one
customer in ten gets two recorded consent events, then `hub.context` by phone is timed
for `--lookups` customers in three ways, interleaved call by call so that the machine's
noise falls on all three alike:

- `ledger off`: the lookup without reading recorded consents (the baseline: its
  statements built without their consent parts);
- `as shipped`: the lookup as it is, reading the customer's recorded consents in the
  statement that reads its view;
- `with actor`: as shipped, and the read written to the access log (PostgreSQL: in the
  lookup's statement; SQLite: an insert and its commit after it).

Prints p50/p95 of each and the differences of the p50s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from _common import copy_store, machine
from sqlalchemy import bindparam, select, union_all

import cx360
from cx360.privacy._tables import consent_events
from cx360.profile import _lookup
from cx360.store import utcnow
from cx360.store._schema import record_customers, records


def _sample(hub: Any, lookups: int, seed: int) -> list[tuple[str, str]]:
    """(phone, customer_id) of `lookups` customers holding a phone, drawn at random."""
    with hub._store.connection() as conn:
        top = conn.execute(select(records.c.id).order_by(records.c.id.desc()).limit(1))
        last = int(top.scalar_one())
        rng = random.Random(seed)
        found: dict[str, str] = {}
        while len(found) < lookups:
            ids = [rng.randint(1, last) for _ in range(lookups * 4)]
            rows = conn.execute(
                select(records.c.phone_e164, record_customers.c.customer_id)
                .join(record_customers, record_customers.c.record_id == records.c.id)
                .where(records.c.id.in_(ids), records.c.phone_e164.is_not(None))
            )
            for phone, customer_id in rows:
                found.setdefault(customer_id, phone)
    return [(phone, cid) for cid, phone in list(found.items())[:lookups]]


def _add_consents(hub: Any, customers: list[str]) -> None:
    now = utcnow()
    rows = [
        {"customer_id": cid, "purpose": "marketing", "channel": channel, "status": status,
         "given_at": now, "source": "bench", "recorded_at": now}
        for cid in customers
        for channel, status in (("whatsapp", "granted"), (None, "revoked"))
    ]  # fmt: skip
    with hub._store.transaction() as conn:
        conn.execute(consent_events.insert(), rows)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--copy", action="store_true", help="time a fresh copy of --store")
    parser.add_argument("--lookups", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = args.store
    if args.copy:
        url = copy_store(url, "privacy")
    print(machine())
    hub = cx360.connect(url)
    print(f"store: {hub.status().backend}, {hub.status().records:,} records")
    sample = _sample(hub, args.lookups, args.seed)
    _add_consents(hub, [cid for _, cid in sample[::10]])
    shipped = (_lookup._HOLDERS, _lookup._CUSTOMER_VIEW, _lookup.recorded_events)
    parts = _lookup._consent_parts
    _lookup._consent_parts = lambda customer: []  # type: ignore[assignment]
    without = (
        {kind: _lookup._holders_and_view(kind, key) for kind, key in _lookup._KEY_COLUMNS.items()},
        union_all(*_lookup._customer_view(bindparam("customer_id"))),
        lambda *_: [],
    )
    _lookup._consent_parts = parts  # type: ignore[assignment]

    def ledger_off(phone: str) -> None:
        _lookup._HOLDERS, _lookup._CUSTOMER_VIEW, _lookup.recorded_events = without
        try:
            hub.context(phone=phone)
        finally:
            _lookup._HOLDERS, _lookup._CUSTOMER_VIEW, _lookup.recorded_events = shipped

    ways: dict[str, Callable[[str], Any]] = {
        "ledger off": ledger_off,
        "as shipped": lambda phone: hub.context(phone=phone),
        "with actor": lambda phone: hub.context(phone=phone, actor="bench", purpose="timing"),
    }
    for phone, _ in sample[:50]:  # warm-up: statements compiled, pages cached
        for call in ways.values():
            call(phone)
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    for phone, _ in sample:
        for name, call in ways.items():
            started = time.perf_counter()
            call(phone)
            seconds[name].append(time.perf_counter() - started)
    for name, values in seconds.items():
        print(
            f"context {name:<11}: p50 {_p(values, 0.5):6.3f} ms  p95 {_p(values, 0.95):6.3f} ms"
            f"  mean {statistics.fmean(values) * 1e3:6.3f} ms  (n={len(values):,})"
        )
    base = _p(seconds["ledger off"], 0.5)
    print(f"consent ledger read adds {_p(seconds['as shipped'], 0.5) - base:+.3f} ms (p50)")
    print(f"access-log write adds   {_p(seconds['with actor'], 0.5) - base:+.3f} ms (p50)")
    hub.close()


if __name__ == "__main__":
    main()
