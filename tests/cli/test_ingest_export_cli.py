"""`cx360 ingest` on exports as companies have them, `cx360 quarantine` and `cx360 export`
in every format, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import insert, select

from cx360.cli import main
from cx360.store import Store, utcnow
from cx360.store._schema import customers, interactions, record_customers, records

SPANISH = (
    "Código;Nombre;Apellidos;Correo electrónico;Teléfono;Celular;País;"
    "Fecha de actualización;acepta_comunicaciones\n"
    "C-1;José;Londoño;jose.l@proton.me;601 234 5678;300 123 4567 / 310 555 1234;Colombia;"
    "14/06/2024 10:50;Sí\n"
    "C-2;Ana;Gómez;ana.gomez@proton.me;;315 000 1122;COL;ayer;No\n"
)


def _stored(url: str) -> dict[str, object]:
    store = Store.open(url)
    try:
        with store.connection() as conn:
            return {r.source_record_id: r for r in conn.execute(select(records))}
    finally:
        store.close()


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")])
def test_spanish_export_with_semicolons_bom_or_latin1(
    store_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    encoding: str,
    bom: bytes,
) -> None:
    path = tmp_path / "clientes.csv"
    path.write_bytes(bom + SPANISH.encode(encoding))
    assert main(["ingest", str(path), "--source", "crm", "--store", store_url]) == 0
    out = capsys.readouterr().out
    assert "delimiter ';'" in out
    assert "phone ← Celular, Teléfono" in out  # the mapping used is printed
    assert "source_record_id ← Código" in out
    assert "consent consent_acepta_comunicaciones ← acepta_comunicaciones" in out
    assert "records: 2 rows" in out and "2 new" in out and "0 quarantined" in out
    assert "observed_at:unparseable 1" in out and "extra_values" not in out
    rows = _stored(store_url)
    jose = rows["C-1"]
    assert (jose.source, jose.surnames, jose.phone_key, jose.country) == (  # type: ignore[attr-defined]
        "crm",
        "Londoño",
        "+573001234567",
        "CO",
    )


def test_map_id_column_and_a_mapping_file(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "lista.txt"
    path.write_text("Ref|Contacto|Tel\nK1|ana.ruiz@proton.me|612 345 678\n", encoding="utf-8")
    argv = ["ingest", str(path), "--source", "eventos", "--store", store_url]
    assert main([*argv, "--id-column", "Ref", "--map", "email=Contacto"]) == 0
    assert "email ← Contacto" in capsys.readouterr().out
    mapping = tmp_path / "eventos.toml"
    mapping.write_text(
        'source = "eventos"\ndelimiter = "|"\n[columns]\nsource_record_id = "Ref"\n'
        'email = "Contacto"\nphone = "Tel"\n',
        encoding="utf-8",
    )
    assert main(["ingest", str(path), "--mapping", str(mapping), "--store", store_url]) == 0
    again = capsys.readouterr().out
    assert "phone ← Tel" in again and "1 unchanged" in again  # read the same way
    assert _stored(store_url)["K1"].email_key == "ana.ruiz@proton.me"  # type: ignore[attr-defined]
    # a column the file lacks is a usage error, with the columns it has
    assert main([*argv, "--id-column", "Código"]) == 2
    assert "'Código', which is not in the input" in capsys.readouterr().err


def test_stdin_and_hubspot_names(store_url: str, tmp_path: Path) -> None:
    text = (
        "Record ID,First Name,Last Name,Email,Mobile Phone Number,Country/Region\n"
        "101,Lucía,Fernández,lucia.f@proton.me,+34 612 345 678,Spain\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "cx360", "ingest", "-", "--source", "hubspot", "--store", store_url],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "records stdin: csv" in done.stdout
    assert not (tmp_path / "-").exists()
    row = _stored(store_url)["101"]
    assert (row.source, row.phone_key, row.country) == ("hubspot", "+34612345678", "ES")  # type: ignore[attr-defined]


def test_most_rows_set_aside_exits_1_with_a_summary(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "source,source_record_id,email\nweb,,a@proton.me\nweb,,b@proton.me\nweb,3,c@proton.me\n",
        encoding="utf-8",
    )
    assert main(["ingest", str(path), "--store", store_url]) == 1
    captured = capsys.readouterr()
    assert "2 of 3 records rows of" in captured.err and "missing_key 2" in captured.err
    assert "records: 3 rows" in captured.out


def test_interactions_with_spanish_statuses(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tickets.csv"
    path.write_text(
        "Ticket ID;Cliente ID;Fecha;Estado;Caso\nT1;C-1;05/06/2024 10:00;Resuelto;K1\n"
        "T2;C-1;06/06/2024 10:00;Pendiente;K2\n",
        encoding="utf-8",
    )
    argv = ["ingest", "--interactions", str(path), "--source", "crm", "--store", store_url]
    assert main(argv) == 0
    assert "interaction_id ← Ticket ID" in capsys.readouterr().out
    store = Store.open(store_url)
    with store.connection() as conn:
        found = dict(
            conn.execute(select(interactions.c.interaction_id, interactions.c.status)).all()
        )
    store.close()
    assert found == {"T1": "resolved", "T2": "Pendiente"}  # in progress: open, as written


def test_quarantine_shows_the_total_the_column_and_json(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.csv"
    lines = ["source,source_record_id,email"] + [f"web,,u{i}@proton.me" for i in range(4)]
    lines += [f"web,k{i},u{i}@proton.me" for i in range(6)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["ingest", str(path), "--store", store_url]) == 0
    capsys.readouterr()
    assert main(["quarantine", "--limit", "3", "--store", store_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("4 quarantined rows in the store; the newest 3:")
    assert "missing_key (column source_record_id) record web:?" in out
    assert "1 more: --limit N shows more" in out
    assert main(["quarantine", "--json", "--store", store_url]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert (listed["total"], listed["shown"], listed["more"]) == (4, 4, False)
    assert {r["reason"] for r in listed["rows"]} == {"missing_key"}
    # the file fixed and ingested again: the quarantine forgets its rows
    fixed = ["source,source_record_id,email"] + [f"web,k{i},u{i}@proton.me" for i in range(10)]
    path.write_text("\n".join(fixed) + "\n", encoding="utf-8")
    assert main(["ingest", str(path), "--store", store_url]) == 0
    assert "4 earlier quarantined rows now stored" in capsys.readouterr().out
    assert main(["quarantine", "--store", store_url]) == 0
    assert capsys.readouterr().out.strip() == "no quarantined rows"


def _resolved_by_hand(url: str) -> None:
    store = Store.open(url)
    now = utcnow()
    with store.transaction() as conn:
        conn.execute(
            insert(customers).values(
                customer_id="cus_1", status="active", created_at=now, updated_at=now
            )
        )
        for record_id in conn.execute(select(records.c.id)).scalars():
            conn.execute(
                insert(record_customers).values(
                    record_id=record_id, customer_id="cus_1", assigned_at=now
                )
            )
    store.close()


@pytest.mark.parametrize("name", ["customers.csv", "customers.parquet", "c.jsonl", "c.json"])
def test_export_profiles_in_the_format_of_the_name(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    path = tmp_path / "clientes.csv"
    path.write_bytes(SPANISH.encode("utf-8"))
    assert main(["ingest", str(path), "--source", "crm", "--store", store_url]) == 0
    _resolved_by_hand(store_url)
    out = tmp_path / name
    assert main(["export", "--profiles", "--out", str(out), "--store", store_url]) == 0
    assert f"1 customers written to {out}" in capsys.readouterr().out
    if name.endswith(".csv"):
        with out.open(encoding="utf-8", newline="") as handle:
            (row,) = list(csv.DictReader(handle))
    elif name.endswith(".parquet"):
        (row,) = pq.read_table(out).to_pylist()
    elif name.endswith(".jsonl"):
        (row,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    else:
        (row,) = json.loads(out.read_text(encoding="utf-8"))
    assert row["customer_id"] == "cus_1"
    assert str(row["records"]) == "2"
    assert row["phone"] in ("+573001234567", "+573150001122")


def test_export_refuses_unknown_names_and_writes_stdout_for_dash(
    store_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "clientes.csv"
    path.write_bytes(SPANISH.encode("utf-8"))
    assert main(["ingest", str(path), "--source", "crm", "--store", store_url]) == 0
    capsys.readouterr()
    monkeypatch.chdir(tmp_path)
    assert main(["export", "--out", "customers.txt", "--store", store_url]) == 2
    assert "cannot tell the export format" in capsys.readouterr().err
    assert not (tmp_path / "customers.txt").exists()
    assert main(["export", "--out", "customers.json", "--store", store_url]) == 0
    capsys.readouterr()
    loaded = json.loads((tmp_path / "customers.json").read_text(encoding="utf-8"))
    assert [r["source_record_id"] for r in loaded] == ["C-1", "C-2"]  # JSON, not CSV
    assert main(["export", "--out", "-", "--format", "jsonl", "--store", store_url]) == 0
    captured = capsys.readouterr()
    assert [json.loads(line)["source"] for line in captured.out.splitlines()] == ["crm", "crm"]
    assert "2 records written to stdout" in captured.err
    assert not (tmp_path / "-").exists()
