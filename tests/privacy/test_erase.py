"""Erasure: a customer, a record or an identifier leaves every table (and, on SQLite, the
file's bytes); what remains of a customer is resolved again (a bridge record erased
splits it); the suppression list keeps re-ingested rows out as 'erased' with none of
their values, unless the person is let back in; receipts; no identifier in logs or
messages. Real SQLite and PostgreSQL stores, resolved by the real pipeline."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

import cx360.privacy._tables  # noqa: F401  (the privacy tables share the metadata)
from cx360 import Hub, InputError, NotFoundError, SchemaError
from cx360.cli import main
from cx360.normalize import normalize_email, normalize_phone
from cx360.privacy import _erase
from cx360.store import Store
from cx360.store._schema import (
    customers,
    match_edges,
    metadata,
    quarantine,
    record_customers,
    records,
    term_frequencies,
)
from cx360.synthetic import write_dataset
from tests._stores import BuiltStores, built_stores

# One person whose two halves only a third record joins: an e-mail half and a phone half.
BRIDGE_NAME = {"first_name": "Eulalia", "last_name": "Quintanilla Zubiría"}
EMAIL, PHONE = "eulalia.qz.1981@proton.me", "+57 315 777 0142"
BRIDGE: list[dict[str, Any]] = [
    {"source": "web", "source_record_id": "br-a1", "email": EMAIL, "date_of_birth": "1981-05-17"},
    {"source": "app", "source_record_id": "br-a2", "email": EMAIL, "city": "Manizales"},
    {"source": "crm", "source_record_id": "br-x", "email": EMAIL, "phone": PHONE},
    {"source": "whatsapp", "source_record_id": "br-b1", "phone": PHONE},
    {"source": "call_center", "source_record_id": "br-b2", "phone": PHONE, "city": "Manizales"},
]  # fmt: skip
# A family's landline: two people, each with records of their own.
FAMILY_PHONE = "+57 604 444 9091"
FAMILY: list[dict[str, Any]] = [
    {"source": "store", "source_record_id": "fam-1", "first_name": "Zoraida",
     "last_name": "Benavides Orrego", "phone": FAMILY_PHONE, "email": "zoraida.bo@proton.me"},
    {"source": "store", "source_record_id": "fam-2", "first_name": "Fidencio",
     "last_name": "Benavides Orrego", "phone": FAMILY_PHONE, "email": "fidencio.bo@proton.me"},
    {"source": "web", "source_record_id": "fam-3", "first_name": "Fidencio",
     "last_name": "Benavides Orrego", "email": "fidencio.bo@proton.me"},
]  # fmt: skip


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("people")
    return dict(write_dataset(out, n_records=900, seed=23, fmt="csv"))


@pytest.fixture(scope="module")
def resolved(
    dataset: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BuiltStores]:
    """The generated people, the bridge and the family, ingested and resolved once per
    backend; each test erases from a copy of its own."""

    def build(hub: Hub) -> None:
        hub.ingest_files(records=dataset["records"], interactions=dataset["interactions"])
        hub.ingest(records=[BRIDGE_NAME | row for row in BRIDGE] + FAMILY)
        hub.resolve()

    with built_stores(build, tmp_path_factory.mktemp("erase-built")) as stores:
        yield stores


@pytest.fixture
def hub(store: Store, store_url: str, resolved: BuiltStores) -> Iterator[Hub]:
    resolved.copy_into(store, store_url)
    hub = Hub(store)
    yield hub
    hub.close()


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _customer_of(hub: Hub, source: str, key: str) -> str:
    found = hub.profile(record=(source, key)).profile
    assert found is not None and found.customer_id is not None
    return found.customer_id


def _sole_customer(hub: Hub, store: Store) -> tuple[str, list[dict[str, Any]]]:
    """A customer of several records, with interactions, whose identifiers no other
    customer holds; its records' rows."""
    with store.connection() as conn:
        sizes = conn.execute(
            select(record_customers.c.customer_id, func.count())
            .group_by(record_customers.c.customer_id)
            .having(func.count() >= 3)
            .order_by(func.count().desc(), record_customers.c.customer_id)
        ).all()
        for customer_id, _ in sizes:
            held = [
                dict(r)
                for r in conn.execute(
                    select(records)
                    .join(record_customers, record_customers.c.record_id == records.c.id)
                    .where(record_customers.c.customer_id == customer_id)
                ).mappings()
            ]
            if any(
                r["source"] in ("crm", "store", "whatsapp", "call_center")
                and r["source_record_id"].startswith(("br-", "fam-"))
                for r in held
            ):
                continue  # fmt: skip
            if not _identifiers_only_theirs(conn, customer_id, held):
                continue
            return str(customer_id), held
    raise AssertionError("no customer fits")


