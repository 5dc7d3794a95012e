"""`cx360 consent`, `record-consent`, `subject-access`, `access-log`, and `--actor` on
profile, context and export: the privacy calls from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cx360 import Hub
from cx360.cli import main
from cx360.store import Store
from tests.profile._support import assign


@pytest.fixture
def url(store_url: str) -> str:
    store = Store.open(store_url)
    Hub(store).ingest(
        records=[
            {"source": "web", "source_record_id": "w-1", "email": "sara.vidal.k@proton.me",
             "observed_at": "2024-03-01T10:00:00Z", "consent_marketing_email": "yes"},
            {"source": "app", "source_record_id": "a-1", "phone": "+57 301 555 0199",
             "observed_at": "2024-03-02T10:00:00Z"},
        ]
    )  # fmt: skip
    assign(store, {"cus_sara": [("web", "w-1"), ("app", "a-1")]})
    store.close()
    return store_url


def test_consents_reads_and_subject_access_from_the_command_line(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = ["record-consent", "--record", "app:a-1", "--purpose", "marketing"]
    record += ["--status", "revoked", "--channel", "sms", "--source", "app", "--by", "cx-9"]
    assert main([*record, "--store", url]) == 0
    assert "recorded: marketing revoked (sms)" in capsys.readouterr().out
    assert main(["consent", "cus_sara", "--store", url]) == 0
    out = capsys.readouterr().out
    assert "marketing       email          granted  column of web" in out
    assert "marketing       sms            revoked  from app" in out
    assert main(["consent", "cus_sara", "--json", "--store", url]) == 0
    assert [e["status"] for e in json.loads(capsys.readouterr().out)] == ["granted", "revoked"]

    lookup = ["context", "--email", "sara.vidal.k@proton.me", "--actor", "agent-3"]
    assert main([*lookup, "--purpose", "call 77", "--store", url]) == 0
    capsys.readouterr()
    assert main(["export", "--profiles", "--out", str(tmp_path / "p.csv"),
                 "--actor", "bi", "--store", url]) == 0  # fmt: skip
    capsys.readouterr()
    out_file = tmp_path / "sara.json"
    access = ["subject-access", "cus_sara", "--out", str(out_file), "--actor", "dpo"]
    assert main([*access, "--store", url]) == 0
    assert "2 records, 0 interactions, 2 consents" in capsys.readouterr().out
    document = json.loads(out_file.read_text(encoding="utf-8"))
    assert document["customer_id"] == "cus_sara" and len(document["records"]) == 2

    assert main(["access-log", "--customer-id", "cus_sara", "--store", url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[2:4] for line in lines] == [
        ["dpo", "subject_access"],
        ["bi", "export"],
        ["agent-3", "context"],
    ]
    assert lines[-1].endswith("cus_sara  (call 77)")
    assert main(["access-log", "--actor", "bi", "--json", "--store", url]) == 0
    assert [e["customers"] for e in json.loads(capsys.readouterr().out)] == [1]


def test_privacy_usage_errors_exit_2(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["context", "--customer-id", "cus_sara", "--purpose", "x", "--store", url]) == 2
    assert "--actor" in capsys.readouterr().err
    assert main(["export", "--out", "-", "--actor", "bi", "--store", url]) == 2
    assert main(["consent", "cus_nobody", "--store", url]) == 2
