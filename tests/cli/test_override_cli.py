"""`cx360 override`: a steward's link, separate, revoke and list, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cx360 import Hub
from cx360.cli import main
from cx360.store import Store


@pytest.fixture
def url(store_url: str) -> str:
    store = Store.open(store_url)
    Hub(store).ingest(
        records=[
            {"source": "web", "source_record_id": "w-1", "email": "ana.p@example.org"},
            {"source": "app", "source_record_id": "a:1", "email": "ana.p@example.org"},
            {"source": "store", "source_record_id": "s-1", "phone": "+57 300 555 0101"},
        ]
    )
    store.close()
    return store_url


def test_link_separate_revoke_and_list(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "os-user")
    argv = ["override", "link", "web:w-1", "app:a:1", "--reason", "same person", "--by", "ana"]
    assert main([*argv, "--store", url]) == 0
    assert "override 1: link; applies at the next resolve" in capsys.readouterr().out
    argv = ["override", "separate", "web:w-1", "store:s-1", "--reason", "other person"]
    assert main([*argv, "--store", url]) == 0
    capsys.readouterr()

    assert main(["override", "list", "--store", url]) == 0
    out = capsys.readouterr().out
    assert "link      web:w-1  app:a:1  by ana" in out  # the id is split at the first colon
    assert "separate  web:w-1  store:s-1  by os-user" in out  # --by defaults to the OS user

    assert main(["override", "revoke", "1", "--reason", "mistake", "--store", url]) == 0
    assert "override 1 revoked" in capsys.readouterr().out
    assert main(["override", "list", "--json", "--store", url]) == 0
    active = json.loads(capsys.readouterr().out)
    assert [o["id"] for o in active] == [2]
    assert main(["override", "list", "--all", "--json", "--store", url]) == 0
    everything = json.loads(capsys.readouterr().out)
    assert everything[0]["revoked_by"] == "os-user"
    assert everything[0]["revoke_reason"] == "mistake"
    assert everything[0]["record_b"] == {"source": "app", "source_record_id": "a:1"}
    assert main(["override", "list", "--all", "--store", url]) == 0
    assert "revoked by os-user" in capsys.readouterr().out


def test_errors_are_clear(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--reason", "r", "--by", "s", "--store", url]
    assert main(["override", "link", "web:w-1", "web:nope-12345", *base]) == 2
    err = capsys.readouterr().err
    assert "no record web:" in err and "nope-12345" not in err
    assert main(["override", "link", "web:w-1", "app:a:1", *base]) == 0
    assert main(["override", "separate", "app:a:1", "web:w-1", *base]) == 2
    assert "override 1 (link) is active" in capsys.readouterr().err
    assert main(["override", "revoke", "7", *base]) == 2
    assert "no override 7" in capsys.readouterr().err
    with pytest.raises(SystemExit) as bad:
        main(["override", "link", "w-1", "app:a:1", *base])
    assert bad.value.code == 2
    assert "SOURCE:ID" in capsys.readouterr().err


def test_list_when_there_is_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    Store.open(url).close()  # an empty store
    assert main(["override", "list", "--store", url]) == 0
    assert "no active overrides" in capsys.readouterr().out