def _identifiers_only_theirs(conn: Any, customer_id: str, held: list[dict[str, Any]]) -> bool:
    for column in ("email_key", "phone_key", "national_id_key", "handle_key"):
        values = {r[column] for r in held} - {None}
        if not values:
            continue
        others = conn.execute(
            select(func.count())
            .select_from(records.outerjoin(record_customers))
            .where(
                records.c[column].in_(values),
                (record_customers.c.customer_id != customer_id)
                | record_customers.c.customer_id.is_(None),
            )
        ).scalar_one()
        if others:
            return False
    return True


def _their_values(held: list[dict[str, Any]]) -> set[str]:
    """What must be gone: each record's identifiers as given and normalized, its key."""
    found: set[str] = set()
    for r in held:
        for column in ("email_key", "email_display", "phone_e164", "national_id",
                       "national_id_key", "handle_key"):  # fmt: skip
            if r[column] and len(r[column]) >= 6:
                found.add(r[column])
        raw = r["raw"] or {}
        for column, value in raw.items():
            if not isinstance(value, str) or len(value.strip()) < 6:
                continue
            email = normalize_email(value) if column == "email" else None
            phone = normalize_phone(value, raw.get("country")) if column == "phone" else None
            if (
                (email and email.match_key)
                or (phone and phone.e164)
                or column in ("national_id", "handle")
            ):
                found.add(value.strip())
        if len(r["source_record_id"]) >= 8:
            found.add(r["source_record_id"])
    return found


def _scan(store: Store, values: set[str]) -> list[str]:
    """Every table and column, every row, as text: where any of the values appears."""
    hits: list[str] = []
    with store.connection() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    shown = (
                        json.dumps(value, ensure_ascii=False)
                        if isinstance(value, dict | list)
                        else str(value)
                    )
                    hits += [f"{table.name}.{column}" for v in values if v in shown]
    return hits


def _secure_delete_off(dbapi_connection: Any, _record: object) -> None:
    dbapi_connection.execute("PRAGMA secure_delete = OFF")


def _file_bytes_hold(store: Store, values: set[str]) -> list[str]:
    with store.transaction() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    path = Path(store.url.removeprefix("sqlite:///"))
    data = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    return sorted(v for v in values if v.encode() in data)


