"""Any store resolves: empty, tiny, too uniform to train on, or sharing nothing.

Real SQLite store files, real Splink on DuckDB. A store the records cannot train a model
on is resolved with default match parameters and the report says so; real time works
after such a run; a later run trains once the store allows it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import cx360
from cx360 import Hub
from cx360.resolve._splink import MIN_TRAINING_RECORDS
from cx360.store._schema import matching_models
from cx360.synthetic import write_dataset

from ._support import assignments


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    """Synthetic records (people with several records each), in the generator's order."""
    data = write_dataset(tmp_path_factory.mktemp("small"), n_records=200, seed=3, fmt="csv")
    with data.records_path.open(encoding="utf-8", newline="") as handle:
        return [{k: v for k, v in row.items() if v} for row in csv.DictReader(handle)]


def _hub(tmp_path: Path, name: str = "small") -> Hub:
    return cx360.connect(f"sqlite:///{tmp_path / f'{name}.db'}")


def _model_kinds(hub: Hub) -> list[str]:
    with hub._store.connection() as conn:
        query = select(matching_models.c.kind).order_by(matching_models.c.id)
        return list(conn.execute(query).scalars())


def _uses_defaults(notes: list[str]) -> bool:
    return any("default match parameters" in note for note in notes)


def _walk_in(source_record_id: str) -> dict[str, str]:
    return {
        "source": "pos",
        "source_record_id": source_record_id,
        "full_name": "Maribel Quintero Saldarriaga",
        "email": "maribel.quintero77@correo.example.org",
        "birth_date": "1977-03-14",
    }


@pytest.mark.parametrize("size", [0, 1, 2, 3, 10, 49, 50, 60])
def test_a_store_of_any_size_resolves(
    size: int, generated: list[dict[str, str]], tmp_path: Path
) -> None:
    with _hub(tmp_path) as hub:
        if size:
            hub.ingest(records=generated[:size])
        report = hub.resolve()
        assert report.records == size
        assert 0 < report.customers <= size or report.customers == size == 0
        assert len(set(assignments(hub._store).values())) == report.customers
        # below the training size the model is one of default parameters, and said so
        assert _uses_defaults(report.notes) == (size < MIN_TRAINING_RECORDS)
        assert _model_kinds(hub)[-1] == ("default" if size < MIN_TRAINING_RECORDS else "splink")
        again = hub.resolve()
        assert (again.records, again.customers) == (report.records, report.customers)
        # real time works after it: a new person, then the same one again
        first = hub.resolve_record(_walk_in("rt-1"))
        assert first.status == "new" and first.customer_id
        second = hub.resolve_record(_walk_in("rt-2"))
        assert second.status == "matched" and second.customer_id == first.customer_id


def test_an_empty_store_resolves_to_nothing(tmp_path: Path) -> None:
    with _hub(tmp_path) as hub:
        report = hub.resolve()
        assert (report.records, report.customers, report.candidate_pairs) == (0, 0, 0)
        assert any("holds no records" in note for note in report.notes)
        assert hub.resolve_record(_walk_in("rt-1")).status == "new"


def test_a_small_store_links_a_name_with_one_more_detail_not_a_name_alone(
    tmp_path: Path,
) -> None:
    # default parameters: a shared name and e-mail, or name and birth date, link; the
    # same name alone (even with both surnames) does not
    records = [
        {"source": "web", "source_record_id": "1", "full_name": "Ana Rios Mejia",
         "email": "ana.rios.m@correo.example.org"},
        {"source": "pos", "source_record_id": "2", "full_name": "Ana Rios Mejia",
         "email": "ana.rios.m@correo.example.org", "phone": "+57 310 555 0101"},
        {"source": "call", "source_record_id": "3", "full_name": "Ana Rios Mejia",
         "birth_date": "1990-05-17", "email": "ana.rios.m@correo.example.org"},
        {"source": "web", "source_record_id": "4", "full_name": "Ana Rios Mejia",
         "birth_date": "1990-05-17"},
        {"source": "web", "source_record_id": "5", "full_name": "Julian Rios Mejia"},
        {"source": "web", "source_record_id": "6", "full_name": "Julian Rios Mejia"},
    ]  # fmt: skip
    with _hub(tmp_path) as hub:
        hub.ingest(records=records)
        report = hub.resolve()
        customer = assignments(hub._store)
        # explanations read the same model: the e-mail pair above the link weight, the
        # name-only pair below the name-only one
        linked = hub.explain_pair(("web", "1"), ("pos", "2"))
        apart = hub.explain_pair(("web", "5"), ("web", "6"))
    assert linked.above_threshold and linked.identifier_backed
    assert not apart.above_threshold and not apart.identifier_backed
    assert {c.comparison for c in linked.comparisons} >= {"email", "given_name", "city"}
    ana = {customer[("web", "1")], customer[("pos", "2")], customer[("call", "3")]}
    assert ana == {customer[("web", "4")]}
    assert customer[("web", "5")] != customer[("web", "6")]
    assert report.customers == 3 and _uses_defaults(report.notes)


