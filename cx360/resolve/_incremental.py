"""What an incremental run reads: the records to score again, their candidates, and the
connected components they touch, never the whole store.

Clustering only ever joins records connected by a scored pair (or a steward's link), so
its result on one connected component of that graph does not depend on any other. A run
after a new batch therefore scores the dirty records (new, changed or never resolved, and
those of name blocks that have just outgrown the limit) against every stored record a
blocking rule pairs with one of them, with the name blocks' sizes counted in the store,
so that Splink scores exactly the pairs a full run would score with a dirty record. Then
it walks from them (and the records of overrides added or revoked since) over kept and
new pairs, steward links and previous customers to the closed set of records whose
customers may change; everything else keeps its customer and its links.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pyarrow as pa
from sqlalchemy import Connection, and_, bindparam, func, or_, select

from cx360.resolve._blocking import (
    NAME,
    NAME_BLOCK_MAX_RECORDS,
    OTHERS_COLUMN,
    RULES,
    BlockingRule,
    Key,
    name_of,
    others_sql,
)
from cx360.resolve._features import FEATURE_COLUMNS
from cx360.store._schema import match_edges, overrides, record_customers, records
from cx360.store._writes import chunks

# A record's columns that resolution reads, and with them its features: its phones and
# e-mails beyond the first (`OTHERS_COLUMN`, read from `record_identifiers`).
GUARD_COLUMNS: Final = (*FEATURE_COLUMNS, "national_id_kind")
ROW_COLUMNS: Final = (*GUARD_COLUMNS, OTHERS_COLUMN)
IN_CHUNK: Final = 900  # values per IN (...) list, under SQLite's bound-parameter limit
_R = records.c
# a record's `ROW_COLUMNS` in the store's SQL
ROW_SQL: Final = (*(_R[c] for c in GUARD_COLUMNS), others_sql().label(OTHERS_COLUMN))
_FEATURES = (_R.id, *ROW_SQL)
_COLUMN = {name: index for index, name in enumerate(ROW_COLUMNS)}
_CAPPED = tuple(rule for rule in RULES if rule.capped)

Features = tuple[Any, ...]  # a record's ROW_COLUMNS, in order


def features_table(rows: dict[int, Features]) -> pa.Table:
    """Records' ids and features as the Arrow table resolution works on, ordered by id."""
    ids = sorted(rows)
    columns: dict[str, pa.Array] = {"unique_id": pa.array(ids, pa.int64())}
    values = zip(*(rows[i] for i in ids), strict=True) if ids else ([] for _ in ROW_COLUMNS)
    for name, column in zip(ROW_COLUMNS, values, strict=True):
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
    assigned = select(func.count()).select_from(record_customers)
    assigned_dirty = sum(
        int(conn.execute(assigned.where(record_customers.c.record_id.in_(part))).scalar_one())
        for part in chunks(sorted(dirty))
    )
    unassigned = int(total) - int(conn.execute(assigned).scalar_one())
    if unassigned > len(dirty) - assigned_dirty:
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


@functools.cache
def _keys_condition(keys: tuple[Key, ...], size: int) -> Any:
    """`(keys) IN (...size tuples...)` spelled as ORs of equalities with bound parameters
    `k<i>_<j>` (tuple i, key j): each one an index lookup, where SQLite plans a row-value
    IN over many values as a scan of the table. Cached: building it costs more than
    running it."""
    return or_(
        *(
            and_(*(key.sql() == bindparam(f"k{i}_{j}") for j, key in enumerate(keys)))
            for i in range(size)
        )
    )


