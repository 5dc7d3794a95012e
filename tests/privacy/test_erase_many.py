"""Many erasures in one transaction come out as the same erasures one at a time: the same
rows removed per table and per receipt, the same customers left, on twin stores (real
SQLite files, real PostgreSQL schemas) resolved from the same records. And erasure locks
what real time locks for the records it erases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

import cx360.privacy._tables  # noqa: F401  (the privacy tables share the metadata)
from cx360 import Hub
from cx360.ingest._prepare import prepare_record
from cx360.privacy import _erase
from cx360.resolve._blocking import OTHERS_COLUMN, others_text
from cx360.resolve.realtime import lock_names
from cx360.store import Store
from cx360.store._schema import metadata, record_customers, records
from cx360.store._writes import EXTRA_IDENTIFIERS
from cx360.synthetic import write_dataset

# One person whose two halves only the third record joins, and a family's landline.
PEOPLE: list[dict[str, Any]] = [
    {"source": "web", "source_record_id": "tw-a1", "first_name": "Eulalia",
     "last_name": "Quintanilla Zubiría", "email": "eulalia.qz.1981@proton.me"},
    {"source": "crm", "source_record_id": "tw-x", "first_name": "Eulalia",
     "last_name": "Quintanilla Zubiría", "email": "eulalia.qz.1981@proton.me",
     "phone": "+57 315 777 0142"},
    {"source": "whatsapp", "source_record_id": "tw-b1", "first_name": "Eulalia",
     "last_name": "Quintanilla Zubiría", "phone": "+57 315 777 0142"},
    {"source": "store", "source_record_id": "tw-f1", "first_name": "Zoraida",
     "last_name": "Benavides Orrego", "phone": "+57 604 444 9091"},
    {"source": "store", "source_record_id": "tw-f2", "first_name": "Fidencio",
     "last_name": "Benavides Orrego", "phone": "+57 604 444 9091",
     "email": "fidencio.bo@proton.me"},
    {"source": "web", "source_record_id": "tw-f3", "first_name": "Fidencio",
     "last_name": "Benavides Orrego", "email": "fidencio.bo@proton.me"},
]  # fmt: skip


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("people")
    return dict(write_dataset(out, n_records=400, seed=29, fmt="csv"))


@pytest.fixture
def twin_url(store_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty store beside `store_url` (a file, or a schema of the same server)."""
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'twin.db'}"
        return
    base = store_url.split("?", 1)[0]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _resolved(store: Store, dataset: dict[str, Path]) -> Hub:
    hub = Hub(store)
    hub.ingest_files(records=dataset["records"], interactions=dataset["interactions"])
    hub.ingest(records=PEOPLE)
    hub.resolve()
    return hub


def _subjects(hub: Hub, store: Store) -> list[dict[str, Any]]:
    """Customers of several records (named by their first record, so both stores name the
    same people), single records, identifiers, and subjects that overlap: a record and an
    e-mail of a customer erased whole, the same customer twice."""
    with store.connection() as conn:
        first = (
            select(func.min(records.c.id))
            .join(record_customers, record_customers.c.record_id == records.c.id)
            .where(~records.c.source_record_id.startswith("tw-"))
            .group_by(record_customers.c.customer_id)
            .having(func.count() >= 2)
        )
        several = conn.execute(
            select(records.c.source, records.c.source_record_id)
            .where(records.c.id.in_(first))
            .order_by(records.c.source_record_id)
            .limit(12)
        ).all()
    found: list[dict[str, Any]] = []
    for source, key in several:
        profile = hub.profile(record=(source, key)).profile
        assert profile is not None and profile.customer_id is not None
        found.append({"customer_id": profile.customer_id})
    return [
        *found[:6],
        {"record": ("crm", "tw-x")},  # the bridge: its customer splits in two
        {"phone": "+57 604 444 9091", "country": "CO"},  # a family's: two customers
        {"email": "fidencio.bo@proton.me"},  # held by a record the phone erased already
        {"record": (several[6][0], several[6][1])},  # a record, then its customer
        *found[6:],
        found[0],  # erased already
        {"email": "nadie.aqui.77@proton.me"},  # held by no one
    ]


def _state(store: Store) -> tuple[dict[str, int], set[frozenset[str]]]:
    """Every table's row count, and the customers as sets of their records' keys."""
    counts: dict[str, int] = {}
    with store.connection() as conn:
        for table in metadata.sorted_tables:
            counts[table.name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
        members: dict[str, set[str]] = {}
        for customer_id, source, key in conn.execute(
            select(record_customers.c.customer_id, records.c.source, records.c.source_record_id)
            .join(records, records.c.id == record_customers.c.record_id)
        ):  # fmt: skip
            members.setdefault(customer_id, set()).add(f"{source}/{key}")
    for volatile in ("erasures", "alembic_version", "batches", "resolution_runs"):
        counts.pop(volatile, None)
    return counts, {frozenset(m) for m in members.values()}


def test_erase_many_equals_one_at_a_time(
    store: Store, twin_url: str, dataset: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    together = _resolved(store, dataset)
    twin = Store.open(twin_url)
    one_by_one = _resolved(twin, dataset)
    try:
        assert _state(store) == _state(twin)  # the twins start alike
        asked = _subjects(together, store)
        asked_twin = _subjects(one_by_one, twin)
        in_one = together.erase_many(asked, reason="request 7", by="dpo")
        monkeypatch.setattr(_erase, "CHUNK", 1)
        each = one_by_one.erase_many(asked_twin, reason="request 7", by="dpo")
        assert [(r.subject_kind, r.removed, r.customers_after, len(r.references),
                 [o["kind"] for o in r.overrides]) for r in in_one] == [
            (r.subject_kind, r.removed, r.customers_after, len(r.references),
             [o["kind"] for o in r.overrides]) for r in each
        ]  # fmt: skip
        assert sum(r.removed["records"] for r in in_one) > 20
        assert sum(r.customers_after["new"] for r in in_one) >= 1  # the bridge's split
        assert in_one[-2].removed["records"] == 0 and in_one[-1].removed["records"] == 0
        assert _state(store) == _state(twin)
    finally:
        together.close()
        one_by_one.close()
        twin.close()


def test_erasure_locks_the_names_real_time_locks(store: Store) -> None:
    row = {"source": "app", "source_record_id": "lk-1", "first_name": "Aurelio",
           "last_name": "Manjarrés Ibagón", "email": "aurelio.mi@proton.me",
           "phone": "+57 318 222 4455; +57 604 333 1122", "national_id": "80123456",
           "country": "CO", "date_of_birth": "1977-03-02"}  # fmt: skip
    hub = Hub(store)
    try:
        hub.ingest(records=[row])
        prepared = prepare_record(row, None, {})
        assert not isinstance(prepared, _erase.Quarantined)
        real_time = lock_names(
            {**prepared, OTHERS_COLUMN: others_text(prepared.get(EXTRA_IDENTIFIERS) or ())}
        )
        with store.connection() as conn:
            stored = conn.execute(
                select(records.c.id, records.c.source, records.c.source_record_id)
            ).all()
            assert _erase.stored_lock_names(conn, stored) == set(real_time)
        assert len(real_time) > 3
    finally:
        hub.close()
