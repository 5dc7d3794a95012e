"""benchmarks/diagnose.py on a small resolved store: the joins that mixed people, the
causes of splits, counted consistently with the truth."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import cx360
from benchmarks.diagnose import _Store, mixes, recluster, splits
from cx360.synthetic import write_dataset


def test_mixes_and_splits_account_for_the_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_dataset(tmp_path / "data", n_records=1500, seed=8, fmt="csv")
    url = f"sqlite:///{tmp_path / 'd.db'}"
    hub = cx360.connect(url)
    hub.ingest_files(data.records_path)
    report = hub.resolve()
    hub.close()
    store = _Store(url, data.truth_path)
    assert len(store.links) == report.links + report.sole_holder_links
    assert len(store.person) == report.records

    mixes(store, show=2, seed=1)
    out = capsys.readouterr().out
    first = int(out.split(" first joined two people")[0].rsplit("; ", 1)[1].replace(",", ""))
    customers: dict[str, set[str]] = {}
    for record_id, customer in store.customer.items():
        customers.setdefault(customer, set()).add(store.person[record_id])
    # a customer holding n people took 1 to n - 1 joins of two one-person groups
    mixed = [len(people) for people in customers.values() if len(people) > 1]
    assert len(mixed) <= first <= sum(n - 1 for n in mixed)

    splits(store, show=1, seed=1)
    out = capsys.readouterr().out
    counted = sum(
        int(line.split()[0].replace(",", "")) for line in out.splitlines() if " true pairs " in line
    )
    by_person: dict[str, set[str]] = {}
    for record_id, person in store.person.items():
        by_person.setdefault(person, set()).add(store.customer[record_id])
    # every part but each person's largest is explained once
    assert counted == sum(len(parts) - 1 for parts in by_person.values())

    # clustering the stored pairs again with the same code gives the run's customers: its
    # pairs as the store has them, every one of them made by a join the tally counts
    recluster(store, joins=True, show=1, seed=1)
    out = capsys.readouterr().out
    found = re.search(r"pairs ([\d,]+) true / ([\d,]+) false", out)
    assert found is not None
    true_pairs, false_pairs = (int(g.replace(",", "")) for g in found.groups())
    members: dict[str, list[str]] = {}
    for record_id, customer in store.customer.items():
        members.setdefault(customer, []).append(store.person[record_id])
    stored_true = stored_false = 0
    for people in members.values():
        for i, person in enumerate(people):
            same = sum(1 for other in people[i + 1 :] if other == person)
            stored_true += same
            stored_false += len(people) - i - 1 - same
    assert (true_pairs, false_pairs) == (stored_true, stored_false)
    routes = [
        ast.literal_eval(line[line.index("{") :])
        for line in out.split("joins by kind")[0].splitlines()
        if "'true pairs'" in line
    ]
    assert sum(r["true pairs"] for r in routes) == true_pairs
    assert sum(r["false pairs"] for r in routes) == false_pairs
