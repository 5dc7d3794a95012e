"""The generational suffix of a record's name (`records.name_suffix`): "jr", "sr", "ii",
"iii", "iv" (`cx360.normalize.names.name_suffix`), which the name itself drops. Records
stored before this revision have none until they are ingested again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("records", sa.Column("name_suffix", sa.String(8)))


def downgrade() -> None:
    op.drop_column("records", "name_suffix")
