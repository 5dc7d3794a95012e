"""Resolution: trained models and resolution runs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("trained_on", sa.Integer, nullable=False),
        sa.Column("created_at", Ts, nullable=False),
    )
    op.create_table(
        "resolution_runs",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "model_id", Id, sa.ForeignKey("models.id", name="fk_resolution_runs_model_id_models")
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", Ts, nullable=False),
        sa.Column("finished_at", Ts),
        sa.Column("stats", sa.JSON),
    )


def downgrade() -> None:
    op.drop_table("resolution_runs")
    op.drop_table("models")
