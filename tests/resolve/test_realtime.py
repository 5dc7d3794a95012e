"""Real-time resolution of one record and real-time interactions (SQLite and PostgreSQL),
and agreement with batch resolution on a stream (SQLite)."""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

from cx360 import ChannelRecord, Hub, SchemaError
from cx360.ingest._prepare import Quarantined, prepare_record
from cx360.models import RECORD_COLUMNS
from cx360.models._explain import GuardReason
from cx360.privacy._suppress import forget_salt
from cx360.resolve._features import email_user
from cx360.resolve._guards import GuardLimits
from cx360.resolve._incremental import GUARD_COLUMNS as _GUARD_COLUMNS
from cx360.resolve.realtime._candidates import (
    _CANDIDATES,
    _CANDIDATES_LOCKING_CUSTOMERS,
    _PG_CANDIDATES,
    CANDIDATES,
    CANDIDATES_WITHOUT_DECLARED,
    _kept,
    _query_params,
    candidate_reads,
)
from cx360.resolve.realtime._decision import _Candidate, _CustomerGroups, _Stored
from cx360.store import Store
from cx360.store._dialects import PostgresStrategy
from cx360.store._schema import (
    customers,
    ingest_batches,
    interaction_versions,
    interactions,
    match_edges,
    record_customers,
    record_links,
    record_versions,
    records,
)
from cx360.synthetic import write_dataset
from tests.resolve._support import assignments, pairwise_f1
from tests.resolve.conftest import ResolvedDataset

Key = tuple[str, str]


@dataclass
class Trained:
    hub: Hub
    store: Store  # the hub's store, opened on its URL: the tests read its tables
    stored: list[dict[str, str]]  # the records resolved in batch
    held: list[dict[str, str]]  # generated records of the same dataset, not stored
    person: dict[Key, str]  # record key -> true person


def _key(row: dict[str, Any]) -> Key:
    return (row["source"], row["source_record_id"])


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def trained(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Trained]:
    """A store resolved in batch from 900 generated records, with 300 held back.

    Built once per backend; tests add records with ids of their own.
    """
    folder = tmp_path_factory.mktemp("realtime")
    admin, schema = None, f"t_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'cx360.db'}"
    else:
        base = os.environ.get("CX360_TEST_POSTGRES_URL")
        if not base:
            pytest.skip("set CX360_TEST_POSTGRES_URL to run PostgreSQL tests")
        base = "postgresql+psycopg://" + base.split("://", 1)[1]
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{base}?options=-csearch_path%3D{schema}"
    data = write_dataset(folder / "data", n_records=1200, seed=42, fmt="csv")
    rows = _read(data.records_path)
    person = {_key(r): r["person_id"] for r in _read(data.truth_path)}
    store = Store.open(url)
    hub = Hub(store)
    try:
        hub.ingest(records=rows[:900])
        hub.resolve()
        yield Trained(hub, store, rows[:900], rows[900:], person)
    finally:
        hub.close()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _customer_of(store: Store, key: Key) -> str | None:
    with store.connection() as conn:
        return conn.execute(
            select(record_customers.c.customer_id)
            .join(records, records.c.id == record_customers.c.record_id)
            .where(records.c.source == key[0], records.c.source_record_id == key[1])
        ).scalar()


def _record_id(store: Store, key: Key) -> int:
    with store.connection() as conn:
        return int(
            conn.execute(
                select(records.c.id).where(
                    records.c.source == key[0], records.c.source_record_id == key[1]
                )
            ).scalar_one()
        )


def _count(store: Store, table: Any, *where: Any) -> int:
    with store.connection() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _new_people(trained: Trained) -> list[dict[str, str]]:
    """Held-back records of people with no stored record, with strong identifiers."""
    known = {trained.person[_key(r)] for r in trained.stored}
    return [
        r
        for r in trained.held
        if trained.person[_key(r)] not in known
        and r["phone"]
        and r["email"]
        and r["date_of_birth"]
        and r["first_name"]
    ]


