"""Real-time resolution: indexes for the candidate lookups that mirror batch blocking,
and for repointing aliases when customers merge.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Spelled as in cx360/store/_schema.py (`email_user`, `address_prefix`): an expression
# index serves only queries that write the same expression.
_EMAIL_USER = {
    "postgresql": "split_part(email_key, '@', 1)",
    "sqlite": "CASE WHEN instr(email_key, '@') > 0 "
    "THEN substr(email_key, 1, instr(email_key, '@') - 1) ELSE email_key END",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_index(
        "ix_records_birth_date_surname_key_given_canonical",
        "records",
        ["birth_date", "surname_key", "given_canonical"],
    )
    prefix = sa.text("substr(address_key, 1, 100)")
    op.create_index("ix_records_address_prefix", "records", [prefix])
    email_user = _EMAIL_USER.get(dialect, _EMAIL_USER["sqlite"])
    op.create_index("ix_records_email_user", "records", [sa.text(email_user)])
    op.create_index("ix_customers_merged_into", "customers", ["merged_into"])


def downgrade() -> None:
    op.drop_index("ix_customers_merged_into", "customers")
    op.drop_index("ix_records_email_user", "records")
    op.drop_index("ix_records_address_prefix", "records")
    op.drop_index("ix_records_birth_date_surname_key_given_canonical", "records")
