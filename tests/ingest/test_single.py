"""Single-row writes (`ingest/_single.py`) on a store with no model: an interaction is
recorded without real-time resolution, by the strategy's way on each database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cx360._errors import SchemaError
from cx360.ingest._single import record_interaction
from cx360.store import Store
from cx360.store._dialects import PostgresStrategy, SQLiteStrategy
from cx360.store._schema import interaction_versions, interactions


def test_an_interaction_is_recorded_as_ingest_would(store: Store) -> None:
    columns = {
        "source": "web",
        "source_record_id": "r1",
        "interaction_id": "int-1",
        "occurred_at": "2030-05-01T10:00:00Z",
        "status": "Open",
    }
    first = record_interaction(store, columns)
    assert (first.stored, first.version, first.customer_id) == ("inserted", 1, None)
    assert record_interaction(store, columns).stored == "unchanged"
    resolved = record_interaction(store, {**columns, "status": "resolved"})
    assert (resolved.stored, resolved.version) == ("updated", 2)
    with store.connection() as conn:
        assert conn.execute(select(interactions.c.status)).scalars().all() == ["resolved"]
        kept = conn.execute(select(interaction_versions.c.status)).scalars().all()
        assert kept == ["open"]
    strategy = store.strategy
    if isinstance(strategy, PostgresStrategy):  # new ones went in alone, on its connection
        assert strategy._pinned is not None
    else:  # the update's locked transaction started the WAL checkpoints
        assert isinstance(strategy, SQLiteStrategy) and strategy._checkpointer is not None


def test_a_row_ingest_would_quarantine_is_refused(store: Store) -> None:
    with pytest.raises(SchemaError) as refused:
        record_interaction(store, {"source": "web", "source_record_id": "r1"})
    assert refused.value.column == "interaction_id"
    with store.connection() as conn:
        assert conn.execute(select(func.count()).select_from(interactions)).scalar() == 0
