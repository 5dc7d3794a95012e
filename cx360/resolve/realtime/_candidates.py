"""Real time's candidates: one lookup per blocking rule (`_blocking.RULES`), and the lock
names that make two calls whose records could meet take turns.

A rule over phones or e-mails (`BlockingRule.many`) has a second lookup in the same
statement: the records holding the record's first value beyond their own first. The
record's own values beyond its first (rare) are looked up by one more statement
(`others_candidates`), only for such a record."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from sqlalchemy import Connection, and_, func, literal_column, or_, select, union_all
from sqlalchemy.sql.util import ClauseAdapter

from cx360.resolve._blocking import (
    DECLARED,
    MANY_KEYS,
    NAME_BLOCK_MAX_RECORDS,
    NAME_RULE,
    OTHERS_COLUMN,
    RULES,
    BlockingRule,
    key_values,
)
from cx360.resolve._blocking import lock_names as rule_lock_names
from cx360.resolve._incremental import ROW_COLUMNS, ROW_SQL
from cx360.store._dialects import CandidateReads
from cx360.store._schema import record_customers, records

# Per blocking rule, at most this many candidates: a value shared by more records (a
# call-center phone) would make one call as slow as a batch. Batch scores them all.
BRANCH_LIMIT: Final = 1000

_R = records.c
# A capped rule counts only where both name blocks are small: the record's own (the rows
# the name rule finds) and its candidates' (the rows the rule itself finds). One row more
# than the limit is enough to tell.
_NAME_RULE: Final = RULES.index(NAME_RULE)
_CAPPED: Final = tuple(number for number, rule in enumerate(RULES) if rule.capped)
# Rules whose lookup finds more than they pair: each row found is checked, by the
# position of the candidate's column in `_CANDIDATES` rows (rule, id, source,
# source_record_id, *ROW_COLUMNS, customer_id).
_AT: Final = {column: 4 + n for n, column in enumerate(ROW_COLUMNS)}
_CHECKS: Final = {
    number: tuple((_AT[mine.column], mine, theirs) for mine, theirs in rule.checks)
    for number, rule in enumerate(RULES)
    if rule.checks
}


def _limit(rule: BlockingRule) -> int:
    return NAME_BLOCK_MAX_RECORDS + 1 if rule.capped else BRANCH_LIMIT


def _rule(number: int) -> Any:
    return literal_column(str(number))


def _lookups(rule: BlockingRule) -> tuple[tuple[Any, ...], ...]:
    """The rule's lookups: by its terms, and for a `many` rule among others' values."""
    others = rule.others_lookup_sql()
    return (rule.lookup_sql(),) if others is None else (rule.lookup_sql(), others)


def _rows(number: int, where: Any, limit: int) -> Any:
    """The rows of the records `where` finds (at most `limit`) with what scoring needs,
    found by rule `number`."""
    return (
        select(
            _rule(number).label("rule"),
            _R.id,
            _R.source,
            _R.source_record_id,
            *ROW_SQL,
            record_customers.c.customer_id,
        )
        .select_from(records.outerjoin(record_customers, record_customers.c.record_id == _R.id))
        .where(*where)
        .limit(limit)
    )


def _branches(number: int, rule: BlockingRule) -> list[Any]:
    """One rule's candidates; each branch reads its rows itself (on SQLite faster than a
    union of ids joined to `records` afterwards)."""
    return [select(_rows(number, lookup, _limit(rule)).subquery()) for lookup in _lookups(rule)]


# The rule of declared identifiers (a loyalty card): most stores have none, and a record
# without one needs no lookup by it (`candidate_reads`).
_DECLARED_RULE: Final = next(n for n, rule in enumerate(RULES) if rule.many is DECLARED)


def _by_rule(skipped: frozenset[int] = frozenset()) -> Any:
    """One statement for every rule (but `skipped`): a round trip per rule would cost more
    than the lookups."""
    return union_all(
        *(
            branch
            for number, rule in enumerate(RULES)
            if number not in skipped
            for branch in _branches(number, rule)
        )
    )


_CANDIDATES = _by_rule()
# The candidates through a record's values beyond the first (`others_candidates`).
_OTHERS_CANDIDATES = union_all(
    *(
        select(_rows(number, (lookup,), BRANCH_LIMIT).subquery())
        for number, rule in enumerate(RULES)
        if rule.many is not None
        for lookup in rule.values_lookups_sql()
    )
)


def _pairs(skipped: frozenset[int] = frozenset()) -> Any:
    """The candidates that make pairs: the rules' hits (ids, but `skipped` rules'), kept
    as `_kept` keeps them, then their rows (`CandidateReads` makes them each once), read
    by primary key after the lookups, which costs the server little."""
    branches = []
    for number, rule in enumerate(RULES):
        if number in skipped:
            continue
        limit: Any = literal_column(str(_limit(rule)))  # written out, not bound
        rule_id = _rule(number).label("rule")
        branches.append(select(rule_id, _R.id).where(*rule.lookup_sql()).limit(limit))
        holders = rule.holders_sql()
        if holders is not None:  # straight from the identifiers' index
            branches.append(
                holders.with_only_columns(rule_id, *holders.selected_columns).limit(limit)
            )
    hits = union_all(*branches).cte("hits")
    found = hits.c.rule

    def small(number: int) -> Any:
        rows = select(func.count()).select_from(hits).where(found == _rule(number))
        return rows.scalar_subquery() <= literal_column(str(NAME_BLOCK_MAX_RECORDS))

    own_block_small = small(_NAME_RULE)
    kept = []
    for number, rule in enumerate(RULES):
        holds = list(rule.checks_sql())
        if rule.capped:
            holds += [own_block_small] if number == _NAME_RULE else [own_block_small, small(number)]
        if holds:
            kept.append(or_(found != _rule(number), and_(*holds)))
    pairs = (
        select(_R.id, _R.source, _R.source_record_id, *ROW_SQL)
        .add_columns(record_customers.c.customer_id)
        .select_from(
            hits.join(records, _R.id == hits.c.id).outerjoin(
                record_customers, record_customers.c.record_id == _R.id
            )
        )
        .where(*kept)
    )
    # short names for the tables: a statement easier to read in the server's views
    for name, stored in (("r", records), ("c", record_customers)):
        pairs = ClauseAdapter(stored.alias(name)).traverse(pairs)
    return pairs


def lock_names(row: Mapping[str, Any]) -> list[str]:
    """The names a call locks on PostgreSQL: the record's key and its names under every
    blocking rule, so two records that could be candidates of each other always share one
    (calls about them take turns, the second sees the first)."""
    return [f"record:{row['source']}\x1f{row['source_record_id']}", *rule_lock_names(row)]


def _kept(record: Mapping[str, Any], rows: Iterable[Sequence[Any]]) -> list[Sequence[Any]]:
    """`_CANDIDATES` rows (rule, id, ...) as `_PG_CANDIDATES` gives them: without the
    rule, each record once, and only rows that make a pair under their rule."""
    rows = list(rows)
    hits = Counter(row[0] for row in rows)
    own_block_small = hits[_NAME_RULE] <= NAME_BLOCK_MAX_RECORDS
    # a name too common to block on (batch drops it the same way)
    dropped = {n for n in _CAPPED if not (own_block_small and hits[n] <= NAME_BLOCK_MAX_RECORDS)}
    kept: dict[int, Sequence[Any]] = {}
    for row in rows:
        rule, rid = row[0], row[1]
        if rid in kept or rule in dropped:
            continue
        checks = _CHECKS.get(rule)
        if checks is not None and not _passes(record, row, checks):
            continue  # found by a coarser key, not a pair under its rule
        kept[rid] = row[1:]
    return list(kept.values())


CANDIDATES: Final = CandidateReads.of(_CANDIDATES, _kept, _pairs())
_PG_CANDIDATES: Final = CANDIDATES.each_once
_CANDIDATES_LOCKING_CUSTOMERS: Final = CANDIDATES.locking
_WITHOUT_DECLARED: Final = frozenset({_DECLARED_RULE})
CANDIDATES_WITHOUT_DECLARED: Final = CandidateReads.of(
    _by_rule(_WITHOUT_DECLARED), _kept, _pairs(_WITHOUT_DECLARED)
)


def candidate_reads(params: Mapping[str, Any]) -> CandidateReads:
    """The candidates statements for a record whose parameters are `params`: without the
    declared identifiers' lookups when it holds none (they would find nothing: every
    lookup is an equality with the record's key)."""
    return CANDIDATES if params[DECLARED.name] is not None else CANDIDATES_WITHOUT_DECLARED


