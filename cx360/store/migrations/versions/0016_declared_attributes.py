"""Match attributes a store declares: `declared_attributes`, `records.declared_key`.

- `declared_attributes`: one row per attribute a store matches on besides the input
  contract's columns (name, kind, the input column holding it);
- `records.declared_key`: a record's first declared identifier ("<attribute>=<key>"),
  with a partial index as the other identifiers have (migration 0006); its others are
  `record_identifiers` rows of kind 'declared'.

No store declares anything before this revision: nothing to read again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "declared_attributes",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("column", sa.String(255), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_declared_attributes"),
    )
    op.add_column("records", sa.Column("declared_key", sa.String(320)))
    present = sa.text("declared_key IS NOT NULL")
    op.create_index(
        "ix_records_declared_key",
        "records",
        ["declared_key"],
        sqlite_where=present,
        postgresql_where=present,
    )


def downgrade() -> None:
    op.drop_index("ix_records_declared_key", table_name="records")
    op.drop_column("records", "declared_key")
    op.drop_table("declared_attributes")
