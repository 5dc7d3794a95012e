"""The lookup indexes: every real-time candidate lookup (one per blocking rule) uses an
index, and the identifier indexes are partial (`WHERE key IS NOT NULL`) and still used, on
both backends, whether built by the migrations or rebuilt after a bulk load."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import ColumnElement, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite

from cx360.resolve._blocking import RULES
from cx360.resolve.realtime._candidates import _CANDIDATES, _PG_CANDIDATES, _query_params
from cx360.store import Store
from cx360.store._schema import records
from tests._plans import explain

KEYS = ("email_key", "phone_key", "national_id_key", "handle_key")


def _definitions(store: Store) -> dict[str, str]:
    with store.connection() as conn:
        if store.dialect == "sqlite":
            rows = conn.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            )
        else:
            rows = conn.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                )
            )
        return {str(name): str(sql) for name, sql in rows}


def _plan(store: Store, condition: ColumnElement[bool]) -> str:
    query = select(records.c.id).where(condition)
    with store.connection() as conn:
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        if store.dialect == "sqlite":
            rows = conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            return " ".join(str(row[-1]) for row in rows)
        conn.execute(text("SET enable_seqscan = off"))
        return " ".join(str(row[0]) for row in conn.execute(text(f"EXPLAIN {compiled}")))


@pytest.mark.parametrize("rebuilt", [False, True], ids=["migrated", "rebuilt"])
def test_identifier_indexes_are_partial_and_used(store: Store, rebuilt: bool) -> None:
    if rebuilt:  # as a bulk load does: dropped, then created from the schema module
        store.drop_secondary_indexes(records)
        assert store.ensure_indexes()
    definitions = _definitions(store)
    for key in KEYS:
        name = f"ix_records_{key}"
        assert "IS NOT NULL" in definitions[name].upper(), definitions[name]
        assert name in _plan(store, records.c[key] == "x")
        assert name in _plan(store, records.c[key].in_(["x", "y"]))


# A record with every key a lookup reads (values stored records have too).
_PROBE: dict[str, Any] = {
    "phone_key": "+573001000001",
    "email_key": "ana.ruiz@example.com",
    "national_id_key": "10000001",
    "handle_key": "anaruiz",
    "given_canonical": "ana",
    "surname_key": "ruiz",
    "birth_date": "1990-01-01",
    "address_key": "calle 1 2 3",
    "postcode_key": "2000",
    "declared_key": "card=lc4821",
}


def _fill(store: Store, count: int = 300) -> None:
    """Records with varied keys, and fresh statistics, so plans are those of a real store."""
    now = datetime.now(UTC)
    rows = []
    for n in range(count):
        keys = {column: f"{value}{n % 97}" for column, value in _PROBE.items()}
        keys |= {"email_key": f"user{n % 89}@example.com", "birth_date": f"19{n % 97:02}-01-01"}
        # national IDs that differ in every window their masked keys cut out
        keys |= {"national_id_key": f"{n % 97:03}" * 3}
        keys |= {"source": "web", "source_record_id": str(n), "version": 1, "content_hash": "h"}
        rows.append(keys | {"raw": {}, "ingested_at": now, "updated_at": now})
    with store.transaction() as conn:
        conn.execute(insert(records), rows)
        conn.execute(text("ANALYZE"))


def _searches_by_index(store: Store, plan: str) -> bool:
    if store.dialect == "sqlite":
        reads = [line for line in plan.splitlines() if " records" in f" {line}"]
        # by an index, or by primary key (records found through `record_identifiers`)
        by_key = ("INDEX", "INTEGER PRIMARY KEY")
        return bool(reads) and all(
            "USING" in line and any(key in line for key in by_key) for line in reads
        )
    return "Seq Scan on records" not in plan and "Index" in plan


def test_every_lookup_is_led_by_an_indexed_key_of_the_schema() -> None:
    """Each rule's lookup compares, among its keys, the leading expression of an index on
    `records` (the index definitions live with the schema, which does not import rules)."""
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        leading = {_spelled(index.expressions[0], dialect) for index in records.indexes}
        for rule in RULES:
            keys = {_spelled(mine.sql(), dialect) for mine, _ in rule.lookup}
            assert keys & leading, (rule.name, dialect.name)


def _spelled(expression: Any, dialect: Any) -> str:
    return str(expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


@pytest.mark.parametrize("rebuilt", [False, True], ids=["migrated", "rebuilt"])
def test_every_real_time_candidate_lookup_uses_an_index(store: Store, rebuilt: bool) -> None:
    if rebuilt:  # as a bulk load does: dropped, then created from the schema module
        store.drop_secondary_indexes(records)
        assert store.ensure_indexes()
    _fill(store)
    params = _query_params(_PROBE)
    for rule in RULES:
        lookup = select(records.c.id).where(*rule.lookup_sql()).params(params)
        plan = explain(store, lookup)
        assert _searches_by_index(store, plan), (rule.name, plan)
    # and the statements real time runs, every branch in them
    statement = _CANDIDATES if store.dialect == "sqlite" else _PG_CANDIDATES
    plan = explain(store, statement.params(params))
    assert _searches_by_index(store, plan), plan
