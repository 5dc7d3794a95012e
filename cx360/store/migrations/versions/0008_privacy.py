"""The consent ledger and the access log (cx360/privacy/_tables.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consent_events",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("record_id", _ID),
        sa.Column("customer_id", sa.String(32)),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("given_at", _TIME, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("evidence", sa.Text),
        sa.Column("recorded_by", sa.String(128)),
        sa.Column("recorded_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name="fk_consent_events_record_id_records",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_consent_events_record_id", "consent_events", ["record_id"])
    op.create_index("ix_consent_events_customer_id", "consent_events", ["customer_id"])
    op.create_table(
        "access_log",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("purpose", sa.String(255)),
        sa.Column("customer_id", sa.String(32)),
        sa.Column("view", sa.String(32), nullable=False),
        sa.Column("customers", sa.Integer, nullable=False),
    )
    op.create_index("ix_access_log_customer_id_at", "access_log", ["customer_id", "at"])
    op.create_index("ix_access_log_actor_at", "access_log", ["actor", "at"])


def downgrade() -> None:
    op.drop_table("access_log")
    op.drop_table("consent_events")
