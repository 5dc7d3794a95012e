"""Every write of customers, their records' assignments, aliases, links and kept pairs.

Batch runs, incremental runs and real-time calls change the same four tables, and keep
the same invariants, so the statements live here once:

- `customers`: one row per customer ID ever given. A merged customer keeps its row as an
  alias (`status='merged'`, `merged_into` the survivor), and the aliases that pointed at
  it are repointed at the survivor: an old ID is always one step from an active customer.
- `record_customers`: the customer of each resolved record (one row per record).
- `record_links`: the links that joined each customer's records, which explanations walk.
- `match_edges`: the scored pairs (l < r) kept for the next incremental run.

A batch run writes in bulk (`insert_many`, deletes in chunks of ids); a real-time call
runs a few prepared statements on one row each, and writes what it only adds at its end
(`write_appends`; in one statement on PostgreSQL: `Strategy.write_appends`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    Connection,
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
from cx360.store._writes import insert_many

# ids per IN (...) list of a bulk delete: under SQLite's limit of bound parameters
_IN_CHUNK = 900

Link = tuple[int, int, float | None, str]  # (record_id_l, record_id_r, match_weight, kind)
Pair = tuple[int, int, float]  # (record_id_l, record_id_r, match_weight), l < r


def _chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


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
# one statement per column: each an index lookup (an OR of the two is not, on SQLite)
_FORGET_PAIRS = (
    delete(match_edges).where(match_edges.c.record_id_l == _P("record_id")),
    delete(match_edges).where(match_edges.c.record_id_r == _P("record_id")),
    delete(record_links).where(record_links.c.record_id_l == _P("record_id")),
    delete(record_links).where(record_links.c.record_id_r == _P("record_id")),
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
    with the aliases that pointed at it; their records are assigned by the caller.

    Every alias is written before any is repointed: the same rows as one old ID at a
    time, because a survivor is never itself one of the old IDs (it keeps records)."""
    if not survivors:
        return
    params = [{"b_old": old, "b_new": new, "b_now": now} for old, new in survivors.items()]
    conn.execute(_ALIAS, params)
    conn.execute(_MOVE_ALIASES, params)


def alias_customer(conn: Connection, old: str, survivor: str, now: datetime) -> None:
    """Make `old`, which holds no record any more, an alias of `survivor`, with the
    aliases that pointed at it (two statements)."""
    params = {"b_old": old, "b_new": survivor, "b_now": now}
    conn.execute(_ALIAS, params)
    conn.execute(_MOVE_ALIASES, params)


def merge_customer(conn: Connection, old: str, survivor: str, now: datetime) -> None:
    """Merge `old` into `survivor`: its records move there and it becomes an alias of it,
    with the aliases that pointed at it (three statements)."""
    params = {"b_old": old, "b_new": survivor, "b_now": now}
    conn.execute(_MOVE_MEMBERS, params)
    conn.execute(_ALIAS, params)
    conn.execute(_MOVE_ALIASES, params)


# -- assignments -----------------------------------------------------------------------------


def assign_records(
    conn: Connection,
    assigned: Sequence[tuple[int, str]],
    reassigned: Sequence[int],
    now: datetime,
) -> None:
    """Put records in customers: `assigned` (record_id, customer_id), of which the records
    `reassigned` had a customer before (their rows are replaced)."""
    for part in _chunks(reassigned):
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
        {
            "record_id_l": record_ids[left],
            "record_id_r": record_ids[right],
            "match_weight": weight,
            "kind": kind,
            "run_id": run_id,
            "created_at": now,
        }
        for left, right, weight in links
    ]


def delete_links(conn: Connection, record_ids: Sequence[int] | None) -> None:
    """Delete the stored links of some records (None: of every record), for a run to
    write theirs again. An incremental run gives whole components (a link never leaves
    one).

    The stored links are those of the latest run only: together they join each
    customer's records, which is what explanations walk; older runs' links would join
    records that have since been split apart.
    """
    if record_ids is None:
        conn.execute(delete(record_links))
        return
    for part in _chunks(record_ids):
        conn.execute(delete(record_links).where(record_links.c.record_id_l.in_(part)))
        conn.execute(delete(record_links).where(record_links.c.record_id_r.in_(part)))


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
        for part in _chunks(rescored):
            conn.execute(delete(match_edges).where(match_edges.c.record_id_l.in_(part)))
            conn.execute(delete(match_edges).where(match_edges.c.record_id_r.in_(part)))
    insert_many(
        conn,
        match_edges,
        [
            {
                "record_id_l": left,
                "record_id_r": right,
                "match_weight": weight,
                "model_id": model_id,
            }
            for left, right, weight in pairs
        ],
    )


def forget_record_pairs(conn: Connection, record_id: int) -> None:
    """Delete a record's kept pairs and links, scored from content it no longer has
    (four statements)."""
    for statement in _FORGET_PAIRS:
        conn.execute(statement, {"record_id": record_id})


# -- a real-time call's appends --------------------------------------------------------------


class CallAppends(Protocol):
    """Rows a real-time decision adds and reads no more, written together at its end.

    `new_customer`: the ID of a customer the decision created for a record that had none
    (the assignment refers to it); `assignment`: (record_id, customer_id) of a record
    that had no customer; `edges`: pairs scored with `model_id`; `links`: those that put
    the record in its customer.
    """

    @property
    def now(self) -> datetime: ...
    @property
    def model_id(self) -> int | None: ...
    @property
    def new_customer(self) -> str | None: ...
    @property
    def assignment(self) -> tuple[int, str] | None: ...
    @property
    def edges(self) -> Sequence[Pair]: ...
    @property
    def links(self) -> Sequence[Link]: ...


_ASSIGN = insert(record_customers)
_NEW_EDGES = insert(match_edges)
_NEW_LINK = insert(record_links)


def write_appends(conn: Connection, appends: CallAppends) -> None:
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
        conn.execute(
            _NEW_EDGES,
            [
                {
                    "record_id_l": left,
                    "record_id_r": right,
                    "match_weight": weight,
                    "model_id": appends.model_id,
                }
                for left, right, weight in appends.edges
            ],
        )
    for left, right, weight, kind in appends.links:
        conn.execute(
            _NEW_LINK,
            {
                "record_id_l": left,
                "record_id_r": right,
                "match_weight": weight,
                "kind": kind,
                "run_id": None,
                "created_at": now,
            },
        )
