"""`cx360 profile` and `cx360 context`: a readable card, or JSON, by any identifier."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path

import pytest

import cx360
from cx360.cli import main
from cx360.store import Store
from tests.profile._support import assign


@pytest.fixture
def url(store_url: str) -> str:
    with cx360.connect(store_url) as hub:
        hub.configure_source("store", priority=10)
        hub.ingest(
            records=[
                {"source": "store", "source_record_id": "s1", "country": "CO",
                 "first_name": "Ana María", "last_name": "Gómez", "phone": "300 111 2233",
                 "national_id": "1020304050", "observed_at": "2024-01-01T00:00:00Z"},
                {"source": "whatsapp", "source_record_id": "573001112233", "country": "CO",
                 "full_name": "Anita", "phone": "+573001112233", "handle": "@anita"},
                {"source": "store", "source_record_id": "s2", "country": "CO",
                 "first_name": "Pedro", "last_name": "Gómez", "phone": "601 234 5678",
                 "email": "pedro.gomez.77@gmail.com"},
                {"source": "web", "source_record_id": "x2", "country": "CO",
                 "first_name": "Luisa", "last_name": "Gómez", "phone": "601 234 5678"},
            ],
            interactions=[
                {"source": "whatsapp", "source_record_id": "573001112233", "interaction_id": "i1",
                 "occurred_at": "2024-03-01T10:00:00Z", "type": "complaint", "status": "open",
                 "case_id": "C-7", "summary": "pedido sin llegar"},
            ],
        )  # fmt: skip
    with closing(Store.open(store_url)) as store:
        assign(
            store,
            {
                "cus_ana": [("store", "s1"), ("whatsapp", "573001112233")],
                "cus_pedro": [("store", "s2")],
                "cus_luisa": [("web", "x2")],
            },
            aliases={"cus_old": "cus_ana"},
        )
    return store_url


def test_profile_card(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "--phone", "300 111 2233", "--country", "CO", "--store", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("customer cus_ana: 2 record(s) on store, whatsapp")
    assert "Ana María Gómez" in out
    assert "(store 2024-01-01, source_priority)" in out
    assert "C-7" in out and "pedido sin llegar" in out
    assert "interactions (1, newest 1 shown)" in out


def test_profile_json_by_record_and_alias(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "--record", "whatsapp:573001112233", "--json", "--store", url]) == 0
    found = json.loads(capsys.readouterr().out)
    assert (found["status"], found["customer_id"]) == ("found", "cus_ana")
    assert found["profile"]["golden"]["national_id"]["value"] == "1020304050"
    assert main(["context", "--customer-id", "cus_old", "--json", "--store", url]) == 0
    card = json.loads(capsys.readouterr().out)
    assert (card["customer_id"], card["alias"]) == ("cus_ana", "cus_old")
    assert card["context"]["open_cases"][0]["case_id"] == "C-7"


def test_context_card(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["context", "--handle", "instagram.com/Anita", "--store", url]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Ana María Gómez — customer cus_ana"
    assert "national ID  1020304050" in out
    assert "prefers whatsapp, last contact on whatsapp 2024-03-01 10:00" in out


def test_ambiguous_and_not_found_exit_1(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["context", "--phone", "+57 601 234 5678", "--store", url]) == 1
    out = capsys.readouterr().out
    assert out.startswith("ambiguous: 2 customers")
    assert "cus_pedro" in out and "cus_luisa" in out
    assert main(["profile", "--email", "noemail@noemail.com", "--store", url]) == 1
    assert "placeholder" in capsys.readouterr().out
    assert main(["profile", "--email", "zq.nadie.4711@gmail.com", "--store", url]) == 1
    assert capsys.readouterr().out.startswith("not found")
    assert main(["profile", "--phone", "+57 601 234 5678", "--json", "--store", url]) == 1
    lookup = json.loads(capsys.readouterr().out)
    assert (lookup["status"], lookup["profile"]) == ("ambiguous", None)


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = f"sqlite:///{tmp_path / 'c.db'}"
    Store.open(store).close()  # an empty store
    with pytest.raises(SystemExit):  # argparse: exactly one identifier
        main(["profile", "--phone", "1", "--email", "a@b.co", "--store", store])
    assert "not allowed with argument" in capsys.readouterr().err
    assert main(["profile", "--phone", "300 111 2233", "--store", store]) == 2
    err = capsys.readouterr().err
    assert "needs its country" in err
    assert "300" not in err  # no personal data in messages