def _people_apart(count: int) -> list[dict[str, Any]]:
    """Synthetic people who share nothing: no name, e-mail or phone in common."""
    return [
        {
            "source": "web",
            "source_record_id": f"r{i}",
            "full_name": f"Zaida{chr(97 + i % 26)}{i} Quiroga{i * 7}x",
            # user names far apart: two a typo or two apart would be e-mail evidence
            "email": f"{hashlib.sha1(str(i).encode()).hexdigest()[:12]}@mail{i}.example.co",
            "phone": f"+57 300 {1_000_000 + i * 7919:07d}",
        }
        for i in range(count)
    ]


def _alike(count: int) -> list[dict[str, Any]]:
    """One synthetic person's record, `count` times."""
    return [
        {
            "source": "web",
            "source_record_id": f"s{i}",
            "full_name": "Rosalba Cifuentes",
            "email": "rosalba.cifuentes81@correo.example.org",
            "phone": "+57 310 555 1234",
            "birth_date": "1981-04-02",
        }
        for i in range(count)
    ]


def _names_only(count: int) -> list[dict[str, Any]]:
    """Records with a name and nothing else, no two alike."""
    return [
        {
            "source": "web",
            "source_record_id": f"n{i}",
            "full_name": f"Luz{chr(97 + i % 26)} Perez{chr(97 + i // 26)}",
        }
        for i in range(count)
    ]


@pytest.mark.parametrize("count", [10, 60])
@pytest.mark.parametrize(
    ("people", "customers", "again"),
    [(_people_apart, "all", "matched"), (_alike, "one", "matched"), (_names_only, "all", "new")],
    ids=["sharing nothing", "all alike", "names only"],
)
def test_stores_that_cannot_train_resolve_with_default_parameters(
    count: int, people: Any, customers: str, again: str, tmp_path: Path
) -> None:
    # a record again: matched by its e-mail and phone; with only a name, a new customer
    with _hub(tmp_path) as hub:
        records = people(count)
        hub.ingest(records=records)
        report = hub.resolve()
        assert report.records == count
        assert report.customers == (count if customers == "all" else 1)
        assert _uses_defaults(report.notes)
        assert _model_kinds(hub) == ["default"]
        match = hub.resolve_record({**records[0], "source_record_id": "again"})
        assert match.status == again
        first = assignments(hub._store)[("web", records[0]["source_record_id"])]
        assert (match.customer_id == first) == (again == "matched")


def test_a_store_grown_past_the_training_size_trains_on_the_next_run(
    generated: list[dict[str, str]], tmp_path: Path
) -> None:
    with _hub(tmp_path) as hub:
        hub.ingest(records=generated[:20])
        assert _uses_defaults(hub.resolve().notes)
        hub.ingest(records=generated[20:120])
        report = hub.resolve()
        assert report.mode == "full" and report.notes == []
        assert _model_kinds(hub) == ["default", "splink"]
        assert hub.resolve().mode == "incremental"  # the trained model is kept


_FIRST_RESOLVE = """
import csv, sys
import cx360
with open(sys.argv[1], encoding="utf-8", newline="") as handle:
    rows = [{k: v for k, v in row.items() if v} for row in csv.DictReader(handle)]
with cx360.connect(f"sqlite:///{sys.argv[2]}") as hub:
    hub.ingest(records=rows[:120])
    report = hub.resolve()
assert report.customers > 0 and not report.notes, report
"""


