"""PostgreSQL's advisory locks as statements: the names a real-time call locks (a record's
keys, its candidates' customers) become 64-bit keys, taken in key order in one statement,
so calls that want the same ones queue and calls about different people run side by side."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, Select, String, bindparam, func, literal, select
from sqlalchemy.dialects import postgresql


def _locking(keys: Any) -> Select[Any]:
    """Take the advisory locks of `keys` (a subquery with a key column `k`) in one
    statement: PostgreSQL evaluates a volatile function in the select list after the
    ORDER BY, so they are acquired in key order (calls that want the same ones queue)."""
    return select(func.pg_advisory_xact_lock(keys.c.k).label("locked")).order_by(keys.c.k)


def _customer_keys(customer_id: Any) -> Select[Any]:
    """The lock keys of customers (a column of their IDs), each once: keyed in SQL, the
    same way wherever they are locked (`lock_customers`, `with_customer_locks`)."""
    key = func.hashtextextended(literal("customer:", String) + customer_id, 0)
    return select(key.label("k")).where(customer_id.is_not(None)).distinct()


def _array_rows(name: str, item: Any) -> Any:
    """The items of the array parameter `name`, as rows of a column `v`."""
    return (
        func.unnest(bindparam(name, type_=postgresql.ARRAY(item)))
        .table_valued("v")
        .render_derived()
    )


# the locks of `:keys` (lock keys) and of `:customers` (customer IDs), in key order
NAME_LOCKS = _locking(select(_array_rows("keys", BigInteger).c.v.label("k")).subquery("keys"))
CUSTOMER_LOCKS = _locking(_customer_keys(_array_rows("customers", String).c.v).subquery("keys"))
CUSTOMER_LOCKS_PER_STATEMENT = 64  # more: only the customers a decision joins are locked


def lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for a name (PostgreSQL's lock key space)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_params(names: Iterable[str]) -> dict[str, list[int]]:
    """The parameters of `NAME_LOCKS` for `names`."""
    return {"keys": sorted({lock_key(name) for name in names})}


def with_customer_locks(candidates: Any) -> Select[Any]:
    """The rows of `candidates` (with a `customer_id` column) and a last column counting
    the locks taken, after the read, on their customers (none when there are more than
    CUSTOMER_LOCKS_PER_STATEMENT: then `lock_customers` those that matter)."""
    found = candidates.cte("candidates")
    few = (
        select(func.count(func.distinct(found.c.customer_id))).scalar_subquery()
        <= CUSTOMER_LOCKS_PER_STATEMENT
    )
    locked = _locking(_customer_keys(found.c.customer_id).subquery("keys")).where(few)
    return select(
        found, select(func.count()).select_from(locked.subquery("locked")).scalar_subquery()
    )
