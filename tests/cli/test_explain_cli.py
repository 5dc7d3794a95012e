"""`cx360 explain`: a record's chain of links, a pair's waterfall (text, JSON, HTML)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from cx360.cli import main
from cx360.resolve._run_state import last_finished_run
from cx360.store import Store
from cx360.store._schema import record_links, records


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A resolved SQLite store and the two records of its strongest link."""
    tmp = tmp_path_factory.mktemp("explain-cli")
    url = f"sqlite:///{tmp / 'c.db'}"
    assert main(["generate", "--records", "1000", "--seed", "4", "--out", str(tmp)]) == 0
    assert main(["ingest", str(tmp / "records.csv"), "--store", url, "--no-progress"]) == 0
    assert main(["resolve", "--store", url]) == 0
    store = Store.open(url)
    with store.connection() as conn:
        link = conn.execute(
            select(record_links.c.record_id_l, record_links.c.record_id_r)
            .order_by(record_links.c.match_weight.desc())
            .limit(1)
        ).one()
        keys = {
            rid: f"{source}:{source_record_id}"
            for rid, source, source_record_id in conn.execute(
                select(records.c.id, records.c.source, records.c.source_record_id)
            )
        }
        email = conn.execute(
            select(records.c.email_key).where(records.c.id == link.record_id_l)
        ).scalar()
        last = last_finished_run(conn)
    store.close()
    assert last is not None and last.state is not None
    return {
        "url": url,
        "left": keys[link.record_id_l],
        "right": keys[link.record_id_r],
        "email": email,
        # the link weight the run derived (`LinkRule.calibrated`), as explanations show it
        "threshold": f"{last.state.rule.match_weight:g}",
    }


def test_pair_waterfall_as_text_and_json(
    resolved: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    argv = ["explain", resolved["left"], resolved["right"], "--store", resolved["url"]]
    assert main(argv) == 0
    text = capsys.readouterr().out
    for word in ("prior", "given_name", "surname", "email", "phone", "match weight"):
        assert word in text
    threshold = resolved["threshold"]
    assert f"above the link threshold {threshold} (for pairs sharing an identifier)" in text
    assert "same customer: yes (cus_" in text
    if resolved["email"]:
        assert resolved["email"] not in text  # values are masked in the table

    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    total = data["prior_match_weight"] + sum(c["match_weight"] for c in data["comparisons"])
    assert total == pytest.approx(data["match_weight"], abs=1e-9)
    assert data["same_customer"] is True
    assert data["left"]["source"] + ":" + data["left"]["source_record_id"] == resolved["left"]


def test_pair_waterfall_as_a_self_contained_html_page(
    resolved: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "why.html"
    argv = ["explain", resolved["left"], resolved["right"], "--store", resolved["url"]]
    assert main([*argv, "--html", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert "<svg" in html and html.count("<rect") >= 11  # prior, 9 comparisons, total
    assert f"threshold {resolved['threshold']}" in html
    # nothing fetched from elsewhere: no scripts, no external links or stylesheets
    assert "<script" not in html
    assert not re.search(r'(src|href)="', html)
    if resolved["email"]:
        assert resolved["email"] not in html


def test_record_chain_of_links(
    resolved: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["explain", resolved["left"], "--store", resolved["url"], "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["customer_id"].startswith("cus_")
    targets = {p["record"]["source"] + ":" + p["record"]["source_record_id"] for p in data["paths"]}
    assert resolved["right"] in targets
    assert not data["unreachable"]

    page = tmp_path / "record.html"
    argv = ["explain", resolved["left"], "--store", resolved["url"], "--html", str(page)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert f"{resolved['left']} is in customer {data['customer_id']}" in text
    assert f"{resolved['right']}" in text and "—[model " in text
    assert resolved["right"] in page.read_text(encoding="utf-8")


def test_unknown_record_is_a_clear_error(
    resolved: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["explain", "web:nobody-98765", "--store", resolved["url"]]) == 2
    err = capsys.readouterr().err
    assert "no record web:" in err
    assert "nobody-98765" not in err and "Traceback" not in err


def test_a_record_must_be_source_colon_id(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["explain", "no-colon"])
    assert caught.value.code == 2
    assert "SOURCE:ID" in capsys.readouterr().err
