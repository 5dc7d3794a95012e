"""`cx360 report`: CX measures as text tables and as JSON, store-wide and per customer."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from cx360 import CxReport, connect
from cx360.cli import main


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A resolved SQLite store with interactions."""
    tmp = tmp_path_factory.mktemp("report-cli")
    store = f"sqlite:///{tmp / 'c.db'}"
    assert main(["generate", "--records", "800", "--seed", "6", "--out", str(tmp)]) == 0
    argv = ["ingest", str(tmp / "records.csv"), "--interactions", str(tmp / "interactions.csv")]
    assert main([*argv, "--store", store, "--no-progress"]) == 0
    assert main(["resolve", "--store", store]) == 0
    return store


def test_store_report_as_text_and_json(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["report", "--store", url]) == 0
    text = capsys.readouterr().out
    assert text.startswith("CX report: whole store")
    for words in ("interactions", "per customer", "cases (by start channel)", "FCR (of all"):
        assert words in text
    for channel in ("whatsapp", "call_center", "email"):
        assert channel in text

    assert main(["report", "--store", url, "--json"]) == 0
    printed = CxReport.model_validate(json.loads(capsys.readouterr().out))
    with connect(url) as hub:
        assert printed == hub.report()
    assert printed.cases.cases > 0


def test_customer_window_and_channel(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with connect(url) as hub:
        whole = hub.report()
        windowed = hub.report(
            since=datetime(2024, 1, 1, tzinfo=UTC), until=datetime(2025, 1, 1, tzinfo=UTC)
        )
    capsys.readouterr()
    argv = ["report", "--store", url, "--since", "2024-01-01", "--until", "2025-01-01", "--json"]
    assert main(argv) == 0
    assert CxReport.model_validate_json(capsys.readouterr().out) == windowed
    assert windowed.contacts.interactions < whole.contacts.interactions

    assert main(["report", "--store", url, "--channel", "web", "--json"]) == 0
    assert list(CxReport.model_validate_json(capsys.readouterr().out).cases_by_channel) == ["web"]

    customer = _a_customer(url)
    assert main(["report", "--store", url, "--customer-id", customer]) == 0
    assert capsys.readouterr().out.startswith(f"CX report: customer {customer}")

    assert main(["report", "--store", url, "--customer-id", "cus_nobody"]) == 2
    assert "no customer" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["report", "--store", url, "--since", "last tuesday"])


def _a_customer(url: str) -> str:
    with connect(url) as hub:
        return hub.top_customers(limit=1)[0].customer_id


def test_report_help_lists_the_filters(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    shown = capsys.readouterr().out
    for option in ("--customer-id", "--since", "--until", "--channel", "--json", "--store"):
        assert option in shown
