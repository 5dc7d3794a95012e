"""The access log: who read whose data, why and through which view.

A read is logged when the caller says who is reading (`actor`); a lookup that finds no
one is logged too (0 customers), since probing for people is a read. An export of
profiles is one entry with no customer ID: it read every customer, so each customer's
log lists it. Entries hold no identifier the reader typed, only the customer found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    CompoundSelect,
    Connection,
    Select,
    String,
    and_,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
)

from cx360._errors import InputError
from cx360.models._privacy import AccessEntry, AccessView
from cx360.privacy._tables import access_log
from cx360.profile._survivorship import aware
from cx360.store._dialects import strategy_of
from cx360.store._pg_writes import unflushed_commit
from cx360.store._schema import customers


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads and why, as given to a lookup or an export."""

    actor: str
    purpose: str | None = None

    @classmethod
    def of(cls, actor: str | None, purpose: str | None) -> Reader | None:
        if actor is None:
            if purpose is not None:
                raise InputError("a purpose is logged with an actor: give actor= too")
            return None
        if not actor.strip():
            raise InputError("actor must not be empty")
        return cls(actor.strip(), purpose)


def log_read(
    conn: Connection,
    reader: Reader,
    view: AccessView,
    customer_ids: Sequence[str | None],
    now: datetime,
    *,
    every: int | None = None,
) -> None:
    """One entry per customer read (None: a record not in a customer yet); one entry for
    no one found; with `every`, one entry for an export of that many customers.

    `conn` is a lookup connection (`Store.lookup_connection`): the entries are committed
    before this returns, in a transaction of their own whose commit does not wait for the
    disk (`Strategy.insert_unflushed`): a crash of the database's machine may lose the
    last fraction of a second of entries, never corrupt one; waiting for the disk at
    every read would cost more than the lookup itself."""
    entry = {"at": now, "actor": reader.actor, "purpose": reader.purpose, "view": view}
    if every is not None:
        rows = [entry | {"customer_id": None, "customers": every}]
    elif customer_ids:
        rows = [entry | {"customer_id": cid, "customers": 1} for cid in customer_ids]
    else:
        rows = [entry | {"customer_id": None, "customers": 0}]
    strategy_of(conn).insert_unflushed(conn, access_log, rows)


def entry_params(reader: Reader, view: AccessView, now: datetime) -> dict[str, Any]:
    """The parameters of a read that logs itself (`logging_read`)."""
    return {"log_at": now, "log_actor": reader.actor, "log_purpose": reader.purpose,
            "log_view": view}  # fmt: skip


def logging_read(read: CompoundSelect[Any], customer: Any) -> CompoundSelect[Any]:
    """`read` that also writes the access-log entry of the one customer it reads,
    `customer` (a scalar of the statement; no entry when it is NULL), where the database
    writes in a read (`Strategy.writes_in_reads`): the entry costs no round trip of its
    own. Committed with the read (autocommitted), not waiting for the disk as in
    `log_read`; the parameters are `entry_params`."""
    return read.add_cte(_entries(customer, customer.is_not(None)))


def logging_read_of_many(read: Select[Any]) -> Select[Any]:
    """`read` that also writes one access-log entry per customer of the array parameter
    `log_customers` (a None in it: a record not in a customer yet), as `logging_read`
    does for one: for the candidates an ambiguous lookup shows, whose names it reads."""
    customers = func.unnest(bindparam("log_customers", type_=ARRAY(String)))
    return read.add_cte(_entries(customers))


def _entries(customer: Any, *conditions: Any) -> Any:
    """The CTE inserting the entries of `customer` (a scalar, or a set of them) read by
    the statement it is added to."""
    entry = select(
        bindparam("log_at", type_=access_log.c.at.type),
        bindparam("log_actor", type_=String),
        bindparam("log_purpose", type_=String),
        customer,
        bindparam("log_view", type_=String),
        literal(1),
    ).where(*conditions, unflushed_commit())
    logged = insert(access_log).from_select(_ENTRY_COLUMNS, entry).returning(access_log.c.id)
    return logged.cte("logged")


_ENTRY_COLUMNS = ["at", "actor", "purpose", "customer_id", "view", "customers"]


def read_log(
    conn: Connection,
    *,
    customer_id: str | None,
    actor: str | None,
    since: datetime | None,
    limit: int,
) -> list[AccessEntry]:
    """Entries newest first: of one customer (its aliases and exports included), of one
    actor, or all."""
    if limit < 1:
        raise InputError("limit must be >= 1")
    query = select(access_log).order_by(access_log.c.at.desc(), access_log.c.id.desc())
    if customer_id is not None:
        aliases = select(customers.c.customer_id).where(customers.c.merged_into == customer_id)
        query = query.where(
            or_(
                access_log.c.customer_id == customer_id,
                access_log.c.customer_id.in_(aliases),
                and_(access_log.c.customer_id.is_(None), access_log.c.view == "export"),
            )
        )
    if actor is not None:
        query = query.where(access_log.c.actor == actor)
    if since is not None:
        query = query.where(access_log.c.at >= since)
    return [
        AccessEntry(at=aware(r.at) or r.at, actor=r.actor, purpose=r.purpose,
                    customer_id=r.customer_id, view=r.view, customers=r.customers)
        for r in conn.execute(query.limit(limit))
    ]  # fmt: skip
