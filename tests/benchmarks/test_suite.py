"""The accuracy suite: public-set loaders, Splink as its docs configure it, the table."""

from __future__ import annotations

import inspect
import json
from dataclasses import fields
from pathlib import Path

import pandas as pd
import pytest

from benchmarks._baselines import normalize_records, splink_docs
from benchmarks._datasets import PUBLIC_SETS, public_data_dir
from benchmarks._metrics import as_key_series, evaluate
from benchmarks.accuracy import ABLATIONS, DATASETS, ablation_table, main, suite_table
from cx360 import GuardLimits, Hub
from cx360.models import RECORD_COLUMNS
from cx360.synthetic import generate

# name: (records, persons, link type, Splink documentation model)
EXPECTED = {
    "febrl1": (1_000, 500, "dedupe_only", "febrl"),
    "febrl2": (5_000, 4_000, "dedupe_only", "febrl"),
    "febrl3": (5_000, 2_000, "dedupe_only", "febrl"),
    "febrl4": (10_000, 5_000, "link_only", "febrl_link"),
    "rldata500": (500, 450, "dedupe_only", "names_dob"),
    "rldata10000": (10_000, 9_000, "dedupe_only", "names_dob"),
    "fake_1000": (1_000, 251, "dedupe_only", "fake_1000"),
}

needs_fake_1000 = pytest.mark.skipif(
    not (public_data_dir() / "fake_1000.csv").exists(),
    reason="fake_1000.csv not found (set CX360_BENCH_PUBLIC_DATA)",
)


