"""Several phones and e-mails per record: `record_identifiers`.

- one row per phone or e-mail of a record beyond the first (the first stays in
  `records.phone_key` / `records.email_key`): `kind` ('phone' | 'email'), `key` (the match
  key, normalized as the records' columns), `position` (2, 3, ... in the record's order);
- primary key (record_id, kind, position); rows go with their record (ON DELETE CASCADE);
- an index on (kind, key) for lookups and candidate searches by any of a record's values.

Records stored before this revision have no rows until they are ingested again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "record_identifiers",
        sa.Column(
            "record_id",
            _ID,
            sa.ForeignKey(
                "records.id", ondelete="CASCADE", name="fk_record_identifiers_record_id_records"
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(320), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("record_id", "kind", "position", name="pk_record_identifiers"),
    )
    op.create_index("ix_record_identifiers_kind_key", "record_identifiers", ["kind", "key"])


def downgrade() -> None:
    op.drop_index("ix_record_identifiers_kind_key", table_name="record_identifiers")
    op.drop_table("record_identifiers")
