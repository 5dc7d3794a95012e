from __future__ import annotations

import csv
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from sqlalchemy import select

import cx360
from benchmarks._datasets import load_fake_1000
from cx360 import Hub
from cx360.resolve import _features, _splink
from cx360.resolve._batch import _Rows, load_features
from cx360.resolve._guards import GuardLimits
from cx360.resolve._incremental import GUARD_COLUMNS
from cx360.resolve._run_state import RunState
from cx360.resolve._splink import (
    SplinkSession,
    _settings,
    most_similar_strongest,
    refine_u,
    train_model,
)
from cx360.resolve._training import guard_limits, train
from cx360.store import Store
from cx360.store._schema import matching_models, resolution_runs
from cx360.synthetic import write_dataset
from tests.resolve.conftest import ResolvedDataset


def _level(model: dict[str, Any], comparison: str, label: str) -> dict[str, Any]:
    for entry in model["comparisons"]:
        if entry["output_column_name"] == comparison:
            for level in entry["comparison_levels"]:
                if level.get("label_for_charts") == label:
                    return dict(level)
    raise KeyError((comparison, label))


def test_u_is_counted_over_pairs_in_different_clusters() -> None:
    emails = ["a@x.com", "a@x.com", "a@x.com", "b@x.com", None]
    rows = [
        {"unique_id": i + 1, **dict.fromkeys(GUARD_COLUMNS), "email_key": email}
        for i, email in enumerate(emails)
    ]
    schema = pa.schema([("unique_id", pa.int64())] + [(c, pa.string()) for c in GUARD_COLUMNS])
    session = SplinkSession(duckdb.connect(), pa.Table.from_pylist(rows, schema=schema))
    clusters = pa.table({"unique_id": [1, 2, 3, 4, 5], "cluster": [1, 1, 3, 4, 5]})
    model = _settings()
    refined = refine_u(session, model, clusters)
    # 4 records with an e-mail: 6 pairs; records 1-3 and 2-3 agree across clusters
    assert _level(refined, "email", "exact")["u_probability"] == pytest.approx(2 / 6)
    assert "u_probability" not in _level(refined, "phone", "exact")  # no phones: untouched
    assert _level(refined, "given_name", "exact") == _level(model, "given_name", "exact")
    assert model["comparisons"] is not refined["comparisons"]  # the input is not changed


def test_counted_u_makes_strong_identifiers_stronger(
    resolved_3000: ResolvedDataset, tmp_path: Path
) -> None:
    # Random pairs of records hold true matches at about the rate at which two people
    # share an e-mail, so sampled u undervalues it; counted u does not. (The records'
    # features are read from a resolved store: resolving writes none of them.)
    store = resolved_3000.copy(tmp_path)
    with store.connection() as conn:
        table = load_features(conn)
    store.close()
    session = SplinkSession(duckdb.connect(), table)
    sampled = train_model(session)
    rows = _Rows({c: table.column(c).to_pylist() for c in GUARD_COLUMNS})
    counted = train(session, table, rows, limits=GuardLimits())
    for comparison in ("email", "phone", "national_id"):
        before = _level(sampled, comparison, "exact")
        after = _level(counted, comparison, "exact")
        assert after["u_probability"] < before["u_probability"] / 2, comparison
        # m is EM's, untouched by the refinement (two trainings agree up to rounding)
        assert after["m_probability"] == pytest.approx(before["m_probability"], rel=1e-6)


def test_a_column_nobody_filled_keeps_its_comparison(tmp_path: Path) -> None:
    # Splink's EM session on an empty block (no two records share an e-mail) raised after
    # taking the e-mail and phone comparisons out of the model, and they stayed out: real
    # time and explanations then refused the model, and the prior it saved was Splink's
    # in-session one (0.99 on FEBRL4).
    data = write_dataset(tmp_path / "data", n_records=1500, seed=3, fmt="csv")
    records = [
        {**row, "email": "", "phone": ""}
        for row in csv.DictReader(data.records_path.open(encoding="utf-8"))
    ]
    store = Store.open(f"sqlite:///{tmp_path / 'no-contacts.db'}")
    hub = Hub(store)
    hub.ingest(records)
    hub.resolve()
    with store.connection() as conn:
        model = conn.execute(select(matching_models.c.params)).scalar_one()
    names = [c["output_column_name"] for c in model["comparisons"]]
    assert names == [c["output_column_name"] for c in _settings()["comparisons"]]
    assert model["probability_two_random_records_match"] < 0.01
    first, second = records[0], records[1]
    pair = hub.explain_pair(
        (first["source"], first["source_record_id"]), (second["source"], second["source_record_id"])
    )
    assert {c.comparison for c in pair.comparisons} >= {"email", "phone"}
    assert hub.resolve_record({**first, "source_record_id": "again-1"}).customer_id
    hub.close()


