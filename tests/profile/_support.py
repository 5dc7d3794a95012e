"""Helpers for profile tests: customers written straight into the store.

Small hand-built cases assign their records to customers directly, rather than through
resolution (which needs 50 records to train a model, and uses default parameters below
that), so the profile layer is tested on exact, known values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import insert, select

from cx360.store import Store, utcnow
from cx360.store._schema import customers, record_customers, records


def assign(
    store: Store,
    members: Mapping[str, Iterable[tuple[str, str]]],
    aliases: Mapping[str, str] | None = None,
) -> None:
    """Make each customer id own the given records; `aliases` maps merged-away ids."""
    now = utcnow()
    with store.transaction() as conn:
        for customer_id, refs in members.items():
            conn.execute(
                insert(customers).values(
                    customer_id=customer_id, status="active", created_at=now, updated_at=now
                )
            )
            for source, source_record_id in refs:
                record_id = conn.execute(
                    select(records.c.id).where(
                        records.c.source == source,
                        records.c.source_record_id == source_record_id,
                    )
                ).scalar_one()
                conn.execute(
                    insert(record_customers).values(
                        record_id=record_id, customer_id=customer_id, assigned_at=now
                    )
                )
        for alias, survivor in (aliases or {}).items():
            conn.execute(
                insert(customers).values(
                    customer_id=alias,
                    status="merged",
                    merged_into=survivor,
                    created_at=now,
                    updated_at=now,
                )
            )
