"""Erasure: the store's salt, the suppression list, erasure receipts, and an index on
records.given_key for the term-frequency check (cx360/privacy/_tables.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "erasure_salt",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
    )
    op.create_table(
        "suppressions",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("erasure_id", _ID),
        sa.Column("created_at", _TIME, nullable=False),
    )
    op.create_table(
        "erasures",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("erased_at", _TIME, nullable=False),
        sa.Column("erased_by", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("refs", sa.JSON, nullable=False),
        sa.Column("removed", sa.JSON, nullable=False),
        sa.Column("overrides", sa.JSON, nullable=False),
        sa.Column("customers_after", sa.JSON, nullable=False),
    )
    op.create_index("ix_erasures_erased_at", "erasures", ["erased_at"])
    op.create_index("ix_records_given_key", "records", ["given_key"])


def downgrade() -> None:
    op.drop_index("ix_records_given_key", table_name="records")
    op.drop_table("erasures")
    op.drop_table("suppressions")
    op.drop_table("erasure_salt")
