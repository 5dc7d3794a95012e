"""The values of declared compared attributes: `records.attribute_values`.

A record's values of the attributes its store declares to compare ('exact', 'text',
'date', 'number'), as JSON text: {"<kind>_<attribute>": value}. No store declares such
an attribute before this revision: nothing to read again.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("records", sa.Column("attribute_values", sa.Text()))


def downgrade() -> None:
    op.drop_column("records", "attribute_values")