def others_candidates(
    conn: Connection, record: Mapping[str, Any], found: Sequence[Sequence[Any]]
) -> list[Sequence[Any]]:
    """The candidates (as `CANDIDATES` gives them) that only a record's phones or e-mails
    beyond the first find, besides those `found` already; none without such values."""
    params = {f"{key.name}_values": list(key.others_of(record)) for key in MANY_KEYS}
    if not any(params.values()):
        return []
    seen = {row[0] for row in found}
    rows = conn.execute(_OTHERS_CANDIDATES, params).all()
    return [row for row in _kept(record, rows) if row[0] not in seen]


def _passes(record: Mapping[str, Any], row: Sequence[Any], checks: Any) -> bool:
    for at, mine, theirs in checks:
        value = theirs.of(record)
        if value is None or mine.from_column(row[at]) != value:
            return False
    return True


def _gated() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Parameters that only a rule with checks reads, each with the record's keys that
    rule compares: NULL (no lookup) where one is unknown, since no row found would pass
    the checks (an address counts only with a surname)."""
    readers: dict[str, set[int]] = defaultdict(set)
    for number, rule in enumerate(RULES):
        for _, theirs in (*rule.lookup, *rule.checks):
            readers[theirs.name].add(number)
    return tuple(
        (theirs.name, tuple(key.name for _, key in rule.terms))
        for number, rule in enumerate(RULES)
        if rule.checks
        for _, theirs in rule.lookup
        if readers[theirs.name] == {number}
    )


_GATED: Final = _gated()


def _query_params(record: Mapping[str, Any]) -> dict[str, Any]:
    """The statements' parameters: the record's keys, each bound by the name of its key."""
    params = key_values(record)
    del params[OTHERS_COLUMN]  # bound by `others_candidates`
    for name, keys in _GATED:
        if any(params[key] is None for key in keys):
            params[name] = None
    return params