def test_records_with_their_names_swapped_share_a_lock_name() -> None:
    # they are candidates of each other (the swapped-names rule), so calls about them on
    # PostgreSQL must take turns: they share one advisory lock name
    from cx360.resolve.realtime import lock_names

    base = dict.fromkeys(("phone_key", "email_key", "national_id_key", "handle_key"))
    base |= {"birth_date": None, "address_key": None, "source": "web"}
    thomas = base | {"source_record_id": "1", "given_canonical": "thomas", "surname_key": "bruhn"}
    swapped = base | {"source_record_id": "2", "given_canonical": "bruhn", "surname_key": "thomas"}
    assert set(lock_names(thomas)) & set(lock_names(swapped))
    other = base | {"source_record_id": "3", "given_canonical": "bruhn", "surname_key": "tomas"}
    assert not set(lock_names(thomas)) & set(lock_names(other))


def test_a_record_of_a_known_person_joins_its_customer(trained: Trained) -> None:
    hub, store = trained.hub, trained.store
    original = next(r for r in trained.stored if r["phone"] and r["email"] and r["date_of_birth"])
    # every contract column, as a ChannelRecord gives them (sent again as one below)
    copy = dict.fromkeys(RECORD_COLUMNS) | original
    copy |= {"source": "app", "source_record_id": "rt-known-1"}
    match = hub.resolve_record(copy, explain=True)
    assert match.stored == "inserted"
    assert match.status in ("matched", "merged")
    assert not match.created
    assert match.customer_id == _customer_of(store, _key(original))
    assert match.customer_id == _customer_of(store, _key(copy))
    assert match.match_weight is not None and match.match_weight >= match.threshold
    assert match.candidates >= 1
    explanation = match.explanation
    assert explanation is not None
    assert explanation.above_threshold and explanation.same_customer
    assert explanation.right == match.matched_record
    assert sum(c.match_weight for c in explanation.comparisons) == pytest.approx(
        explanation.match_weight - explanation.prior_match_weight
    )
    # the deciding pair is the link kept, and every pair at the link weight is kept for
    # the next batch run, in the order batch keeps them (l < r)
    new_id = _record_id(store, _key(copy))
    assert match.matched_record is not None
    other_id = _record_id(
        store, (match.matched_record.source, match.matched_record.source_record_id)
    )
    pair = (min(new_id, other_id), max(new_id, other_id))
    assert (
        _count(
            store,
            record_links,
            record_links.c.record_id_l == pair[0],
            record_links.c.record_id_r == pair[1],
            record_links.c.kind == "model",
        )
        == 1
    )
    assert _count(store, match_edges, match_edges.c.record_id_r == new_id) >= 1
    assert _count(store, match_edges, match_edges.c.record_id_l == new_id) == 0

    # the same record again: nothing changes
    links_before = _count(store, record_links)
    again = hub.resolve_record(ChannelRecord(**copy))
    assert (again.stored, again.status, again.customer_id) == (
        "unchanged",
        "unchanged",
        match.customer_id,
    )
    assert _count(store, record_links) == links_before
    assert _count(store, records, records.c.source_record_id == "rt-known-1") == 1
    # unasked, the answer has no waterfall, and the same pair, weight and threshold
    assert again.explanation is None
    assert (again.matched_record, again.match_weight, again.threshold) == (
        match.matched_record,
        match.match_weight,
        match.threshold,
    )

    # new content updates it (history kept); an older observation is kept as history only
    newer = dict(copy, observed_at="2031-01-01T00:00:00Z", city=original["city"] or "Lima")
    updated = hub.resolve_record(newer)
    assert updated.stored == "updated"
    assert updated.customer_id == _customer_of(store, _key(original))
    older = dict(copy, observed_at="2001-01-01T00:00:00Z", handle="someone-else")
    assert hub.resolve_record(older).stored == "late"
    assert _count(store, record_versions, record_versions.c.record_id == new_id) == 2
    # real-time records carry an ingest batch newer than the last run's
    with store.connection() as conn:
        batch = conn.execute(
            select(ingest_batches)
            .join(records, records.c.batch_id == ingest_batches.c.id)
            .where(records.c.id == new_id)
        ).one()
    assert batch.origin == "realtime"
    assert batch.rows == batch.inserted + batch.updated + batch.unchanged


