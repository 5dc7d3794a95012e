"""Declared identifiers (a loyalty card): declared once in the store, read by ingest and
real time, blocking and weighed by the model; batch, incremental runs and real time score
the same pairs; declaring after ingest reads the stored records again. On SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import func, select

from cx360 import AttributeSpec, ColumnMapping, ConfigurationError, Hub, SparkOptions
from cx360.cli import main
from cx360.resolve._blocking import OTHERS_COLUMN
from cx360.resolve._evidence import CONTACT_COLUMNS, contacts_agree, identified_mask
from cx360.resolve._incremental import ROW_COLUMNS
from cx360.store import Store
from cx360.store._schema import (
    ingest_batches,
    matching_models,
    record_customers,
    record_identifiers,
    records,
)
from tests.resolve._differential import edges, scored_three_ways
from tests.resolve._support import generated
from tests.resolve.conftest import spark_test

_IDENTIFIERS = ("email", "phone", "national_id", "handle")


@pytest.fixture(scope="module")
def carded(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], ...]:
    """Generated records with a `loyalty_card` column: half the people hold a card (in
    each of their records, written in varied ways), and every second record of theirs
    has its other identifiers withheld, so that it shares only the card with the rest.
    In halves (ingested, then streamed)."""
    records = generated(tmp_path_factory.mktemp("carded"), n_records=1600, seed=43)
    rows = records.rows
    for row in rows:
        row["loyalty_card"] = ""
    rng = random.Random(43)
    for number, held in enumerate(records.by_person()):
        if number % 2:
            continue
        card = "".join(rng.choice("0123456789") for _ in range(8))
        for position, row in enumerate(held):
            row["loyalty_card"] = rng.choice([f"LC-{card}", f"lc {card}", card])
            if position % 2:
                row.update(dict.fromkeys(_IDENTIFIERS, ""))
    return rows[0::2], rows[1::2]


def _held(store: Store) -> dict[int, set[str]]:
    """Each record's declared identifiers, as stored."""
    with store.connection() as conn:
        found: dict[int, set[str]] = defaultdict(set)
        for i, key in conn.execute(select(records.c.id, records.c.declared_key)):
            if key is not None:
                found[int(i)].add(key)
        ids = record_identifiers.c
        for i, key in conn.execute(select(ids.record_id, ids.key).where(ids.kind == "declared")):
            found[int(i)].add(key)
    return found


