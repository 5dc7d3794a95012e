"""A lookup by phone or e-mail reads `record_identifiers` through its indexes only: by
(kind, key) for the records holding the value as a further identifier, by its primary key
for each record's further identifiers. Plans of the real statements on both backends."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from cx360.profile._lookup import _HOLDERS
from cx360.store import Store


def _plan(store: Store, kind: str) -> str:
    statement = _HOLDERS[kind]
    with store.connection() as conn:
        compiled = statement.compile(conn)
        params = compiled.construct_params({"key": "+573105551234"})
        if store.dialect == "sqlite":
            values = tuple(params[name] for name in compiled.positiontup or ())
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", values)
            return "\n".join(str(row[-1]) for row in rows)
        # sequential scans off: a scan is then planned only where no index can serve
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {compiled}", params))
        conn.rollback()
        return plan


@pytest.mark.parametrize("kind", ["phone", "email"])
def test_further_identifiers_are_read_by_index(store: Store, kind: str) -> None:
    plan = _plan(store, kind)
    assert "ix_record_identifiers_kind_key" in plan, plan
    lines = [line for line in plan.splitlines() if "record_identifiers" in line]
    if store.dialect == "sqlite":
        assert all(re.search(r"USING (COVERING )?INDEX|PRIMARY KEY", line) for line in lines), plan
    else:
        assert not any("Seq Scan" in line for line in lines), plan
