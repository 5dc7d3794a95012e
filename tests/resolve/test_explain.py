"""Explanations of pairs and of customers' links, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cx360 import Hub, NotFoundError, PairExplanation, ResolutionError
from cx360.resolve import DEFAULT_MATCH_WEIGHT, DEFAULT_SOLE_HOLDER_MATCH_WEIGHT
from cx360.resolve._run_state import RunState
from cx360.store import Store
from cx360.store._schema import record_customers, record_links, records, resolution_runs
from cx360.synthetic import write_dataset
from tests._stores import BuiltStores, built_stores


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return dict(write_dataset(tmp_path_factory.mktemp("explain"), n_records=1500, seed=13))


@pytest.fixture(scope="module")
def resolved(
    dataset: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BuiltStores]:
    """The dataset ingested and resolved once (on SQLite), for the tests that only read."""

    def build(hub: Hub) -> None:
        hub.ingest_files(dataset["records"])
        hub.resolve()

    with built_stores(build, tmp_path_factory.mktemp("explain-built")) as stores:
        yield stores


def _resolved_hub(resolved: BuiltStores, tmp_path: Path) -> tuple[Store, Hub]:
    """A SQLite store in `tmp_path` holding a copy of `resolved`'s, and its hub."""
    url = f"sqlite:///{tmp_path / 'cx360.db'}"
    store = Store.open(url)
    resolved.copy_into(store, url)
    return store, Hub(store)


def _keys(store: Store) -> dict[int, tuple[str, str]]:
    with store.connection() as conn:
        rows = conn.execute(select(records.c.id, records.c.source, records.c.source_record_id))
        return {int(i): (s, r) for i, s, r in rows}


def test_links_explain_every_customer(dataset: dict[str, Path], store: Store) -> None:
    hub = Hub(store)
    hub.ingest_files(dataset["records"])
    report = hub.resolve()
    keys = _keys(store)
    with store.connection() as conn:
        links = conn.execute(select(record_links)).all()
        run_id = conn.execute(select(func.max(resolution_runs.c.id))).scalar_one()
        state = RunState.read(conn, run_id)
        customer_of = {
            int(r): str(c)
            for r, c in conn.execute(
                select(record_customers.c.record_id, record_customers.c.customer_id)
            )
        }
    # a spanning forest: each link joined two groups, all within one customer
    assert len(links) == report.links + report.sole_holder_links
    assert len(links) == report.records - report.customers
    assert {link.kind for link in links} == {"model", "sole_holder"}
    assert {link.run_id for link in links} == {run_id}
    assert all(customer_of[link.record_id_l] == customer_of[link.record_id_r] for link in links)
    # the run's link weights, derived from the store (`LinkRule.calibrated`)
    assert state is not None and state.rule.match_weight <= DEFAULT_MATCH_WEIGHT
    assert all(
        link.match_weight >= state.rule.match_weight
        if link.kind == "model"
        else link.match_weight >= DEFAULT_SOLE_HOLDER_MATCH_WEIGHT
        for link in links
    )

    # a linked pair: the waterfall adds up to Splink's weight for that link
    strongest = max(links, key=lambda link: link.match_weight)
    pair = hub.explain_pair(keys[strongest.record_id_l], keys[strongest.record_id_r])
    assert isinstance(pair, PairExplanation)
    assert pair.match_weight == pytest.approx(strongest.match_weight, abs=1e-6)
    total = pair.prior_match_weight + sum(c.match_weight for c in pair.comparisons)
    assert total == pytest.approx(pair.match_weight, abs=1e-9)
    for part in pair.comparisons:
        assert part.match_weight == pytest.approx(part.log2_bayes_factor + part.tf_adjustment)
    assert [c.comparison for c in pair.comparisons][:3] == ["given_name", "surname", "birth_date"]
    # explained with the rule the run linked with, as real time decides
    assert pair.threshold == state.rule.match_weight and pair.above_threshold
    assert pair.guard_conflict is None
    assert pair.same_customer and pair.left_customer_id == customer_of[strongest.record_id_l]
    assert 0.5 < pair.match_probability <= 1.0
    # compared values are in the result, but not in its repr (which ends up in logs)
    email = next(c for c in pair.comparisons if c.comparison == "email")
    shown = [v for v in (*email.values_left.values(), *email.values_right.values()) if v]
    assert shown and not any(v in repr(pair) or v in str(pair) for v in shown)

    # records of two different customers
    first, second = sorted(customer_of)[:2]
    if customer_of[first] == customer_of[second]:
        second = next(r for r in sorted(customer_of) if customer_of[r] != customer_of[first])
    apart = hub.explain_pair(keys[first], keys[second])
    assert not apart.same_customer
    assert apart.left_customer_id == customer_of[first]

    # every record of a large customer is reached by a chain of stored links
    members: dict[str, list[int]] = defaultdict(list)
    for record_id, customer_id in customer_of.items():
        members[customer_id].append(record_id)
    biggest = max(members.values(), key=len)
    assert len(biggest) >= 3
    stored = {frozenset((keys[x.record_id_l], keys[x.record_id_r])) for x in links}
    for record_id in biggest:
        explained = hub.explain_record(keys[record_id])
        assert explained.customer_id == customer_of[record_id]
        assert not explained.unreachable
        others = {keys[r] for r in biggest if r != record_id}
        reached = {(p.record.source, p.record.source_record_id) for p in explained.paths}
        assert reached == others
        for path in explained.paths:
            at = (explained.record.source, explained.record.source_record_id)
            for hop in path.hops:
                here = (hop.left.source, hop.left.source_record_id)
                there = (hop.right.source, hop.right.source_record_id)
                assert here == at
                assert frozenset((here, there)) in stored
                assert hop.kind in ("model", "sole_holder") and hop.match_weight is not None
                at = there
            assert at == (path.record.source, path.record.source_record_id)

    # a second full run replaces the links instead of adding to them (an incremental one
    # keeps those of the components it does not touch: test_incremental.py)
    hub.resolve(full=True)
    with store.connection() as conn:
        again = conn.execute(select(record_links.c.run_id, func.count()).group_by("run_id")).all()
    assert len(again) == 1 and again[0][1] == len(links) and again[0][0] != run_id

    # unknown records, with their ids masked in the message
    with pytest.raises(NotFoundError) as caught:
        hub.explain_record(("web", "no-such-record-123456"))
    assert "no-such-record-123456" not in str(caught.value)
    with pytest.raises(NotFoundError):
        hub.explain_pair(keys[first], ("web", "no-such-record-123456"))