def test_a_new_person_gets_a_customer_that_their_next_record_joins(trained: Trained) -> None:
    hub, store = trained.hub, trained.store
    first = _new_people(trained)[0]
    created = hub.resolve_record(dict(first, source_record_id="rt-new-1"))
    assert created.status == "new" and created.created
    assert created.customer_id is not None
    assert _count(store, customers, customers.c.customer_id == created.customer_id) == 1
    # the same person on another channel, moments later
    second = {
        "source": "whatsapp",
        "source_record_id": "rt-new-2",
        "full_name": f"{first['first_name']} {first['last_name']}",
        "phone": first["phone"],
        "country": first["country"],
    }
    joined = hub.resolve_record(second)
    assert (joined.status, joined.customer_id, joined.created) == (
        "matched",
        created.customer_id,
        False,
    )
    assert joined.matched_record == created.record


def test_the_guards_keep_a_different_birth_date_apart(trained: Trained) -> None:
    hub = trained.hub
    person = _new_people(trained)[1]
    first = hub.resolve_record(dict(person, source_record_id="rt-guard-1"))
    year = int(person["date_of_birth"][-4:]) if person["date_of_birth"][-4:].isdigit() else 1980
    twin = dict(
        person,
        source="app",
        source_record_id="rt-guard-2",
        date_of_birth=f"{year - 23}-01-15",
        national_id="",
        email="",  # a namesake child shares the phone and address, not the e-mail
        handle="",
    )
    second = hub.resolve_record(twin)
    assert second.customer_id != first.customer_id
    assert second.created and second.status in ("new", "ambiguous")
    blocked = [a for a in second.alternatives if a.customer_id == first.customer_id]
    assert blocked and blocked[0].reason == "birth_date"


def test_an_overwhelming_pair_joins_across_a_guard_as_in_batch(trained: Trained) -> None:
    hub = trained.hub
    first = {
        "source": "store",
        "source_record_id": "rt-over-1",
        "first_name": "Leocadia",
        "last_name": "Quintanilla Ortuño",
        "email": "leocadia.quintanilla@example.org",
        "phone": "310 555 0199",
        "national_id": "1020304059",
        "date_of_birth": "1979-04-12",
        "address": "Calle 45 # 12-30",
        "city": "Bogotá",
        "country": "CO",
    }
    created = hub.resolve_record(first)
    # everything the same but the given name: a typing error, not another person
    typo = hub.resolve_record(
        dict(first, source="app", source_record_id="rt-over-2", first_name="Yolanda")
    )
    assert typo.match_weight is not None and typo.match_weight >= 25
    assert typo.customer_id == created.customer_id and not typo.created
    # the phone alone with a third given name: another person (too weak, or guarded)
    other = hub.resolve_record(
        {
            "source": "whatsapp",
            "source_record_id": "rt-over-3",
            "first_name": "Maximiliano",
            "phone": "310 555 0199",
            "country": "CO",
        }
    )
    assert other.customer_id != created.customer_id and other.created
    assert {a.reason for a in other.alternatives} <= {"given_name"}


