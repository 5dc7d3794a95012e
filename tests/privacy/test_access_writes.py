"""How a lookup writes its access-log entry: exactly one entry per customer it shows, in
every outcome, from several threads at once and after a lost connection; on PostgreSQL in
the lookup's own statement (no round trip more), committed without waiting for the disk,
while the connection's other writes keep waiting for it. Real SQLite and PostgreSQL
stores."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text

from cx360 import Hub
from cx360.profile._lookup import _HOLDERS_LOGGED
from cx360.store import Store
from cx360.store._postgresql import PostgresStrategy
from tests._plans import explain
from tests.profile._support import assign
from tests.store.test_round_trips import StatementCounter

SHARED_PHONE = "+57 310 555 0199"
RECORDS: list[dict[str, Any]] = [
    {"source": "web", "source_record_id": "w-1", "first_name": "Lucía", "last_name": "Paz",
     "email": "lucia.paz.k@proton.me", "phone": "+57 301 555 0111"},
    {"source": "tienda", "source_record_id": "t-1", "first_name": "Lucía", "last_name": "Paz",
     "phone": "+57 301 555 0111"},
    {"source": "web", "source_record_id": "w-2", "first_name": "Tomás", "last_name": "Gil",
     "email": "tomas.gil.k@proton.me", "phone": SHARED_PHONE},
    {"source": "web", "source_record_id": "w-3", "first_name": "Elena", "last_name": "Mora",
     "email": "elena.mora.k@proton.me", "phone": SHARED_PHONE},
    {"source": "app", "source_record_id": "a-9", "first_name": "Rubén", "last_name": "Vela",
     "email": "ruben.vela.k@proton.me"},  # not in a customer yet
]  # fmt: skip


@pytest.fixture
def hub(store: Store) -> Hub:
    hub = Hub(store)
    hub.ingest(records=RECORDS)
    assign(
        store,
        {
            "cus_lucia": [("web", "w-1"), ("tienda", "t-1")],
            "cus_tomas": [("web", "w-2")],
            "cus_elena": [("web", "w-3")],
        },
        aliases={"cus_lucia_old": "cus_lucia"},
    )
    return hub


def _entries(hub: Hub) -> list[tuple[str, str | None, str | None, str, int]]:
    """Every entry, oldest first: (actor, purpose, customer, view, customers)."""
    return [
        (e.actor, e.purpose, e.customer_id, e.view, e.customers)
        for e in reversed(hub.access_log(limit=10_000))
    ]


def test_each_lookup_logs_each_customer_it_shows_once(hub: Hub) -> None:
    calls = [
        (lambda: hub.context(phone="+573015550111", actor="a-1", purpose="call"), "found"),
        (lambda: hub.profile(email="lucia.paz.k@proton.me", actor="a-1"), "found"),
        (lambda: hub.context(customer_id="cus_lucia", actor="a-2", purpose="p"), "found"),
        (lambda: hub.profile(customer_id="cus_lucia_old", actor="a-2"), "found"),
        (lambda: hub.context(record=("tienda", "t-1"), actor="a-3"), "found"),
        (lambda: hub.profile(email="ruben.vela.k@proton.me", actor="a-3"), "found"),
        (lambda: hub.context(email="nadie.k@proton.me", actor="a-4"), "not_found"),
        (lambda: hub.profile(customer_id="cus_nobody", actor="a-4"), "not_found"),
        (lambda: hub.context(phone=SHARED_PHONE, actor="a-5", purpose="q"), "ambiguous"),
        (lambda: hub.context(phone="+573015550111"), "found"),  # no actor: not logged
    ]
    for call, status in calls:
        assert call().status == status
    assert _entries(hub) == [
        ("a-1", "call", "cus_lucia", "context", 1),
        ("a-1", None, "cus_lucia", "profile", 1),
        ("a-2", "p", "cus_lucia", "context", 1),
        ("a-2", None, "cus_lucia", "profile", 1),  # the survivor of the alias asked for
        ("a-3", None, "cus_lucia", "context", 1),
        ("a-3", None, None, "profile", 1),  # a record not in a customer yet
        ("a-4", None, None, "context", 0),  # probing for someone is a read
        ("a-4", None, None, "profile", 0),
        # an ambiguous lookup shows each candidate's name: each one's read is logged
        ("a-5", "q", "cus_elena", "context", 1),
        ("a-5", "q", "cus_tomas", "context", 1),
    ]
    assert [e.actor for e in hub.access_log(customer_id="cus_tomas")] == ["a-5"]


def test_lookups_from_several_threads_are_each_logged_once(hub: Hub) -> None:
    asks = [("+573015550111", "cus_lucia"), ("tomas.gil.k@proton.me", "cus_tomas")] * 40

    def look(n: int) -> str | None:
        identifier, _ = asks[n]
        if "@" in identifier:
            found = hub.context(email=identifier, actor=f"agent-{n % 4}")
        else:
            found = hub.context(phone=identifier, actor=f"agent-{n % 4}")
        return found.customer_id

    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(look, range(len(asks))))
    assert found == [customer for _, customer in asks]
    logged = Counter((actor, customer) for actor, _, customer, _, _ in _entries(hub))
    expected = Counter((f"agent-{n % 4}", customer) for n, (_, customer) in enumerate(asks))
    assert logged == expected


def _pinned_pid(store: Store) -> int:
    strategy = store.strategy
    assert isinstance(strategy, PostgresStrategy)
    with strategy.pinned.lease() as pinned:
        assert pinned is not None
        pid: int = pinned.connection.driver_connection.info.backend_pid
        return pid


def test_a_lookup_after_a_lost_connection_is_logged_once(hub: Hub, store: Store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL only: a SQLite file has no server to lose")
    hub.context(phone="+573015550111", actor="warm-up")
    killer = create_engine(store.engine.url)
    try:
        with killer.connect() as conn:
            ended = conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": _pinned_pid(store)})
            assert ended.scalar()
        found = hub.context(phone="+573015550111", actor="after-loss", purpose="retry")
    finally:
        killer.dispose()
    assert found.customer_id == "cus_lucia"
    assert _entries(hub)[1:] == [("after-loss", "retry", "cus_lucia", "context", 1)]


def test_logging_a_lookup_costs_postgresql_no_round_trip(hub: Hub, tmp_path: Path) -> None:
    counter = StatementCounter(tmp_path)
    event.listen(Engine, "connect", counter.on_connect)
    try:
        hub._store.forget_connections()  # new connections, traced
        for _ in range(3):  # warm: statements prepared on the connection
            hub.context(phone="+573015550111", actor="warm-up")
            hub.context(phone="+573015550111")
            hub.context(phone=SHARED_PHONE, actor="warm-up")
            hub.context(phone=SHARED_PHONE)
        alone = counter.count(lambda: hub.context(phone="+573015550111"))
        logged = counter.count(lambda: hub.context(phone="+573015550111", actor="a-1"))
        # an ambiguous lookup: the candidates' names are read in a second statement,
        # which on PostgreSQL also writes their entries
        candidates_alone = counter.count(lambda: hub.context(phone=SHARED_PHONE))
        candidates_logged = counter.count(lambda: hub.context(phone=SHARED_PHONE, actor="a-2"))
    finally:
        event.remove(Engine, "connect", counter.on_connect)
    if hub.status().backend == "postgresql":
        assert (alone, logged) == (1, 1)
        assert (candidates_alone, candidates_logged) == (2, 2)
    else:  # statements, not round trips: the entry's INSERT, with BEGIN and COMMIT
        assert logged <= alone + 3
        assert candidates_logged <= candidates_alone + 4  # an INSERT per candidate
    logged_by_a2 = [(e.customer_id, e.view) for e in hub.access_log(actor="a-2")]
    assert sorted(logged_by_a2) == [("cus_elena", "context"), ("cus_tomas", "context")]


def test_only_the_log_entry_skips_the_wait_for_the_disk(hub: Hub, store: Store) -> None:
    """`synchronous_commit` is off in the transaction of the lookup that logs, and only
    there: the connection's next writes wait for the disk again."""
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL only: synchronous_commit is PostgreSQL's setting")
    hub.context(phone="+573015550111", actor="a-1")
    hub.context(email="nadie.k@proton.me", actor="a-1")  # logged in its own statement
    strategy = store.strategy
    assert isinstance(strategy, PostgresStrategy)
    with strategy.pinned.lease() as pinned:
        assert pinned is not None
        assert pinned.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
    assert len(hub.access_log()) == 2


def test_the_read_that_logs_plans_as_the_read(store: Store) -> None:
    """The lookup's statement with its log entry reads through the same indexes."""
    if store.dialect != "postgresql":
        pytest.skip("PostgreSQL only: SQLite writes no row in a read")
    entry = {"log_at": None, "log_actor": "a", "log_purpose": None, "log_view": "context"}
    plan = explain(store, _HOLDERS_LOGGED["phone"], {"key": "+573105551234", **entry})
    assert "Insert on access_log" in plan, plan
    assert "ix_record_identifiers_kind_key" in plan, plan
    assert not any("Seq Scan" in line for line in plan.splitlines()), plan
