"""Query plans of real statements on both backends, for the tests that pin index use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text

from cx360.store import Store


def explain(store: Store, statement: Any, params: Mapping[str, Any] | None = None) -> str:
    """The plan of `statement` run with `params` bound as real time binds them (lists
    expanded), one line per step. On PostgreSQL with sequential scans off: a scan is then
    planned only where no index can serve."""
    with store.connection() as conn:
        compiled = statement.compile(conn)
        state = compiled.construct_expanded_state(compiled.construct_params(params))
        bound = state.parameters
        if store.dialect == "sqlite":
            values = tuple(bound[name] for name in state.positiontup or ())
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {state.statement}", values)
            return "\n".join(str(row[-1]) for row in rows)
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        rows = conn.exec_driver_sql(f"EXPLAIN {state.statement}", bound)
        plan = "\n".join(str(row[0]) for row in rows)
        conn.rollback()
        return plan
