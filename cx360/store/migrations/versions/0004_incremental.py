"""Incremental resolution: scored pairs kept between runs, frozen term frequencies.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "match_edges",
        sa.Column("record_id_l", Id, nullable=False),
        sa.Column("record_id_r", Id, nullable=False),
        sa.Column("match_weight", sa.Float, nullable=False),
        sa.Column("model_id", Id, nullable=False),
        sa.PrimaryKeyConstraint("record_id_l", "record_id_r", name="pk_match_edges"),
    )
    op.create_index("ix_match_edges_record_id_r", "match_edges", ["record_id_r"])
    op.create_table(
        "term_frequencies",
        sa.Column("model_id", Id, nullable=False),
        sa.Column("column_name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("frequency", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("model_id", "column_name", "value", name="pk_term_frequencies"),
    )


def downgrade() -> None:
    op.drop_table("term_frequencies")
    op.drop_table("match_edges")
