"""Helpers shared by the resolution tests."""

from __future__ import annotations

from sqlalchemy import select

from cx360.store import Store
from cx360.store._schema import record_customers, records


def assignments(store: Store) -> dict[tuple[str, str], str]:
    """Customer of every resolved record, by (source, source_record_id)."""
    with store.connection() as conn:
        rows = conn.execute(
            select(
                records.c.source, records.c.source_record_id, record_customers.c.customer_id
            ).join(record_customers, record_customers.c.record_id == records.c.id)
        ).all()
    return {(s, r): c for s, r, c in rows}
