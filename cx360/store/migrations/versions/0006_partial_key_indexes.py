"""Identifier lookup indexes only over the records that have the identifier.

Most records lack a national ID (about three in four) or a handle (nine in ten): partial
indexes (`WHERE key IS NOT NULL`) are smaller and faster to rebuild after a bulk load, and
the lookups (`key = ...`, `key IN (...)`) imply the condition, so they still use them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_KEYS = ("email_key", "phone_key", "national_id_key", "handle_key")


def upgrade() -> None:
    for key in _KEYS:
        present = sa.text(f"{key} IS NOT NULL")
        # `if_exists`: a bulk load interrupted by a kill may have left it dropped
        op.drop_index(f"ix_records_{key}", "records", if_exists=True)
        op.create_index(
            f"ix_records_{key}",
            "records",
            [key],
            sqlite_where=present,
            postgresql_where=present,
        )


def downgrade() -> None:
    for key in reversed(_KEYS):
        op.drop_index(f"ix_records_{key}", "records", if_exists=True)
        op.create_index(f"ix_records_{key}", "records", [key])
