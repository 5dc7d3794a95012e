"""Every write of customers, their records' assignments, aliases, links and kept pairs:
batch runs, incremental runs and real-time calls keep the same invariants, so the
statements live here once. A merged customer keeps its row as an alias (`merged_into`
the survivor), and the aliases that pointed at it are repointed at the survivor: an old
ID is always one step from an active customer. `record_links` joins each customer's
records (explanations walk it); `match_edges` keeps the scored pairs (l < r) for the
next incremental run. Batch runs write in bulk; a real-time call writes one row per
statement, and what it only adds at its end (`Strategy.write_appends`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    delete,
    insert,
    update,
)

from cx360.store._schema import (
    customers,
    match_edges,
    record_customers,
    record_links,
)
from cx360.store._writes import Stored, chunks, insert_many

Link = tuple[int, int, float | None, str]  # (record_id_l, record_id_r, match_weight, kind)
Pair = tuple[int, int, float]  # (record_id_l, record_id_r, match_weight), l < r


def _customer_row(customer_id: str, now: datetime) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "status": "active",
        "merged_into": None,
        "created_at": now,
        "updated_at": now,
    }


_P = bindparam
_NEW_CUSTOMER = insert(customers)
_ALIAS = (
    update(customers)
    .where(customers.c.customer_id == _P("b_old"))
    .values(status="merged", merged_into=_P("b_new"), updated_at=_P("b_now"))
)
_MOVE_ALIASES = (
    update(customers)
    .where(customers.c.merged_into == _P("b_old"))
    .values(merged_into=_P("b_new"), updated_at=_P("b_now"))
)
_MOVE_MEMBERS = (
    update(record_customers)
    .where(record_customers.c.customer_id == _P("b_old"))
    .values(customer_id=_P("b_new"), assigned_at=_P("b_now"), run_id=None)
)
_REASSIGN = (
    update(record_customers)
    .where(record_customers.c.record_id == _P("b_record_id"))
    .values(customer_id=_P("b_customer_id"), assigned_at=_P("b_now"), run_id=None)
)


# -- customers -------------------------------------------------------------------------------


def create_customers(conn: Connection, customer_ids: Sequence[str], now: datetime) -> None:
    """New active customers (a batch run's new clusters)."""
    insert_many(conn, customers, [_customer_row(cid, now) for cid in customer_ids])


def create_customer(conn: Connection, customer_id: str, now: datetime) -> None:
    """One new active customer (one statement)."""
    conn.execute(_NEW_CUSTOMER, _customer_row(customer_id, now))


def alias_customers(conn: Connection, survivors: Mapping[str, str], now: datetime) -> None:
    """Make each customer of `survivors` (old ID -> survivor) an alias of its survivor,
    with the aliases that pointed at it; their records are assigned by the caller. (All
    aliases are written before any is repointed: a survivor is never an old ID.)"""
    if not survivors:
        return
    params = [{"b_old": old, "b_new": new, "b_now": now} for old, new in survivors.items()]
    conn.execute(_ALIAS, params)
    conn.execute(_MOVE_ALIASES, params)


def merge_customer(conn: Connection, old: str, survivor: str, now: datetime) -> None:
    """Merge `old` into `survivor`: its records move there and it becomes an alias of it,
    with the aliases that pointed at it (three statements)."""
    conn.execute(_MOVE_MEMBERS, {"b_old": old, "b_new": survivor, "b_now": now})
    alias_customers(conn, {old: survivor}, now)


# -- assignments -----------------------------------------------------------------------------


def assign_records(
    conn: Connection,
    assigned: Sequence[tuple[int, str]],
    reassigned: Sequence[int],
    now: datetime,
) -> None:
    """Put records in customers: `assigned` (record_id, customer_id), of which the records
    `reassigned` had a customer before (their rows are replaced)."""
    for part in chunks(reassigned):
        conn.execute(delete(record_customers).where(record_customers.c.record_id.in_(part)))
    insert_many(
        conn,
        record_customers,
        [{"record_id": rid, "customer_id": cid, "assigned_at": now} for rid, cid in assigned],
    )


def reassign_record(conn: Connection, record_id: int, customer_id: str, now: datetime) -> None:
    """Move one record, which has a customer, to another (one statement)."""
    conn.execute(_REASSIGN, {"b_record_id": record_id, "b_customer_id": customer_id, "b_now": now})


# -- links and kept pairs --------------------------------------------------------------------


def link_rows(
    record_ids: Sequence[int],
    links: Sequence[tuple[int, int, float | None]],
    *,
    kind: str,
    run_id: int | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """`record_links` rows for links between records given by position in `record_ids`
    (as clustering returns them)."""
    return [
        _link_row((record_ids[left], record_ids[right], weight, kind), run_id, now)
        for left, right, weight in links
    ]


def _link_row(link: Link, run_id: int | None, now: datetime) -> dict[str, Any]:
    left, right, weight, kind = link
    return {
        "record_id_l": left,
        "record_id_r": right,
        "match_weight": weight,
        "kind": kind,
        "run_id": run_id,
        "created_at": now,
    }


def delete_links(conn: Connection, record_ids: Sequence[int] | None) -> None:
    """Delete the stored links of some records (None: all), for a run to write theirs
    again (an incremental run gives whole components). Only the latest run's links are
    kept: older ones would join records that have since been split apart."""
    if record_ids is None:
        conn.execute(delete(record_links))
    else:
        _delete_touching(conn, record_links, record_ids)


def add_links(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Add links (`link_rows`)."""
    insert_many(conn, record_links, rows)


def replace_pairs(
    conn: Connection,
    model_id: int,
    pairs: Iterable[Pair],
    rescored: Sequence[int] | None,
) -> None:
    """Keep the scored pairs for later incremental runs: they replace every kept pair
    (`rescored` None: a full run) or those touching the records scored again."""
    if rescored is None:
        conn.execute(delete(match_edges))
    else:
        _delete_touching(conn, match_edges, rescored)
    insert_many(conn, match_edges, _edge_rows(pairs, model_id))


def _edge_rows(pairs: Iterable[Pair], model_id: int | None) -> list[dict[str, Any]]:
    return [
        {"record_id_l": left, "record_id_r": right, "match_weight": weight, "model_id": model_id}
        for left, right, weight in pairs
    ]


def _delete_touching(conn: Connection, table: Table, record_ids: Sequence[int]) -> None:
    """Delete the rows of `table` (links or pairs) with an end among `record_ids`: a
    statement per end, each an index lookup (an OR of the two is not, on SQLite)."""
    for part in chunks(record_ids):
        conn.execute(delete(table).where(table.c.record_id_l.in_(part)))
        conn.execute(delete(table).where(table.c.record_id_r.in_(part)))


def forget_record_pairs(conn: Connection, record_id: int) -> None:
    """Delete a record's kept pairs and links, scored from content it no longer has
    (four statements)."""
    _delete_touching(conn, match_edges, [record_id])
    _delete_touching(conn, record_links, [record_id])


# -- a real-time call's appends --------------------------------------------------------------


@dataclass(slots=True)
class Appends:
    """Rows a real-time decision adds and reads no more, written at its end with the
    count of its record in its batch: a customer created for a record that had none, the
    record's assignment (if it had none), its pairs (scored with `model_id`) and links."""

    batch_id: int
    stored: Stored
    now: datetime
    model_id: int | None = None
    new_customer: str | None = None
    assignment: tuple[int, str] | None = None
    edges: list[Pair] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


_ASSIGN = insert(record_customers)
_NEW_EDGES = insert(match_edges)
_NEW_LINK = insert(record_links)


def write_appends(conn: Connection, appends: Appends) -> None:
    """Write a call's appends with one statement per table or row."""
    now = appends.now
    if appends.new_customer is not None:
        conn.execute(_NEW_CUSTOMER, _customer_row(appends.new_customer, now))
    if appends.assignment is not None:
        record_id, customer_id = appends.assignment
        conn.execute(
            _ASSIGN, {"record_id": record_id, "customer_id": customer_id, "assigned_at": now}
        )
    if appends.edges:
        conn.execute(_NEW_EDGES, _edge_rows(appends.edges, appends.model_id))
    for link in appends.links:
        conn.execute(_NEW_LINK, _link_row(link, None, now))
