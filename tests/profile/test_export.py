"""Exports: one row per customer's profile, and record assignments, in the format the file
name says (CSV, Parquet, JSON Lines, JSON), to a file or stdout, streamed."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from cx360 import Hub, InputError
from cx360.profile._export import (
    PROFILE_COLUMNS,
    export_assignments,
    export_profiles,
    iter_profile_rows,
)
from cx360.profile._survivorship import DEFAULT_RULES
from cx360.store import Store
from tests.profile._support import assign

RECORDS: list[dict[str, Any]] = [
    {
        "Fuente": "tienda",
        "Código": "t-1",
        "Nombre": "Carlos",
        "Apellidos": "Londoño Pérez",
        "Correo electrónico": "carlos.londono@proton.me",
        "Celular": "300 123 4567",
        "Cédula": "1.020.304.050",
        "Ciudad": "Medellín",
        "País": "Colombia",
        "Fecha de actualización": "14/06/2024 10:50",
    },
    {
        "Fuente": "whatsapp",
        "Código": "w-1",
        "Nombre": "CARLOS",
        "Apellidos": "LONDONO PEREZ",
        "Celular": "+57 300 123 4567",
        "País": "COL",
        "Fecha de actualización": "20/06/2024 09:00",
    },
    {
        "Fuente": "web",
        "Código": "x-1",
        "Nombre": "Carlos",
        "Apellidos": "Londoño",
        "Correo electrónico": "carlos.l@gmail.com",
        "País": "Colombia",
        "Fecha de actualización": "01/02/2024 08:00",
    },
    {
        "Fuente": "web",
        "Código": "x-2",
        "Nombre": "Lucía",
        "Apellidos": "Gómez",
        "Correo electrónico": "lucia.gomez@proton.me",
        "País": "España",
        "Fecha de actualización": "03/03/2024 12:00",
    },
]
INTERACTIONS: list[dict[str, Any]] = [
    {"source": "tienda", "source_record_id": "t-1", "interaction_id": "i1",
     "occurred_at": "2024-06-15T10:00:00Z", "status": "Abierto", "case_id": "K1"},
    {"source": "whatsapp", "source_record_id": "w-1", "interaction_id": "i2",
     "occurred_at": "2024-06-16T10:00:00Z", "status": "Pendiente", "case_id": "K1"},
    {"source": "web", "source_record_id": "x-1", "interaction_id": "i3",
     "occurred_at": "2024-06-01T10:00:00Z", "status": "Resuelto", "case_id": "K2"},
    {"source": "web", "source_record_id": "x-2", "interaction_id": "i4",
     "occurred_at": "2024-05-01T10:00:00Z", "status": "Cerrado", "case_id": "K3"},
]  # fmt: skip


@pytest.fixture
def filled(store: Store) -> Store:
    hub = Hub(store)
    result = hub.ingest(records=RECORDS, interactions=INTERACTIONS)
    assert result.records is not None and result.records.inserted == 4
    assign(
        store,
        {
            "cus_carlos": [("tienda", "t-1"), ("whatsapp", "w-1"), ("web", "x-1")],
            "cus_lucia": [("web", "x-2")],
        },
    )
    return store


def test_one_row_per_customer_with_golden_values_and_their_source(filled: Store) -> None:
    rows = {row.customer_id: row for row in iter_profile_rows(filled, DEFAULT_RULES)}
    assert list(rows) == ["cus_carlos", "cus_lucia"]
    carlos = rows["cus_carlos"]
    assert carlos.name == "Carlos Londoño Pérez"  # the accented form, though not the newest
    assert carlos.name_source == "tienda"
    assert (carlos.phone, carlos.phone_source) == ("+573001234567", "whatsapp")
    assert carlos.national_id == "1020304050"
    assert carlos.city == "Medellín"
    assert sorted(carlos.emails) == ["carlos.l@gmail.com", "carlos.londono@proton.me"]
    assert carlos.phones == ["+573001234567"]
    assert carlos.channels == ["tienda", "web", "whatsapp"]
    assert (carlos.records, carlos.interactions) == (3, 3)
    assert carlos.open_cases == 1  # K1 is pending; K2 resolved ("Resuelto")
    assert carlos.first_seen is not None and carlos.first_seen.month == 2
    assert carlos.last_seen is not None and carlos.last_seen.day == 20
    assert carlos.last_contact is not None and carlos.last_contact.day == 16
    lucia = rows["cus_lucia"]
    assert (lucia.name, lucia.open_cases, lucia.phones) == ("Lucía Gómez", 0, [])


def test_small_read_chunks_give_the_same_rows(filled: Store) -> None:
    whole = list(iter_profile_rows(filled, DEFAULT_RULES))
    assert list(iter_profile_rows(filled, DEFAULT_RULES, chunk=1)) == whole


def _read(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if path.suffix == ".json":
        loaded: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        return loaded
    return pq.read_table(path).to_pylist()


@pytest.mark.parametrize(
    "name", ["customers.csv", "customers.jsonl", "customers.json", "c.parquet"]
)
def test_profiles_are_written_in_the_format_of_the_file_name(
    filled: Store, tmp_path: Path, name: str
) -> None:
    path = tmp_path / "out" / name
    assert export_profiles(filled, path, DEFAULT_RULES) == 2
    rows = _read(path)
    assert [r["customer_id"] for r in rows] == ["cus_carlos", "cus_lucia"]
    assert list(rows[0]) == list(PROFILE_COLUMNS)
    carlos = rows[0]
    assert carlos["name"] == "Carlos Londoño Pérez"
    if name.endswith(".csv"):
        assert carlos["channels"] == "tienda; web; whatsapp"
        assert carlos["open_cases"] == "1"
    else:
        assert carlos["channels"] == ["tienda", "web", "whatsapp"]
        assert carlos["open_cases"] == 1
    if name.endswith(".parquet"):
        assert carlos["last_contact"].year == 2024  # a timestamp column
    else:
        assert str(carlos["last_contact"]).startswith("2024-06-16T10:00:00")


def test_an_unknown_extension_is_refused_before_writing(filled: Store, tmp_path: Path) -> None:
    for name in ("customers.txt", "customers.xlsx", "customers"):
        with pytest.raises(InputError, match="export format"):
            export_profiles(filled, tmp_path / name, DEFAULT_RULES)
        assert not (tmp_path / name).exists()
    with pytest.raises(InputError, match="unknown export format"):
        export_profiles(filled, tmp_path / "x.csv", DEFAULT_RULES, fmt="xml")


def test_dash_writes_to_stdout_not_to_a_file(
    filled: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert export_profiles(filled, "-", DEFAULT_RULES, fmt="jsonl") == 2
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["customer_id"] for line in lines] == ["cus_carlos", "cus_lucia"]
    assert export_assignments(filled, "-") == 4
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "source,source_record_id,customer_id" and len(out) == 5
    assert not (tmp_path / "-").exists()


def test_assignments_follow_the_file_name_too(filled: Store, tmp_path: Path) -> None:
    path = tmp_path / "customers.json"
    assert export_assignments(filled, path) == 4
    rows = json.loads(path.read_text(encoding="utf-8"))  # JSON, not CSV in a .json file
    assert {r["customer_id"] for r in rows} == {"cus_carlos", "cus_lucia"}
    assert export_assignments(filled, tmp_path / "a.parquet") == 4
    assert pq.read_table(tmp_path / "a.parquet").num_rows == 4


def test_an_empty_store_exports_a_header_only(store: Store, tmp_path: Path) -> None:
    assert export_profiles(store, tmp_path / "none.csv", DEFAULT_RULES) == 0
    assert (tmp_path / "none.csv").read_text(encoding="utf-8").startswith("customer_id,")
    assert export_profiles(store, tmp_path / "none.json", DEFAULT_RULES) == 0
    assert json.loads((tmp_path / "none.json").read_text(encoding="utf-8")) == []
    assert export_profiles(store, tmp_path / "none.parquet", DEFAULT_RULES) == 0
    assert pq.read_table(tmp_path / "none.parquet").num_rows == 0


def test_the_hub_streams_profiles_and_writes_them(filled: Store, tmp_path: Path) -> None:
    hub = Hub(filled)
    rows = hub.iter_profiles()
    first = next(rows)  # a generator: rows come one at a time
    assert first.customer_id == "cus_carlos" and first.name == "Carlos Londoño Pérez"
    assert [r.customer_id for r in rows] == ["cus_lucia"]
    assert hub.export_profiles(tmp_path / "p.jsonl") == 2
    assert hub.export_profiles(tmp_path / "p.data", format="csv") == 2
    assert (tmp_path / "p.data").read_text(encoding="utf-8").startswith("customer_id,name,")
    assert hub.export(tmp_path / "a.jsonl") == 4
    with pytest.raises(InputError):
        hub.export(tmp_path / "a.xml")


def test_csv_cells_a_spreadsheet_would_run_are_written_as_text(
    store: Store, tmp_path: Path
) -> None:
    hub = Hub(store)
    formulas = ['=HYPERLINK("http://x")', "+SUM(1)", "-2+3", "@cmd"]
    rows = [
        {"source": "web", "source_record_id": key, "phone": "+57 300 123 4567"} for key in formulas
    ]
    assert hub.ingest(records=rows).records is not None
    assert hub.export(tmp_path / "a.csv") == len(formulas)
    with (tmp_path / "a.csv").open(encoding="utf-8", newline="") as handle:
        written = [row["source_record_id"] for row in csv.DictReader(handle)]
    assert sorted(written) == sorted("'" + key for key in formulas)
    assert hub.export(tmp_path / "a.jsonl") == len(formulas)  # JSON keeps what was given
    lines = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["source_record_id"] for line in lines) == sorted(formulas)


def test_plain_numbers_and_phones_stay_as_they_are_in_csv() -> None:
    from cx360.profile._export import neutralized

    for cell in ("+573001234567", "-3", "12.5", "Londoño", "a=b", ""):
        assert neutralized(cell) == cell
    assert neutralized("+57 300 123") == "'+57 300 123"
    assert neutralized("\t=1") == "'\t=1" and neutralized("\r=1") == "'\r=1"
    assert neutralized("+573001234567; +573101234567") == "'+573001234567; +573101234567"