def test_a_store_without_any_pair_the_training_rules_find_resolves(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # 40 synthetic people with two records each sharing a phone, the given name typed
    # differently in the second: the deterministic rules find no pair, and the prior
    # falls back instead of being 0 (log2(0) failed every later step); EM still learns
    # from the pairs sharing a phone, so the model is trained, and the report says how
    people = [
        {
            "source": source,
            "source_record_id": f"{source}-{i}",
            "full_name": f"{given}{chr(97 + i % 26)}{chr(97 + i // 26)} Quiroga{chr(97 + i % 26)}",
            "phone": f"+57 300 {1_000_000 + i * 7919:07d}",
        }
        for i in range(40)
        for source, given in (("web", "Zaida"), ("pos", "Zayda"))
    ]
    with cx360.connect(f"sqlite:///{tmp_path / 'apart.db'}") as hub:
        hub.ingest(records=people)
        with caplog.at_level("INFO", logger="cx360.resolve"):
            report = hub.resolve()
        with hub._store.connection() as conn:
            kinds = list(conn.execute(select(matching_models.c.kind)).scalars())
    assert report.records == 80 and kinds == ["splink"]
    assert len(report.notes) == 1 and "found no matching pair" in report.notes[0]
    assert any("found no matching pair" in r.getMessage() for r in caplog.records)
    assert not any("Zaida" in r.getMessage() or "Zayda" in r.getMessage() for r in caplog.records)
    assert not any("Za" in note for note in report.notes)  # no personal data


def _bayes_factor(model: dict[str, Any], comparison: str, label: str) -> float:
    level = _level(model, comparison, label)
    return float(level["m_probability"]) / float(level["u_probability"])


def test_the_most_similar_level_weighs_at_least_as_much_as_any_other() -> None:
    model = _settings()
    for entry in model["comparisons"]:
        if entry["output_column_name"] == "birth_date":
            for level, (m, u) in zip(
                [lv for lv in entry["comparison_levels"] if not lv.get("is_null_level")],
                [
                    *((0.02, 0.0001), (0.85, 0.001), (0.01, 0.0001)),
                    *((0.1, 0.003), (0.02, 0.01), (0.01, 0.98)),
                ],
                strict=True,
            ):
                level["m_probability"], level["u_probability"] = m, u
    fixed = most_similar_strongest(model)
    # exact was 200 against 850 for a typo: raised to the typo's, u kept
    assert _bayes_factor(fixed, "birth_date", "exact") == pytest.approx(850)
    assert _level(fixed, "birth_date", "exact")["u_probability"] == 0.0001
    assert _bayes_factor(fixed, "birth_date", "same year") == pytest.approx(2)
    assert _level(model, "birth_date", "exact")["m_probability"] == 0.02  # input unchanged
    # levels without trained probabilities are left alone
    assert "m_probability" not in _level(fixed, "email", "exact")


def _one_error(rng: random.Random, record: dict[str, str]) -> dict[str, str]:
    """A second record of the person with exactly one field keyed wrong (RLdata's way)."""
    out = dict(record)
    field = rng.choice(["first_name", "last_name", "year", "month", "day"])
    if field in ("first_name", "last_name"):
        name = out[field]
        i = rng.randrange(1, len(name))
        out[field] = name[:i] + ("x" if name[i] != "x" else "z") + name[i + 1 :]  # one typo
    else:
        year, month, day = out["date_of_birth"].split("-")
        if field == "year":
            year = str(rng.randrange(1920, 2005))
        elif field == "month":
            month = f"{rng.randrange(1, 13):02d}"
        else:
            day = f"{rng.randrange(1, 29):02d}"
        out["date_of_birth"] = f"{year}-{month}-{day}"
    return out


def test_em_on_one_error_duplicates_learns_exact_dates_as_the_strongest(tmp_path: Path) -> None:
    # Every duplicate carries one error, so among pairs blocked on exact names the true
    # ones have a wrong birth date: EM alone weighs an equal date below a mistyped one.
    rng = random.Random(11)
    syllables = ["ka", "ri", "mo", "len", "sta", "vi", "dor", "an", "bel", "tu", "ger", "hil"]

    def name(words: int) -> str:
        return "".join(rng.choice(syllables) for _ in range(words)).capitalize()

    givens, surnames = [name(2) for _ in range(120)], [name(3) for _ in range(400)]
    records: list[dict[str, str]] = []
    for person in range(1500):
        record = {
            "first_name": rng.choice(givens),
            "last_name": rng.choice(surnames),
            "date_of_birth": f"{rng.randrange(1920, 2005)}-{rng.randrange(1, 13):02d}-"
            f"{rng.randrange(1, 29):02d}",
        }
        records.append(record)
        if person % 5 == 0:
            records.append(_one_error(rng, record))
    rows = [
        {"source": "crm", "source_record_id": str(i), **record} for i, record in enumerate(records)
    ]
    store = Store.open(f"sqlite:///{tmp_path / 'one-error.db'}")
    Hub(store).ingest(rows)
    with store.connection() as conn:
        table = load_features(conn)
    store.close()
    model = train_model(SplinkSession(duckdb.connect(), table))
    exact = _bayes_factor(model, "birth_date", "exact")
    assert exact >= _bayes_factor(model, "birth_date", "typo or day/month swapped")
    # a common given name's exact level cannot weigh more than m = 1 gives it
    given_exact, given_typo = (_level(model, "given_name", k) for k in ("exact", "typo"))
    assert given_exact["m_probability"] >= given_typo["m_probability"]


def _with_date_conflict(m: float, u: float) -> dict[str, Any]:
    """Settings whose birth date's last level ('else') has these m and u."""
    model = _settings()
    for entry in model["comparisons"]:
        if entry["output_column_name"] == "birth_date":
            entry["comparison_levels"][-1].update(m_probability=m, u_probability=u)
    return model


def test_the_birth_date_guard_stays_where_dates_tell_people_apart() -> None:
    limits = GuardLimits()
    # one person's records hold unrelated dates in one pair of 250: a conflict is proof
    assert guard_limits(limits, _with_date_conflict(0.004, 0.98)) == limits
    assert guard_limits(limits, None) == limits  # no model yet
    assert guard_limits(limits, _settings()) == limits  # nothing trained


def test_the_birth_date_guard_goes_where_one_persons_dates_often_differ() -> None:
    # a third of true pairs with unrelated dates (typed from memory, guessed): a date
    # conflict is barely likelier between two people, no veto
    found = guard_limits(GuardLimits(), _with_date_conflict(0.36, 0.98))
    assert found == GuardLimits(check_birth_dates=False)
    off = GuardLimits(check_birth_dates=False, bridge_match_weight=None)
    assert guard_limits(off, _with_date_conflict(0.004, 0.98)) == off  # never switched on


def test_a_store_whose_dates_are_noise_resolves_without_the_date_guard(tmp_path: Path) -> None:
    # Splink's fake_1000 (benchmarks/data): one person's records often hold unrelated
    # birth dates. The model finds the dates unfit for a veto, the run notes the limits it
    # used, and explanations, real time and the next (incremental) run follow them.
    frame = load_fake_1000()
    rows = frame.records.fillna("").astype(str).to_dict("records")
    with cx360.connect(f"sqlite:///{tmp_path / 'noisy-dates.db'}") as hub:
        hub.ingest(records=rows)
        hub.resolve()
        with hub._store.connection() as conn:
            (run,) = conn.execute(select(resolution_runs.c.id)).scalars()
            state = RunState.read(conn, run)
        assert state is not None and state.limits.check_birth_dates is False
        # two records of one person with different birth dates: no guard between them
        dates = dict(zip(frame.records.source_record_id, frame.records.date_of_birth, strict=True))
        people: dict[str, list[str]] = {}
        for key, person in frame.truth.items():
            people.setdefault(str(person), []).append(str(key).split("|")[1])
        apart = [ids for ids in people.values() if len({dates[i] for i in ids}) > 1]
        first, second = (("fake_1000", i) for i in apart[0][:2])
        explained = hub.explain_pair(first, second)
        assert explained.guard_conflict is None
        customer = hub.explain_record(first).customer_id
        again = {**next(r for r in rows if r["source_record_id"] == first[1])}
        again |= {"source_record_id": "again", "date_of_birth": "1931-07-19"}
        assert hub.resolve_record(again).customer_id == customer
        hub.ingest(records=[{**again, "source_record_id": "later"}])
        assert hub.resolve().mode == "incremental"


def test_levels_trained_apart_leave_every_other_parameter_as_it_was(
    resolved_3000: ResolvedDataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The e-mail levels between equal and different are learned with every other
    # parameter fixed: the model's other parameters are those a model without them has.
    store = resolved_3000.copy(tmp_path)
    with store.connection() as conn:
        table = load_features(conn)
    store.close()
    with_them = train_model(SplinkSession(duckdb.connect(), table))
    without = tuple(
        replace(c, levels=tuple(lv for lv in c.levels if not lv.trained_apart))
        for c in _features.COMPARISONS
    )
    monkeypatch.setattr(_features, "COMPARISONS", without)
    monkeypatch.setattr(_splink, "COMPARISONS", without)
    without_them = train_model(SplinkSession(duckdb.connect(), table))
    prior = "probability_two_random_records_match"
    assert with_them[prior] == without_them[prior]
    for comparison in without_them["comparisons"]:
        name = comparison["output_column_name"]
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            kept = _level(with_them, name, level["label_for_charts"])
            assert kept.keys() == level.keys()  # a level EM left untrained is so in both
            for key in ("m_probability", "u_probability"):
                if key in level:
                    assert kept[key] == pytest.approx(level[key], rel=1e-9), (name, key)
    exact = _level(with_them, "email", "exact")
    for label in ("typo", "same numbered user name"):
        level = _level(with_them, "email", label)
        # learned (not left at a default), and never stronger than equal addresses
        assert 0.0 < level["m_probability"] < 1.0 and 0.0 < level["u_probability"] < 1.0
        factor = level["m_probability"] / level["u_probability"]
        assert factor <= exact["m_probability"] / exact["u_probability"]
