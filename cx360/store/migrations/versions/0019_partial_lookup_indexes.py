"""Lookup indexes over the records that have the key.

- `ix_records_email_user_birth_date` (0017) dropped: the `email_user_dob` rule looks its
  candidates up through `ix_records_email_user` (a record's personal user name can only
  equal another personal one), so a bulk load builds one expression index fewer;
- `ix_records_birth_date_surname_key_given_canonical`, `ix_records_address_prefix` and
  `ix_records_email_user` (0005) made partial, over the records whose key is known: many
  stores hold few birth dates, addresses or e-mails, and every lookup through them
  compares the key with a value, which implies it is not NULL.

`cx360_personal_email_user` (0017) stays: the rule's checks and Splink's keys spell it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# Spelled as in cx360/store/_schema.py (`email_user`, `address_prefix`): an expression
# index serves only queries that write the same expression.
_EMAIL_USER = {
    "postgresql": "split_part(email_key, '@', 1)",
    "sqlite": "CASE WHEN instr(email_key, '@') > 0 "
    "THEN substr(email_key, 1, instr(email_key, '@') - 1) ELSE email_key END",
}
_ADDRESS_PREFIX = "substr(address_key, 1, 100)"
_DATED = "ix_records_birth_date_surname_key_given_canonical"
_DATED_COLUMNS = ["birth_date", "surname_key", "given_canonical"]


def _expressions() -> dict[str, str]:
    dialect = op.get_bind().dialect.name
    return {
        "ix_records_address_prefix": _ADDRESS_PREFIX,
        "ix_records_email_user": _EMAIL_USER.get(dialect, _EMAIL_USER["sqlite"]),
    }


def _create(name: str, columns: list[sa.TextClause | str], where: str | None) -> None:
    present = None if where is None else sa.text(where)
    op.create_index(name, "records", columns, sqlite_where=present, postgresql_where=present)


def upgrade() -> None:
    op.drop_index("ix_records_email_user_birth_date", table_name="records")
    op.drop_index(_DATED, table_name="records")
    _create(_DATED, list(_DATED_COLUMNS), "birth_date IS NOT NULL")
    for name, expression in _expressions().items():
        op.drop_index(name, table_name="records")
        _create(name, [sa.text(expression)], f"{expression} IS NOT NULL")


def downgrade() -> None:
    for name, expression in _expressions().items():
        op.drop_index(name, table_name="records")
        _create(name, [sa.text(expression)], None)
    op.drop_index(_DATED, table_name="records")
    _create(_DATED, list(_DATED_COLUMNS), None)
    if op.get_bind().dialect.name == "postgresql":
        user = "cx360_personal_email_user(email_key)"
    else:
        sqlite_user = _EMAIL_USER["sqlite"]
        roles = (
            "('admin', 'atencion', 'billing', 'clientes', 'contact', 'contacto', "
            "'facturacion', 'hello', 'help', 'hola', 'info', 'office', 'oficina', 'sales', "
            "'servicio', 'soporte', 'support', 'ventas')"
        )
        user = f"CASE WHEN {sqlite_user} IN {roles} THEN NULL ELSE {sqlite_user} END"
    _create(
        "ix_records_email_user_birth_date",
        [sa.text(user), "birth_date"],
        f"{user} IS NOT NULL AND birth_date IS NOT NULL",
    )