def _only_through_cards(store: Store, pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The pairs whose records share a card and no contract identifier."""
    held = _held(store)
    columns = [records.c[f"{c}_key"] for c in _IDENTIFIERS]
    with store.connection() as conn:
        keys = {int(r[0]): r[1:] for r in conn.execute(select(records.c.id, *columns))}

    def other_shared(a: int, b: int) -> bool:
        return any(x is not None and x == y for x, y in zip(keys[a], keys[b], strict=True))

    return {(a, b) for a, b in pairs if held[a] & held[b] and not other_shared(a, b)}


def test_batch_incremental_and_real_time_score_the_same_pairs(
    carded: tuple[list[dict[str, Any]], ...], store: Store
) -> None:
    Hub(store).declare_attribute("loyalty_card")
    first, second = carded
    scored = scored_three_ways(store, first, second)
    with store.connection() as conn:
        params = conn.execute(
            select(matching_models.c.params).order_by(matching_models.c.id.desc()).limit(1)
        ).scalar_one()
    assert "declared_identifier" in [c["output_column_name"] for c in params["comparisons"]]
    held = _held(store)
    # one card per person, however written: one key
    assert len({key for keys in held.values() for key in keys}) < len(held)
    through_cards = _only_through_cards(store, set(scored.batch))
    assert through_cards, "no pair shares only a card"
    # those pairs are linked: the card is identifier evidence
    with store.connection() as conn:
        assigned = select(record_customers.c.record_id, record_customers.c.customer_id)
        customer = dict(conn.execute(assigned).all())
    linked = sum(customer[a] == customer[b] for a, b in through_cards)
    assert linked >= 0.9 * len(through_cards)


def test_every_pair_of_card_holders_is_scored(
    carded: tuple[list[dict[str, Any]], ...], store: Store
) -> None:
    """Blocking: records sharing a card are compared, whatever else they hold (the
    rule itself is checked against DuckDB, real time and locks in `test_blocking`)."""
    hub = Hub(store)
    hub.declare_attribute("loyalty_card")
    hub.ingest(records=[*carded[0], *carded[1]])
    hub.resolve()
    scored = set(edges(store))
    by_card: dict[str, list[int]] = defaultdict(list)
    for record_id, keys in _held(store).items():
        for key in keys:
            by_card[key].append(record_id)
    sharing = {pair for ids in by_card.values() for pair in combinations(sorted(ids), 2)}
    assert sharing
    # match_edges keeps the pairs sharing a contact identifier down to the sole-holder
    # weight: all but a pair whose names (and all else) disagree
    assert len(sharing - scored) <= 0.01 * len(sharing)
    hub.close()


@spark_test
def test_spark_scores_the_pairs_duckdb_scores(
    request: pytest.FixtureRequest, carded: tuple[list[dict[str, Any]], ...], tmp_path: Path
) -> None:
    spark = request.getfixturevalue("spark")
    store = Store.open(f"sqlite:///{tmp_path / 'cx360.db'}")
    hub = Hub(store)
    hub.declare_attribute("loyalty_card")
    hub.ingest(records=[*carded[0], *carded[1]])
    hub.resolve()
    on_duckdb = edges(store)
    options = SparkOptions(session=spark, work_dir=str(tmp_path / "work"))
    assert hub.resolve(engine="spark", spark=options, full=True).mode == "full"
    on_spark = edges(store)
    assert on_spark.keys() == on_duckdb.keys()
    assert all(on_spark[pair] == pytest.approx(w, abs=1e-9) for pair, w in on_duckdb.items())
    hub.close()


# -- declaring --------------------------------------------------------------------------------


def _people() -> list[dict[str, Any]]:
    return [
        {"source": "web", "source_record_id": "w1", "first_name": "Lucía", "last_name": "Prado",
         "email": "lucia.prado@proton.me", "tarjeta": "TP-4471 8820"},
        {"source": "pos", "source_record_id": "p1", "first_name": "Lucia", "last_name": "Prado",
         "phone": "+57 310 482 7719", "tarjeta": "tp44718820; TP-9090 1357"},
        {"source": "app", "source_record_id": "a1", "first_name": "Lucía", "last_name": "Prado",
         "tarjeta": "TP 9090-1357"},
        {"source": "pos", "source_record_id": "p2", "first_name": "Lucía", "last_name": "Prado",
         "phone": "+57 311 000 5566", "tarjeta": "N/A"},
    ]  # fmt: skip


def test_declaring_after_ingest_reads_the_stored_records_again(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(records=_people())
    hub.resolve()
    with store.connection() as conn:
        last_batch = conn.execute(select(func.max(ingest_batches.c.id))).scalar_one()
    assert _held(store) == {}
    assert hub.declare_attribute("card", column="tarjeta") == 3
    assert hub.declare_attribute("card", column="tarjeta") == 0  # the same again: nothing
    assert [a.name for a in hub.declared_attributes()] == ["card"]
    held = _held(store)
    assert sorted(map(sorted, held.values())) == [
        ["card=tp44718820"],
        ["card=tp44718820", "card=tp90901357"],  # two cards in one cell
        ["card=tp90901357"],
    ]  # "N/A" is no card
    with store.connection() as conn:
        moved = conn.execute(
            select(func.count()).where(records.c.batch_id > last_batch)
        ).scalar_one()
    assert moved == 3  # the next incremental run scores them again
    hub.resolve()
    with store.connection() as conn:
        customer = dict(
            conn.execute(
                select(records.c.source_record_id, record_customers.c.customer_id).join(
                    record_customers, record_customers.c.record_id == records.c.id
                )
            ).all()
        )
    # the web and app records share no contract identifier: the cards chain them
    assert customer["w1"] == customer["p1"] == customer["a1"]
    hub.close()


def test_real_time_reads_a_declaration_made_by_another_hub(store: Store) -> None:
    first, other = Hub(store), Hub(store)
    first.ingest(records=_people()[:2])
    first.resolve()
    other.resolve_record(_people()[2])  # before any declaration: no card read
    other.declare_attribute("card", column="tarjeta")
    match = first.resolve_record(_people()[2] | {"source_record_id": "a2"})
    with store.connection() as conn:
        key = conn.execute(
            select(records.c.declared_key).where(records.c.source_record_id == "a2")
        ).scalar_one()
    assert key == "card=tp90901357"
    assert match.status in ("matched", "merged")
    first.close()
    other.close()


def test_a_mapping_declares_its_attributes(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text('[attributes]\ncard = { kind = "identifier", column = "tarjeta" }\n')
    hub = Hub(store)
    hub.ingest(records=_people(), mapping=ColumnMapping.from_toml(path))
    assert [(a.name, a.column) for a in hub.declared_attributes()] == [("card", "tarjeta")]
    assert len(_held(store)) == 3
    hub.close()


def test_the_cli_declares_attributes(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["source", "source_record_id", "first_name", "tarjeta"])
        writer.writeheader()
        writer.writerows(
            {k: p.get(k, "") for k in ("source", "source_record_id", "first_name", "tarjeta")}
            for p in _people()
        )
    argv = ["ingest", str(path), "--store", store_url, "--attribute", "card=identifier:tarjeta"]
    assert main(argv) == 0
    store = Store.open(store_url)
    try:
        assert len(_held(store)) == 3
    finally:
        store.close()


@pytest.mark.parametrize(
    ("name", "kind"), [("Card", "identifier"), ("card-no", "identifier"), ("email", "text")]
)
def test_names_and_kinds_not_taken_are_refused(store: Store, name: str, kind: Any) -> None:
    with pytest.raises(ConfigurationError, match="attribute"):
        Hub(store).declare_attribute(name, kind=kind)


# -- evidence ----------------------------------------------------------------------------------


def test_a_shared_card_is_contact_evidence_in_python_and_arrow_alike() -> None:
    people = [
        {"declared_key": "card=1"},
        {"declared_key": "card=2", OTHERS_COLUMN: "declared:card=1"},
        {"declared_key": "passport=1"},
        {"declared_key": None},
    ]
    people = [{**dict.fromkeys(ROW_COLUMNS), **p} for p in people]
    table = pa.table(
        {"unique_id": pa.array(range(len(people)), pa.int64())}
        | {c: pa.array([p[c] for p in people], pa.string()) for c in ROW_COLUMNS}
    )
    pairs = [(i, j) for i in range(len(people)) for j in range(len(people)) if i != j]
    left, right = np.array([i for i, _ in pairs]), np.array([j for _, j in pairs])
    contacts = identified_mask(table, left, right, CONTACT_COLUMNS)
    expected = {(0, 1), (1, 0)}  # another attribute's equal key is no match
    for n, (i, j) in enumerate(pairs):
        assert contacts_agree(people[i], people[j]) == bool(contacts[n]) == ((i, j) in expected)


def test_a_declared_column_is_not_taken_for_a_contract_column(store: Store) -> None:
    """ "Customer ID" is a name header recognition reads as `source_record_id`: declared,
    it is read as it came."""
    hub = Hub(store)
    hub.declare_attribute("customer_number", column="Customer ID")
    row = {"source": "crm", "Record ID": "r-1", "Customer ID": "CN-77120", "Name": "Ana"}
    report = hub.ingest(records=[row]).records
    assert report is not None and report.rows == 1 and report.quarantined == 0
    with store.connection() as conn:
        stored = conn.execute(select(records.c.source_record_id, records.c.declared_key)).one()
    assert tuple(stored) == ("r-1", "customer_number=cn77120")
    hub.close()


def test_resolve_record_declares_its_mappings_attributes(store: Store) -> None:
    hub = Hub(store)
    mapping = ColumnMapping(attributes={"card": AttributeSpec(kind="identifier", column="tarjeta")})
    hub.resolve_record(_people()[0], mapping=mapping)
    assert [a.name for a in hub.declared_attributes()] == ["card"]
    assert list(_held(store).values()) == [{"card=tp44718820"}]
    hub.close()
