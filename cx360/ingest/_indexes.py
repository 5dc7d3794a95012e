"""Which lookup indexes a bulk load drops, to build them again at its end.

Building an index at the end costs a scan of the whole table and a sort, on one core
while the load's other processes have finished; keeping it costs an insert into it for
every row that has its key, and a page rewrite per transaction for each page those
inserts touch. For an index over most rows the build is cheaper. A partial index
(`WHERE key IS NOT NULL`) whose key almost no row holds (a postcode or a declared
identifier that the input does not have) costs next to nothing to keep, while its build
would still scan every row. The load's first transaction, written with every index in
place, tells which keys the input holds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Index, Table, func, select

from cx360.store import Store
from cx360.store._store import secondary_indexes

# A partial index stays for the load when at most this share of the rows written so far
# falls under it; above that, maintaining it costs the load more than its build at the end.
KEPT_MAX_SHARE = 0.02


def last_id(store: Store, table: Table) -> int:
    """The highest row id of `table` (0 when empty): rows inserted later have higher ids."""
    with store.connection() as conn:
        return int(conn.execute(select(func.max(table.c.id))).scalar() or 0)


def drop_for_load(store: Store, table: Table, *, after_id: int) -> list[str]:
    """Drop the lookup indexes of `table` that the load should build at its end; keep the
    partial ones over almost none of the rows inserted after `after_id` (the load's first
    transaction). Returns the names dropped."""
    dropped: list[str] = []
    with store.transaction() as conn:
        present = store.strategy.index_names(conn, table)
        written = _count(conn, table, after_id, None)
        for index in secondary_indexes(table):
            if index.name not in present or _kept(conn, store.dialect, index, after_id, written):
                continue
            index.drop(conn)
            dropped.append(str(index.name))
    return dropped


def _kept(conn: Connection, dialect: str, index: Index, after_id: int, written: int) -> bool:
    where = index.dialect_options[dialect].get("where")
    if where is None or not written:
        return False
    assert index.table is not None
    return _count(conn, index.table, after_id, where) <= written * KEPT_MAX_SHARE


def _count(conn: Connection, table: Table, after_id: int, where: Any) -> int:
    query = select(func.count()).select_from(table).where(table.c.id > after_id)
    if where is not None:
        query = query.where(where)
    return int(conn.execute(query).scalar_one())