def test_a_record_that_bridges_two_customers_merges_them(trained: Trained) -> None:
    hub, store = trained.hub, trained.store
    person = _new_people(trained)[2]
    name = {"first_name": person["first_name"], "country": person["country"]}
    # two records of one person that share nothing a lookup can find: two customers
    by_phone = hub.resolve_record(
        {
            **name,
            "source": "web",
            "source_record_id": "rt-m-a",
            "last_name": person["last_name"],
            "phone": person["phone"],
        }
    )
    by_email = hub.resolve_record(
        {
            **name,
            "source": "app",
            "source_record_id": "rt-m-b",
            "email": person["email"],
            "date_of_birth": person["date_of_birth"],
        }
    )
    assert by_phone.customer_id != by_email.customer_id
    bridge = hub.resolve_record(
        {
            **name,
            "source": "store",
            "source_record_id": "rt-m-c",
            "last_name": person["last_name"],
            "phone": person["phone"],
            "email": person["email"],
            "date_of_birth": person["date_of_birth"],
        }
    )
    assert bridge.status == "merged"
    survivor, (alias,) = bridge.customer_id, bridge.merged_customers
    assert {survivor, alias} == {by_phone.customer_id, by_email.customer_id}
    for key in (("web", "rt-m-a"), ("app", "rt-m-b"), ("store", "rt-m-c")):
        assert _customer_of(store, key) == survivor
    with store.connection() as conn:
        row = conn.execute(select(customers).where(customers.c.customer_id == alias)).one()
    assert (row.status, row.merged_into) == ("merged", survivor)
    # the links join the three records, so the merged customer is explained end to end
    explained = hub.explain_record(("web", "rt-m-a"))
    assert {str(p.record) for p in explained.paths} == {"app:rt-m-b", "store:rt-m-c"}


def test_a_weak_pair_bridges_two_customers_of_several_records_as_in_batch() -> None:
    # the decision's rule alone (a model that scores a linking pair below 5 on purpose is
    # hard to come by): once the record is in one customer, a weak pair joins a second
    # customer of several records only when another kept pair of the record leads there
    def pair(record_id: int, weight: float, customer_id: str) -> _Candidate:
        return _Candidate(record_id, weight, {}, ("web", str(record_id)), customer_id)

    weak, other, first = pair(3, 4.0, "B"), pair(4, 3.0, "B"), pair(1, 20.0, "A")
    customers = {"A": {1: {}, 2: {}}, "B": {3: {}, 4: {}}}

    def bridge(candidate: _Candidate, kept: list[_Candidate], **more: Any) -> bool:
        stored = _Stored(more.get("customers", customers))
        found = _CustomerGroups.rebuild(9, {}, stored, [first, *kept], GuardLimits())
        if more.get("joined", True):
            assert (
                found.join("A", partial(found.groups.link, weight=20.0, left={}, right={})) is None
            )
        on_pair = partial(found.groups.link, weight=candidate.weight, left={}, right={})
        return found.join("B", on_pair) == GuardReason.WEAK_BRIDGE

    assert bridge(weak, [weak])
    assert not bridge(weak, [weak, other])  # another pair leads there
    assert not bridge(pair(3, 5.0, "B"), [pair(3, 5.0, "B")])  # strong enough
    assert not bridge(weak, [weak], joined=False)  # the record's first customer
    lone = {"A": {1: {}}, "B": {3: {}}}
    assert not bridge(weak, [weak], customers=lone)  # a record of its own


def test_bad_records_are_refused_and_nothing_is_stored(trained: Trained) -> None:
    hub, store = trained.hub, trained.store
    before = _count(store, records)
    with pytest.raises(SchemaError) as missing:
        hub.resolve_record({"source": "web", "source_record_id": " ", "phone": "3001234567"})
    assert missing.value.column == "source_record_id"
    with pytest.raises(SchemaError) as when:
        hub.resolve_record(
            {"source": "web", "source_record_id": "rt-bad", "observed_at": "yesterday-ish"}
        )
    assert when.value.column == "observed_at"
    with pytest.raises(SchemaError) as wrong:
        hub.resolve_record({"source": "web", "source_record_id": "rt-bad", "phone": 3.0012})
    assert wrong.value.column == "phone" and "3.0012" not in str(wrong.value)
    assert _count(store, records) == before


