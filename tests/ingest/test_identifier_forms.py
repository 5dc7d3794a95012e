"""A record's further phones and e-mails keep what its first ones keep: a phone's E.164
form and kind, an e-mail as written; and every value a record gives is read, however
many and however numbered. From the CLI and Python, through the workers' path and real
time; on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from cx360 import Hub
from cx360.cli import main
from cx360.ingest import ingest_file
from cx360.ingest._prepare import prepare_record
from cx360.models._mapping import ColumnMapping
from cx360.store import Store
from cx360.store._schema import record_identifiers, records

# As a CRM in Colombia exports it: ';', a BOM, Spanish headers, a mobile and a landline
# column, and cells holding two numbers or two e-mails written with capitals.
SPANISH = (
    "Código;Nombre;Apellidos;Correo electrónico;Celular;Teléfono;País\n"
    "C-001;José Luis;Londoño Pérez;Jose.Londono@proton.me;300 123 4567;601 234 5678;Colombia\n"
    "C-002;María;Núñez;maria.nunez@proton.me, M.Nunez@Fastmail.com;"
    "310 555 1234 / 311 222 3344;(604) 444 5566;COL\n"
)
SPANISH_FORMS = {
    ("C-001", "phone", 2): ("+576012345678", "+576012345678", "fixed_line"),
    ("C-002", "phone", 2): ("+573112223344", "+573112223344", "mobile"),
    ("C-002", "phone", 3): ("+576044445566", "+576044445566", "fixed_line"),
    ("C-002", "email", 2): ("m.nunez@fastmail.com", "M.Nunez@fastmail.com", None),
}


def forms(store: Store) -> dict[tuple[str, str, int], tuple[str, str | None, str | None]]:
    """(source_record_id, kind, position) -> (key, display, phone kind) of every stored
    further identifier."""
    ids = record_identifiers.c
    query = select(
        records.c.source_record_id, ids.kind, ids.position, ids.key, ids.display, ids.phone_kind
    ).join(records, records.c.id == ids.record_id)
    with store.connection() as conn:
        return {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in conn.execute(query)}


def test_a_spanish_export_from_the_cli_keeps_their_forms(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "clientes.csv"
    path.write_bytes(b"\xef\xbb\xbf" + SPANISH.encode("utf-8"))
    assert main(["ingest", str(path), "--store", store_url, "--source", "crm"]) == 0
    store = Store.open(store_url)
    try:
        assert forms(store) == SPANISH_FORMS
        with store.connection() as conn:
            first = conn.execute(
                select(records.c.phone_e164, records.c.phone_kind, records.c.email_display).where(
                    records.c.source_record_id == "C-001"
                )
            ).one()
        assert tuple(first) == ("+573001234567", "mobile", "Jose.Londono@proton.me")
    finally:
        store.close()


def test_the_workers_path_stores_the_same_forms(tmp_path: Path) -> None:
    header, *lines = SPANISH.splitlines()
    body = [lines[i % 2].replace("C-00", f"C-{i:05d}-") for i in range(3000)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join([header, *body]) + "\n", encoding="cp1252")
    found = []
    for workers in (0, 2):
        store = Store.open(tmp_path / f"w{workers}.db")
        report = ingest_file(
            store, path, "records", workers=workers, mapping=ColumnMapping(source="crm")
        )
        assert (report.inserted, report.quarantined) == (3000, 0)
        found.append(forms(store))
        store.close()
    assert found[0] == found[1]
    assert len(found[0]) == 1500 * 1 + 1500 * 3
    assert found[0][("C-00001-2", "phone", 3)] == ("+576044445566", "+576044445566", "fixed_line")


def _record(**values: Any) -> dict[str, Any]:
    base = {
        "source": "crm",
        "source_record_id": "C-1",
        "first_name": "Valentina",
        "last_name": "Arango",
        "phone": "601 234 5678 / 310 555 1234",
        "email": "v.arango@proton.me",
        "email_2": "Vale.Arango@Fastmail.com",
        "country": "CO",
    }
    return base | values


PYTHON_FORMS = {
    ("C-1", "phone", 2): ("+573105551234", "+573105551234", "mobile"),
    ("C-1", "email", 2): ("vale.arango@fastmail.com", "Vale.Arango@fastmail.com", None),
}


def test_python_ingest_keeps_them_and_a_new_version_replaces_them(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(records=[_record()])
    assert forms(store) == PYTHON_FORMS
    hub.ingest(records=[_record(email_2="VALE.ARANGO@fastmail.com", observed_at="2030-01-01")])
    assert forms(store)[("C-1", "email", 2)] == (
        "vale.arango@fastmail.com",
        "VALE.ARANGO@fastmail.com",
        None,
    )


def test_real_time_keeps_them_too(store: Store) -> None:
    hub = Hub(store)
    hub.resolve_record(_record(source="app", source_record_id="A-1"))
    assert {(k[1], k[2]): v for k, v in forms(store).items()} == {
        (kind, position): value for (_, kind, position), value in PYTHON_FORMS.items()
    }


def test_no_value_is_left_unread_however_many_and_however_numbered(store: Store) -> None:
    """Twelve numbers in one cell, and further columns with a gap in their numbers (a
    JSON row without `phone_2`): every value is stored; what cannot be one is flagged."""
    numbers = [f"3{n:02d} 555 00{n:02d}" for n in range(10, 22)]
    row = _record(
        phone=" / ".join(numbers),
        phone_3="320 777 0001",
        phone_10="320 777 0002",
        email_2=None,
        email_4="Tercero@Fastmail.com",
        national_id="1020304050",
        national_id_3="52345678",
    )
    del row["email_2"]
    hub = Hub(store)
    report = hub.ingest(records=[row])
    assert report.records is not None and report.records.inserted == 1
    stored = forms(store)
    phones = [stored[("C-1", "phone", p)][0] for p in range(2, 15)]
    expected = [f"+573{n:02d}55500{n:02d}" for n in range(11, 22)]
    assert phones == [*expected, "+573207770001", "+573207770002"]
    assert stored[("C-1", "email", 2)][1] == "Tercero@fastmail.com"
    assert len(stored) == 14
    with store.connection() as conn:
        kept = conn.execute(select(records.c.phone_key, records.c.issues, records.c.raw)).one()
    assert kept.phone_key == "+573105550010"
    # a second national ID is not an identifier the record can hold: flagged, not dropped
    assert kept.issues == "national_id:extra_values"
    # the mapping numbers the further columns in order: the raw row keeps every value
    assert (kept.raw["national_id_2"], kept.raw["phone_3"]) == ("52345678", "320 777 0002")


def test_prepare_reads_further_columns_past_a_gap_in_their_numbers() -> None:
    """A row given straight to `prepare_record` (no mapping to number its columns)."""
    prepared = prepare_record(
        {"source": "crm", "source_record_id": "C-1", "country": "CO", "phone": "300 123 4567",
         "phone_3": "310 555 1234", "phone_12": "601 234 5678", "email_5": "Ana@Fastmail.com"},
        None,
    )  # fmt: skip
    assert isinstance(prepared, dict)
    assert (prepared["phone_key"], prepared["email_key"]) == ("+573001234567", "ana@fastmail.com")
    assert prepared["extra_identifiers"] == (("phone", "+573105551234"), ("phone", "+576012345678"))
    assert prepared["extra_identifier_forms"] == (
        ("+573105551234", "mobile"),
        ("+576012345678", "fixed_line"),
    )