def test_every_public_set_is_in_the_suite() -> None:
    assert set(EXPECTED) == set(PUBLIC_SETS)
    assert set(EXPECTED) <= set(DATASETS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_public_set_counts_truth_and_keys(name: str) -> None:
    if name == "fake_1000" and not (public_data_dir() / "fake_1000.csv").exists():
        pytest.skip("fake_1000.csv not found")
    records, persons, link_type, kind = EXPECTED[name]
    public = PUBLIC_SETS[name]()
    assert (len(public.records), public.truth.nunique()) == (records, persons)
    assert (public.link_type, public.kind) == (link_type, kind)
    assert list(public.records.columns[: len(RECORD_COLUMNS)]) == list(RECORD_COLUMNS)
    keys = public.records["source"] + "|" + public.records["source_record_id"]
    # every method is scored on the same keys: contract records, truth, Splink's columns
    assert keys.tolist() == public.truth.index.tolist() == public.raw["unique_id"].tolist()
    assert public.truth.notna().all()


def test_febrl4_links_two_files_each_person_once_in_each() -> None:
    public = PUBLIC_SETS["febrl4"]()
    per_file = public.raw.groupby("source_dataset").size()
    assert per_file.to_dict() == {"febrl4a": 5_000, "febrl4b": 5_000}
    assert public.truth.value_counts().eq(2).all()


@needs_fake_1000
def test_splink_docs_on_fake_1000_is_sane() -> None:
    public = PUBLIC_SETS["fake_1000"]()
    result = splink_docs(public.raw, public.kind, log_level="ERROR")
    assert result.info["example"] == "tutorial fake_1000"
    assert result.info["threshold"] == 0.2
    assert result.clusters.index.tolist() == public.raw["unique_id"].tolist()
    metrics = evaluate(as_key_series(result.clusters, "predicted"), public.truth)
    # a simple model on a small, messy set: precise, and finds a share of the pairs
    assert metrics.precision >= 0.9
    assert 0.3 <= metrics.recall < 1.0
    assert set(result.seconds) == {"train", "predict", "cluster"}


def test_splink_docs_on_omnichannel_records() -> None:
    data = generate(2_000, seed=4).collect()
    records = pd.DataFrame(data.records)
    truth = pd.Series(
        [t["person_id"] for t in data.truth],
        index=[f"{t['source']}|{t['source_record_id']}" for t in data.truth],
    )
    normalized = normalize_records(records, workers=1)
    result = splink_docs(normalized, "omnichannel", log_level="ERROR")
    assert "phone_key" in result.info["columns"] and "email_key" in result.info["columns"]
    metrics = evaluate(as_key_series(result.clusters, "predicted"), truth)
    assert metrics.precision >= 0.8
    assert metrics.recall >= 0.5


def _row(dataset: str, method: str, f1: float | None, seed: int | None = None) -> dict:
    row: dict = {"dataset": dataset, "seed": seed, "records": 1_000, "method": method}
    row["seconds"] = 2.5
    if f1 is None:
        row["error"] = "ValueError"
        return row
    row["metrics"] = {"precision": 1.0, "recall": f1, "f1": f1}
    row["info"] = {"ingest_seconds": 1.25} if method == "cx360" else {}
    row["normalize_seconds"] = None if method == "cx360" else 0.5
    return row


def test_suite_table_has_a_row_per_dataset_and_method_and_shows_failures() -> None:
    rows = [
        _row("febrl1", "cx360", 0.9),
        _row("febrl1", "splink_docs", None),
        _row("synthetic", "exact", 0.5, seed=11),
    ]
    lines = suite_table(rows).splitlines()
    assert lines[0] == "| dataset | records | method | P | R | F1 | seconds | prep s |"
    assert lines[2] == "| febrl1 | 1,000 | cx360 | 1.0000 | 0.9000 | 0.9000 | 2.5 | 1.2 |"
    assert lines[3] == "| febrl1 | 1,000 | splink_docs | failed (ValueError) |  |  | 2.5 |  |"
    assert lines[4] == "| synthetic s11 | 1,000 | exact | 1.0000 | 0.5000 | 0.5000 | 2.5 | 0.5 |"
    assert len(lines) == 2 + len(rows)


@needs_fake_1000
def test_suite_command_writes_the_table_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "suite.json"
    argv = ["--suite", "--datasets", "fake_1000", "--methods", "exact", "splink_docs"]
    assert main([*argv, "--json", str(out)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert [line.split(" | ")[2] for line in table[2:]] == ["exact", "splink_docs"]
    payload = json.loads(out.read_text())
    assert set(payload["meta"]) >= {"command", "machine", "commit", "wall_seconds"}
    assert [r["method"] for r in payload["rows"]] == ["exact", "splink_docs"]
    assert all(0.0 <= r["metrics"]["f1"] <= 1.0 for r in payload["rows"])


def test_a_set_that_cannot_be_read_fails_its_rows_not_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CX360_BENCH_PUBLIC_DATA", str(tmp_path / "nowhere"))
    argv = ["--suite", "--datasets", "fake_1000", "rldata500", "--methods", "exact"]
    assert main(argv) == 0
    table = capsys.readouterr().out.splitlines()[2:]
    assert table[0].startswith("| fake_1000 | 0 | exact | failed (FileNotFoundError) |")
    assert table[1].startswith("| rldata500 | 500 | exact | 1.0000 |")


def test_every_ablation_switches_something_resolve_knows() -> None:
    limits = {f.name for f in fields(GuardLimits)}
    options = set(inspect.signature(Hub.resolve).parameters)
    for name, ablation in ABLATIONS.items():
        assert ablation.resolve or ablation.limits or ablation.rules, name
        assert set(ablation.limits) <= limits and set(ablation.resolve) <= options, name


def test_ablation_table_shows_each_rules_change() -> None:
    base = [_row("febrl1", "cx360", 0.9), _row("febrl2", "cx360", 0.8)]
    without = [_row("febrl1", "cx360", 0.7), _row("febrl2", "cx360", None)]
    lines = ablation_table({"": base, "weak_bridges": without, "sole_holders": base}).splitlines()
    assert lines[0] == "| without | febrl1 | febrl2 |"
    assert (
        lines[2]
        == "| (nothing): P / R / F1 | 1.0000 / 0.9000 / 0.9000 | 1.0000 / 0.8000 / 0.8000 |"
    )
    assert lines[3] == "| weak_bridges | 0 / -0.2000 / -0.2000 | failed (ValueError) |"
    assert lines[4] == "| sole_holders | 0 / 0 / 0 | 0 / 0 / 0 |"


@needs_fake_1000
def test_ablate_runs_cx360_with_and_without_a_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ablation.json"
    argv = ["--ablate", "swapped_names", "--datasets", "fake_1000", "--json", str(out)]
    assert main(argv) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "| without | fake_1000 |" and table[3].startswith("| swapped_names | ")
    results = json.loads(out.read_text())["ablation"]
    base, without = results[""][0], results["swapped_names"][0]
    assert without["info"]["without"] == ["swapped_names"] and "without" not in base["info"]
    # fake_1000 swaps first names and surnames: without the rule, fewer such pairs join
    assert without["metrics"]["recall"] < base["metrics"]["recall"]