def test_interactions_in_real_time(trained: Trained) -> None:
    hub, store = trained.hub, trained.store
    owner = trained.stored[0]
    columns = {
        "source": owner["source"],
        "source_record_id": owner["source_record_id"],
        "interaction_id": "rt-int-1",
        "occurred_at": "2030-05-01T10:00:00Z",
        "type": "complaint",
        "status": "Open",
        "case_id": "rt-case-1",
        "summary": "Parcel arrived damaged",
    }
    first = hub.record_interaction(**columns)
    assert (first.stored, first.version) == ("inserted", 1)
    assert first.customer_id == _customer_of(store, _key(owner)) is not None
    assert hub.record_interaction(**columns).stored == "unchanged"
    resolved = hub.record_interaction(**{**columns, "status": "resolved"})
    assert (resolved.stored, resolved.version) == ("updated", 2)
    with store.connection() as conn:
        current = conn.execute(
            select(interactions.c.id, interactions.c.status).where(
                interactions.c.interaction_id == "rt-int-1"
            )
        ).one()
        history = conn.execute(
            select(interaction_versions.c.status).where(
                interaction_versions.c.interaction_pk == current.id
            )
        ).all()
    assert current.status == "resolved" and [h.status for h in history] == ["open"]
    # an interaction may arrive before its record: stored, with no customer yet
    early = hub.record_interaction(
        source="web", source_record_id="rt-later", interaction_id="rt-int-2"
    )
    assert early.stored == "inserted" and early.customer_id is None
    with pytest.raises(SchemaError) as missing:
        hub.record_interaction(source="web", source_record_id="x", interaction_id="")
    assert missing.value.column == "interaction_id"
    with pytest.raises(SchemaError) as when:
        hub.record_interaction(
            source="web", source_record_id="x", interaction_id="rt-int-3", occurred_at="soon"
        )
    assert when.value.column == "occurred_at"
    assert _count(store, interactions, interactions.c.interaction_id == "rt-int-3") == 0


def test_the_candidates_statement_locks_their_customers_as_lock_customers_does(
    trained: Trained,
) -> None:
    """On PostgreSQL the statement that reads a new record's candidates also takes their
    customers' advisory locks; they must be the very locks `Strategy.lock_customers` takes (the
    path of updated records and of too many customers), or two calls could each hold a
    different lock for one customer."""
    store = trained.store
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's writers take turns on the whole file")
    held_locks = text(
        "SELECT classid, objid FROM pg_locks"
        " WHERE locktype = 'advisory' AND pid = pg_backend_pid() ORDER BY 1, 2"
    )
    row = next(r for r in trained.stored if r["phone"])  # finds itself, at least
    prepared = prepare_record(row, None, {})
    assert not isinstance(prepared, Quarantined)
    features = {c: prepared[c] for c in _GUARD_COLUMNS}
    features["email_user"] = email_user(features)
    with store.engine.connect() as conn:
        read = conn.execute(_CANDIDATES_LOCKING_CUSTOMERS, _query_params(features)).all()
        customers = {r[-2] for r in read} - {None}
        taken = conn.execute(held_locks).all()
        conn.rollback()
    assert customers and read[0][-1] == len(customers) == len(taken)
    with store.engine.connect() as conn:
        store.strategy.lock_customers(conn, customers)
        assert conn.execute(held_locks).all() == taken
        conn.rollback()


