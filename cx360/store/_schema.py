"""The store's tables (SQLAlchemy Core). Alembic migrations in `migrations/` create them.

Raw input is kept verbatim (`raw` JSON); normalized match keys sit beside it in typed,
indexed columns so that real-time lookups and batch resolution read only what they need.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for big stores.
Id = BigInteger().with_variant(Integer(), "sqlite")
Timestamp = DateTime(timezone=True)


# Match keys derived from a column, which blocking rules compare (`resolve/_blocking.py`
# builds its rules on them) and the store indexes: each is written here once as SQL
# (compiled for SQLite and PostgreSQL; DuckDB reads PostgreSQL's spelling) and once in
# Python beside it, and `tests/resolve/test_blocking.py` checks that all of them agree.


class email_user(FunctionElement[str]):  # noqa: N801 (an SQL function, named like one)
    """The user-name part of an e-mail match key (before the '@'; all of it without one),
    as SQL: `split_part` on PostgreSQL, `substr`/`instr` on SQLite, so one index
    expression serves the real-time "handle is the other's e-mail user" lookup."""

    type = String()
    name = "email_user"
    inherit_cache = True


@compiles(email_user, "postgresql")
def _email_user_postgresql(element: email_user, compiler: SQLCompiler, **kw: object) -> str:
    return f"split_part({compiler.process(element.clauses, **kw)}, '@', 1)"


@compiles(email_user)
def _email_user_sqlite(element: email_user, compiler: SQLCompiler, **kw: object) -> str:
    key = compiler.process(element.clauses, **kw)
    user = f"substr({key}, 1, instr({key}, '@') - 1)"
    return f"CASE WHEN instr({key}, '@') > 0 THEN {user} ELSE {key} END"


def email_user_value(email_key: str) -> str:
    """`email_user` of one e-mail match key, in Python."""
    return email_key.split("@", 1)[0]


# User names of a business's shared mailboxes ("info@", "ventas@"): the same one at two
# providers is two businesses, not one person's slip. E-mail placeholders ("noemail@",
# "sincorreo@": `normalize.placeholders`) have no match key at all. Migration 0017 spells
# the list in PostgreSQL's function: a change to it is a migration.
ROLE_EMAIL_USERS = (
    "admin", "atencion", "billing", "clientes", "contact", "contacto", "facturacion",
    "hello", "help", "hola", "info", "office", "oficina", "sales", "servicio", "soporte",
    "support", "ventas",
)  # fmt: skip


def role_email_users_sql() -> str:
    """`ROLE_EMAIL_USERS` as an SQL list."""
    return "(" + ", ".join(f"'{role}'" for role in ROLE_EMAIL_USERS) + ")"


class personal_email_user(FunctionElement[str]):  # noqa: N801 (an SQL function, named like one)
    """`email_user`, unknown for the user names of shared mailboxes (`ROLE_EMAIL_USERS`),
    as SQL: on PostgreSQL the function `cx360_personal_email_user` (migration 0017), which
    its expression index and the lookups share (a short statement text); elsewhere inline."""

    type = String()
    name = "personal_email_user"
    inherit_cache = True


@compiles(personal_email_user, "postgresql")
def _personal_email_user_postgresql(
    element: personal_email_user, compiler: SQLCompiler, **kw: object
) -> str:
    return f"cx360_personal_email_user({compiler.process(element.clauses, **kw)})"


@compiles(personal_email_user)
def _personal_email_user_inline(
    element: personal_email_user, compiler: SQLCompiler, **kw: object
) -> str:
    user = compiler.process(email_user(*element.clauses), **kw)
    return f"CASE WHEN {user} IN {role_email_users_sql()} THEN NULL ELSE {user} END"


def personal_email_user_value(email_key: str) -> str | None:
    """`personal_email_user` of one e-mail match key, in Python."""
    user = email_user_value(email_key)
    return None if user in ROLE_EMAIL_USERS else user


# Addresses are unbounded text: their index holds a prefix (PostgreSQL refuses b-tree
# entries over ~2.7 kB). Literal arguments: an expression index is used only by queries
# that spell the same expression, and bound parameters would not.
ADDRESS_PREFIX_CHARS = 100


def address_prefix(column: ColumnElement[str]) -> ColumnElement[str]:
    """The indexed prefix of an address key (see `ADDRESS_PREFIX_CHARS`)."""
    return func.substr(column, literal_column("1"), literal_column(str(ADDRESS_PREFIX_CHARS)))


def address_prefix_value(address_key: str) -> str:
    """`address_prefix` of one address key, in Python."""
    return address_key[:ADDRESS_PREFIX_CHARS]


# A national ID typed with one character wrong, or two neighbours swapped, still shares
# one of three keys with the right one: the ID with one of three windows cut out. The
# windows are about a third of the ID wide and each overlaps the next by a character, so a
# swap of two neighbours falls inside one window. IDs shorter than
# NATIONAL_ID_MASK_MIN_CHARS have no such keys: what a window leaves would say too little.
NATIONAL_ID_MASKS = 3
NATIONAL_ID_MASK_MIN_CHARS = 7


class national_id_mask(FunctionElement[str]):  # noqa: N801 (an SQL function, named like one)
    """A national ID match key with window `part` (0, 1 or 2) cut out (see above), as SQL:
    on SQLite inline; on PostgreSQL the function `cx360_national_id_mask` (migration 0012),
    which the expression indexes and the lookups share; in
    DuckDB and Spark (`DuckDBSpelling`) inline, `floor` taking the place of integer
    division (their `/` divides as floats)."""

    type = String()
    name = "national_id_mask"
    inherit_cache = True

    def __init__(self, column: ColumnElement[str], part: int) -> None:
        # the part as an argument too: statements' cache keys are made of the arguments
        super().__init__(column, literal_column(str(part)))
        self.part = part

    def key_sql(self, compiler: SQLCompiler, **kw: Any) -> str:
        """The SQL of the national ID key the mask is of."""
        return compiler.process(self.clauses.clauses[0], **kw)


def national_id_mask_sql(key: str, part: int, width: str) -> str:
    """`national_id_mask` of the SQL expression `key`, `width` the SQL of the window's
    width, `(length(key) + 4) / 3` in integers (the migration spells the function so)."""
    # the window starts at part * (width - 1) (0-based)
    kept_after = f"substr({key}, {part} * ({width} - 1) + {width} + 1)"
    cut = kept_after if part == 0 else f"substr({key}, 1, {part} * ({width} - 1)) || {kept_after}"
    return f"CASE WHEN length({key}) >= {NATIONAL_ID_MASK_MIN_CHARS} THEN {cut} END"


class DuckDBSpelling(PGDialect):
    """PostgreSQL's spelling, which DuckDB and Spark share for the functions derived keys
    use, with `national_id_mask` written out."""

    name = "duckdb"


@compiles(national_id_mask, "postgresql")
def _national_id_mask_postgresql(
    element: national_id_mask, compiler: SQLCompiler, **kw: object
) -> str:
    return f"cx360_national_id_mask({element.key_sql(compiler, **kw)}, {element.part})"


@compiles(national_id_mask, "duckdb")
def _national_id_mask_duckdb(element: national_id_mask, compiler: SQLCompiler, **kw: object) -> str:
    key = element.key_sql(compiler, **kw)
    width = f"CAST(floor((length({key}) + 4) / 3) AS INTEGER)"
    return national_id_mask_sql(key, element.part, width)


@compiles(national_id_mask)
def _national_id_mask_sqlite(element: national_id_mask, compiler: SQLCompiler, **kw: object) -> str:
    key = element.key_sql(compiler, **kw)
    return national_id_mask_sql(key, element.part, f"((length({key}) + 4) / 3)")


def national_id_mask_value(national_id_key: str, part: int) -> str | None:
    """`national_id_mask` of one national ID match key, in Python."""
    if len(national_id_key) < NATIONAL_ID_MASK_MIN_CHARS:
        return None
    width = (len(national_id_key) + 4) // 3
    start = part * (width - 1)
    return national_id_key[:start] + national_id_key[start + width :]


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

sources = Table(
    "sources",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("default_country", String(2)),
    Column("priority", Integer, nullable=False, default=0),
    Column("updated_at", Timestamp, nullable=False),
)

ingest_batches = Table(
    "ingest_batches",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("origin", Text),
    Column("status", String(16), nullable=False),
    Column("started_at", Timestamp, nullable=False),
    Column("finished_at", Timestamp),
    Column("rows", Integer, nullable=False, default=0),
    Column("inserted", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("quarantined", Integer, nullable=False, default=0),
)

records = Table(
    "records",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("source_record_id", String(255), nullable=False),
    Column("observed_at", Timestamp),
    Column("country", String(2)),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("raw", JSON, nullable=False),
    # names: display forms keep accents and case; *_key columns are folded for matching
    Column("given_names", Text),
    Column("surnames", Text),
    Column("given_key", String(128)),
    Column("given_canonical", String(128)),
    Column("given_keys", Text),
    Column("surname_key", String(128)),
    Column("surname2_key", String(128)),
    Column("name_suffix", String(8)),  # migration 0013
    Column("email_display", String(320)),
    Column("email_key", String(320)),
    Column("phone_e164", String(20)),
    Column("phone_key", String(20)),
    Column("phone_kind", String(24)),
    Column("national_id", String(64)),
    Column("national_id_key", String(64)),
    Column("national_id_kind", String(16)),
    Column("national_id_valid", Boolean),
    Column("birth_date", String(10)),
    # what a birth date that does not exist says ("1949-15-25"), see
    # `normalize.dates.NormalizedDate.parts` (migration 0014)
    Column("birth_date_parts", String(10)),
    Column("address_key", Text),
    Column("city_key", String(128)),
    Column("postcode_key", String(16)),  # migration 0010
    Column("region_key", String(128)),
    Column("handle_key", String(255)),
    # the first value of the store's declared identifiers (a loyalty card, ...), as
    # "<attribute>=<key>"; the others are `record_identifiers` of kind 'declared' (0016)
    Column("declared_key", String(320)),
    # the values of its declared compared attributes, as JSON text: {"<kind>_<attribute>":
    # value} (`resolve._declared_comparisons`; migration 0018)
    Column("attribute_values", Text),
    # value-level problems, e.g. "phone:placeholder email:invalid" (the raw stays in `raw`)
    Column("issues", Text),
    Column("batch_id", Id, ForeignKey("ingest_batches.id")),
    Column("ingested_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    UniqueConstraint("source", "source_record_id"),
    # The candidate lookups of the blocking rules (`resolve/_blocking.py`, one lookup per
    # rule; `tests/store/test_indexes.py` checks that each uses an index): the name and the
    # swapped name (migration 0005), and after the table the others.
    Index(None, "surname_key", "given_canonical"),
)
# Surname or given name + birth date, the address prefix and the e-mail user name: partial
# indexes over the records that have the key (migration 0019), since many stores hold few
# birth dates or addresses, and a bulk load builds each index again. A lookup `key = ...`
# implies `key IS NOT NULL` to both planners.
_dated = records.c.birth_date.is_not(None)
Index(
    "ix_records_birth_date_surname_key_given_canonical",
    records.c.birth_date,
    records.c.surname_key,
    records.c.given_canonical,
    sqlite_where=_dated,
    postgresql_where=_dated,
)
# Identifier lookups: partial indexes over the records that have the key (migration 0006;
# most records lack a national ID or a handle). Only a query whose condition implies
# `key IS NOT NULL` can use one: `key = ...` and `key IN (...)` do, on both backends.
for _key in ("email_key", "phone_key", "national_id_key", "handle_key", "declared_key"):
    _present = records.c[_key].is_not(None)
    Index(
        f"ix_records_{_key}",
        records.c[_key],
        sqlite_where=_present,
        postgresql_where=_present,
    )
# The postcode + birth date lookup, likewise partial: many stores hold no postcode (0010).
_present = records.c.postcode_key.is_not(None)
Index(
    "ix_records_postcode_key_birth_date",
    records.c.postcode_key,
    records.c.birth_date,
    sqlite_where=_present,
    postgresql_where=_present,
)
for _name, _expression in (
    ("ix_records_address_prefix", address_prefix(records.c.address_key)),
    # also the e-mail user name + birth date lookup's (`email_user_dob`)
    ("ix_records_email_user", email_user(records.c.email_key)),
):
    Index(
        _name,
        _expression,
        sqlite_where=_expression.is_not(None),
        postgresql_where=_expression.is_not(None),
    )
# The national ID's masked keys and the postcode + surname lookup (migration 0012),
# partial: most records have neither. A lookup `mask = ...` implies `mask IS NOT NULL` to
# both planners.
for _part in range(NATIONAL_ID_MASKS):
    _mask = national_id_mask(records.c.national_id_key, _part)
    Index(
        f"ix_records_national_id_mask_{_part}",
        _mask,
        sqlite_where=_mask.is_not(None),
        postgresql_where=_mask.is_not(None),
    )
Index(
    "ix_records_postcode_key_surname_key",
    records.c.postcode_key,
    records.c.surname_key,
    sqlite_where=_present,
    postgresql_where=_present,
)

record_versions = Table(
    "record_versions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("record_id", Id, ForeignKey("records.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("observed_at", Timestamp),
    Column("content_hash", String(32), nullable=False),
    Column("raw", JSON, nullable=False),
    Column("batch_id", Id),
    Column("replaced_at", Timestamp, nullable=False),
    Index(None, "record_id", "version"),
)

# A record's phones and e-mails beyond the first (migration 0011): the first of each stays
# in records.phone_key / email_key, so every rule that reads those columns reads what it
# read before; the others (a cell holding two numbers, `phone_2`, `email_2`, `mobile`) are
# rows here, numbered from 2 in the order the record gives them, and are replaced whenever
# the record is stored again (its versions keep the old values in `raw`).
record_identifiers = Table(
    "record_identifiers",
    metadata,
    Column(
        "record_id",
        Id,
        ForeignKey("records.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("kind", String(16), primary_key=True),  # phone | email
    # the match key, normalized as records.phone_key / email_key (the longer of the two)
    Column("key", String(320), nullable=False),
    Column("position", Integer, primary_key=True),
    # what the first value keeps in records.phone_e164 / email_display and phone_kind, so
    # that profiles show a further value as they show the first (migration 0014): the
    # E.164 form or the e-mail as written; a phone's kind (survivorship prefers mobiles)
    Column("display", String(320)),
    Column("phone_kind", String(24)),
    Index(None, "kind", "key"),
)

IDENTIFIER_KINDS = ("phone", "email")
# The kind of `record_identifiers` rows holding a record's declared identifiers beyond
# the first (`records.declared_key`), each key "<attribute>=<key>".
DECLARED_KIND = "declared"

# The attributes a store matches on besides the input contract's (migration 0016): read
# by ingest (which normalizes their columns) and by resolution in any later process.
declared_attributes = Table(
    "declared_attributes",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),  # identifier | exact | text | date | number
    Column("column", String(255), nullable=False),  # the input column (record key)
    Column("declared_at", Timestamp, nullable=False),
)


class joined_text(FunctionElement[str]):  # noqa: N801 (an SQL aggregate, named like one)
    """Text values aggregated into one, separated by spaces, in no set order:
    `group_concat` on SQLite, `string_agg` on PostgreSQL."""

    type = String()
    name = "joined_text"
    inherit_cache = True


@compiles(joined_text, "postgresql")
def _joined_text_postgresql(element: joined_text, compiler: SQLCompiler, **kw: object) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, ' ')"


@compiles(joined_text)
def _joined_text_sqlite(element: joined_text, compiler: SQLCompiler, **kw: object) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ' ')"


def extra_identifiers_of(record_id: ColumnElement[int]) -> ColumnElement[str]:
    """The extra identifiers of the record `record_id` as one text value (NULL: none),
    items `kind:position:key:display:phone_kind` separated by spaces (the last two empty
    when unknown; `parse_extra_identifiers` and `parse_identifier_forms` read it): one
    indexed read per record, inside the statement that reads the records. Neither match
    keys, E.164 numbers, e-mails (quoted local parts are refused) nor kinds hold a space
    or a colon."""
    ids = record_identifiers.c
    item = (
        ids.kind
        + ":"
        + ids.position.cast(String)
        + ":"
        + ids.key
        + ":"
        + func.coalesce(ids.display, "")
        + ":"
        + func.coalesce(ids.phone_kind, "")
    )
    return select(joined_text(item)).where(ids.record_id == record_id).scalar_subquery()


class IdentifierForm(NamedTuple):
    """One further phone or e-mail of a record, as `record_identifiers` holds it."""

    kind: str
    key: str
    display: str | None
    phone_kind: str | None


def parse_identifier_forms(text: str | None) -> list[IdentifierForm]:
    """The further identifiers in `extra_identifiers_of`'s value, each kind in its
    position order."""
    if not text:
        return []
    items = []
    for item in text.split(" "):
        kind, position, key, display, phone_kind = item.split(":")
        form = IdentifierForm(kind, key, display or None, phone_kind or None)
        items.append((kind, int(position), form))
    items.sort(key=lambda found: found[:2])
    return [form for _, _, form in items]


def parse_extra_identifiers(text: str | None) -> list[tuple[str, str]]:
    """(kind, key) of `extra_identifiers_of`'s value, each kind in its position order."""
    return [(form.kind, form.key) for form in parse_identifier_forms(text)]


