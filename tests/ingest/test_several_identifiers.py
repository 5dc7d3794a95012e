"""Several phones and e-mails per record: the first of each is the record's `phone_key` /
`email_key`, the others rows of `record_identifiers`, written by every path that stores
records (a file from the CLI, Python objects, real time) and replaced when the record
comes again with other values; on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from cx360 import Hub
from cx360.cli import main
from cx360.store import Store
from cx360.store._schema import record_identifiers, record_versions, records

EXPORT = (
    "source;source_record_id;first_name;last_name;phone;email;email_2;country\n"
    "crm;C-1;Valentina;Arango;300 123 4567 / 310 555 1234;v.arango@proton.me;"
    "vale.arango@fastmail.com;CO\n"
    "crm;C-2;Julián;Restrepo;315 000 1122;;;CO\n"
)


def identifiers(store: Store) -> dict[tuple[str, str, int], str]:
    """(source_record_id, kind, position) -> key, of every stored extra identifier."""
    query = select(
        records.c.source_record_id,
        record_identifiers.c.kind,
        record_identifiers.c.position,
        record_identifiers.c.key,
    ).join(records, records.c.id == record_identifiers.c.record_id)
    with store.connection() as conn:
        return {(r[0], r[1], r[2]): r[3] for r in conn.execute(query)}


EXPECTED = {
    ("C-1", "phone", 2): "+573105551234",
    ("C-1", "email", 2): "vale.arango@fastmail.com",
}


def test_a_file_from_the_cli_stores_every_phone_and_email(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "clientes.csv"
    path.write_text(EXPORT, encoding="utf-8")
    assert main(["ingest", str(path), "--store", store_url]) == 0
    store = Store.open(store_url)
    try:
        assert identifiers(store) == EXPECTED
        with store.connection() as conn:
            first = conn.execute(
                select(records.c.phone_key, records.c.email_key, records.c.issues).where(
                    records.c.source_record_id == "C-1"
                )
            ).one()
        assert tuple(first) == ("+573001234567", "v.arango@proton.me", None)
    finally:
        store.close()


def _record(**values: Any) -> dict[str, Any]:
    base = {
        "source": "crm",
        "source_record_id": "C-1",
        "first_name": "Valentina",
        "last_name": "Arango",
        "phone": "300 123 4567 / 310 555 1234",
        "email": "v.arango@proton.me",
        "email_2": "vale.arango@fastmail.com",
        "country": "CO",
    }
    return base | values


def test_python_ingest_stores_them_and_a_new_version_replaces_them(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(records=[_record()])
    assert identifiers(store) == EXPECTED
    hub.ingest(records=[_record()])  # the same content: nothing changes
    assert identifiers(store) == EXPECTED
    # new values: the second phone changed, the second e-mail gone, a third phone
    changed = _record(phone="300 123 4567 / 311 222 3344, 312 999 0000", email_2="")
    hub.ingest(records=[changed])
    assert identifiers(store) == {
        ("C-1", "phone", 2): "+573112223344",
        ("C-1", "phone", 3): "+573129990000",
    }
    with store.connection() as conn:
        old = conn.execute(select(record_versions.c.raw)).scalar_one()
    assert old["email_2"] == "vale.arango@fastmail.com"  # the old values stay in versions
    hub.ingest(records=[_record(phone="300 123 4567", email_2="")])  # back to one of each
    assert identifiers(store) == {}


def test_real_time_writes_them_with_the_record(store: Store) -> None:
    hub = Hub(store)
    hub.resolve_record(_record(source="app", source_record_id="A-1"))
    assert {(k[1], k[2]): v for k, v in identifiers(store).items()} == {
        ("phone", 2): "+573105551234",
        ("email", 2): "vale.arango@fastmail.com",
    }
    hub.resolve_record(_record(source="app", source_record_id="A-1", email_2=""))
    assert {(k[1], k[2]): v for k, v in identifiers(store).items()} == {
        ("phone", 2): "+573105551234"
    }


def test_an_invalid_second_value_is_flagged_and_not_stored(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(records=[_record(phone="300 123 4567 / 12", email_2="not an e-mail")])
    with store.connection() as conn:
        issues = conn.execute(select(records.c.issues)).scalar_one()
    assert issues == "email:extra_values phone:extra_values"
    assert identifiers(store) == {}
