"""Candidate lookups for a mistyped national ID and for a postcode with a surname.

- `cx360_national_id_mask(key, part)` on PostgreSQL: the national ID match key with one of
  three windows cut out (NULL under 7 characters), as `cx360.store._schema.national_id_mask`
  spells it; an ID one typo or one swap of neighbours away from another shares one of the
  three with it;
- three partial expression indexes `ix_records_national_id_mask_<part>`, one per window
  (over the records that have such a key);
- a partial index on (postcode_key, surname_key) for the `postcode_surname` blocking rule
  (records with a postcode).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_MASKS = 3

# Spelled as in cx360/store/_schema.py: an expression index serves only queries that
# write the same expression.
_FUNCTION = """
CREATE OR REPLACE FUNCTION cx360_national_id_mask(key text, part integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN length(key) >= 7
        THEN substr(key, 1, part * (((length(key) + 4) / 3) - 1))
            || substr(key, part * (((length(key) + 4) / 3) - 1) + ((length(key) + 4) / 3) + 1)
    END
$$
"""


def _mask_sqlite(part: int) -> str:
    key, width = "national_id_key", "((length(national_id_key) + 4) / 3)"
    kept_after = f"substr({key}, {part} * ({width} - 1) + {width} + 1)"
    cut = kept_after if part == 0 else f"substr({key}, 1, {part} * ({width} - 1)) || {kept_after}"
    return f"CASE WHEN length({key}) >= 7 THEN {cut} END"


def _mask(dialect: str, part: int) -> str:
    if dialect == "postgresql":
        return f"cx360_national_id_mask(national_id_key, {part})"
    return _mask_sqlite(part)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(_FUNCTION)
    for part in range(_MASKS):
        mask = _mask(dialect, part)
        present = sa.text(f"{mask} IS NOT NULL")
        op.create_index(
            f"ix_records_national_id_mask_{part}",
            "records",
            [sa.text(mask)],
            sqlite_where=present,
            postgresql_where=present,
        )
    present = sa.text("postcode_key IS NOT NULL")
    op.create_index(
        "ix_records_postcode_key_surname_key",
        "records",
        ["postcode_key", "surname_key"],
        sqlite_where=present,
        postgresql_where=present,
    )


def downgrade() -> None:
    op.drop_index("ix_records_postcode_key_surname_key", table_name="records")
    for part in range(_MASKS):
        op.drop_index(f"ix_records_national_id_mask_{part}", table_name="records")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION cx360_national_id_mask(text, integer)")