def _keys_rows(
    conn: Connection,
    columns: Sequence[Any],
    keys: tuple[Key, ...],
    values: Sequence[tuple[Any, ...]],
    group: bool = False,
) -> Iterator[Any]:
    """Rows of `columns` from records whose `keys` are one of `values` (grouped by them)."""
    if len(keys) == 1 and not group:
        for part in chunks([value for (value,) in values]):
            yield from conn.execute(select(*columns).where(keys[0].sql().in_(part)))
        return
    for part in chunks(values, IN_CHUNK // len(keys)):
        query = select(*columns).where(_keys_condition(keys, len(part)))
        if group:
            query = query.group_by(*(key.sql() for key in keys))
        params = {f"k{i}_{j}": v for i, value in enumerate(part) for j, v in enumerate(value)}
        yield from conn.execute(query, params)


def _record(row: Features) -> dict[str, Any]:
    return dict(zip(ROW_COLUMNS, row, strict=True))


def _small(sizes: dict[tuple[Any, ...], int], name: tuple[Any, ...]) -> bool:
    return sizes.get(name, 0) <= NAME_BLOCK_MAX_RECORDS


def scoring_scope(conn: Connection, dirty: list[int]) -> ScoringScope:
    """Load the dirty records, add name blocks that outgrew the limit, and load every
    record sharing a blocking key with one of them."""
    rows: dict[int, Features] = {}
    load_rows(conn, dirty, rows)
    dirty_set = set(rows)  # records gone from the store are not scored
    # name blocks' sizes in the whole store: the dirty records' own, and those their
    # capped rules' candidates have (such a rule counts only where both are small)
    loaded = [_record(row) for row in rows.values()]
    names = {name_of(record) for record in loaded}
    names.update(rule.candidates_name(record) for rule in _CAPPED for record in loaded)
    wanted = sorted(name for name in names if None not in name)
    counted = _keys_rows(conn, (*(key.sql() for key in NAME), func.count()), NAME, wanted, True)
    sizes = {tuple(name): int(n) for *name, n in counted}
    dirty_in_block = Counter(name_of(record) for record in loaded)
    # a block just grown past the limit: its pairs from the name block alone are gone in
    # a full run, so its records are scored again (their old pairs dropped)
    grown = [
        name
        for name, size in sizes.items()
        if size > NAME_BLOCK_MAX_RECORDS and size - dirty_in_block[name] <= NAME_BLOCK_MAX_RECORDS
    ]
    for row in _keys_rows(conn, _FEATURES, NAME, grown):
        rows[int(row[0])] = tuple(row[1:])
        dirty_set.add(int(row[0]))
    _load_candidates(conn, [_record(rows[i]) for i in dirty_set], sizes, rows)
    block_sizes = pa.table(
        {
            **{
                key.column: pa.array([name[n] for name in sizes], pa.string())
                for n, key in enumerate(NAME)
            },
            "records": pa.array(list(sizes.values()), pa.int64()),
        }
    )
    return ScoringScope(sorted(dirty_set), rows, block_sizes)


def _load_candidates(
    conn: Connection,
    dirty: Sequence[dict[str, Any]],
    sizes: dict[tuple[Any, ...], int],
    rows: dict[int, Features],
) -> None:
    """Every record that a blocking rule pairs with a dirty record, found by the rule's
    lookup as real time finds it (and checked where the lookup finds more)."""
    for rule in RULES:
        if rule.many is not None:
            _load_holders(conn, rule, dirty, rows)
            continue
        looked_up: set[tuple[Any, ...]] = set()
        compared: set[tuple[Any, ...]] = set()
        for record in dirty:
            if rule.capped and not (
                _small(sizes, name_of(record)) and _small(sizes, rule.candidates_name(record))
            ):
                continue
            keys = tuple(theirs.of(record) for _, theirs in rule.terms)
            if None not in keys:  # a record lacking a key the rule compares: no pair under it
                compared.add(keys)
                looked_up.add(tuple(theirs.of(record) for _, theirs in rule.lookup))
        at = [(_COLUMN[mine.column], mine) for mine, _ in rule.terms]
        lookup = tuple(mine for mine, _ in rule.lookup)
        for row in _keys_rows(conn, _FEATURES, lookup, sorted(looked_up)):
            features = tuple(row[1:])
            if (
                rule.checks
                and tuple(mine.from_column(features[i]) for i, mine in at) not in compared
            ):
                continue  # found by a coarser key, not a pair under the rule
            rows[int(row[0])] = features


def _load_holders(
    conn: Connection, rule: BlockingRule, dirty: Sequence[dict[str, Any]], rows: dict[int, Features]
) -> None:
    """Every record holding one of the dirty records' values of a `many` rule's key, as
    its first value or another."""
    key = rule.many
    assert key is not None
    values = sorted({value for record in dirty for value in key.values_of(record)})
    for part in chunks(values):
        for condition in rule.values_lookups_sql():
            found = conn.execute(select(*_FEATURES).where(condition), {f"{key.name}_values": part})
            for row in found:
                rows[int(row[0])] = tuple(row[1:])


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
            # every record of the customers of these records
            customers = select(owner).where(member.in_(part))
            for record_id, customer_id in conn.execute(
                select(member, owner).where(owner.in_(customers))
            ):
                found.previous[int(record_id)] = str(customer_id)
                reached.add(int(record_id))
        for node in frontier:
            reached.update(adjacent.get(node, ()))
        frontier = sorted(reached - visited)
        visited |= reached
    found.ids = sorted(visited)
    return found
