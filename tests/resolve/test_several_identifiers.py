"""Records holding several phones and e-mails: every value is used for matching. Batch
(Splink's blocking over the exploded values), incremental runs and real time score the
same pairs; the evidence twins (Python and Arrow) agree; the new lookups use an index on
SQLite and PostgreSQL; a store where each record holds one value blocks as before."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select, text

from cx360 import Hub, SparkOptions
from cx360.resolve._blocking import OTHERS_COLUMN, OTHERS_SEPARATOR, RULES
from cx360.resolve._evidence import (
    CONTACT_COLUMNS,
    contacts_agree,
    identified_mask,
    identifiers_agree,
)
from cx360.resolve._incremental import ROW_COLUMNS
from cx360.resolve._splink import SplinkSession, _settings, default_model, predict_edges
from cx360.resolve.realtime._candidates import _OTHERS_CANDIDATES
from cx360.store import Store
from cx360.store._schema import record_identifiers, records
from tests._plans import explain
from tests.resolve._differential import edges, scored_three_ways
from tests.resolve._support import generated
from tests.resolve.conftest import spark_test

# -- evidence: Python and Arrow twins ---------------------------------------------------

_PHONES = (None, "+573001", "+573002", "+573003")
_EMAILS = (None, "ana@x.co", "bo@x.co", "cy@x.co")
_OTHERS = st.lists(
    st.sampled_from([f"phone:{p}" for p in _PHONES[1:]] + [f"email:{e}" for e in _EMAILS[1:]]),
    max_size=3,
    unique=True,
).map(lambda items: OTHERS_SEPARATOR.join(items) or None)
_RECORD = st.fixed_dictionaries(
    {"phone_key": st.sampled_from(_PHONES), "email_key": st.sampled_from(_EMAILS)}
    | {OTHERS_COLUMN: _OTHERS}
)


def _features(drawn: dict[str, Any]) -> dict[str, Any]:
    return {**dict.fromkeys(ROW_COLUMNS), **drawn}


def _table(people: list[dict[str, Any]]) -> pa.Table:
    columns = {"unique_id": pa.array(range(len(people)), pa.int64())}
    for column in ROW_COLUMNS:
        columns[column] = pa.array([p[column] for p in people], pa.string())
    return pa.table(columns)


@settings(max_examples=200, deadline=None)
@given(drawn=st.lists(_RECORD, min_size=2, max_size=6))
def test_any_shared_phone_or_email_is_evidence_in_python_and_arrow_alike(
    drawn: list[dict[str, Any]],
) -> None:
    people = [_features(d) for d in drawn]
    pairs = [(i, j) for i in range(len(people)) for j in range(len(people)) if i != j]
    left = np.array([i for i, _ in pairs])
    right = np.array([j for _, j in pairs])
    table = _table(people)
    identified = identified_mask(table, left, right)
    contacts = identified_mask(table, left, right, CONTACT_COLUMNS)
    for n, (i, j) in enumerate(pairs):
        a, b = people[i], people[j]
        shared = any(set(_values(a, kind)) & set(_values(b, kind)) for kind in ("phone", "email"))
        assert contacts_agree(a, b) == shared == bool(contacts[n])
        assert identifiers_agree(a, b) == shared == bool(identified[n])


def _values(record: dict[str, Any], kind: str) -> list[str]:
    first = record[f"{kind}_key"]
    others = (record[OTHERS_COLUMN] or "").split(OTHERS_SEPARATOR)
    extra = [item.split(":", 1)[1] for item in others if item.startswith(kind + ":")]
    return ([first] if first else []) + extra


# -- batch: Splink's pairs ----------------------------------------------------------------


def test_splink_scores_records_sharing_only_another_phone_or_email_each_pair_once() -> None:
    people = [
        {"phone_key": "+573001", OTHERS_COLUMN: "phone:+573002"},
        {"phone_key": "+573002"},
        {"phone_key": "+573009", OTHERS_COLUMN: "phone:+573002\x1femail:ana@x.co"},
        {"email_key": "ana@x.co", "phone_key": "+573001"},
        {"phone_key": "+573005"},
    ]
    table = _table([_features(p) for p in people])
    con = duckdb.connect()
    try:
        session = SplinkSession(con, table)
        model = {**default_model(), "probability_two_random_records_match": 0.5}
        edges = predict_edges(session, model, min_match_weight=-1e9)
    finally:
        con.close()
    ends = (edges.column(f"unique_id_{side}").to_pylist() for side in "lr")
    pairs = list(zip(*ends, strict=True))
    assert len(pairs) == len(set(pairs))  # no pair twice, though several rules find some
    assert set(pairs) == {(0, 1), (0, 2), (1, 2), (0, 3), (2, 3)}


def test_a_store_of_one_value_per_record_blocks_as_it_always_did() -> None:
    """No exploded rule and no list column: the plain case costs what it cost before."""
    table = _table([_features({"phone_key": "+573001"}), _features({"phone_key": "+573001"})])
    con = duckdb.connect()
    try:
        session = SplinkSession(con, table)
        assert session.exploding_rules == []
        plain = _settings()
        assert session.prediction_settings(plain) == plain
        # a model stored before a rule was added predicts with this version's rules
        rules = plain["blocking_rules_to_generate_predictions"]
        older = {**plain, "blocking_rules_to_generate_predictions": rules[:-1]}
        assert session.prediction_settings(older) == plain
        columns = session.query("SELECT * FROM cx360_records LIMIT 0").column_names
    finally:
        con.close()
    assert not any(name.startswith("all_") for name in columns)


# -- the new lookups use an index -----------------------------------------------------------


def _fill(store: Store, count: int = 300) -> None:
    """Records and further identifiers with varied keys, and fresh statistics."""
    with store.transaction() as conn:
        now = datetime.now(UTC)
        rows = [
            {
                "source": "web",
                "source_record_id": str(n),
                "version": 1,
                "content_hash": "h",
                "raw": {},
                "ingested_at": now,
                "updated_at": now,
                "phone_key": f"+57300{n % 97}",
                "email_key": f"user{n % 89}@example.com",
            }
            for n in range(count)
        ]
        conn.execute(insert(records), rows)
        ids = [int(i) for (i,) in conn.execute(select(records.c.id))]
        extra = [
            {"record_id": i, "kind": kind, "key": f"{kind}{i % 113}", "position": 2}
            for i in ids
            for kind in ("phone", "email")
        ]
        conn.execute(insert(record_identifiers), extra)
        conn.execute(text("ANALYZE"))


def test_the_lookups_of_further_identifiers_use_indexes(store: Store) -> None:
    _fill(store)
    for rule in RULES:
        if rule.many is None:
            continue
        key = rule.many.name
        first, other = rule.values_lookups_sql()
        values = {f"{key}_values": ["x", "y"]}
        lookups = {
            "holders": (select(records.c.id).where(*(rule.others_lookup_sql() or ())), {key: "x"}),
            "values as first": (select(records.c.id).where(first), values),
            "values as others": (select(records.c.id).where(other), values),
        }
        for name, (statement, params) in lookups.items():
            plan = explain(store, statement, params)
            index = f"ix_records_{key}" if name == "values as first" else "ix_record_identifiers"
            assert index in plan, (rule.name, name, plan)
            assert "SCAN records" not in plan and "SCAN i" not in plan, plan
            assert "Seq Scan" not in plan, (rule.name, name, plan)
    params = {
        "phone_key_values": ["+573001", "x"],
        "email_key_values": ["y"],
        "declared_key_values": ["card=1"],
    }
    plan = explain(store, _OTHERS_CANDIDATES, params)
    assert "SCAN records" not in plan and "Seq Scan" not in plan, plan


# -- batch, incremental and real time score the same pairs ----------------------------------


@pytest.fixture(scope="module")
def several(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], ...]:
    """Generated records where some hold a second phone or e-mail, the first value of
    another record of the same person (so that the two share only that one), in halves."""
    records = generated(tmp_path_factory.mktemp("several"), n_records=1600, seed=41)
    for held in records.by_person():
        for column, joiner in (("phone", " / "), ("email", "; ")):
            values = [r for r in held if r[column]]
            distinct = {r[column] for r in values}
            if len(distinct) >= 2:
                first = values[0]
                other = next(r[column] for r in values if r[column] != first[column])
                first[column] = f"{first[column]}{joiner}{other}"
    rows = records.rows
    return rows[0::2], rows[1::2]


def _only_through_others(store: Store, pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The pairs whose records share a phone or e-mail only through a further one."""
    with store.connection() as conn:
        first = {
            int(i): (p, e)
            for i, p, e in conn.execute(
                select(records.c.id, records.c.phone_key, records.c.email_key)
            )
        }
        others: dict[int, set[tuple[str, str]]] = defaultdict(set)
        for i, kind, key in conn.execute(
            select(
                record_identifiers.c.record_id, record_identifiers.c.kind, record_identifiers.c.key
            )
        ):
            others[int(i)].add((kind, key))

    def values(i: int) -> set[tuple[str, str]]:
        phone, email = first[i]
        found = {("phone", phone), ("email", email)} - {("phone", None), ("email", None)}
        return found | others[i]

    return {
        (a, b) for a, b in pairs if values(a) & values(b) and not _first_shared(first[a], first[b])
    }


