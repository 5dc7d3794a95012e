"""What an incremental run reads: the records to score again, their candidates, and the
connected components they touch, never the whole store.

Clustering only ever joins records connected by a scored pair (or a steward's link), so
its result on one connected component of that graph does not depend on any other.
A run after a new batch therefore:

1. finds the dirty records (new or changed since the last run, or never resolved) and
   adds the records of name blocks that have just outgrown the block limit;
2. loads them and every stored record that shares a blocking key with one of them
   (`_splink.PREDICTION_BLOCKS` and `CROSS_BLOCKS`, each an index lookup as in real-time
   resolution), with the name blocks' sizes counted in the store, so that Splink scores
   exactly the pairs with a dirty record that a full run would score;
3. after scoring, walks from the dirty records (and the records of overrides added or
   revoked since) over kept pairs, new pairs, steward links and the previous customers'
   memberships to the closed set of records whose customers may change, with the kept
   pairs among them; everything else keeps its customer and its links as they are.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import pyarrow as pa
from sqlalchemy import Connection, and_, bindparam, func, or_, select

from cx360.resolve._features import FEATURE_COLUMNS
from cx360.resolve._splink import NAME_BLOCK_MAX_RECORDS
from cx360.store._schema import (
    address_prefix,
    match_edges,
    overrides,
    record_customers,
    records,
)
from cx360.store._schema import email_user as sql_email_user

GUARD_COLUMNS: Final = (*FEATURE_COLUMNS, "national_id_kind")
IN_CHUNK: Final = 900  # values per IN (...) list, under SQLite's bound-parameter limit
_PAIR_CHUNK: Final = IN_CHUNK // 2
_R = records.c
_FEATURES = (_R.id, *(_R[c] for c in GUARD_COLUMNS))
_COLUMN = {name: index for index, name in enumerate(GUARD_COLUMNS)}

Features = tuple[Any, ...]  # a record's GUARD_COLUMNS, in order
T = TypeVar("T")


def chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def features_table(rows: dict[int, Features]) -> pa.Table:
    """Records' ids and features as the Arrow table resolution works on, ordered by id."""
    ids = sorted(rows)
    columns: dict[str, pa.Array] = {"unique_id": pa.array(ids, pa.int64())}
    values = zip(*(rows[i] for i in ids), strict=True) if ids else ([] for _ in GUARD_COLUMNS)
    for name, column in zip(GUARD_COLUMNS, values, strict=True):
        columns[name] = pa.array(column, pa.string())
    return pa.table(columns)


def load_rows(conn: Connection, ids: Iterable[int], into: dict[int, Features]) -> None:
    """Add the features of the records `ids` (those not already in `into`) to `into`."""
    wanted = sorted({i for i in ids if i not in into})
    for part in chunks(wanted):
        for row in conn.execute(select(*_FEATURES).where(_R.id.in_(part))):
            into[int(row[0])] = tuple(row[1:])


def dirty_records(conn: Connection, max_batch_id: int) -> list[int]:
    """Records new or changed since the last run (a later batch) or never resolved."""
    dirty = {int(i) for (i,) in conn.execute(select(_R.id).where(_R.batch_id > max_batch_id))}
    total = conn.execute(select(func.count()).select_from(records)).scalar_one()
    assigned = conn.execute(select(func.count()).select_from(record_customers)).scalar_one()
    unassigned_dirty = 0
    for part in chunks(sorted(dirty)):
        found = conn.execute(
            select(func.count())
            .select_from(record_customers)
            .where(record_customers.c.record_id.in_(part))
        ).scalar_one()
        unassigned_dirty += len(part) - int(found)
    if int(total) - int(assigned) > unassigned_dirty:
        # some record of an older batch has no customer (ingested while a run was going):
        # find them all (a scan; the counts above spare it in the usual case)
        assigned_ids = select(record_customers.c.record_id).where(
            record_customers.c.record_id == _R.id
        )
        dirty.update(int(i) for (i,) in conn.execute(select(_R.id).where(~assigned_ids.exists())))
    return sorted(dirty)


@dataclass(slots=True)
class ScoringScope:
    """The records an incremental run scores: `dirty` ones and their candidates."""

    dirty: list[int]
    rows: dict[int, Features]
    block_sizes: pa.Table

    def table(self) -> pa.Table:
        return features_table(self.rows)


