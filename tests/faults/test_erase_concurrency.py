"""An erasure while `resolve_record` calls about the same person arrive, on a real SQLite
file and a real PostgreSQL server, from threads with stores of their own. Two
interleavings are made to happen every time (a call paused before its commit while the
erasure starts; an erasure paused before its commit while a call arrives), then calls
stream from two threads while the erasure runs. Erasure takes
the locks real time takes for the records it erases, so each call runs wholly before the
erasure (its record joins the customer and is erased with it) or wholly after (the
customer is gone: the record starts a customer of its own). No record is left in an
erased customer, no link or pair names an erased record, the store keeps its
invariants, and none of the erased values remains.

The calls' records carry the person's name, birth date and city but none of the erased
identifiers (those a later call would be refused for, `suppressions`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import cx360
import cx360.privacy._tables
from cx360 import Hub, Match
from cx360.privacy import _erase
from cx360.resolve.realtime import _resolver
from cx360.store import Store
from cx360.store._schema import customers, metadata, record_customers, records
from cx360.synthetic import write_dataset
from tests.faults._harness import violations

# Three people, each of three records joined by an e-mail and a phone.
PEOPLE: list[dict[str, str]] = [
    {"first_name": "Eulalia", "last_name": "Quintanilla Zubiría", "date_of_birth": "1981-05-17",
     "city": "Manizales", "email": "eulalia.qz.1981@proton.me", "phone": "+57 315 777 0142"},
    {"first_name": "Fidencio", "last_name": "Benavides Orrego", "date_of_birth": "1969-11-03",
     "city": "Pasto", "email": "fidencio.bo@proton.me", "phone": "+57 316 404 9091"},
    {"first_name": "Zoraida", "last_name": "Manjarrés Ibagón", "date_of_birth": "1990-02-28",
     "city": "Montería", "email": "zoraida.mi.90@proton.me", "phone": "+57 318 222 4455"},
]  # fmt: skip
SOURCES = ("web", "crm", "call_center")
CALLS = 16  # real-time records per person, from two threads


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Store:
    """A resolved store holding the three people among generated ones."""
    out = tmp_path / "people"
    out.mkdir()
    files = dict(write_dataset(out, n_records=300, seed=31, fmt="csv"))
    opened = Store.open(store_url)
    hub = Hub(opened)
    hub.ingest_files(records=files["records"], interactions=files["interactions"])
    hub.ingest(
        records=[
            {"source": source, "source_record_id": f"ec-{n}-{source}", "country": "CO", **person}
            for n, person in enumerate(PEOPLE)
            for source in SOURCES
        ]
    )
    hub.resolve()
    # the store's first erasure makes its salt: a store that has none yet is not the case
    hub.erase(email="nadie.aqui.77@proton.me", reason="request 11", by="dpo")
    hub.close()
    return opened


def _arrivals(n: int) -> list[dict[str, str]]:
    person = PEOPLE[n]
    kept = ("first_name", "last_name", "date_of_birth", "city")
    return [
        {"source": "app", "source_record_id": f"rt-{n}-{i}", "country": "CO",
         **{k: person[k] for k in kept}}
        for i in range(CALLS)
    ]  # fmt: skip


def _customer_of(store: Store, n: int) -> str:
    with store.connection() as conn:
        found = conn.execute(
            select(func.min(record_customers.c.customer_id))
            .join(records, records.c.id == record_customers.c.record_id)
            .where(records.c.source_record_id == f"ec-{n}-web")
        ).scalar_one()
    assert found is not None
    return str(found)


def _stream(
    url: str, rows: list[dict[str, str]], out: dict[str, str], started: threading.Event
) -> None:
    """`resolve_record` of each row, one after another: the customer each joined."""
    with cx360.connect(url) as hub:
        for row in rows:
            match = hub.resolve_record(row)
            out[row["source_record_id"]] = str(match.customer_id)
            started.set()


def _erase_during_calls(store: Store, n: int) -> tuple[str, dict[str, str]]:
    """Person `n`'s customer erased while two threads send their records; the customer
    and what each call answered."""
    customer_id = _customer_of(store, n)
    arrivals = _arrivals(n)
    answered: dict[str, str] = {}
    started = threading.Event()
    threads = [
        threading.Thread(target=_stream, args=(store.url, arrivals[i::2], answered, started))
        for i in range(2)
    ]
    for thread in threads:
        thread.start()
    assert started.wait(120)
    time.sleep(0.05)  # a few calls in: the erasure meets the ones still arriving
    with cx360.connect(store.url) as hub:
        receipt = hub.erase(customer_id=customer_id, reason="request 12", by="dpo")
    for thread in threads:
        thread.join(300)
    assert receipt.removed["records"] >= len(SOURCES)
    assert len(answered) == CALLS
    return customer_id, answered


def _held(store: Store) -> dict[str, str]:
    """Every stored record's key, and its customer."""
    with store.connection() as conn:
        rows = conn.execute(
            select(records.c.source_record_id, record_customers.c.customer_id).outerjoin(
                record_customers, record_customers.c.record_id == records.c.id
            )
        ).all()
    return {str(key): str(customer) for key, customer in rows}


