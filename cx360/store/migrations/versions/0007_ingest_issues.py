"""Ingest keeps rows with bad values and forgets quarantined rows once stored.

- `interactions.issues`: an interaction with an unreadable `occurred_at` (or a status
  too long to store) is stored with that field unknown; its issues are listed here, as
  `records.issues` lists a record's.
- `quarantine.source` / `quarantine.record_key`: the key of a row set aside, when it has
  one, so that a later ingest storing that key forgets the entry.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("interactions", sa.Column("issues", sa.Text))
    op.add_column("quarantine", sa.Column("source", sa.String(64)))
    op.add_column("quarantine", sa.Column("record_key", sa.String(255)))


def downgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_column("record_key")
        batch.drop_column("source")
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("issues")