def _values(rows: Iterable[Features], *columns: str) -> list[Any]:
    """The distinct non-null values (tuples for several columns) of some columns."""
    found: set[Any] = set()
    indexes = [_COLUMN[c] for c in columns]
    for row in rows:
        values = tuple(row[i] for i in indexes)
        if all(v is not None for v in values):
            found.add(values if len(values) > 1 else values[0])
    return sorted(found)


@functools.cache
def _pairs_condition(first: str, second: str, size: int) -> Any:
    """`(first, second) IN (...size pairs...)` spelled as ORs of equalities with bound
    parameters `a<i>`, `b<i>`: each one an index lookup, where SQLite plans a row-value IN
    over many values as a scan of the table. Cached: building it costs more than running it."""
    return or_(
        *(
            and_(_R[first] == bindparam(f"a{i}"), _R[second] == bindparam(f"b{i}"))
            for i in range(size)
        )
    )


def _pairs_rows(
    conn: Connection,
    columns: Sequence[Any],
    first: str,
    second: str,
    pairs: Sequence[tuple[Any, Any]],
    group: bool = False,
) -> Iterator[Any]:
    """Rows of `columns` from records whose (first, second) is one of `pairs`."""
    for part in chunks(pairs, _PAIR_CHUNK):
        query = select(*columns).where(_pairs_condition(first, second, len(part)))
        if group:
            query = query.group_by(_R[first], _R[second])
        params = {f"a{i}": a for i, (a, _) in enumerate(part)}
        params.update({f"b{i}": b for i, (_, b) in enumerate(part)})
        yield from conn.execute(query, params)


def _name_keys(row: Features) -> tuple[str, str] | None:
    given, surname = row[_COLUMN["given_canonical"]], row[_COLUMN["surname_key"]]
    return (given, surname) if given is not None and surname is not None else None


def scoring_scope(conn: Connection, dirty: list[int]) -> ScoringScope:
    """Load the dirty records, add name blocks that outgrew the limit, and load every
    record sharing a blocking key with one of them."""
    rows: dict[int, Features] = {}
    load_rows(conn, dirty, rows)
    dirty_set = set(rows)  # records gone from the store are not scored
    # name blocks: their sizes in the whole store, and those of the names swapped (the
    # swapped-names block counts only where both blocks are small)
    names = _values(rows.values(), "given_canonical", "surname_key")
    names = sorted({*names, *((s, g) for g, s in names)})
    counted = _pairs_rows(
        conn,
        (_R.given_canonical, _R.surname_key, func.count()),
        "surname_key",
        "given_canonical",
        [(s, g) for g, s in names],
        group=True,
    )
    sizes = {(g, s): int(n) for g, s, n in counted}
    dirty_in_block: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows.values():
        key = _name_keys(row)
        if key is not None:
            dirty_in_block[key] += 1
    # a block just grown past the limit: its pairs from the name block alone are gone in
    # a full run, so its records are scored again (their old pairs dropped)
    grown = [
        key
        for key, size in sizes.items()
        if size > NAME_BLOCK_MAX_RECORDS and size - dirty_in_block[key] <= NAME_BLOCK_MAX_RECORDS
    ]
    small = [key for key, size in sizes.items() if size <= NAME_BLOCK_MAX_RECORDS]
    for key_list, is_dirty in ((grown, True), (small, False)):
        keys = [(s, g) for g, s in key_list]
        for row in _pairs_rows(conn, _FEATURES, "surname_key", "given_canonical", keys):
            rows[int(row[0])] = tuple(row[1:])
            if is_dirty:
                dirty_set.add(int(row[0]))
    dirty_rows = [rows[i] for i in dirty_set]
    _load_candidates(conn, dirty_rows, rows)
    block_sizes = pa.table(
        {
            "given_canonical": pa.array([g for g, _ in sizes], pa.string()),
            "surname_key": pa.array([s for _, s in sizes], pa.string()),
            "records": pa.array(list(sizes.values()), pa.int64()),
        }
    )
    return ScoringScope(sorted(dirty_set), rows, block_sizes)


