"""benchmarks/diagnose.py on a small resolved store: the joins that mixed people, the
causes of splits, counted consistently with the truth."""

from __future__ import annotations

from pathlib import Path

import pytest

import cx360
from benchmarks.diagnose import _Store, mixes, splits
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
