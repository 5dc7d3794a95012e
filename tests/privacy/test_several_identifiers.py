"""Erasure and subject access with several phones and e-mails per record: an identifier
held as a record's second value names that record as its first would; erasure removes the
`record_identifiers` rows and suppresses every value; subject access lists them. Real
SQLite file and real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

import cx360.privacy._tables  # noqa: F401  (the privacy tables share the metadata)
from cx360 import Hub, SchemaError
from cx360.store import Store
from cx360.store._schema import metadata, record_identifiers
from tests.profile._support import assign

EXPORT = (
    "source,source_record_id,first_name,last_name,phone,email,email_2,country\n"
    "crm,C-7731,Valentina,Arango,300 123 4567 / 310 555 1234,v.arango@proton.me,"
    "vale.arango@fastmail.com,CO\n"
    "crm,C-7732,Julián,Restrepo,315 000 1122,j.restrepo@proton.me,,CO\n"
)
THEIRS = {
    "C-7731",
    "3001234567",
    "3105551234",
    "310 555 1234",
    "v.arango@proton.me",
    "vale.arango@fastmail.com",
}


def _scan(store: Store, values: set[str]) -> list[str]:
    """Every table and column, every row, as text: where any of the values appears."""
    hits: list[str] = []
    with store.connection() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    shown = json.dumps(value, ensure_ascii=False, default=str)
                    hits += [f"{table.name}.{column}" for v in values if v in shown]
    return hits


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "clientes.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return path


def test_erasure_by_a_second_email_removes_the_record_and_keeps_it_out(
    store: Store, export: Path
) -> None:
    hub = Hub(store)
    hub.ingest_files(records=export)
    assert _scan(store, THEIRS)
    receipt = hub.erase(email="Vale.Arango@fastmail.com", reason="request 88", by="dpo")
    assert receipt.removed["records"] == 1
    assert receipt.removed["record_identifiers"] == 2
    assert _scan(store, THEIRS) == []
    assert hub.profile(phone="310 555 1234", country="CO").status == "not_found"
    assert hub.profile(email="j.restrepo@proton.me").status == "found"  # the other stays
    # the same export again: the record is set aside as erased, with none of its values
    again = hub.ingest_files(records=export)
    assert again.records.quarantine_reasons == {"erased": 1}
    assert _scan(store, THEIRS) == []
    # another record giving an erased second value, first or second, is set aside too
    others = [
        {"source": "app", "source_record_id": "A-1", "phone": "310 555 1234", "country": "CO"},
        {"source": "app", "source_record_id": "A-2", "email": "x.y@proton.me",
         "email_2": "vale.arango@fastmail.com"},
        {"source": "app", "source_record_id": "A-3", "phone": "301 000 0000 / 300 123 4567",
         "country": "CO"},
    ]  # fmt: skip
    assert hub.ingest(records=others).records.quarantine_reasons == {"erased": 3}
    with pytest.raises(SchemaError, match="erased"):
        hub.resolve_record(
            {"source": "app", "source_record_id": "A-4", "phone": "301 000 0000",
             "phone_2": "310 555 1234", "country": "CO"}
        )  # fmt: skip
    assert _scan(store, THEIRS) == []


def test_erasure_by_a_second_phone_finds_the_record(store: Store, export: Path) -> None:
    hub = Hub(store)
    hub.ingest_files(records=export)
    receipt = hub.erase(phone="310 555 1234", country="CO", reason="request 89", by="dpo")
    assert receipt.removed["records"] == 1
    assert _scan(store, THEIRS) == []
    with store.connection() as conn:
        assert conn.execute(select(record_identifiers)).all() == []


def test_subject_access_lists_every_phone_and_email(store: Store, export: Path) -> None:
    hub = Hub(store)
    hub.ingest_files(records=export)
    assign(store, {"CU-1": [("crm", "C-7731")]})
    document = hub.subject_access("CU-1")
    (record,) = document.records
    assert record["extra_identifiers"] == [
        {"kind": "email", "position": 2, "key": "vale.arango@fastmail.com",
         "display": "vale.arango@fastmail.com", "phone_kind": None},
        {"kind": "phone", "position": 2, "key": "+573105551234", "display": "+573105551234",
         "phone_kind": "mobile"},
    ]  # fmt: skip
    assert document.profile is not None
    phones = {i["value"] for i in document.profile["identifiers"] if i["kind"] == "phone"}
    assert phones == {"+573001234567", "+573105551234"}