def _lookup_of(row: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A record's features as real time prepares them, and its candidate lookup's params."""
    prepared = prepare_record(row, None, {})
    assert not isinstance(prepared, Quarantined)
    features = {c: prepared[c] for c in _GUARD_COLUMNS}
    features["email_user"] = email_user(features)
    return features, _query_params(features)


def test_both_candidates_statements_find_the_same_records(trained: Trained) -> None:
    """PostgreSQL reads each candidate once, filtered in SQL (`_PG_CANDIDATES`); SQLite
    reads the rules' rows and filters them in Python (`_kept`): the same records."""
    store = trained.store
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL only: SQLite reads `_CANDIDATES`")
    found = 0
    with store.connection() as conn:
        for row in trained.held[:60] + trained.stored[:60]:
            features, params = _lookup_of(row)
            kept = _kept(features, conn.execute(_CANDIDATES, params).all())
            in_sql = conn.execute(_PG_CANDIDATES, params).all()
            assert sorted(map(tuple, kept)) == sorted(map(tuple, in_sql))
            found += len(in_sql)
    assert found > 120  # records of known people, and the stored ones find themselves


def test_a_record_without_declared_identifiers_skips_their_lookups(trained: Trained) -> None:
    """A record holding no declared identifier is looked up without their branches, and
    finds the same candidates as with them (SQLite's rows per rule, PostgreSQL's pairs)."""
    store = trained.store
    found = 0
    with store.connection() as conn:
        for row in trained.held[:60] + trained.stored[:60]:
            _, params = _lookup_of(row)
            assert candidate_reads(params) is CANDIDATES_WITHOUT_DECLARED
            for full, lean in (
                (CANDIDATES.by_rule, CANDIDATES_WITHOUT_DECLARED.by_rule),
                (CANDIDATES.each_once, CANDIDATES_WITHOUT_DECLARED.each_once),
            ):
                if store.dialect != "postgresql" and full is CANDIDATES.each_once:
                    continue  # SQLite reads the rules' rows
                rows = sorted(map(tuple, conn.execute(full, params).all()))
                assert rows == sorted(map(tuple, conn.execute(lean, params).all()))
                found += len(rows)
    assert found > 120
    assert candidate_reads({**params, "declared_key": "card=1"}) is CANDIDATES


def test_calls_survive_a_lost_postgresql_connection(
    trained: Trained, caplog: pytest.LogCaptureFixture
) -> None:
    """Pooled connections are not pinged before use: one the server has dropped (a
    restart, a failover) fails its first statement, and the call runs once more on new
    connections (every idle one dropped: they died with it). The caller sees nothing."""
    hub, store = trained.hub, trained.store
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL only: a SQLite file has no server to lose")
    killer = create_engine(store.engine.url)

    killed: set[int] = set()

    def drop_the_pooled_connection() -> None:
        pids = set()
        strategy = store.strategy
        assert isinstance(strategy, PostgresStrategy)
        # new interactions' own connection first: made now, it would take the pooled
        # connection below out of the pool (killed already if no call has used it since)
        with strategy.pinned.lease() as pinned:
            assert pinned is not None
            pids.add(pinned.connection.driver_connection.info.backend_pid)
        for engine in (store.engine, strategy.autocommit_engine):
            engine.dispose()  # the pool keeps one connection: the one killed below
            with engine.connect() as conn:
                pids.add(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
                conn.rollback()
        with killer.connect() as conn:
            for pid in pids - killed:
                ended = conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                assert ended.scalar()
        killed.update(pids)
        # every call then reads the suppression salt, on the pinned connection, after the
        # pooled one failed: both were lost, and one retry must find both anew
        forget_salt(store)

    owner, newcomer = trained.stored[1], _new_people(trained)[-1]
    calls = {
        "profile": lambda: hub.profile(record=_key(owner)).status == "found",
        "context": lambda: hub.context(record=_key(owner)).status == "found",
        "resolve_record": lambda: (
            hub.resolve_record({**newcomer, "source_record_id": "rt-lost-connection"}).stored
            == "inserted"
        ),
        "record_interaction": lambda: (
            hub.record_interaction(
                source=owner["source"],
                source_record_id=owner["source_record_id"],
                interaction_id="rt-lost-connection",
            ).stored
            == "inserted"
        ),
    }
    try:
        for name, call in calls.items():
            drop_the_pooled_connection()
            caplog.clear()
            with caplog.at_level("INFO", logger="cx360.store"):
                assert call(), name
            assert "retrying once" in caplog.text, name
    finally:
        killer.dispose()


def test_the_next_batch_run_rescores_real_time_records(trained: Trained) -> None:
    # runs last in this module: it re-resolves the shared store
    hub, store = trained.hub, trained.store
    streamed = [dict(r, source_record_id=f"rt-next-{i}") for i, r in enumerate(trained.held[:40])]
    for row in streamed:
        hub.resolve_record(row)
    before = {_key(r): _customer_of(store, _key(r)) for r in streamed}
    report = hub.resolve()
    assert report.mode == "incremental"
    assert report.records_scored >= len(streamed)
    after = {key: _customer_of(store, key) for key in before}
    # batch agrees with (nearly) every real-time decision: the same customers
    same = sum(
        (before[a] == before[b]) == (after[a] == after[b]) for a, b in combinations(before, 2)
    )
    assert same >= 0.99 * len(before) * (len(before) - 1) / 2


def test_a_record_resolved_after_a_batch_run_is_in_the_next_one(trained: Trained) -> None:
    # after the previous test's run: the resolver's batch is one that run has covered, so
    # the record must go to a newer batch for the next run to rescore it
    hub, store = trained.hub, trained.store
    row = dict(trained.held[50], source_record_id="rt-after-run")
    assert hub.resolve_record(row).stored == "inserted"
    with store.connection() as conn:
        batch_id = conn.execute(
            select(records.c.batch_id).where(records.c.source_record_id == "rt-after-run")
        ).scalar_one()
        newest = conn.execute(select(func.max(records.c.batch_id))).scalar_one()
    assert batch_id == newest
    report = hub.resolve()
    assert report.mode == "incremental" and report.records_scored >= 1


def test_without_a_model_the_record_is_stored_unresolved(store: Store) -> None:
    hub = Hub(store)
    match = hub.resolve_record({"source": "web", "source_record_id": "w-1", "email": "a@b.co"})
    assert (match.status, match.stored, match.customer_id) == ("unresolved", "inserted", None)
    assert store.count_records() == 1


# -- agreement with batch -------------------------------------------------------------------


@pytest.mark.slow
def test_streaming_agrees_with_batch(resolved_3000: ResolvedDataset, tmp_path: Path) -> None:
    """Batch the first half, stream the second record by record: F1 within 0.01 of
    resolving everything in batch."""
    rows = _read(resolved_3000.records)
    truth = {_key(r): r["person_id"] for r in _read(resolved_3000.truth)}
    half = len(rows) // 2

    stream_store = Store.open(f"sqlite:///{tmp_path / 'stream.db'}")
    streamed = Hub(stream_store)
    streamed.ingest(records=rows[:half])
    streamed.resolve()
    for row in rows[half:]:
        streamed.resolve_record(row)
    stream_f1 = pairwise_f1(assignments(stream_store), truth)
    assert len(assignments(stream_store)) == len(rows)

    batch_store = resolved_3000.copy(tmp_path)  # every record ingested and resolved in batch
    batch = Hub(batch_store)
    batch_f1 = pairwise_f1(assignments(batch_store), truth)
    assert abs(stream_f1 - batch_f1) <= 0.01, (stream_f1, batch_f1)

    # with the same model (trained on the first half), batch and real-time decide alike
    streamed.resolve(full=True)
    same_model_f1 = pairwise_f1(assignments(stream_store), truth)
    assert abs(stream_f1 - same_model_f1) <= 0.005, (stream_f1, same_model_f1)
    streamed.close()
    batch.close()


def test_explanations_only_when_asked_and_decisions_alike(trained: Trained) -> None:
    """`explain=True` adds the deciding pair's waterfall; the threshold shown is that
    pair's own link weight (name-only pairs link at theirs) whether explained or not.
    Last of the module: it stores held-back records, which other tests take as new."""
    hub = trained.hub
    tag = uuid.uuid4().hex[:6]
    explained = 0
    for number, row in enumerate(trained.held[:60]):
        arrival = dict(row, source_record_id=f"{row['source_record_id']}~{tag}")
        asked = number % 2 == 0
        match = hub.resolve_record(arrival, explain=asked)
        if not asked or match.matched_record is None:
            assert match.explanation is None
            continue
        explanation = match.explanation
        assert explanation is not None
        explained += 1
        assert explanation.right == match.matched_record
        assert explanation.match_weight == pytest.approx(match.match_weight)
        assert explanation.threshold == match.threshold
        # the same record again: unchanged, the same pair and threshold, unexplained
        again = hub.resolve_record(arrival)
        assert (again.status, again.customer_id, again.explanation) == (
            "unchanged",
            match.customer_id,
            None,
        )
        assert (again.matched_record, again.threshold) == (match.matched_record, match.threshold)
    assert explained >= 3
