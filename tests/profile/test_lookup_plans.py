"""A lookup by phone or e-mail reads `record_identifiers` through its indexes only: by
(kind, key) for the records holding the value as a further identifier, by its primary key
for each record's further identifiers. Plans of the real statements on both backends."""

from __future__ import annotations

import re

import pytest

from cx360.profile._lookup import _HOLDERS
from cx360.store import Store
from tests._plans import explain


def _plan(store: Store, kind: str) -> str:
    return explain(store, _HOLDERS[kind], {"key": "+573105551234"})


@pytest.mark.parametrize("kind", ["phone", "email"])
def test_further_identifiers_are_read_by_index(store: Store, kind: str) -> None:
    plan = _plan(store, kind)
    assert "ix_record_identifiers_kind_key" in plan, plan
    lines = [line for line in plan.splitlines() if "record_identifiers" in line]
    if store.dialect == "sqlite":
        assert all(re.search(r"USING (COVERING )?INDEX|PRIMARY KEY", line) for line in lines), plan
    else:
        assert not any("Seq Scan" in line for line in lines), plan
