"""Declared compared attributes (an employer, a tier, a date, a number): read per kind by
ingest and real time, stored, compared by one comparison each that the model trains with
the rest; batch, incremental runs and real time score the same pairs; SQL and Python
levels agree. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import select

from cx360 import ColumnMapping, ConfigurationError, Hub, SparkOptions
from cx360.cli import main
from cx360.normalize.attributes import attribute_reading
from cx360.resolve._declared_comparisons import (
    VALUES_COLUMN,
    compared_comparison,
    comparisons_in_model,
    jaro_winkler,
)
from cx360.resolve._features import Comparison, Record, comparisons_for, splink_comparisons
from cx360.resolve._incremental import ROW_COLUMNS
from cx360.resolve._scoring import Scorer
from cx360.resolve._splink import (
    _canonical,
    _settings,
    _to_dialect_settings,
    default_model,
    register_jaro_winkler,
)
from cx360.store import Store
from cx360.store._schema import matching_models, records
from cx360.synthetic import write_dataset
from tests.resolve._differential import edges, scored_three_ways
from tests.resolve.conftest import spark_test

_KINDS = {"employer": "text", "tier": "exact", "since": "date", "credit": "number"}
_COLUMNS = {"employer": "Empresa", "tier": "Nivel", "since": "Cliente desde", "credit": "Cupo"}
_EMPLOYERS = [
    f"{a} {b}"
    for a in ("Andina", "Pacífico", "Nogal", "Cóndor", "Altamar", "Quimbaya", "Tayrona")
    for b in ("Logística", "Seguros", "Textiles", "Ingeniería", "Alimentos", "Software")
]


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _typo(rng: random.Random, text: str) -> str:
    at = rng.randrange(1, len(text) - 1)
    return text[:at] + text[at + 1] + text[at] + text[at + 2 :]


def _written_date(rng: random.Random, day: date) -> str:
    forms = (day.isoformat(), day.strftime("%d/%m/%Y"), day.strftime("%Y%m%d"))
    return rng.choice(forms)


def _written_number(rng: random.Random, amount: float) -> str:
    whole = int(amount)
    forms = (f"{amount:.2f}", f"{amount:.2f}".replace(".", ","), f"{whole:,}.00", str(whole))
    return rng.choice(forms)


def _attributes_of(rng: random.Random) -> dict[str, Any]:
    """One person's values."""
    return {
        "employer": rng.choice(_EMPLOYERS),
        "tier": rng.choice(["Oro", "Plata", "Bronce", "Platino", "Zafiro"]),
        "since": date(2005, 1, 1) + timedelta(days=rng.randrange(6000)),
        "credit": float(rng.randrange(500, 40_000) * 25),
    }


def _as_written(rng: random.Random, held: dict[str, Any]) -> dict[str, str]:
    """A record's cells for a person's values: written in varied ways, some with a slip,
    some left empty, a few unreadable."""
    cells = {}
    employer = held["employer"]
    cells["Empresa"] = rng.choice([employer, employer.upper(), _typo(rng, employer)])
    cells["Nivel"] = rng.choice([held["tier"], held["tier"].lower() + " "])
    since = held["since"]
    cells["Cliente desde"] = (
        f"{since.year}-{since.day:02d}-{since.month:02d}"
        if rng.random() < 0.1 and since.day <= 12
        else _written_date(rng, since)
    )
    cells["Cupo"] = _written_number(rng, held["credit"])
    for column in cells:
        roll = rng.random()
        if roll < 0.25:
            cells[column] = ""
        elif roll < 0.28 and column in ("Cliente desde", "Cupo"):
            cells[column] = "pendiente"
    return cells


@pytest.fixture(scope="module")
def described(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], ...]:
    """Generated records with four more columns, each person's values written in varied
    ways; in halves (ingested, then streamed)."""
    out = tmp_path_factory.mktemp("described")
    files = dict(write_dataset(out, n_records=1600, seed=47, fmt="csv"))
    rows = _read(Path(files["records"]))
    person = {
        (r["source"], r["source_record_id"]): r["person_id"] for r in _read(Path(files["truth"]))
    }
    rng = random.Random(47)
    held: dict[str, dict[str, Any]] = defaultdict(lambda: _attributes_of(rng))
    for row in rows:
        row.update(_as_written(rng, held[person[(row["source"], row["source_record_id"])]]))
    return rows[0::2], rows[1::2]


def _declare_all(hub: Hub) -> None:
    for name, kind in _KINDS.items():
        hub.declare_attribute(name, kind=kind, column=_COLUMNS[name])  # type: ignore[arg-type]


