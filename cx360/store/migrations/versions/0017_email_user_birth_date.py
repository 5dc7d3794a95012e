"""Candidate lookup for an e-mail user name with a birth date.

- `cx360_personal_email_user(key)` on PostgreSQL: the user name of an e-mail match key
  (before the '@'), NULL for a shared mailbox's ("info", "ventas", ...), as
  `cx360.store._schema.personal_email_user` spells it;
- a partial expression index `ix_records_email_user_birth_date` on (that user name,
  birth_date), over the records that have both, for the `email_user_dob` blocking rule.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# Spelled as in cx360/store/_schema.py (`ROLE_EMAIL_USERS`, `personal_email_user`): an
# expression index serves only queries that write the same expression.
_ROLES = (
    "('admin', 'atencion', 'billing', 'clientes', 'contact', 'contacto', 'facturacion', "
    "'hello', 'help', 'hola', 'info', 'office', 'oficina', 'sales', 'servicio', 'soporte', "
    "'support', 'ventas')"
)
_FUNCTION = f"""
CREATE OR REPLACE FUNCTION cx360_personal_email_user(key text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN split_part(key, '@', 1) IN {_ROLES} THEN NULL
        ELSE split_part(key, '@', 1) END
$$
"""
_SQLITE_USER = (
    "CASE WHEN instr(email_key, '@') > 0 THEN substr(email_key, 1, instr(email_key, '@') - 1) "
    "ELSE email_key END"
)
_SQLITE = f"CASE WHEN {_SQLITE_USER} IN {_ROLES} THEN NULL ELSE {_SQLITE_USER} END"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(_FUNCTION)
        user = "cx360_personal_email_user(email_key)"
    else:
        user = _SQLITE
    present = sa.text(f"{user} IS NOT NULL AND birth_date IS NOT NULL")
    op.create_index(
        "ix_records_email_user_birth_date",
        "records",
        [sa.text(user), "birth_date"],
        sqlite_where=present,
        postgresql_where=present,
    )


def downgrade() -> None:
    op.drop_index("ix_records_email_user_birth_date", table_name="records")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION cx360_personal_email_user(text)")
