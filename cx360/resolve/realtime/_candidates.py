"""Real time's candidates: one lookup per batch blocking rule, and the lock names that make
two calls whose records could meet take turns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from sqlalchemy import and_, bindparam, func, literal_column, or_, select, union_all
from sqlalchemy.dialects import postgresql

from cx360.resolve._features import FEATURE_COLUMNS, email_user
from cx360.resolve._splink import NAME_BLOCK_MAX_RECORDS, SWAPPED_NAMES_BLOCK
from cx360.store._realtime import with_customer_locks
from cx360.store._schema import ADDRESS_PREFIX_CHARS, address_prefix, record_customers, records
from cx360.store._schema import email_user as sql_email_user

_GUARD_COLUMNS: Final = (*FEATURE_COLUMNS, "national_id_kind")
# Per blocking rule, at most this many candidates: a value shared by more records (a
# call-center phone) would make one call as slow as a batch. Batch scores them all.
BRANCH_LIMIT: Final = 1000

# -- candidates: one branch per batch blocking rule ---------------------------------------

_R = records.c
_P = bindparam  # short: the branches below read like the blocking rules

# The batch rule (columns that must be equal) each branch mirrors; the name block (given
# name + surname) counts only when at most NAME_BLOCK_MAX_RECORDS records share it.
NAME_BLOCK: Final = ("name_block",)
HANDLE_IS_EMAIL_USER: Final = ('l."handle_key" = r."email_user"',)
EMAIL_USER_IS_HANDLE: Final = ('l."email_user" = r."handle_key"',)
SWAPPED_NAMES: Final = (SWAPPED_NAMES_BLOCK,)
_BRANCHES: Final[dict[tuple[str, ...], tuple[Any, ...]]] = {
    ("phone_key",): (_R.phone_key == _P("phone_key"),),
    ("email_key",): (_R.email_key == _P("email_key"),),
    ("national_id_key",): (_R.national_id_key == _P("national_id_key"),),
    ("handle_key",): (_R.handle_key == _P("handle_key"),),
    ("surname_key", "birth_date"): (
        _R.birth_date == _P("birth_date"),
        _R.surname_key == _P("surname_key"),
    ),
    ("given_canonical", "birth_date"): (
        _R.birth_date == _P("birth_date"),
        _R.given_canonical == _P("given_canonical"),
    ),
    NAME_BLOCK: (
        _R.surname_key == _P("surname_key"),
        _R.given_canonical == _P("given_canonical"),
    ),
    # only the indexed prefix in SQL; the surname and the whole address are compared in
    # Python (`_scored`). Given in SQL, SQLite would either pick the surname index (and
    # read every record with a common surname) or substitute the address value into the
    # prefix expression, which then no longer matches the index: a scan either way.
    ("surname_key", "address_key"): (address_prefix(_R.address_key) == _P("address_prefix"),),
    # the candidate's handle is this record's e-mail user name, and the other way round
    HANDLE_IS_EMAIL_USER: (_R.handle_key == _P("email_user"),),
    EMAIL_USER_IS_HANDLE: (sql_email_user(_R.email_key) == _P("handle_key"),),
    # the candidate's surname is this record's given name and the other way round
    SWAPPED_NAMES: (
        _R.surname_key == _P("given_canonical"),
        _R.given_canonical == _P("surname_key"),
    ),
}
_RULES: Final = tuple(_BRANCHES)
_NAME_BLOCK_RULE: Final = _RULES.index(NAME_BLOCK)
_SWAPPED_NAMES_RULE: Final = _RULES.index(SWAPPED_NAMES)
_SURNAME_ADDRESS_RULE: Final = _RULES.index(("surname_key", "address_key"))
# rules that count only when their block holds at most NAME_BLOCK_MAX_RECORDS records: one
# row more than that is enough to tell
_CAPPED_RULES: Final = (_NAME_BLOCK_RULE, _SWAPPED_NAMES_RULE)


def _branch(number: int, conditions: tuple[Any, ...]) -> Any:
    """One rule's candidates with what scoring needs; each branch reads its rows itself
    (measured: twice as fast on SQLite as a union of ids joined to `records` afterwards)."""
    limit = NAME_BLOCK_MAX_RECORDS + 1 if number in _CAPPED_RULES else BRANCH_LIMIT
    inner = (
        select(
            literal_column(str(number)).label("rule"),
            _R.id,
            _R.source,
            _R.source_record_id,
            *(_R[c] for c in _GUARD_COLUMNS),
            record_customers.c.customer_id,
        )
        .select_from(records.outerjoin(record_customers, record_customers.c.record_id == _R.id))
        .where(*conditions)
        .limit(limit)
        .subquery()
    )
    return select(inner)


# One statement for every rule: a round trip per rule would cost more than the lookups.
_CANDIDATES = union_all(
    *(_branch(number, conditions) for number, conditions in enumerate(_BRANCHES.values()))
)


def _pg_candidates() -> Any:
    """PostgreSQL: the candidates themselves, each once: the rules' hits (ids), kept as
    `_kept` keeps them, then their rows. Read by primary key after the lookups, which
    costs the server little, while the statement's text stays short enough for psycopg
    to keep its parsed form (it re-parses texts over 4 KiB on every call) and a third of
    the rows come back (a record is often found by several rules)."""
    hits = union_all(
        *(
            select(literal_column(str(number)).label("rule"), _R.id)
            .where(*conditions)
            .limit(NAME_BLOCK_MAX_RECORDS + 1 if number in _CAPPED_RULES else BRANCH_LIMIT)
            for number, conditions in enumerate(_BRANCHES.values())
        )
    ).cte("hits")
    rule = hits.c.rule
    name_block: Any = literal_column(str(_NAME_BLOCK_RULE))
    swapped: Any = literal_column(str(_SWAPPED_NAMES_RULE))
    surname_address: Any = literal_column(str(_SURNAME_ADDRESS_RULE))
    in_name_block = select(func.count()).select_from(hits).where(rule == name_block)
    in_swapped = select(func.count()).select_from(hits).where(rule == swapped)
    small_name = in_name_block.scalar_subquery() <= NAME_BLOCK_MAX_RECORDS
    return (
        select(_R.id, _R.source, _R.source_record_id, *(_R[c] for c in _GUARD_COLUMNS))
        .add_columns(record_customers.c.customer_id)
        .ext(postgresql.distinct_on(_R.id))
        .select_from(
            hits.join(records, _R.id == hits.c.id).outerjoin(
                record_customers, record_customers.c.record_id == _R.id
            )
        )
        .where(
            or_(rule != name_block, small_name),
            or_(
                rule != swapped,
                and_(small_name, in_swapped.scalar_subquery() <= NAME_BLOCK_MAX_RECORDS),
            ),
            or_(
                rule != surname_address,
                and_(_R.surname_key == _P("surname_key"), _R.address_key == _P("address_key")),
            ),
        )
    )


_PG_CANDIDATES = _pg_candidates()
_CANDIDATES_LOCKING_CUSTOMERS = with_customer_locks(_PG_CANDIDATES)


def lock_names(row: Mapping[str, Any]) -> list[str]:
    """The names a call locks on PostgreSQL: the record's key and one name per blocking
    rule it can meet another record on, so two records that could be candidates of each
    other always share one (calls about them take turns, the second sees the first)."""
    names = [f"record:{row['source']}\x1f{row['source_record_id']}"]
    for column in ("phone_key", "email_key", "national_id_key", "handle_key"):
        if row[column]:
            names.append(f"{column}:{row[column]}")
    # a handle and an e-mail user name meet in one name space (the cross rule)
    for user in (row["handle_key"], email_user(row)):
        if user:
            names.append(f"user:{user}")
    pairs = {
        "surname_dob": (row["surname_key"], row["birth_date"]),
        "given_dob": (row["given_canonical"], row["birth_date"]),
        "name": (row["given_canonical"], row["surname_key"]),
        "surname_address": (row["surname_key"], row["address_key"]),
    }
    for rule, (a, b) in pairs.items():
        if a and b:
            names.append(f"{rule}:{a}\x1f{b}")
    # given name and surname swapped between the records: one name for either order
    given, surname = row["given_canonical"], row["surname_key"]
    if given and surname:
        first, second = sorted((given, surname))
        names.append(f"names:{first}\x1f{second}")
    return names


def _kept(record: Mapping[str, Any], rows: Iterable[Sequence[Any]]) -> list[Sequence[Any]]:
    """`_CANDIDATES` rows (rule, id, ...) as `_PG_CANDIDATES` gives them: without the
    rule, each record once, and only rows that make a pair under their rule."""
    rows = list(rows)
    in_name_block = sum(1 for row in rows if row[0] == _NAME_BLOCK_RULE)
    name_block_counts = in_name_block <= NAME_BLOCK_MAX_RECORDS
    # the swapped name's block: both names' blocks must be small (batch: both name_block)
    in_swapped = sum(1 for row in rows if row[0] == _SWAPPED_NAMES_RULE)
    swapped_counts = name_block_counts and in_swapped <= NAME_BLOCK_MAX_RECORDS
    surname, address = record["surname_key"], record["address_key"]
    at = {c: 4 + n for n, c in enumerate(_GUARD_COLUMNS)}  # after rule, id, source, key
    kept: dict[int, Sequence[Any]] = {}
    for row in rows:
        rule, rid = row[0], row[1]
        if rid in kept:
            continue
        if rule == _NAME_BLOCK_RULE and not name_block_counts:
            continue  # a name too common to block on (batch drops it the same way)
        if rule == _SWAPPED_NAMES_RULE and not swapped_counts:
            continue
        if rule == _SURNAME_ADDRESS_RULE and (
            row[at["surname_key"]] != surname or row[at["address_key"]] != address
        ):
            continue  # not the same surname and address: not a pair of this rule
        kept[rid] = row[1:]
    return list(kept.values())


def _query_params(record: Mapping[str, Any]) -> dict[str, Any]:
    # an address counts only with a surname (the batch rule is surname + address)
    address = record["address_key"] if record["surname_key"] is not None else None
    return {
        "phone_key": record["phone_key"],
        "email_key": record["email_key"],
        "national_id_key": record["national_id_key"],
        "handle_key": record["handle_key"],
        "birth_date": record["birth_date"],
        "surname_key": record["surname_key"],
        "given_canonical": record["given_canonical"],
        "address_prefix": address[:ADDRESS_PREFIX_CHARS] if address is not None else None,
        "address_key": address,
        "email_user": record["email_user"],
    }
