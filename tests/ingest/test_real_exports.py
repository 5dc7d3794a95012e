"""Files written the way CRMs and spreadsheets in Colombia, Mexico and Spain write them:
Spanish headers with ';' and a BOM, Latin-1 (cp1252), HubSpot/Salesforce names, several
phones in a cell, day-first timestamps, JSON arrays, stdin."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cx360 import ConfigurationError, Hub, SchemaError
from cx360.ingest import ingest_file
from cx360.ingest._mapping import plan_header
from cx360.models._mapping import ColumnMapping
from cx360.store import Store
from cx360.store._schema import interactions, quarantine, records

SPANISH = (
    "Código;Nombre;Apellidos;Correo electrónico;Teléfono;Celular;Cédula;"
    "Fecha de nacimiento;Dirección;Ciudad;País;Fecha de actualización;acepta_comunicaciones\n"
    "C-001;José Luis;Londoño Pérez;jose.londono@proton.me;601 234 5678;300 123 4567;"
    "1.020.304.050;07/03/1985;Cra 7 # 45-12;Bogotá;Colombia;14/06/2024 10:50;Sí\n"
    "C-002;María;Núñez;maria.nunez@proton.me;;310 555 1234 / 311 222 3344;52.345.678;"
    "25/12/1990;Calle 5;Medellín;COL;15/06/2024 08:05;No\n"
    "C-003;Ana;Gómez;;;;;;;Cali;Colombia;no sé;\n"
)


def _rows(store: Store) -> dict[str, Any]:
    with store.connection() as conn:
        return {r.source_record_id: r for r in conn.execute(select(records))}


def _write(path: Path, text: str, encoding: str, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def _check_spanish(store: Store) -> None:
    rows = _rows(store)
    assert sorted(rows) == ["C-001", "C-002", "C-003"]
    jose = rows["C-001"]
    assert (jose.source, jose.country) == ("crm", "CO")
    assert (jose.given_names, jose.surnames) == ("José Luis", "Londoño Pérez")
    assert jose.email_key == "jose.londono@proton.me"
    assert jose.phone_key == "+573001234567"  # the mobile column comes first
    assert jose.national_id_key == "1020304050"
    assert jose.birth_date == "1985-03-07"
    assert jose.observed_at.replace(tzinfo=None).isoformat() == "2024-06-14T10:50:00"
    assert jose.issues is None  # the landline is the record's second phone
    assert jose.raw["phone_2"] == "601 234 5678"
    assert jose.raw["consent_acepta_comunicaciones"] == "Sí"
    assert jose.raw["city"] == "Bogotá"
    maria = rows["C-002"]
    assert (maria.phone_key, maria.issues) == ("+573105551234", None)
    assert maria.country == "CO"
    ana = rows["C-003"]  # an unreadable date: kept, the time unknown
    assert (ana.observed_at, ana.issues) == (None, "observed_at:unparseable")


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", True), ("utf-8", False), ("cp1252", False)]
)
def test_spanish_headers_semicolons_bom_and_latin1(
    store: Store, tmp_path: Path, encoding: str, bom: bool
) -> None:
    path = _write(tmp_path / "clientes.csv", SPANISH, encoding, bom)
    report = ingest_file(store, path, "records", mapping=ColumnMapping(source="crm"))
    assert (report.rows, report.inserted, report.quarantined) == (3, 3, 0)
    assert report.value_issues == {"observed_at:unparseable": 1}
    used = report.mapping
    assert used is not None
    assert (used.delimiter, used.format) == (";", "csv")
    assert used.encoding == ("utf-8-sig" if bom else encoding)
    assert used.columns["phone"] == ["Celular", "Teléfono"]
    assert used.columns["source_record_id"] == ["Código"]
    assert used.columns["observed_at"] == ["Fecha de actualización"]
    assert used.consents == {"acepta_comunicaciones": "consent_acepta_comunicaciones"}
    assert used.source == "crm"
    _check_spanish(store)


def test_workers_read_a_latin1_semicolon_file_in_blocks_as_rows_do(tmp_path: Path) -> None:
    lines = SPANISH.splitlines()
    body = [lines[1 + i % 3].replace("C-00", f"C-{i:05d}-") for i in range(3000)]
    path = _write(tmp_path / "big.csv", "\n".join([lines[0], *body]) + "\n", "cp1252")
    found = []
    for workers in (0, 2):
        store = Store.open(tmp_path / f"w{workers}.db")
        mapping = ColumnMapping(source="crm", columns={"phone": "Celular"})
        report = ingest_file(store, path, "records", workers=workers, mapping=mapping)
        assert (report.inserted, report.quarantined) == (3000, 0)
        with store.connection() as conn:
            found.append(
                conn.execute(
                    select(
                        records.c.raw, records.c.surnames, records.c.phone_key, records.c.issues
                    ).order_by(records.c.source_record_id)
                ).all()
            )
        store.close()
    assert found[0] == found[1]
    assert found[0][0].surnames == "Londoño Pérez"
    assert found[0][0].raw["Teléfono"] == "601 234 5678"  # not mapped: kept as it came


def test_a_utf8_file_with_a_stray_latin1_line_is_read_whole(store: Store, tmp_path: Path) -> None:
    text = "source,source_record_id,full_name,city\n" + "".join(
        f"web,{i},Ana Pérez,Bogotá\n" for i in range(3, 10)
    )
    stray = "web,2,Iñaki Núñez,Logroño\n".encode("cp1252")
    path = tmp_path / "mixed.csv"
    path.write_bytes(text.encode("utf-8") + stray)
    report = ingest_file(store, path, "records")
    assert (report.inserted, report.mapping.encoding if report.mapping else None) == (8, "utf-8")
    rows = _rows(store)
    assert (rows["2"].surnames, rows["3"].surnames) == ("Núñez", "Pérez")
    # a file in cp1252 throughout is read as cp1252
    path.write_bytes((text + "web,2,Iñaki Núñez,Logroño\n").encode("cp1252"))
    again = ingest_file(store, path, "records")
    assert again.mapping is not None and again.mapping.encoding == "cp1252"
    assert again.unchanged == 8


HUBSPOT = (
    "Record ID,First Name,Last Name,Email,Phone Number,Mobile Phone Number,"
    "Street Address,City,Country/Region,Postal Code,Create Date,Last Modified Date,"
    "Marketing contact status\n"
    "101,Lucía,Fernández,lucia.f@proton.me,+34 912 345 678,+34 612 345 678,"
    "Calle Mayor 1,Madrid,Spain,28013,2024-01-02 10:00,2024-06-01 09:30,Marketing contact\n"
)


def test_hubspot_names_are_recognized(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "hubspot.csv", HUBSPOT, "utf-8")
    report = ingest_file(store, path, "records", mapping=ColumnMapping(source="hubspot"))
    assert report.inserted == 1 and report.mapping is not None
    columns = report.mapping.columns
    assert columns["source_record_id"] == ["Record ID"]
    assert columns["phone"] == ["Mobile Phone Number", "Phone Number"]
    assert columns["observed_at"] == ["Last Modified Date"]  # over Create Date
    assert columns["postcode"] == ["Postal Code"]
    assert columns["country"] == ["Country/Region"]
    assert "Create Date" in report.mapping.extra
    row = _rows(store)["101"]
    assert (row.source, row.country, row.phone_key) == ("hubspot", "ES", "+34612345678")
    assert row.observed_at.replace(tzinfo=None).isoformat() == "2024-06-01T09:30:00"
    assert row.raw["postcode"] == "28013"
    assert (row.postcode_key, row.region_key) == ("28013", None)
    assert row.raw["Create Date"] == "2024-01-02 10:00"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            ["ID", "Name", "E-mail Address", "Mobile", "Birthdate", "Mailing City"],
            {
                "source_record_id": ["ID"],
                "full_name": ["Name"],
                "email": ["E-mail Address"],
                "phone": ["Mobile"],
                "date_of_birth": ["Birthdate"],
                "city": ["Mailing City"],
            },
        ),
        (
            ["N° de cédula", "Primer apellido", "Segundo apellido", "Nombres", "Móvil"],
            {
                "national_id": ["N° de cédula"],
                "last_name": ["Primer apellido", "Segundo apellido"],
                "first_name": ["Nombres"],
                "phone": ["Móvil"],
            },
        ),
        (
            ["CURP", "RFC", "Nombre completo", "Correo", "Correo alternativo", "WhatsApp"],
            {
                "national_id": ["CURP", "RFC"],
                "full_name": ["Nombre completo"],
                "email": ["Correo", "Correo alternativo"],
                "phone": ["WhatsApp"],
            },
        ),
        (
            ["DNI/NIE", "email_1", "email_2", "phone2", "phone", "Código Postal"],
            {
                "national_id": ["DNI/NIE"],
                "email": ["email_1", "email_2"],
                "phone": ["phone", "phone2"],
                "postcode": ["Código Postal"],
            },
        ),
        (
            ["ID", "Email", "Mailing State/Province", "Mailing Zip/Postal Code", "State/Region"],
            {
                "source_record_id": ["ID"],
                "email": ["Email"],
                "postcode": ["Mailing Zip/Postal Code"],
                "region": ["Mailing State/Province"],
            },
        ),
        (
            ["Correo", "Estado", "CP"],
            {"email": ["Correo"], "postcode": ["CP"], "region": ["Estado"]},
        ),
        (
            ["Correo", "Departamento", "Ciudad"],
            {"email": ["Correo"], "city": ["Ciudad"], "region": ["Departamento"]},
        ),
        (
            ["Email", "Provincia", "Código postal"],
            {"email": ["Email"], "postcode": ["Código postal"], "region": ["Provincia"]},
        ),
    ],
)
def test_common_headers_in_english_and_spanish(
    header: list[str], expected: dict[str, list[str]]
) -> None:
    assert plan_header(header, "records").used.columns == expected


def test_recognition_can_be_turned_off_and_explicit_names_win() -> None:
    header = ["source", "source_record_id", "Correo", "email"]
    off = plan_header(header, "records", ColumnMapping(recognize=False))
    assert off.used.columns == {
        "source": ["source"],
        "source_record_id": ["source_record_id"],
        "email": ["email"],
    }
    explicit = plan_header(header, "records", ColumnMapping(columns={"email": "correo"}))
    assert explicit.used.columns["email"] == ["Correo"]
    assert explicit.names == ["source", "source_record_id", "email", "email_input"]
    with pytest.raises(ConfigurationError, match="cannot map onto 'mail'"):
        plan_header(header, "records", ColumnMapping(columns={"mail": "Correo"}))
    with pytest.raises(SchemaError, match="'Celular', which is not in the input"):
        plan_header(header, "records", ColumnMapping(columns={"phone": "Celular"}))


def test_id_column_and_source_for_a_file_without_them(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "lista.csv", "Cliente;Email\nK9;ana@proton.me\n", "utf-8")
    with pytest.raises(SchemaError) as refused:
        ingest_file(store, path, "records")
    assert "--source NAME" in str(refused.value)
    mapping = ColumnMapping(source="eventos", columns={"source_record_id": "Cliente"})
    report = ingest_file(store, path, "records", mapping=mapping)
    assert report.inserted == 1
    assert _rows(store)["K9"].source == "eventos"


def test_forced_delimiter_and_encoding(store: Store, tmp_path: Path) -> None:
    text = "source|source_record_id|full_name\nweb|1|Iñigo Peña\n"
    path = _write(tmp_path / "pipes.txt", text, "latin-1")
    report = ingest_file(store, path, "records", delimiter="|", encoding="latin-1")
    assert report.inserted == 1 and report.mapping is not None
    assert (report.mapping.delimiter, report.mapping.encoding) == ("|", "latin-1")
    assert _rows(store)["1"].given_names == "Iñigo"


def test_a_json_array_is_read_as_well_as_json_lines(store: Store, tmp_path: Path) -> None:
    items = [
        {"source": "app", "source_record_id": f"a{i}", "Correo": f"u{i}@proton.me"}
        for i in range(3)
    ]
    array = tmp_path / "contacts.json"
    array.write_text(json.dumps(items, indent=2, ensure_ascii=False), encoding="utf-8")
    report = ingest_file(store, array, "records")
    assert (report.inserted, report.mapping.format if report.mapping else None) == (3, "json")
    lines = tmp_path / "contacts-lines.json"
    lines.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    again = ingest_file(store, lines, "records")
    assert again.unchanged == 3 and again.mapping is not None and again.mapping.format == "jsonl"
    assert _rows(store)["a1"].email_key == "u1@proton.me"


def test_a_json_array_cut_short_is_refused_after_its_rows(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[{"source": "app", "source_record_id": "1", "email": "a@proton.me"}, {"so',
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(Exception, match="not valid JSON"):
        ingest_file(store, path, "records")


def test_stdin_is_read_with_its_format_sniffed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    for text, fmt in (
        ("source;source_record_id;Teléfono\nweb;s1;300 123 4567\n", "csv"),
        ('[{"source": "web", "source_record_id": "s2", "phone": "3001234568"}]', "json"),
        ('{"source": "web", "source_record_id": "s3", "phone": "3001234569"}\n', "jsonl"),
    ):
        stream = io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8")
        monkeypatch.setattr(sys, "stdin", stream)
        report = ingest_file(store, "-", "records", workers=0)
        assert report.inserted == 1
        assert report.mapping is not None and report.mapping.format == fmt
    assert sorted(_rows(store)) == ["s1", "s2", "s3"]


def test_interactions_with_spanish_statuses_and_day_first_times(
    store: Store, tmp_path: Path
) -> None:
    Hub(store).configure_source("soporte", default_country="CO")
    text = (
        "ID Ticket;Cliente ID;Fecha;Tipo;Estado;Caso;Asunto\n"
        "T1;C-001;05/06/2024 10:50;queja;Abierto;K1;Pedido tarde\n"
        "T2;C-001;07/06/2024 16:00;queja;Resuelto;K1;Entregado\n"
        "T3;C-002;ayer;consulta;En revisión;K2;Factura\n"
    )
    path = _write(tmp_path / "tickets.csv", text, "utf-8", bom=True)
    mapping = ColumnMapping(source="soporte", statuses={"En revisión": "open"})
    report = ingest_file(store, path, "interactions", mapping=mapping)
    assert (report.inserted, report.quarantined) == (3, 0)
    assert report.value_issues == {"occurred_at:unparseable": 1}
    with store.connection() as conn:
        rows = {r.interaction_id: r for r in conn.execute(select(interactions))}
    assert [rows[k].status for k in ("T1", "T2", "T3")] == ["open", "resolved", "open"]
    assert rows["T1"].occurred_at.replace(tzinfo=None).isoformat() == "2024-06-05T10:50:00"
    assert (rows["T3"].occurred_at, rows["T3"].issues) == (None, "occurred_at:unparseable")
    assert rows["T3"].raw["status"] == "En revisión"  # the word as written is kept


def test_quarantine_forgets_rows_a_later_ingest_stores(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "source,source_record_id,email\nweb,1,a@proton.me\nweb,,b@proton.me\n"
        "web,3,c@proton.me,extra\n",
        encoding="utf-8",
    )
    first = ingest_file(store, path, "records")
    assert first.quarantined == 2

    def entries() -> list[tuple[str, str | None]]:
        with store.connection() as conn:
            return [(r.reason, r.record_key) for r in conn.execute(select(quarantine))]

    assert sorted(entries(), key=str) == [("malformed_row", "3"), ("missing_key", None)]
    # the fixed row comes in another file: its entry goes, the other stays
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("source,source_record_id,email\nweb,3,c@proton.me\n", encoding="utf-8")
    second = ingest_file(store, fixed, "records")
    assert second.quarantine_forgotten == 1
    assert entries() == [("missing_key", None)]
    # the first file ingested again, fixed: its earlier entries go with it
    path.write_text(
        "source,source_record_id,email\nweb,1,a@proton.me\nweb,2,b@proton.me\n", encoding="utf-8"
    )
    third = ingest_file(store, path, "records")
    assert (third.quarantined, third.quarantine_forgotten) == (0, 1)
    assert entries() == []


def test_excel_unicode_text_utf16_with_tabs(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "export.txt"  # Excel's "Unicode Text": UTF-16 with a BOM, tabs
    path.write_bytes(
        "Código\tNombre completo\tCorreo\nU1\tÑandú Pérez\tnandu.p@proton.me\n".encode("utf-16")
    )
    report = ingest_file(store, path, "records", mapping=ColumnMapping(source="excel"), workers=2)
    assert report.inserted == 1 and report.mapping is not None
    assert (report.mapping.encoding, report.mapping.delimiter) == ("utf-16", "\t")
    assert _rows(store)["U1"].surnames == "Pérez"


MEXICO = (
    "id;Nombre completo;Correo electrónico;Estado;Código Postal;País\n"
    "m1;Andrea Solís Peña;andrea.solis@proton.me;Edomex;5000;México\n"
    "m2;Andrea Solís;andrea.solis.p@proton.me;Estado de México;05000;MX\n"
    "m3;Iván Ortega;ivan.ortega@proton.me;N/A;00000;MX\n"
)


def test_state_and_postcode_are_read_as_region_and_postcode(store: Store, tmp_path: Path) -> None:
    """A Mexican export's `Estado` and `Código Postal`: one key for an abbreviation and the
    full name, a postcode given back the zero a spreadsheet took, placeholders unknown."""
    path = _write(tmp_path / "mx.csv", MEXICO, "cp1252", bom=False)
    report = ingest_file(store, path, "records", mapping=ColumnMapping(source="crm"))
    assert report.inserted == 3 and report.mapping is not None
    assert report.mapping.columns["region"] == ["Estado"]
    assert report.mapping.columns["postcode"] == ["Código Postal"]
    rows = _rows(store)
    assert (rows["m1"].postcode_key, rows["m1"].region_key) == ("05000", "estado de mexico")
    assert (rows["m2"].postcode_key, rows["m2"].region_key) == ("05000", "estado de mexico")
    assert (rows["m3"].postcode_key, rows["m3"].region_key) == (None, None)
    assert rows["m3"].raw["postcode"] == "00000"
    assert "postcode:placeholder" in rows["m3"].issues.split()