def _load_candidates(
    conn: Connection, dirty: Sequence[Features], rows: dict[int, Features]
) -> None:
    """Every record sharing a prediction block key with a dirty record (the name block is
    loaded by the caller), as the real-time candidate lookups find them."""

    def fetch(condition: Any) -> None:
        for row in conn.execute(select(*_FEATURES).where(condition)):
            rows[int(row[0])] = tuple(row[1:])

    for column in ("phone_key", "email_key", "national_id_key", "handle_key"):
        for part in chunks(_values(dirty, column)):
            fetch(_R[column].in_(part))
    for column in ("surname_key", "given_canonical"):
        keys = _values(dirty, "birth_date", column)
        for row in _pairs_rows(conn, _FEATURES, "birth_date", column, keys):
            rows[int(row[0])] = tuple(row[1:])
    # surname + address: by the indexed address prefix, then the whole key in Python
    wanted = set(_values(dirty, "surname_key", "address_key"))
    prefixes = sorted({address[:100] for _, address in wanted})
    surname, address = _COLUMN["surname_key"], _COLUMN["address_key"]
    for part in chunks(prefixes):
        query = select(*_FEATURES).where(address_prefix(_R.address_key).in_(part))
        for row in conn.execute(query):
            if (row[1 + surname], row[1 + address]) in wanted:
                rows[int(row[0])] = tuple(row[1:])
    # a name with its fields swapped: the candidate's surname is this given name, and so on
    swapped = [(g, s) for s, g in _values(dirty, "surname_key", "given_canonical")]
    for row in _pairs_rows(conn, _FEATURES, "surname_key", "given_canonical", swapped):
        rows[int(row[0])] = tuple(row[1:])
    # a handle that is someone's e-mail user name, both ways
    users = sorted({key.split("@", 1)[0] for key in _values(dirty, "email_key")})
    for part in chunks(users):
        fetch(_R.handle_key.in_(part))
    for part in chunks(_values(dirty, "handle_key")):
        fetch(sql_email_user(_R.email_key).in_(part))


@dataclass(slots=True)
class Component:
    """The records whose customers an incremental run may change, closed under kept and
    new pairs, steward links and previous customers: nothing outside it is touched."""

    ids: list[int]
    kept: dict[tuple[int, int], float] = field(default_factory=dict)
    previous: dict[int, str] = field(default_factory=dict)


def override_seeds(conn: Connection, active: Iterable[int], seen: list[int] | None) -> set[int]:
    """Records of overrides added or revoked since the last run (all overrides' records
    when the last run did not note which were active)."""
    query = select(overrides.c.id, overrides.c.record_id_l, overrides.c.record_id_r)
    if seen is not None:
        changed = sorted(set(active) ^ set(seen))
        if not changed:
            return set()
        query = query.where(overrides.c.id.in_(changed))
    return {int(i) for _, left, right in conn.execute(query) for i in (left, right)}


def touched_component(
    conn: Connection,
    seeds: Iterable[int],
    new_edges: Iterable[tuple[int, int]],
    must_links: Iterable[tuple[int, int]],
) -> Component:
    """Walk from `seeds` over kept pairs (`match_edges`), `new_edges`, `must_links` and
    previous customers to the smallest set closed under all of them."""
    adjacent: dict[int, list[int]] = defaultdict(list)
    for a, b in (*new_edges, *must_links):
        adjacent[a].append(b)
        adjacent[b].append(a)
    found = Component([])
    visited = set(seeds)
    frontier = sorted(visited)
    customers_seen: set[str] = set()
    edge_l, edge_r = match_edges.c.record_id_l, match_edges.c.record_id_r
    member, owner = record_customers.c.record_id, record_customers.c.customer_id
    while frontier:
        reached: set[int] = set()
        for part in chunks(frontier):
            for column in (edge_l, edge_r):
                pairs = select(edge_l, edge_r, match_edges.c.match_weight).where(column.in_(part))
                for left, right, weight in conn.execute(pairs):
                    found.kept[(int(left), int(right))] = float(weight)
                    reached.update((int(left), int(right)))
            customers: set[str] = set()
            for record_id, customer_id in conn.execute(
                select(member, owner).where(member.in_(part))
            ):
                found.previous[int(record_id)] = str(customer_id)
                customers.add(str(customer_id))
            customers -= customers_seen
            customers_seen |= customers
            for group in chunks(sorted(customers)):
                for record_id, customer_id in conn.execute(
                    select(member, owner).where(owner.in_(group))
                ):
                    found.previous[int(record_id)] = str(customer_id)
                    reached.add(int(record_id))
        for node in frontier:
            reached.update(adjacent.get(node, ()))
        frontier = sorted(reached - visited)
        visited |= reached
    found.ids = sorted(visited)
    return found