def test_a_first_resolve_in_a_fresh_process_prints_nothing(
    tmp_path: Path, generated: list[dict[str, str]]
) -> None:
    # A process that configured no logging: Python prints warnings of loggers without
    # a handler on stderr, and Splink, asked to, adds its own handler there.
    path = tmp_path / "records.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=sorted({k for r in generated for k in r}))
        writer.writeheader()
        writer.writerows(generated)
    script = [sys.executable, "-c", _FIRST_RESOLVE, str(path), str(tmp_path / "fresh.db")]
    done = subprocess.run(script, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "" and done.stderr == ""


@pytest.fixture
def splink_logger_untouched() -> Iterator[logging.Logger]:
    """The "splink" logger as a fresh process has it (no handlers, propagating), the
    state it had restored afterwards: other tests run plain Splink, which sets its own."""
    splink = logging.getLogger("splink")
    saved = (list(splink.handlers), splink.propagate, splink.level)
    for handler in saved[0]:
        splink.removeHandler(handler)
    splink.propagate, splink.level = True, logging.NOTSET
    yield splink
    for handler in list(splink.handlers):
        splink.removeHandler(handler)
    for handler in saved[0]:
        splink.addHandler(handler)
    splink.propagate, splink.level = saved[1], saved[2]


def test_splink_messages_are_cx360_debug_records(
    generated: list[dict[str, str]],
    tmp_path: Path,
    splink_logger_untouched: logging.Logger,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # visible where the application asks for cx360's debug log, and printed nowhere
    with _hub(tmp_path) as hub, caplog.at_level(logging.DEBUG, "cx360.resolve.splink"):
        hub.ingest(records=generated[:120])
        capfd.readouterr()
        report = hub.resolve()
    assert report.notes == [] and report.customers > 0  # a trained model
    splink_lines = [r for r in caplog.records if r.name == "cx360.resolve.splink"]
    assert splink_lines and all(r.levelno == logging.DEBUG for r in splink_lines)
    assert any("WARNING" in r.getMessage() for r in splink_lines)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_the_command_prints_the_notes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cx360.cli import main

    path = tmp_path / "r.csv"
    path.write_text(
        "source,source_record_id,full_name,email\n"
        "web,1,Ana Rios,ana.rios.m@correo.example.org\n"
        "pos,2,Ana Rios,ana.rios.m@correo.example.org\n",
        "utf-8",
    )
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["ingest", str(path), "--store", url]) == 0
    capsys.readouterr()
    assert main(["resolve", "--store", url, "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert "resolved 2 records into 1 customers" in out
    assert "note: the store holds 2 records, fewer than the 50" in out
    assert err == ""
    assert main(["resolve", "--store", url, "--no-progress", "--json"]) == 0
    assert "default match parameters" in json.loads(capsys.readouterr().out)["notes"][0]
    assert main(["status", "--store", url]) == 0
    assert "(default parameters, on 2 records" in capsys.readouterr().out


def test_a_model_of_an_earlier_version_is_trained_anew(
    generated: list[dict[str, str]], tmp_path: Path
) -> None:
    with _hub(tmp_path) as hub:
        hub.ingest(records=generated[:120])
        hub.resolve()
        # the model as a cx360 before postcode and region stored it
        with hub._store.engine.begin() as conn:
            model_id, params = conn.execute(
                select(matching_models.c.id, matching_models.c.params)
            ).one()
            earlier = dict(params)
            earlier["comparisons"] = [
                c
                for c in params["comparisons"]
                if c["output_column_name"] not in ("postcode", "region")
            ]
            conn.execute(
                matching_models.update()
                .where(matching_models.c.id == model_id)
                .values(params=earlier)
            )
        with pytest.raises(cx360.ResolutionError, match="run resolve\\(\\) once"):
            hub.resolve_record(_walk_in("pos-1"))
        report = hub.resolve()
        assert report.mode == "full"
        assert any("trained on other comparisons" in note for note in report.notes)
        assert _model_kinds(hub) == ["splink", "splink"]
        assert hub.resolve_record(_walk_in("pos-2")).status in ("new", "matched", "merged")
        assert hub.resolve().mode == "incremental"
