"""Ingest from CSV, JSON Lines and Parquet files: formats, bad rows, bad files, kills."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from cx360 import Hub, InputFormatError, SchemaError
from cx360.models import INTERACTION_COLUMNS, RECORD_COLUMNS
from cx360.store import Store
from cx360.store._schema import interactions, quarantine, records


def _records(n: int, start: int = 0) -> list[dict[str, str]]:
    out = []
    for i in range(start, start + n):
        out.append(
            {
                "source": "web",
                "source_record_id": f"u{i:06d}",
                "observed_at": "2026-02-01T12:00:00Z",
                "first_name": "Ana",
                "last_name": f"Pérez{i}",
                "full_name": "",
                "email": f"ana.perez{i}@proton.me",
                "phone": f"+34 612 {i % 1000:03d} {i % 997:03d}",
                "national_id": "",
                "date_of_birth": "1990-05-04",
                "address": "",
                "city": "Madrid",
                "postcode": "28013",
                "region": "Madrid",
                "country": "ES",
                "handle": "",
            }
        )
    return out


def _write_csv(
    path: Path, rows: list[dict[str, Any]], columns: tuple[str, ...] | list[str] = RECORD_COLUMNS
) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _count(store: Store, table: Any) -> int:
    with store.connection() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_csv_jsonl_parquet_give_the_same_store(tmp_path: Path, store: Store) -> None:
    rows = _records(50)
    csv_path = _write_csv(tmp_path / "records.csv", rows)
    jsonl_path = tmp_path / "records.jsonl"
    jsonl_path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    parquet_path = tmp_path / "records.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet_path)
    hub = Hub(store)
    first = hub.ingest_files(csv_path).records
    assert first is not None and first.inserted == 50
    for path in (jsonl_path, parquet_path):
        again = hub.ingest_files(path).records
        assert again is not None
        assert (again.unchanged, again.inserted, again.updated) == (50, 0, 0)
    assert _count(store, records) == 50


def test_csv_bad_rows_are_quarantined_and_counted(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "records.csv"
    path.write_text(
        "source,source_record_id,full_name,phone,observed_at,country,favourite_colour\n"
        "web,1,Ana Pérez,+34 612 345 678,2026-01-01,ES,blue\n"
        "web,,Sin Clave,+34 612 345 679,2026-01-01,ES,red\n"
        "web,3,Too,Many,Fields,Here,x,y,z\n"
        "\n"
        "web,4,Fecha Mala,+34 612 345 670,not a date,ES,green\n"
        "web,5,Bien,+34 612 345 671,2026-01-01,es,\n",
        encoding="utf-8",
    )
    hub = Hub(store)
    report = hub.ingest_files(path).records
    assert report is not None
    assert report.rows == 5
    assert report.stored + report.quarantined == report.rows
    assert report.quarantine_reasons == {"missing_key": 1, "malformed_row": 1}
    # a bad date is a value issue: the row is stored with the field unknown
    assert report.value_issues == {"observed_at:unparseable": 1}
    with store.connection() as conn:
        rows = conn.execute(
            select(
                quarantine.c.row_number,
                quarantine.c.reason,
                quarantine.c.raw,
                quarantine.c.source,
                quarantine.c.record_key,
            ).order_by(quarantine.c.row_number)
        ).all()
        kept = conn.execute(
            select(records.c.raw).where(records.c.source_record_id == "1")
        ).scalar_one()
        late = conn.execute(
            select(records.c.observed_at, records.c.issues, records.c.raw).where(
                records.c.source_record_id == "4"
            )
        ).one()
    assert [(r.row_number, r.reason) for r in rows] == [(2, "missing_key"), (3, "malformed_row")]
    assert (rows[0].source, rows[0].record_key) == ("web", None)
    assert "Too" in rows[1].raw["line"]  # the line as given is kept
    assert rows[1].raw["problem"] == "line 4: 9 fields where the header has 7"
    assert (rows[1].source, rows[1].record_key) == ("web", "3")  # as far as it can be told
    assert kept["favourite_colour"] == "blue"
    assert late.observed_at is None
    assert late.issues == "observed_at:unparseable"
    assert late.raw["observed_at"] == "not a date"


def test_jsonl_bad_lines_are_quarantined(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text(
        json.dumps({"source": "app", "source_record_id": "a1", "email": "a@proton.me"})
        + "\n"
        + "{not json\n"
        + "[1, 2]\n"
        + json.dumps(
            {"source": "app", "source_record_id": "a2", "phone": 5512345678, "country": "MX"}
        )
        + "\n",
        encoding="utf-8",
    )
    report = Hub(store).ingest_files(path).records
    assert report is not None
    assert (report.rows, report.inserted, report.quarantined) == (4, 2, 2)
    with store.connection() as conn:
        phone = conn.execute(
            select(records.c.phone_key).where(records.c.source_record_id == "a2")
        ).scalar_one()
    assert phone == "+525512345678"  # an integer is accepted as text


def test_file_without_required_columns_is_refused_before_writing(
    tmp_path: Path, store: Store
) -> None:
    path = tmp_path / "records.csv"
    path.write_text("channel,ref,pet\nweb,1,Ana\n", encoding="utf-8")
    with pytest.raises(SchemaError) as caught:
        Hub(store).ingest_files(path)
    assert caught.value.column == "source"
    message = str(caught.value)
    assert "source_record_id" in message
    assert "--source NAME" in message and "--id-column" in message  # how to fix it
    assert _count(store, records) == 0


def test_interactions_file_given_as_records_is_refused(tmp_path: Path, store: Store) -> None:
    path = _write_csv(tmp_path / "interactions.csv", [], INTERACTION_COLUMNS)
    with pytest.raises(SchemaError, match="identity column"):
        Hub(store).ingest_files(path)


def test_unknown_extension_and_missing_file(tmp_path: Path, store: Store) -> None:
    (tmp_path / "records.xlsx").write_bytes(b"PK")
    with pytest.raises(InputFormatError):
        Hub(store).ingest_files(tmp_path / "records.xlsx")
    with pytest.raises(InputFormatError):
        Hub(store).ingest_files(tmp_path / "nothing.csv")


def test_interactions_file(tmp_path: Path, store: Store) -> None:
    rows = [
        {
            "source": "web",
            "source_record_id": "u1",
            "interaction_id": f"i{i}",
            "occurred_at": "2026-01-01T00:00:00Z",
            "type": "inquiry",
            "status": "open" if i % 2 else "resolved",
            "case_id": "K1",
            "summary": "hola",
        }
        for i in range(10)
    ]
    path = _write_csv(tmp_path / "interactions.csv", rows, INTERACTION_COLUMNS)
    report = Hub(store).ingest_files(interactions=path).interactions
    assert report is not None and report.inserted == 10
    assert _count(store, interactions) == 10


def test_parallel_normalization_matches_in_process(tmp_path: Path) -> None:
    rows = _records(3000)
    path = _write_csv(tmp_path / "records.csv", rows)
    results = []
    for workers in (0, 2):
        store = Store.open(tmp_path / f"w{workers}.db")
        Hub(store).ingest_files(path, workers=workers)
        with store.connection() as conn:
            results.append(
                conn.execute(
                    select(
                        records.c.source_record_id,
                        records.c.phone_key,
                        records.c.email_key,
                        records.c.surname_key,
                    ).order_by(records.c.id)
                ).all()
            )
        store.close()
    assert results[0] == results[1]


_KILL_SCRIPT = """
import sys
from cx360 import connect
hub = connect(sys.argv[1])
hub.ingest_files(sys.argv[2], workers=0)
"""


def test_killed_ingest_leaves_rows_whole_and_rerun_completes(
    tmp_path: Path, store_url: str
) -> None:
    n = 40_000
    path = _write_csv(tmp_path / "records.csv", _records(n))
    proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT, store_url, str(path)])
    store = Store.open(store_url)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if _count(store, records) >= 4000:
                break
            time.sleep(0.05)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, "ingest ended before it could be killed"
        stored = _count(store, records)
        assert stored > 0
        # every stored record is complete: normalized columns written with the raw row
        with store.connection() as conn:
            partial = conn.execute(
                select(func.count()).select_from(records).where(records.c.email_key.is_(None))
            ).scalar_one()
        assert partial == 0
        report = Hub(store).ingest_files(path, workers=0).records
        assert report is not None
        assert report.inserted + report.unchanged == n
        assert report.unchanged == stored
        assert _count(store, records) == n
    finally:
        store.close()


@pytest.mark.parametrize("workers", [0, 2], ids=["by-rows", "blocks"])
def test_a_malformed_line_is_listed_with_why_and_its_line(
    tmp_path: Path, store_url: str, workers: int, capsys: pytest.CaptureFixture[str]
) -> None:
    from cx360 import connect
    from cx360.cli import main

    path = tmp_path / "records.csv"
    path.write_text(
        "source,source_record_id,full_name,address\n"  # line 1
        'web,1,Ana Pérez,"Calle 5\nApto 3"\n'  # lines 2-3: a quoted field on two lines
        "\n"  # line 4: blank, not a row
        "web,2,Luis Gómez,Calle 9,extra\n"  # line 5: one field too many (row 2)
        "web,3,Marta Ruiz,Calle 7\n",
        encoding="utf-8",
    )
    bad_json = tmp_path / "records.jsonl"
    bad_json.write_text(
        '{"source": "app", "source_record_id": "a1", "full_name": "Eva Soto"}\n\n'
        '{"source": "app", "source_record_id": "a2", "full_name": \n'  # line 3, cut short
        "[1, 2]\n",  # line 4
        encoding="utf-8",
    )
    with connect(store_url, create=True) as hub:
        assert hub.ingest_files(path, workers=workers).records.quarantined == 1  # type: ignore[union-attr]
        hub.ingest_files(bad_json)
        listed = hub.quarantined()
    assert [(r.row_number, r.reason.value, r.detail) for r in listed] == [
        (3, "malformed_row", "line 4: a JSON array, not an object"),
        (2, "malformed_row", "line 3: not valid JSON (Expecting value at column 58)"),
        (2, "malformed_row", "line 5: 5 fields where the header has 4"),
    ]
    assert "Luis" not in str(listed[2].model_dump())  # why, never the personal data

    capsys.readouterr()
    assert main(["quarantine", "--store", store_url]) == 0
    out = capsys.readouterr().out
    assert "row 2: malformed_row record web:2 (line 5: 5 fields where the header has 4)" in out
    assert "row 3: malformed_row (line 4: a JSON array, not an object)" in out
