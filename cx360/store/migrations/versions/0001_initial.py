"""Initial schema: records, versions, interactions, quarantine, batches, customers.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    """The first schema, one `create_table` per table as it was released. One function
    over 80 lines: a migration is never edited once stores have run it, and each table's
    definition reads on its own."""
    op.create_table(
        "sources",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("default_country", sa.String(2)),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("updated_at", Ts, nullable=False),
    )
    op.create_table(
        "ingest_batches",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("origin", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", Ts, nullable=False),
        sa.Column("finished_at", Ts),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("inserted", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("quarantined", sa.Integer, nullable=False),
    )
    op.create_table(
        "records",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_record_id", sa.String(255), nullable=False),
        sa.Column("observed_at", Ts),
        sa.Column("country", sa.String(2)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("raw", sa.JSON, nullable=False),
        sa.Column("given_names", sa.Text),
        sa.Column("surnames", sa.Text),
        sa.Column("given_key", sa.String(128)),
        sa.Column("given_canonical", sa.String(128)),
        sa.Column("given_keys", sa.Text),
        sa.Column("surname_key", sa.String(128)),
        sa.Column("surname2_key", sa.String(128)),
        sa.Column("email_display", sa.String(320)),
        sa.Column("email_key", sa.String(320)),
        sa.Column("phone_e164", sa.String(20)),
        sa.Column("phone_key", sa.String(20)),
        sa.Column("phone_kind", sa.String(24)),
        sa.Column("national_id", sa.String(64)),
        sa.Column("national_id_key", sa.String(64)),
        sa.Column("national_id_kind", sa.String(16)),
        sa.Column("national_id_valid", sa.Boolean),
        sa.Column("birth_date", sa.String(10)),
        sa.Column("address_key", sa.Text),
        sa.Column("city_key", sa.String(128)),
        sa.Column("handle_key", sa.String(255)),
        sa.Column("issues", sa.Text),
        sa.Column(
            "batch_id",
            Id,
            sa.ForeignKey("ingest_batches.id", name="fk_records_batch_id_ingest_batches"),
        ),
        sa.Column("ingested_at", Ts, nullable=False),
        sa.Column("updated_at", Ts, nullable=False),
        sa.UniqueConstraint(
            "source", "source_record_id", name="uq_records_source_source_record_id"
        ),
    )
    op.create_index("ix_records_email_key", "records", ["email_key"])
    op.create_index("ix_records_phone_key", "records", ["phone_key"])
    op.create_index("ix_records_national_id_key", "records", ["national_id_key"])
    op.create_index("ix_records_handle_key", "records", ["handle_key"])
    op.create_index(
        "ix_records_surname_key_given_canonical", "records", ["surname_key", "given_canonical"]
    )
    op.create_table(
        "record_versions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "record_id",
            Id,
            sa.ForeignKey(
                "records.id", ondelete="CASCADE", name="fk_record_versions_record_id_records"
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("observed_at", Ts),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("raw", sa.JSON, nullable=False),
        sa.Column("batch_id", Id),
        sa.Column("replaced_at", Ts, nullable=False),
    )
    op.create_index(
        "ix_record_versions_record_id_version", "record_versions", ["record_id", "version"]
    )
    op.create_table(
        "interactions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("interaction_id", sa.String(255), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_record_id", sa.String(255), nullable=False),
        sa.Column("occurred_at", Ts),
        sa.Column("type", sa.String(64)),
        sa.Column("status", sa.String(64)),
        sa.Column("case_id", sa.String(255)),
        sa.Column("summary", sa.Text),
        sa.Column("raw", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column(
            "batch_id",
            Id,
            sa.ForeignKey("ingest_batches.id", name="fk_interactions_batch_id_ingest_batches"),
        ),
        sa.Column("ingested_at", Ts, nullable=False),
        sa.Column("updated_at", Ts, nullable=False),
        sa.UniqueConstraint("interaction_id", name="uq_interactions_interaction_id"),
    )
    op.create_index(
        "ix_interactions_source_source_record_id",
        "interactions",
        ["source", "source_record_id"],
    )
    op.create_index("ix_interactions_case_id", "interactions", ["case_id"])
    op.create_table(
        "interaction_versions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "interaction_pk",
            Id,
            sa.ForeignKey(
                "interactions.id",
                ondelete="CASCADE",
                name="fk_interaction_versions_interaction_pk_interactions",
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("occurred_at", Ts),
        sa.Column("status", sa.String(64)),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("raw", sa.JSON, nullable=False),
        sa.Column("batch_id", Id),
        sa.Column("replaced_at", Ts, nullable=False),
    )
    op.create_index(
        "ix_interaction_versions_interaction_pk_version",
        "interaction_versions",
        ["interaction_pk", "version"],
    )
    op.create_table(
        "quarantine",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "batch_id",
            Id,
            sa.ForeignKey("ingest_batches.id", name="fk_quarantine_batch_id_ingest_batches"),
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("row_number", sa.Integer),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("column_name", sa.String(64)),
        sa.Column("raw", sa.JSON, nullable=False),
        sa.Column("created_at", Ts, nullable=False),
    )
    op.create_index("ix_quarantine_batch_id", "quarantine", ["batch_id"])
    op.create_index("ix_quarantine_reason", "quarantine", ["reason"])
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("merged_into", sa.String(32)),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("updated_at", Ts, nullable=False),
    )
    op.create_table(
        "record_customers",
        sa.Column(
            "record_id",
            Id,
            sa.ForeignKey(
                "records.id", ondelete="CASCADE", name="fk_record_customers_record_id_records"
            ),
            primary_key=True,
        ),
        sa.Column(
            "customer_id",
            sa.String(32),
            sa.ForeignKey(
                "customers.customer_id", name="fk_record_customers_customer_id_customers"
            ),
            nullable=False,
        ),
        sa.Column("assigned_at", Ts, nullable=False),
        sa.Column("run_id", Id),
    )
    op.create_index("ix_record_customers_customer_id", "record_customers", ["customer_id"])


def downgrade() -> None:
    for table in (
        "record_customers",
        "customers",
        "quarantine",
        "interaction_versions",
        "interactions",
        "record_versions",
        "records",
        "ingest_batches",
        "sources",
    ):
        op.drop_table(table)