def _latest_model(store: Store) -> dict[str, Any]:
    with store.connection() as conn:
        params = conn.execute(
            select(matching_models.c.params).order_by(matching_models.c.id.desc()).limit(1)
        ).scalar_one()
    return dict(params)


def _stored(store: Store, source_record_id: str) -> tuple[dict[str, Any], str | None]:
    with store.connection() as conn:
        values, issues = conn.execute(
            select(records.c.attribute_values, records.c.issues).where(
                records.c.source_record_id == source_record_id
            )
        ).one()
    return (json.loads(values) if values else {}), issues


# -- reading values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("exact", "  GOLD  Plus ", ("gold plus", None)),
        ("text", "Pacífico Seguros S.A.", ("pacifico seguros s a", None)),
        ("date", "07/03/2019", ("2019-03-07", None)),
        ("date", "2031-12-01", ("2031-12-01", None)),  # ahead: no birth date, still a date
        ("date", "31/02/2019", (None, "impossible")),
        ("date", "pendiente", (None, "unparseable")),
        ("number", "12,5", (12.5, None)),
        ("number", "1.234.567", (1234567.0, None)),
        ("number", "1.234,50", (1234.5, None)),
        ("number", "1,234.50", (1234.5, None)),
        ("number", "-7", (-7.0, None)),
        ("number", 40, (40.0, None)),
        ("number", "1,2,3", (None, "unparseable")),
        ("number", "n/a", (None, "unparseable")),
        ("text", "   ", (None, None)),
    ],
)
def test_values_are_read_per_kind(kind: str, raw: Any, expected: tuple[Any, Any]) -> None:
    assert attribute_reading(kind, raw) == expected


def test_each_kind_is_accepted_and_values_stored_normalized(store: Store) -> None:
    hub = Hub(store)
    _declare_all(hub)
    assert {a.name: a.kind for a in hub.declared_attributes()} == _KINDS
    row = {"source": "web", "source_record_id": "w1", "first_name": "Ana", "last_name": "Rey"}
    hub.ingest(
        records=[
            row
            | {"Empresa": "Cóndor Textiles", "Nivel": " ORO", "Cliente desde": "5/11/2014"}
            | {"Cupo": "1.500,75"},
            row
            | {"source_record_id": "w2", "Empresa": "", "Cliente desde": "pendiente"}
            | {"Cupo": "mucho"},
        ]
    )
    values, issues = _stored(store, "w1")
    assert values == {
        "text_employer": "condor textiles",
        "exact_tier": "oro",
        "date_since": "2014-11-05",
        "number_credit": 1500.75,
    }
    assert issues is None
    # bad values are kept (the raw row) and flagged, never silently dropped
    values, issues = _stored(store, "w2")
    assert values == {}
    assert issues is not None and set(issues.split()) == {
        "since:unparseable",
        "credit:unparseable",
    }
    with store.connection() as conn:
        raw = conn.execute(
            select(records.c.raw).where(records.c.source_record_id == "w2")
        ).scalar_one()
    assert raw["Cupo"] == "mucho" and raw["Cliente desde"] == "pendiente"
    hub.close()


def test_declaring_after_ingest_reads_the_stored_records_again(store: Store) -> None:
    hub = Hub(store)
    row = {"source": "web", "source_record_id": "w1", "first_name": "Ana", "Cupo": "12,5"}
    hub.ingest(records=[row, row | {"source_record_id": "w2", "Cupo": "doce"}])
    assert _stored(store, "w1") == ({}, None)
    assert hub.declare_attribute("credit", kind="number", column="Cupo") == 2
    assert _stored(store, "w1") == ({"number_credit": 12.5}, None)
    assert _stored(store, "w2") == ({}, "credit:unparseable")
    # declared again as another kind: read again, the former flags gone
    assert hub.declare_attribute("credit", kind="exact", column="Cupo") == 2
    assert _stored(store, "w1") == ({"exact_credit": "12,5"}, None)
    assert _stored(store, "w2") == ({"exact_credit": "doce"}, None)
    hub.close()


@pytest.mark.parametrize("name", ["email", "city", "given_name", "declared_identifier"])
def test_names_the_model_or_the_contract_holds_are_refused(store: Store, name: str) -> None:
    with pytest.raises(ConfigurationError, match="attribute"):
        Hub(store).declare_attribute(name, kind="text")


