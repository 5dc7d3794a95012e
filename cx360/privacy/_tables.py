"""The privacy tables, on the store's metadata (created by migrations 0008 and 0009)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text

from cx360.store._schema import Id, Timestamp, metadata, records

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

# -- erasure (created by migration 0009) ---------------------------------------------------

# The store's own random salt for the hashes below (one row): a hash of a phone number
# cannot be reversed by hashing every phone number unless the salt is known too.
erasure_salt = Table(
    "erasure_salt",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("salt", String(64), nullable=False),
    Column("created_at", Timestamp, nullable=False),
)

# What ingest must not bring back: salted hashes (`privacy._suppress.digest`) of erased
# record keys (source, source_record_id) and identifier keys (normalized e-mail, phone,
# national ID, handle). No value is kept in the clear.
suppressions = Table(
    "suppressions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),  # record | email | phone | national_id | handle
    Column("erasure_id", Id),
    Column("created_at", Timestamp, nullable=False),
)

# One receipt per erasure: who, when, why, what was asked (hashed), and the rows removed
# per table. The audit trail of an erasure holds no personal data.
erasures = Table(
    "erasures",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("erased_at", Timestamp, nullable=False),
    Column("erased_by", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("subject_kind", String(16), nullable=False),  # customer | record | email | ...
    Column("subject", String(64), nullable=False),  # its salted hash
    # salted hashes of the erased records' keys and of the customer IDs that went
    Column("refs", JSON, nullable=False),
    Column("removed", JSON, nullable=False),  # table -> rows removed
    # steward decisions removed with the records (kept here by id, kind and author)
    Column("overrides", JSON, nullable=False),
    # customers that lost a record and were resolved again: how many came out of them
    Column("customers_after", JSON, nullable=False),
    Index(None, "erased_at"),
)

# Erasure drops a given name from a trained model's frozen term frequencies when no
# remaining record holds it: this index makes that check one lookup (surname_key, the
# other frequency-adjusted column, leads an index of the store's already).
Index("ix_records_given_key", records.c.given_key)
