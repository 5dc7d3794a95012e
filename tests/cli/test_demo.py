"""`cx360 demo`: the accuracy it prints is the store's against the generated truth, and the
commands it suggests run on the demo store."""

from __future__ import annotations

import csv
import re
import shlex
from itertools import combinations
from pathlib import Path

import pytest

from cx360.cli import main
from cx360.cli._sample import pairwise_accuracy


def _pairs(groups: dict[tuple[str, str], str]) -> set[frozenset[tuple[str, str]]]:
    """Every pair of keys with the same group, listed one by one."""
    return {
        frozenset(pair) for pair in combinations(groups, 2) if groups[pair[0]] == groups[pair[1]]
    }


def _read(path: Path, column: str) -> dict[tuple[str, str], str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {(r["source"], r["source_record_id"]): r[column] for r in csv.DictReader(handle)}


def test_demo_prints_its_accuracy_and_next_commands_that_run(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    demo_dir = tmp_path / "demo"
    argv = ["demo", "--records", "800", "--seed", "3", "--dir", str(demo_dir)]
    assert main([*argv, "--store", store_url]) == 0
    out = capsys.readouterr().out

    found = re.search(r"precision (\S+)\s+recall (\S+)\s+F1 (\S+)", out)
    assert found is not None, out
    precision, recall, f1 = (float(value) for value in found.groups())
    # the figures, counted again pair by pair from the store's assignments and the truth
    truth = _read(demo_dir / "truth.csv", "person_id")
    assert main(["export", "--out", str(tmp_path / "mine.csv"), "--store", store_url]) == 0
    customers = _read(tmp_path / "mine.csv", "customer_id")
    grouped = {key: customers.get(key) or f"alone:{key}" for key in truth}
    predicted, true = _pairs(grouped), _pairs(truth)
    assert precision == pytest.approx(len(predicted & true) / len(predicted), abs=5e-5)
    assert recall == pytest.approx(len(predicted & true) / len(true), abs=5e-5)
    assert f1 == pytest.approx(2 * precision * recall / (precision + recall), abs=1e-4)
    assert precision > 0.95 and recall > 0.8  # resolution works on its own demo

    suggested = out[out.index("next, try:") :].splitlines()[1:]
    commands = [shlex.split(line.strip()) for line in suggested if line.strip()]
    assert [c[1] for c in commands][:3] == ["profile", "context", "explain"]
    for command in commands:
        assert command[0] == "cx360" and command[-2:] == ["--store", store_url]
        capsys.readouterr()
        if command[1] == "export":  # into the test's folder, not the working directory
            command[command.index("profiles.csv")] = str(tmp_path / "profiles.csv")
        assert main(command[1:]) == 0, command
    assert (tmp_path / "profiles.csv").stat().st_size > 0


def test_pairwise_accuracy_counts_pairs_and_unassigned_records_alone() -> None:
    truth = {("web", "1"): "P1", ("web", "2"): "P1", ("app", "3"): "P1", ("app", "4"): "P2"}
    customers = {("web", "1"): "c1", ("web", "2"): "c1", ("app", "4"): "c1"}  # app:3 unresolved
    accuracy = pairwise_accuracy(customers, truth)
    # predicted pairs: 1-2, 1-4, 2-4; true pairs: 1-2, 1-3, 2-3; both: 1-2
    assert accuracy.precision == pytest.approx(1 / 3)
    assert accuracy.recall == pytest.approx(1 / 3)
    assert accuracy.f1 == pytest.approx(1 / 3)
    assert (accuracy.records, accuracy.people, accuracy.customers) == (4, 2, 2)
    nothing_linked = pairwise_accuracy({}, {("web", "1"): "P1", ("web", "2"): "P2"})
    assert (nothing_linked.precision, nothing_linked.recall) == (1.0, 1.0)
