"""Postcode and region as contract columns: their match keys beside the city's.

- `records.postcode_key`: the postcode as compared (upper case, no separators; see
  `cx360.normalize.addresses.postcode_reading`);
- `records.region_key`: the state, province or department, folded, abbreviations mapped;
- a partial index on (postcode_key, birth_date) for the `postcode_dob` blocking rule's
  candidate lookup (only records with a postcode: many stores have none).

The values as given stay in `raw` (and in `record_versions.raw`), as for every column.
Records stored before this revision have neither key until they are ingested again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("records", sa.Column("postcode_key", sa.String(16)))
    op.add_column("records", sa.Column("region_key", sa.String(128)))
    present = sa.text("postcode_key IS NOT NULL")
    op.create_index(
        "ix_records_postcode_key_birth_date",
        "records",
        ["postcode_key", "birth_date"],
        sqlite_where=present,
        postgresql_where=present,
    )


def downgrade() -> None:
    op.drop_index("ix_records_postcode_key_birth_date", table_name="records")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("region_key")
        batch.drop_column("postcode_key")
