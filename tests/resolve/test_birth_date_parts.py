"""Birth dates that do not exist (``1949-15-25``): ingest keeps what they say as
`birth_date_parts` (from CSV and from Python, on SQLite and PostgreSQL), the comparison
and the evidence read them in Python and in SQL/Arrow alike, and batch, incremental runs
and real time score the same pairs over them."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

import cx360
from cx360.normalize.dates import normalize_birth_date
from cx360.resolve._evidence import identified_mask, identifiers_agree
from cx360.resolve._features import COMPARISONS
from cx360.resolve._incremental import GUARD_COLUMNS, ROW_COLUMNS
from cx360.store import Store
from cx360.store._schema import records
from cx360.synthetic import write_dataset
from tests.resolve._differential import scored_three_ways

_BIRTH_DATE = next(c for c in COMPARISONS if c.name == "birth_date")


def _level(left: dict[str, Any], right: dict[str, Any]) -> str:
    return _BIRTH_DATE.levels[_BIRTH_DATE.level_of(left, right)].label


# -- ingest ---------------------------------------------------------------------------

_ROWS = [
    {"source": "crm", "source_record_id": "1", "full_name": "Greta Albers",
     "date_of_birth": "1949-15-25", "country": "DE"},
    {"source": "crm", "source_record_id": "2", "full_name": "Greta Albers",
     "date_of_birth": "9185-10-14", "country": "DE"},
    {"source": "crm", "source_record_id": "3", "full_name": "Greta Albers",
     "date_of_birth": "31/02/1990", "country": "DE"},
    {"source": "crm", "source_record_id": "4", "full_name": "Greta Albers",
     "date_of_birth": "1949-15-45", "country": "DE"},
    {"source": "crm", "source_record_id": "5", "full_name": "Greta Albers",
     "date_of_birth": "1949-05-25", "country": "DE"},
]  # fmt: skip
_STORED = {
    "1": (None, "1949-15-25", "date_of_birth:impossible"),
    "2": (None, "9185-10-14", "date_of_birth:out_of_range"),
    "3": (None, "1990-02-31", "date_of_birth:impossible"),
    "4": (None, None, "date_of_birth:impossible"),
    "5": ("1949-05-25", None, None),
}


def _stored(store_url: str) -> tuple[dict[str, tuple[Any, ...]], dict[str, Any]]:
    with cx360.connect(store_url) as hub, hub._store.connection() as conn:
        rows = conn.execute(
            select(
                records.c.source_record_id,
                records.c.birth_date,
                records.c.birth_date_parts,
                records.c.issues,
                records.c.raw,
            )
        ).all()
    values = {key: (date, parts, issues) for key, date, parts, issues, _ in rows}
    return values, {key: raw["date_of_birth"] for key, *_, raw in rows}


def test_python_records_keep_the_valid_parts_of_a_date_that_does_not_exist(
    store_url: str,
) -> None:
    with cx360.connect(store_url) as hub:
        hub.ingest(records=_ROWS)
    values, raw = _stored(store_url)
    assert values == _STORED
    assert raw == {row["source_record_id"]: row["date_of_birth"] for row in _ROWS}


def test_csv_records_keep_the_valid_parts_of_a_date_that_does_not_exist(
    store_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "crm.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(_ROWS[0]))
        writer.writeheader()
        writer.writerows(_ROWS)
    with cx360.connect(store_url) as hub:
        hub.ingest_files(records=path)
    values, raw = _stored(store_url)
    assert values == _STORED
    assert raw == {row["source_record_id"]: row["date_of_birth"] for row in _ROWS}


# -- comparison and evidence ------------------------------------------------------------


def _record(birth_date: str | None = None, parts: str | None = None) -> dict[str, Any]:
    return {**dict.fromkeys(ROW_COLUMNS), "birth_date": birth_date, "birth_date_parts": parts}


def test_a_date_that_does_not_exist_compares_by_its_parts() -> None:
    may_1949 = _record("1949-05-25")
    assert _level(_record(parts="1949-15-25"), may_1949) == "one part impossible"
    assert _level(_record(parts="9185-05-25"), may_1949) == "one part impossible"
    assert _level(_record(parts="1949-15-25"), _record(parts="1949-16-25")) == (
        "one part impossible"
    )
    assert _level(_record(parts="1949-15-24"), may_1949) == "same year"
    assert _level(_record(parts="1948-15-24"), may_1949) == "else"
    # its wrong part is no typo of a known date, and never equal to one
    assert _level(_record(parts="1949-15-25"), _record(parts="1949-15-25")) != "exact"
    assert _level(_record(parts="1949-15-25"), _record()) == "null"
    # with two parts the same, the date identifies as a date one part off does
    assert identifiers_agree(_record(parts="1949-15-25"), may_1949)
    assert not identifiers_agree(_record(parts="1949-15-24"), may_1949)


_DATES = st.sampled_from([None, "1949-05-25", "1949-25-05", "1949-05-24", "2000-01-01"])
_PARTS = st.sampled_from([None, "1949-15-25", "1949-05-45", "9185-05-25", "1949-25-05"])


@settings(max_examples=200, deadline=None)
@given(drawn=st.lists(st.tuples(_DATES, _PARTS), min_size=2, max_size=6))
def test_the_evidence_reads_written_dates_in_python_and_arrow_alike(
    drawn: list[tuple[str | None, str | None]],
) -> None:
    people = [_record(date, None if date else parts) for date, parts in drawn]
    columns = {"unique_id": pa.array(range(len(people)), pa.int64())}
    for column in ROW_COLUMNS:
        columns[column] = pa.array([p[column] for p in people], pa.string())
    pairs = [(i, j) for i in range(len(people)) for j in range(i + 1, len(people))]
    left, right = (np.array(side) for side in zip(*pairs, strict=True))
    arrow = identified_mask(pa.table(columns), left, right)
    python = [identifiers_agree(people[i], people[j]) for i, j in pairs]
    assert arrow.tolist() == python


# -- batch, incremental and real time ---------------------------------------------------


def _slipped(row: dict[str, str], n: int) -> dict[str, str]:
    """The row with its birth date keyed so that it does not exist: a month past 12, a
    day past 31 or a year of the future, in turn."""
    found = normalize_birth_date(row["date_of_birth"], row["country"])
    if found is None or found.iso is None:
        return row
    year, month, day = found.iso.split("-")
    written = (f"{year}-{int(month) + 12}-{day}", f"{year}-{month}-{int(day) + 40}",
               f"{int(year) + 1000}-{month}-{day}")[n % 3]  # fmt: skip
    return {**row, "date_of_birth": written}


@pytest.fixture(scope="module")
def slipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, str]], ...]:
    """Generated records where every third dated record's date does not exist, in halves."""
    out = tmp_path_factory.mktemp("slipped")
    files = dict(write_dataset(out, n_records=1600, seed=43, fmt="csv"))
    with Path(files["records"]).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    dated = [i for i, row in enumerate(rows) if row["date_of_birth"]]
    for n, i in enumerate(dated[::3]):
        rows[i] = _slipped(rows[i], n)
    return rows[0::2], rows[1::2]


def _features(store: Store) -> dict[int, dict[str, Any]]:
    with store.connection() as conn:
        rows = conn.execute(select(records.c.id, *(records.c[c] for c in GUARD_COLUMNS)))
        return {int(row[0]): dict(zip(GUARD_COLUMNS, row[1:], strict=True)) for row in rows}


def test_batch_incremental_and_real_time_score_written_dates_alike(
    slipped: tuple[list[dict[str, str]], ...], store: Store
) -> None:
    first, second = slipped
    scored = scored_three_ways(store, first, second)
    before, new, batch = scored.before, scored.new, scored.batch
    # among them, pairs that compare a written date by its parts, in both halves
    features = _features(store)
    by_parts = {
        pair
        for pair in batch
        if any(features[i]["birth_date_parts"] for i in pair)
        and _level(features[pair[0]], features[pair[1]]) in ("one part impossible", "same year")
    }
    assert by_parts & set(before) and by_parts & set(new)
