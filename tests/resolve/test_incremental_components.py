"""Incremental runs re-cluster only the connected components that hold a new or changed
record (or an override added or revoked since), and still give a full run's customers,
links and scored pairs: over several batches, with changed records, overrides, a record
bridging two customers and a name block that outgrows the block limit."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cx360 import Hub
from cx360.models import ResolveReport
from cx360.resolve._blocking import NAME_BLOCK_MAX_RECORDS
from cx360.store import Store
from cx360.store._schema import match_edges, record_customers, record_links, records
from cx360.synthetic import write_dataset
from tests.resolve._support import assignments


@pytest.fixture(scope="module")
def thirds(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], ...]:
    out = tmp_path_factory.mktemp("synthetic")
    files = dict(write_dataset(out, n_records=2400, seed=41, fmt="csv"))
    with Path(files["records"]).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows[0::3], rows[1::3], rows[2::3]


def _person(key: str, **values: str) -> dict[str, Any]:
    row = {"source": "web", "source_record_id": key, "country": "CO"}
    row.update(values)
    return row


# Two records of one person with nothing in common (a named phone contact, an e-mail
# sign-up), and a third one that carries both identifiers: it joins the two customers.
_HALVES = [
    _person("bridge-a", first_name="Eustaquio", last_name="Barrantes", phone="3104567821"),
    _person("bridge-b", first_name="Eustaquio", email="eustaquio.barrantes77@gmail.com"),
]
_BRIDGE = _person(
    "bridge-c",
    first_name="Eustaquio",
    last_name="Barrantes",
    phone="3104567821",
    email="eustaquio.barrantes77@gmail.com",
)


def _block(start: int, stop: int) -> list[dict[str, Any]]:
    """Records sharing a rare given name and surname (one name block), else different."""
    return [
        _person(
            f"block-{i}",
            first_name="Anacleto",
            last_name="Zubiria",
            date_of_birth=f"19{50 + i}-0{1 + i % 9}-1{i % 10}",
            phone=f"31{i:08d}",
        )
        for i in range(start, stop)
    ]


def _state(store: Store) -> tuple[Any, ...]:
    """What a run leaves: customers by record key, links and scored pairs."""
    with store.connection() as conn:
        links = {
            (left, right, kind): weight
            for left, right, kind, weight in conn.execute(
                select(
                    record_links.c.record_id_l,
                    record_links.c.record_id_r,
                    record_links.c.kind,
                    record_links.c.match_weight,
                )
            )
        }
        edges = {
            (left, right): weight
            for left, right, weight in conn.execute(
                select(
                    match_edges.c.record_id_l, match_edges.c.record_id_r, match_edges.c.match_weight
                )
            )
        }
    return assignments(store), links, edges


def _same_weights(a: dict[Any, float | None], b: dict[Any, float | None]) -> bool:
    return a.keys() == b.keys() and all(
        (a[k] is None and b[k] is None) or abs((a[k] or 0.0) - (b[k] or 0.0)) < 1e-9 for k in a
    )


def _assert_full_run_agrees(hub: Hub, store: Store) -> None:
    """A full run over the same store changes nothing an incremental run left."""
    customers, links, edges = _state(store)
    full = hub.resolve(full=True)
    assert full.mode == "full"
    assert (full.records_reassigned, full.new_customers, full.merged_customers) == (0, 0, 0)
    full_customers, full_links, full_edges = _state(store)
    assert full_customers == customers
    assert _same_weights(full_edges, edges)
    assert _same_weights(full_links, links)
    assert full.links == sum(1 for (_, _, kind) in links if kind == "model")


def _customer(store: Store, key: str) -> str:
    return assignments(store)[("web", key)]


def _incremental(report: ResolveReport) -> ResolveReport:
    assert report.mode == "incremental"
    return report


def test_batches_overrides_bridges_and_grown_blocks_match_a_full_run(
    thirds: tuple[list[dict[str, Any]], ...], store: Store
) -> None:
    first, second, third = thirds
    hub = Hub(store)
    hub.ingest(records=[*first, *_HALVES, *_block(0, NAME_BLOCK_MAX_RECORDS - 5)])
    assert hub.resolve().mode == "full"
    assert _customer(store, "bridge-a") != _customer(store, "bridge-b")
    kept_a, kept_b = _customer(store, "bridge-a"), _customer(store, "bridge-b")

    # a new batch, two incremental runs in a row (one with nothing new) before a full one
    hub.ingest(records=second)
    step = _incremental(hub.resolve())
    assert step.records_scored >= len(second)
    assert step.records == len(first) + len(second) + len(_HALVES) + NAME_BLOCK_MAX_RECORDS - 5
    idle = _incremental(hub.resolve())
    assert idle.records_scored == 0 and idle.records_reassigned == 0
    assert (idle.records, idle.customers, idle.links) == (step.records, step.customers, step.links)
    _assert_full_run_agrees(hub, store)

    # a record bridging two customers: they merge, one ID survives, the other is an alias
    hub.ingest(records=[_BRIDGE])
    merged = _incremental(hub.resolve())
    assert merged.records_scored == 1 and merged.merged_customers == 1
    joined = _customer(store, "bridge-c")
    assert joined in (kept_a, kept_b)
    assert _customer(store, "bridge-a") == _customer(store, "bridge-b") == joined
    explained = hub.explain_record(("web", "bridge-a"))
    assert {p.record.source_record_id for p in explained.paths} == {"bridge-b", "bridge-c"}
    _assert_full_run_agrees(hub, store)

    # changed records (existing keys re-ingested with new values), the name block grows
    # past the limit, and overrides added between runs, all in one run
    changed = [
        dict(first[0], phone="", email="", observed_at="2030-01-01T00:00:00Z"),
        dict(first[1], email=second[2]["email"], observed_at="2030-01-01T00:00:00Z"),
    ]
    hub.ingest(records=[*third, *changed, *_block(NAME_BLOCK_MAX_RECORDS - 5, 60)])
    by_customer: dict[str, list[tuple[str, str]]] = {}
    for key, customer in assignments(store).items():
        by_customer.setdefault(customer, []).append(key)
    together = next(keys for keys in by_customer.values() if len(keys) >= 2)
    apart = [keys[0] for keys in by_customer.values() if len(keys) == 1][:2]
    separation = hub.separate_records(together[0], together[1], reason="twins", by="test")
    hub.link_records(apart[0], apart[1], reason="same passport", by="test")
    grown = _incremental(hub.resolve())
    block_size = 60
    # new and changed records, and the whole block that outgrew the limit, scored again
    assert grown.records_scored >= len(third) + len(changed) + block_size - 5
    customers = assignments(store)
    assert customers[together[0]] != customers[together[1]]
    assert customers[apart[0]] == customers[apart[1]]
    _assert_full_run_agrees(hub, store)

    # an override revoked with nothing else new: only its component is re-clustered
    hub.revoke_override(separation, reason="not twins after all", by="test")
    revoked = _incremental(hub.resolve())
    assert revoked.records_scored == 0
    _assert_full_run_agrees(hub, store)

    # explanations walk the links of untouched and re-clustered components alike
    with store.connection() as conn:
        keyed = dict(
            conn.execute(
                select(record_customers.c.customer_id, records.c.source_record_id)
                .join(records, records.c.id == record_customers.c.record_id)
                .where(records.c.source == "web")
            ).all()
        )
    assert keyed
    for customer, key in list(keyed.items())[:10]:
        members = {k for k, c in assignments(store).items() if c == customer}
        paths = hub.explain_record(("web", key)).paths
        assert {(p.record.source, p.record.source_record_id) for p in paths} == members - {
            ("web", key)
        }
