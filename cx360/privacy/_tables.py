"""The privacy tables, on the store's metadata (created by migration 0008)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from cx360.store._schema import Id, Timestamp, metadata

# One row per consent event recorded through the API; consents read from records' consent
# columns are not copied here (the records and their versions are their history).
consent_events = Table(
    "consent_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # a record's consent follows the record through merges and splits; a customer's
    # (given without a record) follows the customer ID and its aliases
    Column("record_id", Id, ForeignKey("records.id", ondelete="CASCADE")),
    Column("customer_id", String(32)),
    Column("purpose", String(64), nullable=False),
    Column("channel", String(32)),  # NULL: every channel
    Column("status", String(16), nullable=False),  # granted | denied | revoked
    Column("given_at", Timestamp, nullable=False),
    Column("source", String(64), nullable=False),
    Column("evidence", Text),
    Column("recorded_by", String(128)),
    Column("recorded_at", Timestamp, nullable=False),
    Index(None, "record_id"),
    Index(None, "customer_id"),
)

access_log = Table(
    "access_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", Timestamp, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("purpose", String(255)),
    Column("customer_id", String(32)),  # NULL: an export of every customer
    Column("view", String(32), nullable=False),
    Column("customers", Integer, nullable=False),
    Index(None, "customer_id", "at"),
    Index(None, "actor", "at"),
)
