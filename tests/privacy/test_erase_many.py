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
from sqlalchemy import create_engine, event, func, select, text

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


# People whose erasures share rows within one chunk: a family (a landline, a surname, a
# scored pair and a steward's separation between two customers), a person whose halves
# one record joins, and one more person; interactions of different counts per record.
SHARING: list[dict[str, Any]] = [
    {"source": "store", "source_record_id": "sh-f1", "first_name": "Zoraida",
     "last_name": "Benavides Orrego", "phone": "+57 604 444 9091",
     "email": "zoraida.bo@proton.me"},
    {"source": "store", "source_record_id": "sh-f2", "first_name": "Fidencio",
     "last_name": "Benavides Orrego", "phone": "+57 604 444 9091",
     "email": "fidencio.bo@proton.me"},
    {"source": "web", "source_record_id": "sh-f3", "first_name": "Fidencio",
     "last_name": "Benavides Orrego", "email": "fidencio.bo@proton.me"},
    {"source": "web", "source_record_id": "sh-a1", "first_name": "Eulalia",
     "last_name": "Quintanilla Zubiría", "email": "eulalia.qz.1981@proton.me"},
    {"source": "crm", "source_record_id": "sh-x", "first_name": "Eulalia",
     "last_name": "Quintanilla Zubiría", "email": "eulalia.qz.1981@proton.me",
     "phone": "+57 315 777 0142"},
    {"source": "whatsapp", "source_record_id": "sh-b1", "first_name": "Eulalia",
     "last_name": "Quintanilla Zubiría", "phone": "+57 315 777 0142"},
    {"source": "app", "source_record_id": "sh-t1", "first_name": "Teodomiro",
     "last_name": "Villaquirán Ospitia", "email": "teodomiro.vo@proton.me"},
    {"source": "crm", "source_record_id": "sh-t2", "first_name": "Teodomiro",
     "last_name": "Villaquirán Ospitia", "email": "teodomiro.vo@proton.me",
     "city": "Popayán"},
    {"source": "store", "source_record_id": "sh-t3", "first_name": "Teodomiro",
     "last_name": "Villaquirán Ospitia", "email": "tvillaquiran@proton.me"},
]  # fmt: skip
SHARING_INTERACTIONS = {"sh-f1": 4, "sh-f2": 1, "sh-f3": 2, "sh-a1": 2, "sh-x": 1,
                        "sh-b1": 3, "sh-t1": 5}  # fmt: skip


def _with_sharing(store: Store, dataset: dict[str, Path]) -> Hub:
    """The generated people and `SHARING`, resolved, with a second version of some
    records and interactions, a steward's separation inside the family and link (an
    alias) of Teodomiro's, consents, and quarantined rows holding the family's landline
    and Eulalia's e-mail."""
    hub = Hub(store)
    hub.ingest_files(records=dataset["records"], interactions=dataset["interactions"])
    source_of = {row["source_record_id"]: row["source"] for row in SHARING}
    calls = [
        {"interaction_id": f"{key}-i{n}", "source": source_of[key], "source_record_id": key,
         "occurred_at": f"2024-0{n % 9 + 1}-1{n}", "type": "contact", "summary": "llamada"}
        for key, count in SHARING_INTERACTIONS.items() for n in range(count)
    ]  # fmt: skip
    hub.ingest(records=SHARING, interactions=calls)
    hub.ingest(
        records=[{**SHARING[0], "email": "zoraida.b.old@proton.me"},
                 {**SHARING[5], "city": "Manizales"}],
        interactions=[{**calls[0], "status": "cerrado"}, {**calls[-1], "status": "abierto"}],
    )  # fmt: skip
    hub.ingest(records=[SHARING[0], {**SHARING[5], "city": "Manizales"}])
    hub.ingest(
        records=[{"source": "store", "first_name": "Zoraida", "phone": "+57 604 444 9091"},
                 {"source": "web", "email": "eulalia.qz.1981@proton.me"}]
    )  # fmt: skip
    hub.separate_records(("store", "sh-f1"), ("store", "sh-f2"), reason="two people", by="s1")
    hub.resolve()
    # the steward joins Teodomiro's third record: its customer becomes an alias
    hub.link_records(("app", "sh-t1"), ("store", "sh-t3"), reason="same person", by="s1")
    hub.resolve()
    hub.record_consent("marketing", "granted", record=("store", "sh-f2"), source="web")
    teodomiro = hub.profile(record=("app", "sh-t1")).profile
    assert teodomiro is not None and teodomiro.customer_id is not None
    hub.record_consent("service", "granted", customer_id=teodomiro.customer_id, source="app")
    return hub