def test_explaining_before_any_resolution_is_a_clear_error(
    dataset: dict[str, Path], store: Store
) -> None:
    hub = Hub(store)
    hub.ingest_files(dataset["records"])
    first, second = list(_keys(store).values())[:2]
    with pytest.raises(ResolutionError):
        hub.explain_pair(first, second)
    with pytest.raises(ResolutionError):
        hub.explain_record(first)


def test_guards_are_reported(resolved: BuiltStores, tmp_path: Path) -> None:
    store, hub = _resolved_hub(resolved, tmp_path)
    with store.connection() as conn:
        rows = conn.execute(
            select(records.c.source, records.c.source_record_id, records.c.birth_date).where(
                records.c.birth_date.is_not(None), records.c.national_id_key.is_(None)
            )
        ).all()
    # two records born in different decades cannot be one person
    born = {row.birth_date[:3]: (row.source, row.source_record_id) for row in rows}
    older, younger = (born[k] for k in sorted(born)[:2])
    pair = hub.explain_pair(older, younger)
    assert pair.guard_conflict == "birth_date"
    assert not pair.same_customer
    hub.close()


def test_the_guards_between_two_customers_are_reported(
    resolved: BuiltStores, tmp_path: Path
) -> None:
    # two records that conflict on nothing themselves (neither gives a birth date, their
    # given names fit) but whose customers do: the pair says why they are not one (which
    # records those are depends on the run: customers are looked for, not assumed)
    store, hub = _resolved_hub(resolved, tmp_path)
    with store.connection() as conn:
        rows = conn.execute(
            select(
                records.c.source,
                records.c.source_record_id,
                records.c.given_key,
                records.c.birth_date,
                record_customers.c.customer_id,
            ).join(record_customers, record_customers.c.record_id == records.c.id)
        ).all()
    born: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.birth_date:
            born[row.customer_id].add(row.birth_date[:3])
    undated = defaultdict(list)  # given name -> (key, the decade its customer was born in)
    for row in rows:
        decades = born[row.customer_id]
        if not row.birth_date and row.given_key and len(decades) == 1:
            undated[row.given_key].append(((row.source, row.source_record_id), *decades))
    candidates = (
        (a[0], b[0]) for found in undated.values() for a in found for b in found if a[1] < b[1]
    )
    # the first pair whose records themselves fit (one given name may still be "Juan
    # Carlos" and the other "Juan Pablo")
    pair = next(
        found
        for found in (hub.explain_pair(left, right) for left, right in candidates)
        if found.guard_conflict is None
    )
    assert not pair.same_customer
    assert pair.customer_conflict is not None  # customers born in different decades
    hub.close()
