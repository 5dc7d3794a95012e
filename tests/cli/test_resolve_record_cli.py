"""`cx360 resolve-record`: one record from --record-json or stdin, resolved now."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from cx360.cli import main


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("resolve-record-cli")
    url = f"sqlite:///{tmp / 'c.db'}"
    assert main(["generate", "--records", "800", "--seed", "8", "--out", str(tmp)]) == 0
    assert main(["ingest", str(tmp / "records.csv"), "--store", url, "--no-progress"]) == 0
    assert main(["resolve", "--store", url]) == 0
    with (tmp / "records.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return url, rows


def test_a_record_given_as_json_is_resolved(
    resolved: tuple[str, list[dict[str, str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, rows = resolved
    original = next(r for r in rows if r["phone"] and r["email"] and r["date_of_birth"])
    copy = dict(original, source="app", source_record_id="cli-1")
    capsys.readouterr()
    argv = ["resolve-record", "--record-json", json.dumps(copy), "--store", url, "--json"]
    assert main(argv) == 0
    match = json.loads(capsys.readouterr().out)
    assert match["record"] == {"source": "app", "source_record_id": "cli-1"}
    assert match["stored"] == "inserted"
    assert match["status"] in ("matched", "merged")
    assert match["customer_id"].startswith("cus_")
    assert match["explanation"]["above_threshold"] is True


def test_a_record_read_from_stdin(
    resolved: tuple[str, list[dict[str, str]]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, rows = resolved
    monkeypatch.setattr(
        "sys.stdin", io.StringIO(json.dumps(dict(rows[-1], source_record_id="cli-2")))
    )
    capsys.readouterr()
    assert main(["resolve-record", "--store", url, "--json"]) == 0
    match = json.loads(capsys.readouterr().out)
    assert match["record"]["source_record_id"] == "cli-2"
    assert match["status"] in ("matched", "merged", "new", "ambiguous")


def test_the_match_as_text_by_default(
    resolved: tuple[str, list[dict[str, str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, rows = resolved
    original = next(r for r in rows if r["phone"] and r["email"] and r["date_of_birth"])
    copy = json.dumps(dict(original, source="app", source_record_id="cli-3"))
    capsys.readouterr()
    assert main(["resolve-record", "--record-json", copy, "--store", url]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith("app:cli-3: ") and first.endswith("; record inserted")
    assert " -> customer cus_" in first
    assert "deciding pair: with " in out
    # the same record again: stored as it was, in the customer it joined
    assert main(["resolve-record", "--record-json", copy, "--store", url]) == 0
    again = capsys.readouterr().out.splitlines()[0]
    assert again.startswith("app:cli-3: unchanged -> customer cus_")


def test_bad_input_is_an_error_without_its_content(
    resolved: tuple[str, list[dict[str, str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = resolved
    capsys.readouterr()
    bad = '{"phone": "+57 300 555 0199"'
    assert main(["resolve-record", "--record-json", bad, "--store", url]) == 2
    err = capsys.readouterr().err
    assert "not valid JSON" in err and "0199" not in err
    assert main(["resolve-record", "--record-json", '["a"]', "--store", url]) == 2
    assert main(["resolve-record", "--record-json", '{"source": "web"}', "--store", url]) == 2
    assert "source_record_id" in capsys.readouterr().err
    assert Path(url.removeprefix("sqlite:///")).exists()


def test_a_record_with_its_own_header_names_and_a_mapping(
    resolved: tuple[str, list[dict[str, str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, rows = resolved
    original = next(r for r in rows if r["phone"] and r["email"] and r["date_of_birth"])
    spanish = {
        "Código": "cli-4",
        "Nombre": original["first_name"],
        "Apellidos": original["last_name"],
        "Correo electrónico": original["email"],
        "Teléfono": original["phone"],
        "Fecha de nacimiento": original["date_of_birth"],
    }
    capsys.readouterr()
    argv = ["resolve-record", "--record-json", json.dumps(spanish), "--store", url, "--json"]
    assert main([*argv, "--source", "tienda", "--id-column", "Código"]) == 0
    match = json.loads(capsys.readouterr().out)
    assert match["record"] == {"source": "tienda", "source_record_id": "cli-4"}
    assert match["status"] in ("matched", "merged")
    contract = dict(original, source="app", source_record_id="cli-5")
    argv = ["resolve-record", "--record-json", json.dumps(contract), "--store", url, "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["customer_id"] == match["customer_id"]
    assert main([*argv, "--map", "nothing"]) == 2
    assert "TARGET=COLUMN" in capsys.readouterr().err
