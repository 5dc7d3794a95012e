"""The identifier lookup indexes are partial (`WHERE key IS NOT NULL`) and the lookups
still use them, on both backends, whether built by the migrations or rebuilt after a
bulk load."""

from __future__ import annotations

import pytest
from sqlalchemy import ColumnElement, select, text

from cx360.store import Store
from cx360.store._schema import records

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
