"""PostgreSQL's real-time writes as single statements: a statement costs a round trip
there, so a new record is inserted in the statement that takes its locks and reads the
model's state, and a decision's appends go in one statement of CTEs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    Select,
    String,
    Table,
    bindparam,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.selectable import CTE

from cx360.store._customers import Appends
from cx360.store._pg_locks import NAME_LOCKS
from cx360.store._schema import (
    Timestamp,
    customers,
    match_edges,
    record_customers,
    record_links,
)
from cx360.store._writes import _TAIL, RECORDS, _Kind, batch_counts, prepared_columns


def locked_read_and_new_record(state: Select[Any]) -> Select[Any]:
    """`state` with the count of the advisory locks of `:keys` taken (only for reads the
    locks do not protect: its snapshot is older), the id of the record inserted from the
    parameters, and the generic plans for the rest of the transaction (for a call's index
    lookups they are as good as plans per value, and planning per call costs more)."""
    locks = NAME_LOCKS.subquery("locks")
    new = new_row(RECORDS)
    return state.add_columns(
        select(func.count()).select_from(locks).scalar_subquery(),
        select(new.c.id).scalar_subquery(),
        func.set_config(literal("plan_cache_mode"), literal("force_generic_plan"), True),
    )


def new_row(kind: _Kind) -> CTE:
    """A new row of `kind` from parameters (prepared columns and tail), nothing if its
    key is stored, returning its id."""
    values: dict[str, Any] = {c: bindparam(c) for c in (*prepared_columns(kind), *_TAIL)}
    name = f"new_{kind.table.name.removesuffix('s')}"
    new = postgresql.insert(kind.table).on_conflict_do_nothing().returning(kind.table.c.id)
    return new.values(values).cte(name)


def _written(table: Table, columns: list[str], rows: Any, name: str) -> CTE:
    return insert(table).from_select(columns, rows).cte(name)


# A real-time call's pairs (l, r, weight) and links (l, r, weight, kind), sent as one
# array parameter per column (`_unnested`, `_arrays`).
_EDGE_COLUMNS = {"l": BigInteger, "r": BigInteger, "w": Float}
_LINK_COLUMNS = {**_EDGE_COLUMNS, "kind": String}


def _unnested(name: str, prefix: str, columns: dict[str, Any]) -> Any:
    """The rows of parallel array parameters (`{prefix}_{column}`) as table `name`."""
    arrays = (bindparam(f"{prefix}_{c}", type_=postgresql.ARRAY(t)) for c, t in columns.items())
    return func.unnest(*arrays).table_valued(*columns).render_derived(name)


def _arrays(prefix: str, columns: dict[str, Any], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """The parameters of `_unnested(..., prefix, columns)` for `rows`."""
    return {f"{prefix}_{c}": [row[i] for row in rows] for i, c in enumerate(columns)}


def unflushed_commit() -> Any:
    """A condition (true) that makes its statement's transaction commit without waiting
    for the WAL's flush to disk: `synchronous_commit` off for that transaction alone,
    which is the statement's own when it runs autocommitted. A crash of the server may
    then lose the last rows committed (PostgreSQL writes them within three
    `wal_writer_delay`s), never part of one; a write costs a round trip instead of a wait
    for the disk. A statement that writes only under it reads it where it writes."""
    return func.set_config("synchronous_commit", "off", True) == "off"


def unflushed_insert(table: Table, names: Sequence[str]) -> Any:
    """INSERT into `table` of the rows of parallel array parameters (`u_{name}`),
    committed without waiting for the disk (`unflushed_commit`) when autocommitted."""
    rows = _unnested("new_rows", "u", {name: table.c[name].type for name in names})
    chosen = select(*(rows.c[name] for name in names)).where(unflushed_commit())
    return insert(table).from_select(list(names), chosen).returning(table.c.id)


def unflushed_params(names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The parameters of `unflushed_insert(..., names)` for `rows`."""
    return {f"u_{name}": [row[name] for row in rows] for name in names}


def _now() -> Any:
    return bindparam("b_now", type_=Timestamp)


def appends_statement(counted: CTE) -> Select[Any]:
    """One statement that writes a decision's appends (`appends_params`) and `counted`:
    one round trip instead of one per table. A customer and its record's assignment are
    written when their flags are set (the foreign key is checked at the statement's end,
    when both rows are there); the pairs and links come as parallel arrays."""
    new_customer = select(bindparam("c_customer_id", type_=String), literal("active", String))
    created = _written(
        customers,
        ["customer_id", "status", "created_at", "updated_at"],
        new_customer.add_columns(_now(), _now()).where(bindparam("c_create", type_=Boolean)),
        "created",
    )
    assignment = select(
        bindparam("a_record_id", type_=BigInteger), bindparam("a_customer_id", type_=String), _now()
    ).where(bindparam("a_assign", type_=Boolean))
    assigned = _written(
        record_customers, ["record_id", "customer_id", "assigned_at"], assignment, "assigned"
    )
    edge = _unnested("edge", "e", _EDGE_COLUMNS)
    edges = _written(
        match_edges,
        ["record_id_l", "record_id_r", "match_weight", "model_id"],
        select(edge.c.l, edge.c.r, edge.c.w, bindparam("e_model_id", type_=BigInteger)),
        "edges",
    )
    link = _unnested("link", "l", _LINK_COLUMNS)
    links = _written(
        record_links,
        ["record_id_l", "record_id_r", "match_weight", "kind", "created_at"],
        select(link.c.l, link.c.r, link.c.w, link.c.kind, _now()),
        "links",
    )
    return select(literal(1)).add_cte(created, assigned, edges, links, counted)


def appends_params(appends: Appends) -> dict[str, Any]:
    """The parameters of `appends_statement` (with the count in the batch's)."""
    record_id, customer_id = appends.assignment or (None, None)
    return {
        **batch_counts(appends.batch_id, appends.stored, appends.now),
        "c_create": appends.new_customer is not None,
        "c_customer_id": appends.new_customer,
        "a_assign": appends.assignment is not None,
        "a_record_id": record_id,
        "a_customer_id": customer_id,
        "e_model_id": appends.model_id,
        **_arrays("e", _EDGE_COLUMNS, appends.edges),
        **_arrays("l", _LINK_COLUMNS, appends.links),
    }
