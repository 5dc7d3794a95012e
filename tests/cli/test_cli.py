"""The `cx360` command, run in-process through `main()` on real stores and files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cx360
from cx360.cli import main
from cx360.store import Store


def test_generate_then_ingest_reports_every_row(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert main(["generate", "--records", "600", "--seed", "3", "--out", str(data)]) == 0
    capsys.readouterr()
    argv = [
        "ingest",
        str(data / "records.csv"),
        "--interactions",
        str(data / "interactions.csv"),
        "--store",
        store_url,
        "--json",
    ]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    with (data / "records.csv").open(encoding="utf-8") as handle:
        given = sum(1 for _ in handle) - 1
    records = report["records"]
    assert records["rows"] == given
    assert records["inserted"] + records["quarantined"] == given
    assert report["interactions"]["rows"] > 0
    # the same files again change nothing
    assert main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["records"]["unchanged"] == records["inserted"]
    store = Store.open(store_url)
    assert store.count_records() == records["inserted"]
    store.close()


def test_source_country_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "wa.csv"
    path.write_text("source,source_record_id,phone\nwhatsapp,1,300 123 4567\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert main(["ingest", str(path), "--store", url, "--source-country", "whatsapp=CO"]) == 0
    assert "1 new" in capsys.readouterr().out
    store = Store.open(url)
    assert store.source_countries() == {"whatsapp": "CO"}
    store.close()


def test_bad_file_is_a_clear_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("channel,id\nweb,1\n", encoding="utf-8")
    code = main(["ingest", str(path), "--store", f"sqlite:///{tmp_path / 'c.db'}"])
    assert code == 2
    err = capsys.readouterr().err
    assert "missing required column" in err
    assert "Traceback" not in err


def test_quarantine_listing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.csv"
    path.write_text("source,source_record_id,email\nweb,,a@b.co\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'c.db'}"
    main(["ingest", str(path), "--store", url])
    capsys.readouterr()
    assert main(["quarantine", "--store", url]) == 0
    assert "row 1: missing_key (column source_record_id)" in capsys.readouterr().out


def test_demo_runs_on_the_embedded_default_and_shows_a_customer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CX360_STORE", raising=False)
    assert main(["demo", "--records", "600", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "store: sqlite:///cx360.db" in out
    assert "records: " in out
    assert "resolved " in out
    assert (tmp_path / "cx360.db").exists()
    assert (tmp_path / "cx360-demo" / "records.csv").exists()
    # the customer seen on the most channels, as the hub shows it
    lines = [line for line in out.splitlines() if line.strip()]
    card = next(i for i, line in enumerate(lines) if line.startswith("customer cus_"))
    assert "record(s) on" in lines[card]
    assert "golden record:" in lines[card + 1 :]
    with cx360.connect(tmp_path / "cx360.db", create=False) as hub:
        top = hub.top_customers(limit=1)[0]
    assert lines[card].startswith(f"customer {top.customer_id}: {top.records} record(s)")


def test_sole_holder_links_can_be_turned_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert main(["generate", "--records", "1500", "--seed", "4", "--out", str(data)]) == 0
    url = f"sqlite:///{tmp_path / 'sole.db'}"
    assert main(["ingest", str(data / "records.csv"), "--store", url]) == 0
    capsys.readouterr()
    assert main(["resolve", "--store", url, "--json"]) == 0
    default = json.loads(capsys.readouterr().out)
    assert default["sole_holder_links"] > 0
    # other link weights than the last run's: a full run, with no sole-holder links
    assert main(["resolve", "--store", url, "--no-sole-holder", "--json"]) == 0
    off = json.loads(capsys.readouterr().out)
    assert off["mode"] == "full" and off["sole_holder_links"] == 0
    assert off["customers"] > default["customers"]
    assert main(["resolve", "--store", url, "--sole-holder-match-weight", "0", "--json"]) == 0
    some = json.loads(capsys.readouterr().out)
    assert 0 < some["sole_holder_links"] <= default["sole_holder_links"]