interactions = Table(
    "interactions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("interaction_id", String(255), nullable=False, unique=True),
    # no foreign key: an interaction may arrive before its record and attaches when it lands
    Column("source", String(64), nullable=False),
    Column("source_record_id", String(255), nullable=False),
    Column("occurred_at", Timestamp),
    Column("type", String(64)),
    Column("status", String(64)),
    Column("case_id", String(255)),
    Column("summary", Text),
    Column("raw", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("batch_id", Id, ForeignKey("ingest_batches.id")),
    Column("ingested_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    # value problems found at ingest, space-separated codes (`occurred_at:unparseable`)
    Column("issues", Text),
    Index(None, "source", "source_record_id"),
    Index(None, "case_id"),
)

interaction_versions = Table(
    "interaction_versions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("interaction_pk", Id, ForeignKey("interactions.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("occurred_at", Timestamp),
    Column("status", String(64)),
    Column("content_hash", String(32), nullable=False),
    Column("raw", JSON, nullable=False),
    Column("batch_id", Id),
    Column("replaced_at", Timestamp, nullable=False),
    Index(None, "interaction_pk", "version"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("batch_id", Id, ForeignKey("ingest_batches.id")),
    Column("kind", String(16), nullable=False),
    Column("row_number", Integer),
    Column("reason", String(32), nullable=False),
    Column("column_name", String(64)),
    # the row's key, when it has one: a later ingest that stores the key forgets the row
    Column("source", String(64)),
    Column("record_key", String(255)),  # source_record_id, or interaction_id
    Column("raw", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Index(None, "batch_id"),
    Index(None, "reason"),
)

# Customers: opaque, stable ids. Filled by identity resolution.
customers = Table(
    "customers",
    metadata,
    Column("customer_id", String(32), primary_key=True),
    Column("status", String(16), nullable=False),  # active | merged
    Column("merged_into", String(32)),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    # a merge repoints the aliases of the merged ID (real-time merges: one per call)
    Index(None, "merged_into"),
)

# Which customer each record belongs to now (one row per record).
record_customers = Table(
    "record_customers",
    metadata,
    Column("record_id", Id, ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.customer_id"), nullable=False),
    Column("assigned_at", Timestamp, nullable=False),
    Column("run_id", Id),
    Index(None, "customer_id"),
)

# Trained matching models, versioned: resolution reuses the latest unless told to retrain.
# (The table is "models"; in code it is `matching_models`, apart from cx360.models, the
# pydantic results.)
matching_models = Table(
    "models",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("params", JSON, nullable=False),
    Column("trained_on", Integer, nullable=False),
    Column("created_at", Timestamp, nullable=False),
)

resolution_runs = Table(
    "resolution_runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("model_id", Id, ForeignKey("models.id")),
    Column("status", String(16), nullable=False),
    Column("started_at", Timestamp, nullable=False),
    Column("finished_at", Timestamp),
    Column("stats", JSON),
)

# The links that joined each customer's records in the latest resolution (a spanning
# forest: at most one fewer than the records), so "why is this record in this customer"
# can be answered by a path of links. kind: model | override.
record_links = Table(
    "record_links",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("record_id_l", Id, nullable=False),
    Column("record_id_r", Id, nullable=False),
    Column("match_weight", Float),
    Column("kind", String(16), nullable=False),
    Column("run_id", Id),
    Column("created_at", Timestamp, nullable=False),
    Index(None, "record_id_l"),
    Index(None, "record_id_r"),
)

# A data steward's decisions: kind "link" (always together) or "separate" (never
# together). Kept forever for audit; revoking one records who, when and why.
overrides = Table(
    "overrides",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("record_id_l", Id, nullable=False),
    Column("record_id_r", Id, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("revoked_at", Timestamp),
    Column("revoked_by", String(128)),
    Column("revoke_reason", Text),
    Index(None, "record_id_l"),
    Index(None, "record_id_r"),
)

# Every scored pair at or above the link weight from the latest runs (l < r), so that a
# run after a new batch scores only pairs that involve new or changed records and still
# clusters over the same edges a full run would see.
match_edges = Table(
    "match_edges",
    metadata,
    Column("record_id_l", Id, primary_key=True),
    Column("record_id_r", Id, primary_key=True),
    Column("match_weight", Float, nullable=False),
    Column("model_id", Id, nullable=False),
    Index(None, "record_id_r"),
)

# Term frequencies of the columns with frequency-adjusted comparisons, frozen when a model
# is trained: every later run and every real-time score use the same ones, so a pair
# scores the same whenever and however it is scored.
term_frequencies = Table(
    "term_frequencies",
    metadata,
    Column("model_id", Id, primary_key=True),
    Column("column_name", String(64), primary_key=True),
    Column("value", String(255), primary_key=True),
    Column("frequency", Float, nullable=False),
)