def _anywhere(store: Store, values: list[str]) -> list[str]:
    hits: list[str] = []
    with store.connection() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                text = json.dumps({k: str(v) for k, v in row.items()}, ensure_ascii=False)
                hits += [f"{table.name}: {v}" for v in values if v in text]
    return hits


class _Gate:
    """Where a thread stops until the test lets it go on: `reached` once it is there."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.go = threading.Event()

    def stop_here(self) -> None:
        self.reached.set()
        assert self.go.wait(120)


def _in_thread(call: Callable[[], Any], out: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        try:
            out["result"] = call()
        except BaseException as error:  # the test reports it
            out["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _erase_thread(url: str, customer_id: str, out: dict[str, Any]) -> threading.Thread:
    def erase() -> Any:
        with cx360.connect(url) as hub:
            return hub.erase(customer_id=customer_id, reason="request 12", by="dpo")

    return _in_thread(erase, out)


def _call_thread(url: str, row: dict[str, str], out: dict[str, Any]) -> threading.Thread:
    def call() -> Match:
        with cx360.connect(url) as hub:
            return hub.resolve_record(row)

    return _in_thread(call, out)


@pytest.fixture
def call_gates(monkeypatch: pytest.MonkeyPatch) -> dict[str, _Gate]:
    """Real-time calls of the records named here stop after deciding, before their
    commit (holding their locks, their links written)."""
    gates: dict[str, _Gate] = {}

    class Pausing(_resolver._Decision):
        def run(self) -> Match:
            match = super().run()
            gate = gates.get(self.ref.source_record_id)
            if gate is not None:
                gate.stop_here()
            return match

    monkeypatch.setattr(_resolver, "_Decision", Pausing)
    return gates


def _ended(thread: threading.Thread, out: dict[str, Any]) -> Any:
    thread.join(120)
    assert not thread.is_alive()
    if "error" in out:
        raise out["error"]
    return out["result"]


def test_a_call_in_flight_joins_before_the_erasure(
    store: Store, call_gates: dict[str, _Gate]
) -> None:
    customer_id = _customer_of(store, 0)
    row = _arrivals(0)[0]
    gate = call_gates[row["source_record_id"]] = _Gate()
    called: dict[str, Any] = {}
    erased: dict[str, Any] = {}
    call = _call_thread(store.url, row, called)
    assert gate.reached.wait(120)
    erasing = _erase_thread(store.url, customer_id, erased)
    erasing.join(0.5)
    assert erasing.is_alive()  # it waits for the call's locks
    gate.go.set()
    assert _ended(call, called).customer_id == customer_id
    receipt = _ended(erasing, erased)
    assert receipt.removed["records"] == len(SOURCES) + 1  # the call's record went too
    assert violations(store.url) == {}
    assert not any(key.startswith(("ec-0-", "rt-0-")) for key in _held(store))


def test_a_call_during_the_erasure_comes_after_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = _customer_of(store, 0)
    gate = _Gate()
    resolve_remaining = _erase._resolve_remaining

    def pausing(*args: Any, **kwargs: Any) -> Any:
        gate.stop_here()  # its deletes done, not committed
        return resolve_remaining(*args, **kwargs)

    monkeypatch.setattr(_erase, "_resolve_remaining", pausing)
    erased: dict[str, Any] = {}
    called: dict[str, Any] = {}
    erasing = _erase_thread(store.url, customer_id, erased)
    assert gate.reached.wait(120)
    call = _call_thread(store.url, _arrivals(0)[0], called)
    call.join(0.5)
    assert call.is_alive()  # it waits for the erasure's locks
    gate.go.set()
    assert _ended(erasing, erased).removed["records"] == len(SOURCES)
    match = _ended(call, called)
    assert match.customer_id != customer_id  # the customer was gone: one of its own
    held = _held(store)
    assert held["rt-0-0"] == match.customer_id
    assert [k for k, c in held.items() if c == match.customer_id] == ["rt-0-0"]
    assert violations(store.url) == {}


def test_erasure_and_streaming_calls_take_turns(store: Store) -> None:
    joined_before = 0
    for n in range(len(PEOPLE)):
        customer_id, answered = _erase_during_calls(store, n)
        assert violations(store.url) == {}
        held = _held(store)
        with store.connection() as conn:
            left = conn.execute(
                select(func.count())
                .select_from(customers)
                .where(
                    (customers.c.customer_id == customer_id)
                    | (customers.c.merged_into == customer_id)
                )
            ).scalar_one()
        assert left == 0  # the customer and its aliases are gone
        assert not any(key.startswith(f"ec-{n}-") for key in held)
        for key, answer in answered.items():
            if answer == customer_id:  # before the erasure: erased with the customer
                joined_before += 1
                assert key not in held, key
            else:  # after it: stored, in a customer of the calls' records alone
                assert key in held, key
                assert held[key] != customer_id
                fellows = [k for k, c in held.items() if c == held[key]]
                assert all(k.startswith(f"rt-{n}-") for k in fellows), fellows
        person = PEOPLE[n]
        digits = "".join(ch for ch in person["phone"] if ch.isdigit())
        assert _anywhere(store, [person["email"], digits[-10:]]) == []
    assert joined_before > 0  # the calls before an erasure did join the customer


def test_a_call_with_an_erased_identifier_during_the_erasure_is_refused(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call carrying the person's e-mail arrives while the erasure writes: it waits for
    the erasure's locks, then finds the e-mail on the suppression list and stores nothing."""
    customer_id = _customer_of(store, 1)
    gate = _Gate()
    resolve_remaining = _erase._resolve_remaining

    def pausing(*args: Any, **kwargs: Any) -> Any:
        gate.stop_here()  # its deletes and suppressions written, not committed
        return resolve_remaining(*args, **kwargs)

    monkeypatch.setattr(_erase, "_resolve_remaining", pausing)
    erased: dict[str, Any] = {}
    called: dict[str, Any] = {}
    erasing = _erase_thread(store.url, customer_id, erased)
    assert gate.reached.wait(120)
    row = {**_arrivals(1)[0], "email": PEOPLE[1]["email"]}
    call = _call_thread(store.url, row, called)
    call.join(0.5)
    assert call.is_alive()  # it waits for the erasure's locks
    gate.go.set()
    assert _ended(erasing, erased).removed["records"] == len(SOURCES)
    with pytest.raises(cx360.SchemaError, match="erased"):
        _ended(call, called)
    assert row["source_record_id"] not in _held(store)
    assert _anywhere(store, [PEOPLE[1]["email"]]) == []
    assert violations(store.url) == {}