def _first_shared(a: tuple[Any, Any], b: tuple[Any, Any]) -> bool:
    return any(x is not None and x == y for x, y in zip(a, b, strict=True))


def test_batch_incremental_and_real_time_score_the_same_pairs(
    several: tuple[list[dict[str, Any]], ...], store: Store
) -> None:
    first, second = several
    scored = scored_three_ways(store, first, second)
    with store.connection() as conn:
        stored_others = conn.execute(
            select(func.count()).select_from(record_identifiers)
        ).scalar_one()
    assert stored_others > 0
    # some of the pairs exist only through a record's further phones or e-mails
    assert _only_through_others(store, set(scored.batch))


@spark_test
def test_spark_scores_the_pairs_duckdb_scores(
    request: pytest.FixtureRequest, several: tuple[list[dict[str, Any]], ...], tmp_path: Path
) -> None:
    """Splink's exploded blocking, translated for Spark, finds the same pairs."""
    spark = request.getfixturevalue("spark")
    store = Store.open(f"sqlite:///{tmp_path / 'cx360.db'}")
    hub = Hub(store)
    hub.ingest(records=[*several[0], *several[1]])
    hub.resolve()
    on_duckdb = edges(store)
    options = SparkOptions(session=spark, work_dir=str(tmp_path / "work"))
    assert hub.resolve(engine="spark", spark=options, full=True).mode == "full"
    on_spark = edges(store)
    assert on_spark.keys() == on_duckdb.keys()
    assert all(on_spark[pair] == pytest.approx(w, abs=1e-9) for pair, w in on_duckdb.items())
    assert _only_through_others(store, set(on_spark))
    hub.close()