def test_an_erased_customer_leaves_no_trace_and_stays_out(
    hub: Hub, store: Store, dataset: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    customer_id, held = _sole_customer(hub, store)
    email = next(r["email_display"] for r in held if r["email_display"])
    first = (held[0]["source"], held[0]["source_record_id"])
    hub.record_consent("marketing", "granted", customer_id=customer_id, source="web", by="bot")
    hub.record_consent("service", "granted", record=first, source="web", by="bot")
    other = next(
        (r.source, r.source_record_id)
        for r in hub.profile(record=("crm", "br-x")).profile.records  # type: ignore[union-attr]
    )
    hub.separate_records(first, other, reason="not the same person", by="steward")
    with store.transaction() as conn:  # a row set aside holding their e-mail
        conn.execute(
            quarantine.insert().values(
                kind="records", reason="missing_key", raw={"correo": email.upper(), "nombre": "x"},
                created_at=held[0]["ingested_at"],
            )
        )  # fmt: skip
    values = _their_values(held)
    assert _scan(store, values)  # there before
    if store.dialect == "sqlite":
        assert _file_bytes_hold(store, values)
        # connections as a SQLite built without SECURE_DELETE (most are) opens them
        event.listen(store.engine, "connect", _secure_delete_off)
        store.engine.dispose()
    with caplog.at_level(logging.DEBUG):
        receipt = hub.erase(customer_id=customer_id, reason="request 2024-117", by="dpo")
    assert not [r for r in caplog.records if any(v in r.getMessage() for v in values)]
    assert receipt.subject_kind == "customer" and receipt.erased_by == "dpo"
    removed = receipt.removed
    assert removed["records"] == removed["record_customers"] == len(held)
    assert removed["customers"] >= 1 and removed["quarantine"] == 1
    assert removed["consent_events"] == 2 and removed["overrides"] == 1
    assert removed["interactions"] > 0 and removed["match_edges"] > 0
    assert receipt.overrides[0]["created_by"] == "steward"
    assert len(receipt.references) == len(held) + removed["customers"]
    assert not any(v in receipt.model_dump_json() for v in values)
    assert hub.erasures()[0] == receipt
    # every table and column, and the SQLite file's bytes after a checkpoint
    assert _scan(store, values) == []
    if store.dialect == "sqlite":
        assert _file_bytes_hold(store, values) == []
    assert hub.profile(customer_id=customer_id).status == "not_found"
    assert hub.profile(email=email).status == "not_found"
    # last night's export again: the person's rows are set aside, with none of their values
    again = hub.ingest_files(records=dataset["records"], interactions=dataset["interactions"])
    assert again.records.quarantine_reasons.get("erased") == len(held)
    assert again.records.inserted == 0 and again.interactions.inserted == 0
    assert again.interactions.quarantine_reasons.get("erased") == removed["interactions"]
    assert _scan(store, values) == []
    erased = [q for q in hub.quarantined(limit=10_000) if q.reason == "erased"]
    assert erased and all(q.key is None and q.value is None for q in erased)
    assert hub.profile(email=email).status == "not_found"
    # real time refuses it too
    row = next(r for r in _rows(dataset["records"]) if r["source_record_id"] == first[1])
    with pytest.raises(SchemaError, match="erased") as refused:
        hub.resolve_record(row)
    assert not any(v in str(refused.value) for v in values)
    # back with fresh consent: off the list, in again
    assert hub.unsuppress(record=first) == 1
    for kind, column in (("email", "email_display"), ("phone", "phone_e164"),
                         ("national_id", "national_id"), ("handle", "handle_key")):  # fmt: skip
        if held[0][column]:
            country = held[0]["country"] if kind == "national_id" else None
            assert hub.unsuppress(**{kind: held[0][column]}, country=country) == 1
    assert hub.ingest(records=[row]).records.inserted == 1
    assert hub.profile(record=first).status == "found"


def test_the_erased_bridge_record_splits_its_customer(hub: Hub, store: Store) -> None:
    customer_id = _customer_of(hub, "crm", "br-x")
    halves = [("web", "br-a1"), ("app", "br-a2"), ("whatsapp", "br-b1"), ("call_center", "br-b2")]
    assert {_customer_of(hub, *ref) for ref in halves} == {customer_id}
    with store.connection() as conn:  # the two halves share no scored pair: only br-x joins
        ids = dict(
            conn.execute(
                select(records.c.source_record_id, records.c.id).where(
                    records.c.source_record_id.like("br-%")
                )
            ).all()
        )
        a, b = {ids["br-a1"], ids["br-a2"]}, {ids["br-b1"], ids["br-b2"]}
        pairs = conn.execute(select(match_edges.c.record_id_l, match_edges.c.record_id_r)).all()
    assert not [p for p in pairs if {*p} & a and {*p} & b]
    hub.record_interaction(source="crm", source_record_id="br-x", interaction_id="br-call-1")
    receipt = hub.erase(record=("crm", "br-x"), reason="request 7", by="dpo")
    assert receipt.subject_kind == "record" and receipt.customers_after == {"resolved": 1, "new": 1}
    assert receipt.removed["records"] == 1 and receipt.removed["interactions"] == 1
    assert receipt.removed["customers"] == 0
    kept = {_customer_of(hub, "web", "br-a1"), _customer_of(hub, "app", "br-a2")}
    split = {_customer_of(hub, "whatsapp", "br-b1"), _customer_of(hub, "call_center", "br-b2")}
    assert len(kept) == len(split) == 1 and kept != split
    assert customer_id in kept | split  # one half keeps the ID, the other gets a new one
    with store.connection() as conn:
        assert conn.execute(
            select(func.count()).select_from(customers).where(customers.c.customer_id.in_(split))
        ).scalar_one() == 1  # fmt: skip
    # each half is whole, joined by links real time replays, and explained by them
    explained = hub.explain_record(("call_center", "br-b2"))
    assert explained.customer_id in split and explained.unreachable == []
    # the erased record's key is suppressed, its identifiers too (an erasure of the record
    # is an erasure of what it held): the halves themselves stay
    assert hub.ingest(records=[BRIDGE_NAME | BRIDGE[2]]).records.quarantined == 1
    assert hub.profile(record=("web", "br-a1")).status == "found"
    # a full batch run over what is left gives the same two customers
    hub.resolve(full=True)
    assert {_customer_of(hub, "web", "br-a1"), _customer_of(hub, "app", "br-a2")} == kept
    assert {
        _customer_of(hub, "whatsapp", "br-b1"),
        _customer_of(hub, "call_center", "br-b2"),
    } == split


def test_an_identifier_erases_every_record_holding_it(hub: Hub, store: Store) -> None:
    """A family's landline names both: erasing by it erases every record holding it,
    and each person's records that do not hold it are resolved again and stay."""
    fidencio = _customer_of(hub, "web", "fam-3")
    receipt = hub.erase(phone="604 444 9091", country="CO", reason="request 9", by="dpo")
    assert receipt.subject_kind == "phone" and receipt.removed["records"] == 2
    with store.connection() as conn:
        left = conn.execute(
            select(records.c.source_record_id).where(records.c.source_record_id.like("fam-%"))
        ).scalars().all()  # fmt: skip
        names = conn.execute(
            select(term_frequencies.c.value).where(term_frequencies.c.value.like("%zoraida%"))
        ).all()
    assert left == ["fam-3"] and names == []  # her given name went from the frequencies
    assert _customer_of(hub, "web", "fam-3") == fidencio
    assert hub.profile(phone=FAMILY_PHONE).status == "not_found"
    assert hub.ingest(records=[FAMILY[0]]).records.quarantine_reasons == {"erased": 1}


def test_erase_many_in_chunks(
    hub: Hub, store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_erase, "CHUNK", 4)
    with store.connection() as conn:
        chosen = conn.execute(
            select(customers.c.customer_id)
            .where(customers.c.status == "active")
            .order_by(customers.c.customer_id)
            .limit(10)
        ).scalars().all()  # fmt: skip
    before = store.count_records()
    subjects: list[dict[str, Any]] = [{"customer_id": c} for c in chosen]
    subjects += [{"customer_id": chosen[0]}, {"email": "nadie.aqui.77@proton.me"}]
    with caplog.at_level(logging.DEBUG):
        receipts = hub.erase_many(subjects, reason="batch 3", by="dpo")
    assert len(receipts) == 12 and [r.id for r in receipts] == sorted(r.id for r in receipts)
    gone = sum(r.removed["records"] for r in receipts)
    assert gone > 0 and store.count_records() == before - gone
    assert receipts[10].removed["records"] == 0  # erased already: nothing left to remove
    assert receipts[11].subject_kind == "email" and receipts[11].removed["records"] == 0
    with store.connection() as conn:
        for customer_id in chosen:
            assert (
                conn.execute(
                    select(func.count())
                    .select_from(customers)
                    .where(
                        (customers.c.customer_id == customer_id)
                        | (customers.c.merged_into == customer_id)
                    )
                ).scalar_one()
                == 0
            )
        orphans = conn.execute(
            text(
                "SELECT count(*) FROM record_customers rc LEFT JOIN records r "
                "ON r.id = rc.record_id WHERE r.id IS NULL"
            )
        ).scalar_one()
    assert orphans == 0
    assert "nadie.aqui.77" not in caplog.text
    with pytest.raises(InputError, match="exactly one"):
        hub.erase_many([{"email": "a@b.co", "phone": "+573001112233"}], reason="r", by="dpo")


def test_what_erase_refuses(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(records=[BRIDGE_NAME | BRIDGE[0]])
    with pytest.raises(InputError, match="exactly one"):
        hub.erase(reason="r", by="dpo")
    with pytest.raises(InputError, match="reason"):
        hub.erase(record=("web", "br-a1"), reason=" ", by="dpo")
    with pytest.raises(InputError, match="not a valid one") as invalid:
        hub.erase(email="not-an-email", reason="r", by="dpo")
    assert "not-an-email" not in str(invalid.value)
    with pytest.raises(NotFoundError):
        hub.erase(customer_id="cus_nobody", reason="r", by="dpo")
    assert hub.erasures() == []
    # a record not resolved yet is erased too; an absent one leaves a receipt of nothing
    assert hub.erase(record=("web", "br-a1"), reason="r", by="dpo").removed["records"] == 1
    assert hub.erase(record=("web", "gone"), reason="r", by="dpo").removed["records"] == 0
    assert [r.subject_kind for r in hub.erasures()] == ["record", "record"]
    hub.close()


def test_erase_from_the_command_line(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Hub(Store.open(store_url)) as hub:
        hub.ingest(records=[BRIDGE_NAME | row for row in BRIDGE])
    requests = tmp_path / "requests.csv"
    requests.write_text("record,email\nweb:br-a1,\n," + EMAIL.upper() + "\n", encoding="utf-8")
    common = ["--reason", "request 12", "--by", "dpo", "--store", store_url]
    assert main(["erase", "--file", str(requests), *common]) == 0
    out = capsys.readouterr().out
    assert "1 records" in out and "2 records" in out and EMAIL not in out
    assert main(["erase", "--phone", PHONE, "--json", *common]) == 0
    assert json.loads(capsys.readouterr().out)[0]["removed"]["records"] == 2
    assert main(["erasures", "--store", store_url]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert main(["unsuppress", "--phone", PHONE, "--store", store_url]) == 0
    assert "1 entries" in capsys.readouterr().out


def test_resolving_again_a_customer_that_lost_nothing_keeps_it_whole(
    hub: Hub, store: Store
) -> None:
    """What erasure runs on a customer's remaining records gives batch's answer: on
    every customer as batch left it, one group, the same ID, no new customer, all of
    them worked out together (their pairs and overrides read for all at once)."""
    from cx360.resolve._run_state import RunState, last_finished_run
    from cx360.store import utcnow

    with store.connection() as conn:
        members: dict[str, list[int]] = {}
        for record_id, customer_id in conn.execute(
            select(record_customers.c.record_id, record_customers.c.customer_id)
        ):
            members.setdefault(customer_id, []).append(int(record_id))
    several = {c: ids for c, ids in members.items() if len(ids) > 1}
    assert len(several) > 50
    with store.engine.connect() as conn, conn.begin() as trans:
        run = last_finished_run(conn)
        state = (run.state if run is not None else None) or RunState()
        created = _erase._cluster_again(conn, several, state, utcnow())  # all in one pass
        split = [c for c, new in created.items() if new]
        trans.rollback()
    assert split == [] and len(created) == len(several)


def test_another_hubs_erasure_reaches_its_real_time_calls(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cx360.privacy import _suppress

    first, second = Hub(Store.open(store_url)), Hub(Store.open(store_url))
    try:
        person = {"source": "web", "source_record_id": "w-77", "email": "noa.vidal.z@proton.me"}
        other = {"source": "web", "source_record_id": "w-78", "email": "ema.ruiz.q@proton.me"}
        first.ingest(records=[person])
        assert second.resolve_record(other).status == "unresolved"  # no salt yet: remembered
        first.erase(record=("web", "w-77"), reason="request 9", by="dpo")
        monkeypatch.setattr(_suppress, "SALT_RECHECK", 0.0)  # the second's recheck is due
        with pytest.raises(SchemaError, match="erased"):
            second.resolve_record(person)
    finally:
        first.close()
        second.close()


def test_identifiers_of_earlier_versions_are_suppressed(store: Store) -> None:
    """A record whose e-mail and phone changed: erasing it suppresses the old ones too,
    and a quarantined row holding only the old e-mail goes with it."""
    hub = Hub(store)
    try:
        old = {"source": "web", "source_record_id": "ver-1", "first_name": "Casimira",
               "last_name": "Ulloa Betancur", "email": "casimira.ub.1979@proton.me",
               "phone": "+57 318 222 6071", "observed_at": "2024-01-05T10:00:00Z"}  # fmt: skip
        new = old | {"email": "c.ulloa.nueva@proton.me", "phone": "+57 318 999 4410",
                     "observed_at": "2024-06-05T10:00:00Z"}  # fmt: skip
        hub.ingest(records=[old])
        assert hub.ingest(records=[new]).records.updated == 1
        with store.transaction() as conn:
            conn.execute(
                quarantine.insert().values(
                    kind="records", reason="missing_key", created_at=datetime.now(UTC),
                    raw={"correo": " Casimira.UB.1979@proton.me", "nombre": "x"},
                )
            )  # fmt: skip
        receipt = hub.erase(record=("web", "ver-1"), reason="request 31", by="dpo")
        assert receipt.removed["records"] == 1 and receipt.removed["record_versions"] == 1
        assert receipt.removed["quarantine"] == 1
        comeback = [
            {"source": "app", "source_record_id": "app-9", "email": old["email"]},
            {"source": "crm", "source_record_id": "crm-9", "phone": "318 222 6071",
             "country": "CO"},
            {"source": "crm", "source_record_id": "crm-10", "email": new["email"]},
            {"source": "crm", "source_record_id": "crm-11", "email": "otra.persona.q@proton.me"},
        ]  # fmt: skip
        report = hub.ingest(records=comeback).records
        assert report.quarantine_reasons == {"erased": 3} and report.inserted == 1
        assert _scan(store, {old["email"], new["email"], "3182226071"}) == []
    finally:
        hub.close()


def test_quarantine_rows_matched_across_chunks_of_one_call(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quarantine is read once per call: rows are still matched to each chunk's
    erasures (by key, by a text cell, by a phone's last digits), each counted once."""
    monkeypatch.setattr(_erase, "CHUNK", 1)
    hub = Hub(store)
    people = [
        {"source": "web", "source_record_id": f"qc-{n}", "email": f"persona.qc.{n}@proton.me",
         "phone": f"+57 310 555 {n:04d}"}
        for n in range(1, 4)
    ]  # fmt: skip
    try:
        hub.ingest(records=people)
        held = [
            {"correo": "PERSONA.QC.1@proton.me"},
            {"tel": "310-555-0002"},
            {"line": "qc-3;otro"},
            {"correo": "persona.qc.1@proton.me", "tel": "(310) 555 0002"},
            {"correo": "nadie.qc@proton.me"},
        ]
        keyed = {"source": "web", "record_key": "qc-3"}
        now = datetime.now(UTC)
        with store.transaction() as conn:
            for raw in held:
                conn.execute(
                    quarantine.insert().values(
                        kind="records", reason="missing_key", raw=raw, created_at=now
                    )
                )
            conn.execute(
                quarantine.insert().values(
                    kind="records", reason="bad_value", raw={"x": "y"}, created_at=now, **keyed
                )
            )
        subjects: list[dict[str, Any]] = [{"record": ("web", f"qc-{n}")} for n in range(1, 4)]
        receipts = hub.erase_many(subjects, reason="request 40", by="dpo")
        # person 1: its row and the row holding both; person 2: its phone's row; person 3:
        # its keyed row (the line's cell 'qc-3' is no identifier)
        assert [r.removed["quarantine"] for r in receipts] == [2, 1, 1]
        with store.connection() as conn:
            left = conn.execute(select(quarantine.c.raw)).scalars().all()
        assert sorted(json.dumps(raw) for raw in left) == sorted(
            json.dumps(raw) for raw in (held[2], held[4])
        )
    finally:
        hub.close()