def test_a_mapping_declares_compared_attributes(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(
        '[attributes]\nemployer = { kind = "text", column = "Empresa" }\ntier = "exact"\n'
    )
    hub = Hub(store)
    row = {"source": "web", "source_record_id": "w1", "first_name": "Ana"}
    hub.ingest(
        records=[row | {"Empresa": "Nogal S.A.S.", "tier": "Oro"}],
        mapping=ColumnMapping.from_toml(path),
    )
    assert {a.name: (a.kind, a.column) for a in hub.declared_attributes()} == {
        "employer": ("text", "Empresa"),
        "tier": ("exact", "tier"),
    }
    assert _stored(store, "w1")[0] == {"text_employer": "nogal s a s", "exact_tier": "oro"}
    hub.close()


def test_the_cli_declares_compared_attributes(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        'source,source_record_id,first_name,Empresa,Cupo\nweb,w1,Ana,Altamar Seguros,"2.500,5"\n',
        encoding="utf-8",
    )
    argv = ["ingest", str(path), "--store", store_url, "--attribute", "employer=text:Empresa"]
    assert main([*argv, "--attribute", "credit=number:Cupo"]) == 0
    store = Store.open(store_url)
    try:
        assert _stored(store, "w1")[0] == {
            "text_employer": "altamar seguros",
            "number_credit": 2500.5,
        }
    finally:
        store.close()


# -- the comparisons: SQL and Python twins -----------------------------------------------------


def _pair(key: str, left: Any, right: Any) -> tuple[Record, Record]:
    def record(value: Any) -> Record:
        text = None if value is None else json.dumps({key: value})
        return {VALUES_COLUMN: text}

    return record(left), record(right)


def _sql_levels(comparison: Comparison, pairs: list[tuple[Record, Record]]) -> list[int]:
    """The level of each pair by the comparison's DuckDB SQL."""
    cases = " ".join(
        f"WHEN {level.sql} THEN {i}" if level.sql != "ELSE" else f"ELSE {i}"
        for i, level in enumerate(comparison.levels)
    )
    con = duckdb.connect()
    query = (
        f'SELECT CASE {cases} END FROM (SELECT ?::VARCHAR AS "{VALUES_COLUMN}_l", '
        f'?::VARCHAR AS "{VALUES_COLUMN}_r")'
    )
    found = []
    for left, right in pairs:
        row = con.execute(query, [left[VALUES_COLUMN], right[VALUES_COLUMN]]).fetchone()
        assert row is not None
        found.append(int(row[0]))
    return found


_NAMED_CASES = [
    ("exact", "oro", "oro", "exact"),
    ("exact", "oro", "plata", "else"),
    ("exact", None, "plata", "null"),
    ("text", "andina seguros", "andina seguros", "exact"),
    ("text", "andina seguros", "andina segurso", "jaro-winkler >= 0.92"),
    ("text", "andina seguros", "andina logistica", "jaro-winkler >= 0.8"),
    ("text", "andina seguros", "quimbaya textiles", "else"),
    ("date", "2014-11-05", "2014-11-05", "exact"),
    ("date", "2014-11-05", "2014-11-06", "typo or day/month swapped"),
    ("date", "2014-11-05", "2014-05-11", "typo or day/month swapped"),
    ("date", "2014-11-05", "2015-08-30", "within a year"),
    ("date", "2014-11-05", "2011-02-17", "else"),
    ("number", 1500.0, 1500.0, "exact"),
    ("number", 1500.0, 1510.0, "within 1%"),
    ("number", 1500.0, 1400.0, "within 10%"),
    ("number", 1500.0, 3000.0, "else"),
    ("number", None, None, "null"),
]


@pytest.mark.parametrize(("kind", "left", "right", "label"), _NAMED_CASES)
def test_named_cases_fall_in_their_level_in_sql_and_python(
    kind: str, left: Any, right: Any, label: str
) -> None:
    comparison = compared_comparison("attr", kind)
    pair = _pair(f"{kind}_attr", left, right)
    python_level = comparison.level_of(*pair)
    assert comparison.levels[python_level].label == label
    assert _sql_levels(comparison, [pair, pair[::-1]]) == [python_level, python_level]


def _generated_value(rng: random.Random, kind: str) -> Any:
    if kind == "number":
        return rng.choice([1000.0, 1005.0, 1090.0, 999.99, 0.0, -3.5, 1e6, 12.5, 12.25])
    if kind == "date":
        day = date(2010, 1, 1) + timedelta(days=rng.randrange(900))
        return rng.choice([day.isoformat(), "2010-03-04", "2010-04-03", "2010-03-05"])
    if kind == "text":
        words = [rng.choice(["ab", "abc", "andina", "andino", "seguros", "segurso", "s"])]
        return " ".join([*words, rng.choice(["", "x", "sa", "sas"])]).strip() or "a"
    return rng.choice(["oro", "plata", "oro plus"])


def _generated_pairs(rng: random.Random, kind: str, count: int = 1500) -> list[tuple[Any, Any]]:
    pairs = []
    for _ in range(count):
        left = None if rng.random() < 0.05 else _generated_value(rng, kind)
        right = left if rng.random() < 0.2 else _generated_value(rng, kind)
        pairs.append((left, right))
    return pairs


@pytest.mark.parametrize("kind", ["exact", "text", "date", "number"])
def test_sql_and_python_levels_agree_on_generated_pairs(kind: str) -> None:
    rng = random.Random(11)
    comparison = compared_comparison("attr", kind)
    pairs = [_pair(f"{kind}_attr", left, right) for left, right in _generated_pairs(rng, kind)]
    seen = set()
    for pair, sql_level in zip(pairs, _sql_levels(comparison, pairs), strict=True):
        assert sql_level == comparison.level_of(*pair), (kind, pair)
        seen.add(sql_level)
    assert seen == set(range(len(comparison.levels)))  # every level met


def test_jaro_winkler_is_duckdbs_to_the_last_bit() -> None:
    rng = random.Random(5)
    words = ["".join(rng.choice("abcde ") for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    pairs = list(zip(words[0::2], words[1::2], strict=True))
    con = duckdb.connect()
    for left, right in pairs:
        row = con.execute("SELECT jaro_winkler_similarity(?, ?)", [left, right]).fetchone()
        assert row is not None and jaro_winkler(left, right) == row[0], (left, right)


def test_models_with_compared_attributes_translate_to_spark_and_back() -> None:
    comparisons = comparisons_for(False, [(n, k) for n, k in _KINDS.items()])
    settings = _settings(comparisons)
    on_spark = _to_dialect_settings(settings, "spark")
    sql = [
        level["sql_condition"]
        for comparison in on_spark["comparisons"]
        for level in comparison["comparison_levels"]
    ]
    assert not any('"' in text for text in sql)
    assert any("GET_JSON_OBJECT(" in text for text in sql)
    # Jaro-Winkler on Spark (registered as `jaro_winkler`)
    assert any("jaro_winkler(GET_JSON_OBJECT(" in text for text in sql)
    assert _canonical(on_spark, settings) == settings
    # a stored model names its compared attributes (kinds included) in its own SQL
    assert [
        (c.name, [lv.label for lv in c.levels])
        for c in comparisons_in_model(splink_comparisons(comparisons))
    ] == [(c.name, [lv.label for lv in c.levels]) for c in comparisons[-4:]]


@spark_test
@pytest.mark.parametrize("kind", ["exact", "text", "date", "number"])
def test_spark_levels_are_the_python_levels(spark: Any, kind: str) -> None:
    """The comparison's SQL as Spark runs it (translated as a model's is) puts generated
    pairs in the level Python puts them in."""
    rng = random.Random(13)
    comparison = compared_comparison("attr", kind)
    pairs = [_pair(f"{kind}_attr", left, right) for left, right in _generated_pairs(rng, kind)]
    pairs += [_pair(f"{k}_attr", left, right) for k, left, right, _ in _NAMED_CASES if k == kind]
    on_spark = _to_dialect_settings(_settings(comparisons_for(False, [("attr", kind)])), "spark")
    (levels,) = [
        c["comparison_levels"]
        for c in on_spark["comparisons"]
        if c["output_column_name"] == comparison.name
    ]
    cases = " ".join(
        f"WHEN {level['sql_condition']} THEN {i}"
        if level["sql_condition"] != "ELSE"
        else f"ELSE {i}"
        for i, level in enumerate(levels)
    )
    register_jaro_winkler(spark)
    rows = [(n, left[VALUES_COLUMN], right[VALUES_COLUMN]) for n, (left, right) in enumerate(pairs)]
    columns = f"n INT, {VALUES_COLUMN}_l STRING, {VALUES_COLUMN}_r STRING"
    spark.createDataFrame(rows, columns).createOrReplaceTempView("attribute_pairs")
    found = spark.sql(f"SELECT n, CASE {cases} END AS level FROM attribute_pairs ORDER BY n")
    spark_levels = [int(row["level"]) for row in found.collect()]
    python_levels = [comparison.level_of(*pair) for pair in pairs]
    assert spark_levels == python_levels
    assert set(python_levels) == set(range(len(comparison.levels)))  # every level met


def test_a_default_model_leaves_compared_attributes_neutral() -> None:
    model = default_model(comparisons_for(False, [("tier", "exact")]))
    scorer = Scorer(model)
    record = {**dict.fromkeys(ROW_COLUMNS), "given_key": "ana", "surname_key": "rey"}
    same = {**record, VALUES_COLUMN: '{"exact_tier":"oro"}'}
    other = {**record, VALUES_COLUMN: '{"exact_tier":"plata"}'}
    assert scorer.match_weight(same, same) == scorer.match_weight(same, other)


# -- resolution ------------------------------------------------------------------------------


def test_batch_incremental_and_real_time_score_the_same_pairs(
    described: tuple[list[dict[str, Any]], ...], store: Store
) -> None:
    _declare_all(Hub(store))
    first, second = described
    scored = scored_three_ways(store, first, second)
    assert scored.new
    model = _latest_model(store)
    names = [c["output_column_name"] for c in model["comparisons"]]
    assert names[-4:] == sorted(_KINDS)  # one comparison per attribute, by name
    scorer = Scorer(model)
    # a pair agreeing on an attribute scores higher than one disagreeing, all else equal
    base = {**dict.fromkeys(ROW_COLUMNS), "given_key": "ana", "surname_key": "rey"}
    agreeing = {
        "employer": ('{"text_employer":"nogal seguros"}', '{"text_employer":"nogal seguros"}'),
        "tier": ('{"exact_tier":"oro"}', '{"exact_tier":"oro"}'),
        "since": ('{"date_since":"2014-11-05"}', '{"date_since":"2014-11-05"}'),
        "credit": ('{"number_credit":1500.0}', '{"number_credit":1500.0}'),
    }
    disagreeing = {
        "employer": ('{"text_employer":"nogal seguros"}', '{"text_employer":"tayrona software"}'),
        "tier": ('{"exact_tier":"oro"}', '{"exact_tier":"zafiro"}'),
        "since": ('{"date_since":"2014-11-05"}', '{"date_since":"2019-02-17"}'),
        "credit": ('{"number_credit":1500.0}', '{"number_credit":30000.0}'),
    }
    for name in _KINDS:
        (a, b), (c, d) = agreeing[name], disagreeing[name]
        agree = scorer.match_weight({**base, VALUES_COLUMN: a}, {**base, VALUES_COLUMN: b})
        disagree = scorer.match_weight({**base, VALUES_COLUMN: c}, {**base, VALUES_COLUMN: d})
        assert agree > disagree, name


@spark_test
def test_spark_scores_compared_attributes_as_duckdb(
    spark: Any, described: tuple[list[dict[str, Any]], ...], tmp_path: Path
) -> None:
    """A store declaring all four kinds, resolved on DuckDB, then on Spark with the same
    model: the same pairs and weights (a text attribute's Jaro-Winkler included)."""
    store = Store.open(f"sqlite:///{tmp_path / 'cx360.db'}")
    try:
        hub = Hub(store)
        _declare_all(hub)
        hub.ingest(records=described[0])
        on_duckdb = hub.resolve()
        duckdb_edges = edges(store)
        on_spark = hub.resolve(
            engine="spark",
            spark=SparkOptions(session=spark, work_dir=str(tmp_path / "work")),
            full=True,
        )
        assert on_spark.model_id == on_duckdb.model_id
        spark_edges = edges(store)
        assert spark_edges.keys() == duckdb_edges.keys() and len(spark_edges) > 500
        for pair, weight in duckdb_edges.items():
            assert spark_edges[pair] == pytest.approx(weight, abs=1e-9)
        assert on_spark.records_reassigned == 0
    finally:
        store.close()


def test_a_model_without_the_new_comparison_is_trained_again(
    described: tuple[list[dict[str, Any]], ...], store: Store
) -> None:
    hub = Hub(store)
    hub.ingest(records=described[0])
    before = hub.resolve()
    assert not comparisons_in_model(_latest_model(store)["comparisons"])
    hub.declare_attribute("employer", kind="text", column="Empresa")
    after = hub.resolve()
    assert after.model_id != before.model_id
    assert any("other comparisons" in note for note in after.notes)
    assert [c.name for c in comparisons_in_model(_latest_model(store)["comparisons"])] == [
        "employer"
    ]
    # real time scores with it
    row = described[1][0]
    assert hub.resolve_record(row).status in ("new", "matched", "merged")
    hub.close()
