"""The one writer of customers, assignments, aliases, links and kept pairs
(`store/_customers.py`), on SQLite and PostgreSQL: the rows each operation leaves, and
the number of statements the real-time ones cost."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, event, func, select

from cx360 import Hub
from cx360.store import Store, utcnow
from cx360.store._customers import (
    Appends,
    add_links,
    alias_customers,
    assign_records,
    create_customer,
    create_customers,
    delete_links,
    forget_record_pairs,
    link_rows,
    merge_customer,
    reassign_record,
    replace_pairs,
)
from cx360.store._schema import (
    customers,
    ingest_batches,
    match_edges,
    record_customers,
    record_links,
    records,
)
from cx360.store._writes import start_batch


@pytest.fixture
def record_ids(store: Store) -> list[int]:
    """Six stored records (synthetic people), by id."""
    Hub(store).ingest(
        records=[
            {"source": "web", "source_record_id": f"r{i}", "email": f"persona{i}@example.org"}
            for i in range(6)
        ]
    )
    with store.connection() as conn:
        return [int(i) for i in conn.execute(select(records.c.id).order_by(records.c.id)).scalars()]


def _customers(conn: Connection) -> dict[str, tuple[str, str | None]]:
    rows = conn.execute(
        select(customers.c.customer_id, customers.c.status, customers.c.merged_into)
    )
    return {cid: (status, into) for cid, status, into in rows}


def _assigned(conn: Connection) -> dict[int, tuple[str, int | None]]:
    rows = conn.execute(
        select(
            record_customers.c.record_id, record_customers.c.customer_id, record_customers.c.run_id
        )
    )
    return {int(rid): (cid, run_id) for rid, cid, run_id in rows}


def _links(conn: Connection) -> list[tuple[int, int, float | None, str, int | None]]:
    rows = conn.execute(
        select(
            record_links.c.record_id_l,
            record_links.c.record_id_r,
            record_links.c.match_weight,
            record_links.c.kind,
            record_links.c.run_id,
        ).order_by(record_links.c.id)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _pairs(conn: Connection) -> set[tuple[int, int, float, int]]:
    rows = conn.execute(
        select(
            match_edges.c.record_id_l,
            match_edges.c.record_id_r,
            match_edges.c.match_weight,
            match_edges.c.model_id,
        )
    )
    return {tuple(row) for row in rows}  # type: ignore[misc]


@contextmanager
def _statements(conn: Connection) -> Iterator[list[str]]:
    """The statements SQLAlchemy sends on `conn` meanwhile (an executemany counts once)."""
    sent: list[str] = []

    def note(*args: Any) -> None:
        sent.append(args[2])

    engine = conn.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_batch_assignment_creates_aliases_and_moves_records(
    store: Store, record_ids: list[int]
) -> None:
    r = record_ids
    now = utcnow()
    with store.transaction() as conn:
        create_customers(conn, ["cus_a", "cus_b", "cus_c", "cus_d"], now)
        assign_records(conn, [(r[0], "cus_a"), (r[1], "cus_b"), (r[2], "cus_c")], [], now)
        alias_customers(conn, {"cus_a": "cus_b"}, now)  # cus_a's record moved to cus_b
        assign_records(conn, [(r[0], "cus_b")], [r[0]], now)
    with store.transaction() as conn:
        # a later run joins cus_b into cus_c: the alias cus_a follows it there
        alias_customers(conn, {"cus_b": "cus_c", "cus_d": "cus_c"}, now)
        assign_records(conn, [(r[0], "cus_c"), (r[1], "cus_c")], [r[0], r[1]], now)
    with store.connection() as conn:
        assert _customers(conn) == {
            "cus_a": ("merged", "cus_c"),
            "cus_b": ("merged", "cus_c"),
            "cus_c": ("active", None),
            "cus_d": ("merged", "cus_c"),
        }
        assert _assigned(conn) == {
            r[0]: ("cus_c", None),
            r[1]: ("cus_c", None),
            r[2]: ("cus_c", None),
        }


def test_real_time_merges_move_records_and_aliases_in_as_few_statements(
    store: Store, record_ids: list[int]
) -> None:
    r = record_ids
    now = utcnow()
    with store.transaction() as conn:
        create_customers(conn, ["cus_old", "cus_a", "cus_b"], now)
        assign_records(conn, [(r[0], "cus_a"), (r[1], "cus_a"), (r[2], "cus_b")], [], now)
        alias_customers(conn, {"cus_old": "cus_a"}, now)
    with store.transaction() as conn, _statements(conn) as sent:
        create_customer(conn, "cus_new", now)
        assert len(sent) == 1
        merge_customer(conn, "cus_a", "cus_b", now)  # records, the alias, the aliases
        assert len(sent) == 4
        reassign_record(conn, r[2], "cus_new", now)
        assert len(sent) == 5
        # cus_b kept records r0 and r1: a single-record customer moving would be aliased
        reassign_record(conn, r[0], "cus_new", now)
        reassign_record(conn, r[1], "cus_new", now)
        alias_customers(conn, {"cus_b": "cus_new"}, now)
        assert len(sent) == 9
    with store.connection() as conn:
        assert _customers(conn) == {
            "cus_old": ("merged", "cus_new"),
            "cus_a": ("merged", "cus_new"),
            "cus_b": ("merged", "cus_new"),
            "cus_new": ("active", None),
        }
        assert {rid: cid for rid, (cid, _) in _assigned(conn).items()} == {
            r[0]: "cus_new",
            r[1]: "cus_new",
            r[2]: "cus_new",
        }


def test_links_are_replaced_whole_or_per_component(store: Store) -> None:
    now = utcnow()
    ids = [11, 12, 13, 14, 15]
    with store.transaction() as conn:
        add_links(conn, link_rows(ids, [(0, 1, 9.5), (2, 3, 7.0)], kind="model", run_id=1, now=now))
        delete_links(conn, None)  # a full run: the latest run's links only
        add_links(conn, link_rows(ids, [(0, 1, 8.0)], kind="model", run_id=2, now=now))
        add_links(conn, link_rows(ids, [(2, 3, None)], kind="override", run_id=2, now=now))
        add_links(conn, link_rows(ids, [(3, 4, 6.5)], kind="sole_holder", run_id=2, now=now))
    with store.connection() as conn:
        assert _links(conn) == [
            (11, 12, 8.0, "model", 2),
            (13, 14, None, "override", 2),
            (14, 15, 6.5, "sole_holder", 2),
        ]
    with store.transaction() as conn:
        delete_links(conn, [13, 14, 15])  # an incremental run's component
    with store.connection() as conn:
        assert _links(conn) == [(11, 12, 8.0, "model", 2)]


def test_kept_pairs_are_replaced_whole_or_where_rescored(store: Store) -> None:
    with store.transaction() as conn:
        replace_pairs(conn, 1, [(1, 2, 5.0), (2, 3, 6.0), (3, 4, 7.0)], None)
        replace_pairs(conn, 1, iter([(1, 5, 4.0)]), [1])  # record 1 scored again
    with store.connection() as conn:
        assert _pairs(conn) == {(2, 3, 6.0, 1), (3, 4, 7.0, 1), (1, 5, 4.0, 1)}
    with store.transaction() as conn:
        replace_pairs(conn, 2, [(7, 8, 3.0)], None)
    with store.connection() as conn:
        assert _pairs(conn) == {(7, 8, 3.0, 2)}


def test_forgetting_a_records_pairs_leaves_the_others(store: Store) -> None:
    now = utcnow()
    with store.transaction() as conn:
        replace_pairs(conn, 1, [(1, 2, 5.0), (2, 3, 6.0), (3, 4, 7.0)], None)
        add_links(
            conn,
            link_rows([1, 2, 3, 4], [(0, 1, 5.0), (2, 3, 7.0)], kind="model", run_id=None, now=now),
        )
        with _statements(conn) as sent:
            forget_record_pairs(conn, 2)
        assert len(sent) == 4
    with store.connection() as conn:
        assert _pairs(conn) == {(3, 4, 7.0, 1)}
        assert _links(conn) == [(3, 4, 7.0, "model", None)]


def _batch_counts(conn: Connection, batch_id: int) -> tuple[int, int, int, int]:
    row = conn.execute(
        select(
            ingest_batches.c.rows,
            ingest_batches.c.inserted,
            ingest_batches.c.updated,
            ingest_batches.c.unchanged,
        ).where(ingest_batches.c.id == batch_id)
    ).one()
    return tuple(row)  # type: ignore[return-value]


def test_a_calls_appends_are_written_with_its_count_in_its_batch(
    store: Store, record_ids: list[int]
) -> None:
    r = record_ids
    now = utcnow()
    with store.transaction() as conn:
        batch_id = start_batch(conn, kind="records", origin="realtime", now=now, status="done")
        create_customers(conn, ["cus_a"], now)
        assign_records(conn, [(r[0], "cus_a")], [], now)
    # a record joining a customer: its assignment, its pairs, its link
    joined = Appends(batch_id, "inserted", now, model_id=3, assignment=(r[1], "cus_a"))
    joined.edges.extend([(r[0], r[1], 12.5), (r[1], r[2], 4.0)])
    joined.links.append((r[0], r[1], 12.5, "model"))
    # a record of its own: a new customer with its assignment, in one statement on PostgreSQL
    alone = Appends(
        batch_id, "inserted", now, model_id=3, new_customer="cus_b", assignment=(r[3], "cus_b")
    )
    # the same record again: only its count
    again = Appends(batch_id, "unchanged", now, model_id=3)
    for appends in (joined, alone, again):
        with store.transaction() as conn:
            store.strategy.write_appends(conn, appends)
    with store.connection() as conn:
        assert _customers(conn) == {"cus_a": ("active", None), "cus_b": ("active", None)}
        assert _assigned(conn) == {
            r[0]: ("cus_a", None),
            r[1]: ("cus_a", None),
            r[3]: ("cus_b", None),
        }
        assert _pairs(conn) == {(r[0], r[1], 12.5, 3), (r[1], r[2], 4.0, 3)}
        assert _links(conn) == [(r[0], r[1], 12.5, "model", None)]
        assert _batch_counts(conn, batch_id) == (3, 2, 0, 1)
        created = conn.execute(
            select(customers.c.created_at).where(customers.c.customer_id == "cus_b")
        ).scalar_one()
    assert created.replace(tzinfo=None) == now.replace(tzinfo=None)  # the call's time


def test_bulk_deletes_go_in_chunks_of_ids(store: Store, record_ids: list[int]) -> None:
    """More ids than one IN list takes (SQLite's limit of bound parameters)."""
    now = utcnow()
    many = list(range(10_000, 12_500))
    with store.transaction() as conn:
        replace_pairs(conn, 1, [(i, i + 1, 1.0) for i in many], None)
        add_links(
            conn,
            link_rows(
                [*many, 12_500],
                [(k, k + 1, 1.0) for k in range(len(many))],
                kind="model",
                run_id=1,
                now=now,
            ),
        )
        replace_pairs(conn, 1, [], many)
        delete_links(conn, many)
        create_customers(conn, ["cus_a"], now)
        assign_records(conn, [(i, "cus_a") for i in record_ids], [], now)
        assign_records(conn, [(i, "cus_a") for i in record_ids], [*record_ids, *many], now)
    with store.connection() as conn:
        assert conn.execute(select(func.count()).select_from(match_edges)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(record_links)).scalar_one() == 0
        assert len(_assigned(conn)) == len(record_ids)
