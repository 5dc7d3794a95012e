"""Links that built each customer (for explanations) and steward overrides (audited).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Ts = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "record_links",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("record_id_l", Id, nullable=False),
        sa.Column("record_id_r", Id, nullable=False),
        sa.Column("match_weight", sa.Float),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("run_id", Id),
        sa.Column("created_at", Ts, nullable=False),
    )
    op.create_index("ix_record_links_record_id_l", "record_links", ["record_id_l"])
    op.create_index("ix_record_links_record_id_r", "record_links", ["record_id_r"])
    op.create_table(
        "overrides",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("record_id_l", Id, nullable=False),
        sa.Column("record_id_r", Id, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", Ts, nullable=False),
        sa.Column("revoked_at", Ts),
        sa.Column("revoked_by", sa.String(128)),
        sa.Column("revoke_reason", sa.Text),
    )
    op.create_index("ix_overrides_record_id_l", "overrides", ["record_id_l"])
    op.create_index("ix_overrides_record_id_r", "overrides", ["record_id_r"])


def downgrade() -> None:
    op.drop_table("overrides")
    op.drop_table("record_links")