def _sharing_subjects(hub: Hub) -> list[dict[str, Any]]:
    """In one chunk: the family's two customers (independent erasures sharing a scored
    pair, the steward's separation, the landline's quarantined row and the surname), the
    bridge record, then its customer (which held the bridge) and its phone, and a third
    person."""

    def customer_of(source: str, key: str) -> str:
        profile = hub.profile(record=(source, key)).profile
        assert profile is not None and profile.customer_id is not None
        return profile.customer_id

    eulalia = customer_of("web", "sh-a1")
    assert customer_of("store", "sh-f1") != customer_of("store", "sh-f2")
    assert customer_of("crm", "sh-x") == customer_of("whatsapp", "sh-b1") == eulalia
    return [
        {"customer_id": customer_of("store", "sh-f1")},
        {"email": "fidencio.bo@proton.me"},
        {"record": ("crm", "sh-x")},
        {"customer_id": eulalia},
        {"phone": "+57 315 777 0142", "country": "CO"},
        {"customer_id": customer_of("crm", "sh-t2")},
    ]


def _rows_by_key(store: Store) -> dict[str, set[tuple[str, ...]]]:
    """Every table a receipt counts, as the primary keys of its rows (and, for the
    links, the records each names: the links among what remains are written again)."""
    found: dict[str, set[tuple[str, ...]]] = {}
    with store.connection() as conn:
        for name in _erase._TABLES:
            table = metadata.tables[name]
            columns = list(table.primary_key.columns)
            if name == "record_links":
                columns += [table.c.record_id_l, table.c.record_id_r]
            found[name] = {tuple(map(str, row)) for row in conn.execute(select(*columns))}
    return found


def _removed_between(
    before: dict[str, set[tuple[str, ...]]], after: dict[str, set[tuple[str, ...]]]
) -> dict[str, int]:
    """The rows gone per table; of the links, those naming a record that went."""
    gone_records = {key[0] for key in before["records"] - after["records"]}
    removed = {name: len(before[name] - after[name]) for name in before}
    removed["record_links"] = sum(
        1 for key in before["record_links"] - after["record_links"]
        if key[1] in gone_records or key[2] in gone_records
    )  # fmt: skip
    return removed


def test_each_receipt_counts_the_rows_its_erasure_removes(
    store: Store, twin_url: str, dataset: dict[str, Path]
) -> None:
    """One call erasing subjects that share rows: each receipt counts what erasing that
    subject alone (after the ones before it) removes from the store, measured on a twin
    store by the rows that go, not by the receipts' own counting."""
    together = _with_sharing(store, dataset)
    twin = Store.open(twin_url)
    alone = _with_sharing(twin, dataset)
    try:
        asked, asked_twin = _sharing_subjects(together), _sharing_subjects(alone)
        expected: list[dict[str, int]] = []
        for subject in asked_twin:
            before = _rows_by_key(twin)
            alone.erase_many([subject], reason="request 9", by="dpo")
            expected.append(_removed_between(before, _rows_by_key(twin)))
        before = _rows_by_key(store)
        receipts = together.erase_many(asked, reason="request 9", by="dpo")
        assert [r.removed for r in receipts] == expected
        # the chunk's rows gone are the receipts' (a customer the bridge's split made
        # and a later erasure removed was not there before)
        gone = _removed_between(before, _rows_by_key(store))
        for table in _erase._TABLES:
            counted = sum(one[table] for one in expected)
            assert gone[table] == counted - (table == "customers"), table
        # what makes the attribution matter: rows of one table in several receipts
        for table in ("records", "interactions", "match_edges", "term_frequencies"):
            assert sum(1 for one in expected if one[table]) >= 2, table
        assert len({one["interactions"] for one in expected}) >= 3
        assert expected[0]["overrides"] == 1 and expected[1]["overrides"] == 0
        assert expected[0]["quarantine"] >= 1 and expected[0]["consent_events"] == 0
        assert expected[1]["consent_events"] == 1 and expected[5]["consent_events"] == 1
        assert expected[5]["customers"] == 2  # and its alias
    finally:
        together.close()
        alone.close()
        twin.close()


def test_an_erasure_starts_holding_its_locks(store: Store) -> None:
    """What a chunk erases is read before its transaction, which starts holding the
    locks of it: with nothing arriving meanwhile, no transaction is rolled back to start
    again holding more (each erasure is one transaction)."""
    hub = Hub(store)
    ended: list[str] = []
    try:
        hub.ingest(records=PEOPLE)
        event.listen(store.engine, "commit", lambda conn: ended.append("commit"))
        event.listen(store.engine, "rollback", lambda conn: ended.append("rollback"))
        hub.erase(record=("crm", "tw-x"), reason="request 3", by="dpo")
        family = {"phone": "+57 604 444 9091", "country": "CO"}
        hub.erase_many([family, {"email": "eulalia.qz.1981@proton.me"}], reason="r 3", by="dpo")
        assert ended.count("rollback") == 0, ended
        assert ended.count("commit") >= 2
        with store.connection() as conn:
            left = conn.execute(select(records.c.source_record_id)).scalars().all()
        assert sorted(left) == ["tw-b1", "tw-f3"]  # the bridge, the phone's, the e-mail's went
    finally:
        hub.close()
