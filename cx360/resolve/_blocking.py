"""The blocking rules: which pairs of records are worth scoring, each written once.

A rule is a few terms "the candidate's key equals the record's key", with neither
unknown; a key is a stored column or a key derived from one (the e-mail user name, the
address prefix). Every path derives its part from the rules: batch's Splink blocking
rules (`BlockingRule.splink_sql`, with the derived keys and the name block as columns of
Splink's records), real time's index lookups, checks and lock names (`lookup_sql`,
`checks_sql`, `lock_names`), and incremental runs' lookups of many records at once. The
derived keys' SQL and the indexes the lookups read are in `store/_schema.py`, since the
store does not import resolution.

A record may hold several phones, e-mails and declared identifiers (a loyalty card, a
customer number: `DECLARED`): the first of each is its `phone_key` / `email_key` /
`declared_key`, the others rows of `record_identifiers` (a `Key` of a `kind`), carried in
its features as one text, `OTHERS_COLUMN` ("kind:key" items joined by `OTHERS_SEPARATOR`). A
rule comparing such a key pairs two records when any value of one equals any value of the
other: batch explodes the values for Splink (`BlockingRule.splink_exploding`, after every
other rule so that its pairs are new ones), real time and incremental runs look the first
value up among the others' too (`holders_sql`), and a record's every value gets a lock name.

`BlockingRule.blocks` is the reference: `tests/resolve/test_blocking.py` checks on
generated records that DuckDB blocks a pair, the real-time statements and the incremental
loader find it exactly when it says so, and that two records it pairs share a lock name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Final

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.types import UserDefinedType

from cx360.store._schema import (
    DECLARED_KIND,
    NATIONAL_ID_MASKS,
    DuckDBSpelling,
    address_prefix,
    address_prefix_value,
    email_user_value,
    national_id_mask,
    national_id_mask_value,
    personal_email_user,
    personal_email_user_value,
    record_identifiers,
    records,
)
from cx360.store._schema import email_user as sql_email_user

Record = Mapping[str, Any]

# A name block of n records costs n²/2 comparisons, and a very common name says little:
# `capped` rules count only where both records' name blocks (in the whole store) hold at
# most this many records.
NAME_BLOCK_MAX_RECORDS: Final = 50
# Splink's records carry the name block under this name: NULL where it is too common
# (models keep their blocking rules, and older ones compare this column).
NAME_BLOCK_COLUMN: Final = "name_block"
# A record's phones and e-mails beyond the first, as one feature: "kind:key" items
# joined by a character no normalized key holds (NULL: none).
OTHERS_COLUMN: Final = "other_identifiers"
OTHERS_SEPARATOR: Final = "\x1f"


@dataclass(frozen=True, slots=True)
class Key:
    """A value rules compare: a stored `column`, or a key derived from it by `sql_of` (the
    store's SQL, the expression its index holds) and `value_of` (its Python twin)."""

    name: str  # the column of Splink's records and the bound parameter that carry it
    column: str
    sql_of: Callable[[ColumnElement[Any]], ColumnElement[Any]] | None = None
    value_of: Callable[[str], str | None] | None = None
    # identifiers of this `record_identifiers` kind: a record may hold several values
    kind: str | None = None

    def of(self, record: Record) -> Any:
        """The key of a record (its features by column name)."""
        return self.from_column(record.get(self.column))

    def others_of(self, record: Record) -> tuple[str, ...]:
        """A record's values of the key beyond the first (`kind` keys only)."""
        others = record.get(OTHERS_COLUMN)
        if not others or self.kind is None:
            return ()
        prefix = self.kind + ":"
        return tuple(
            item[len(prefix) :]
            for item in others.split(OTHERS_SEPARATOR)
            if item.startswith(prefix)
        )

    def values_of(self, record: Record) -> tuple[Any, ...]:
        """Every known value of the key in a record: the first, then any others."""
        first = self.of(record)
        return ((first,) if first is not None else ()) + self.others_of(record)

    @property
    def all_values(self) -> str:
        """The column of Splink's records listing every value (`kind` keys only)."""
        return f"all_{self.column}s"

    def _is_kind(self) -> ColumnElement[bool]:
        # the kind written out: the statements' texts stay short and their plans fixed
        return _IDENTIFIERS.c.kind == literal_column(f"'{self.kind}'")

    def from_column(self, value: Any) -> Any:
        """The key of a record whose `column` holds `value`."""
        return value if value is None or self.value_of is None else self.value_of(value)

    def sql(self) -> ColumnElement[Any]:
        """The key of a stored record, in the store's SQL."""
        stored = records.c[self.column]
        return stored if self.sql_of is None else self.sql_of(stored)

    def duckdb(self, alias: str) -> str:
        """The key of the records `alias` in DuckDB SQL (and Spark's): PostgreSQL's spelling,
        which DuckDB shares for these functions, but for those `DuckDBSpelling` writes out
        (the property test runs both)."""
        of = table(alias, column(self.column)).c[self.column]
        expression = of if self.sql_of is None else self.sql_of(of)
        dialect = DuckDBSpelling()  # type: ignore[no-untyped-call]
        return str(expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


class _ByColumn(UserDefinedType[str]):
    """A key parameter's type: the column it is compared with types it in the database, so
    the statement text carries no cast (``= %(phone_key)s``, not ``= %(phone_key)s::VARCHAR``)
    and the server compares the values as the index holds them."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "VARCHAR"


# a short name: real time's statement texts must stay short (see `_ByColumn`)
_IDENTIFIERS: Final = record_identifiers.alias("i")


def _parameter(name: str) -> BindParameter[str]:
    return bindparam(name, type_=_ByColumn())


def _stored(name: str) -> Key:
    return Key(name, name)


def others_text(items: Iterable[tuple[str, str]]) -> str | None:
    """The `OTHERS_COLUMN` of a record holding these (kind, key) beyond its first values."""
    return OTHERS_SEPARATOR.join(f"{kind}:{key}" for kind, key in items) or None


def others_sql() -> ColumnElement[Any]:
    """A stored record's `OTHERS_COLUMN`, read through the identifiers' primary key
    (record_id, kind, position)."""
    ids = _IDENTIFIERS.c
    item = ids.kind + literal_column("':'") + ids.key
    # the separator written out: real time runs the text as it is on PostgreSQL's driver
    separator: Any = literal_column(f"'{OTHERS_SEPARATOR}'")
    joined = func.aggregate_strings(item, separator).label("k")
    return select(joined).where(ids.record_id == records.c.id).scalar_subquery()


PHONE: Final = Key("phone_key", "phone_key", kind="phone")
EMAIL: Final = Key("email_key", "email_key", kind="email")
# The store's declared identifiers (a loyalty card, a customer number), each value
# "<attribute>=<key>": values of two attributes never meet.
DECLARED: Final = Key("declared_key", "declared_key", kind=DECLARED_KIND)
NATIONAL_ID: Final = _stored("national_id_key")
HANDLE: Final = _stored("handle_key")
SURNAME: Final = _stored("surname_key")
GIVEN: Final = _stored("given_canonical")
BIRTH_DATE: Final = _stored("birth_date")
ADDRESS: Final = _stored("address_key")
POSTCODE: Final = _stored("postcode_key")
EMAIL_USER: Final = Key("email_user", "email_key", sql_email_user, email_user_value)
ADDRESS_PREFIX: Final = Key("address_prefix", "address_key", address_prefix, address_prefix_value)
# The e-mail user name but for shared mailboxes' ("info", "ventas"; see
# `store._schema.ROLE_EMAIL_USERS`).
PERSONAL_EMAIL_USER: Final = Key(
    "personal_email_user", "email_key", personal_email_user, personal_email_user_value
)


def _national_id_mask(part: int) -> Key:
    return Key(
        f"national_id_mask_{part}",
        "national_id_key",
        lambda key: national_id_mask(key, part),
        lambda key: national_id_mask_value(key, part),
    )


NATIONAL_ID_MASK_KEYS: Final = tuple(_national_id_mask(part) for part in range(NATIONAL_ID_MASKS))
# A name block: the records sharing a given name and a surname.
NAME: Final = (GIVEN, SURNAME)

Term = tuple[Key, Key]  # (the candidate's key, the record's key): equal, neither unknown


def _values_of(*names: str) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function giving the values of `names` as a tuple (`itemgetter` gives one name's
    value bare)."""
    if len(names) == 1:
        return lambda keys: (keys[names[0]],)
    return itemgetter(*names)


def _same(*keys: Key) -> tuple[Term, ...]:
    return tuple((key, key) for key in keys)


def name_of(record: Record) -> tuple[Any, ...]:
    """The name block a record belongs to (a part unknown: none)."""
    return tuple(key.of(record) for key in NAME)


@dataclass(frozen=True, slots=True)
class BlockingRule:
    """Records pair under a rule when every term holds: the candidate's key (Splink's `l`)
    equals the record's (`r`), neither unknown. `lookup`: the terms real time and
    incremental runs look candidates up by, when an index cannot take them all (each of
    them implied by `terms`); the candidates found are then checked against every term.
    A `capped` rule counts only where both records' name blocks are small; its candidates
    all share one name, so the records a lookup finds are a whole block. Rules meeting in
    one name space share a `lock` prefix (by default the rule's name). A rule over a key of
    several values (`Key.kind`) is one term comparing it with itself: `many`."""

    name: str
    terms: tuple[Term, ...]
    lookup: tuple[Term, ...] = ()
    capped: bool = False
    lock: str = ""
    symmetric: bool = field(init=False, repr=False, compare=False)
    many: Key | None = field(init=False, repr=False, compare=False)
    # the record's keys a lock name is made of: as the record looked up, and (unless the
    # same) as a candidate; read from `key_values` (precomputed: real time locks per call)
    _lock_sides: tuple[Callable[[Mapping[str, Any]], Any], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not self.lookup:
            object.__setattr__(self, "lookup", self.terms)
        if not self.lock:
            object.__setattr__(self, "lock", self.name)
        # a rule that pairs a with b whenever it pairs b with a: one lock name is enough
        swapped = {(theirs, mine) for mine, theirs in self.terms}
        object.__setattr__(self, "symmetric", swapped == set(self.terms))
        as_record = tuple(theirs.name for _, theirs in self.terms)
        as_candidate = tuple(mine.name for mine, _ in self.terms)
        sides = (as_record,) if as_record == as_candidate else (as_record, as_candidate)
        object.__setattr__(self, "_lock_sides", tuple(_values_of(*names) for names in sides))
        many = [key for term in self.terms for key in term if key.kind is not None]
        if many and (len(self.terms) != 1 or many[0] != many[-1] or self.lookup != self.terms):
            raise ValueError(f"{self.name}: a key of several values is compared with itself")
        object.__setattr__(self, "many", many[0] if many else None)
        if self.capped and (
            self.lookup != self.terms or {mine for mine, _ in self.terms} != set(NAME)
        ):
            raise ValueError(f"{self.name}: a capped rule looks up one whole name block")

    @property
    def checks(self) -> tuple[Term, ...]:
        """The terms checked on the candidates a lookup finds (none when it takes all)."""
        return self.terms if self.lookup != self.terms else ()

    def blocks(
        self, candidate: Record, record: Record, block_sizes: Mapping[Any, int] | None = None
    ) -> bool:
        """Whether the rule pairs `candidate` with `record`. `block_sizes`: the records of
        each name (`name_of`) in the whole store, for capped rules (a name not in it: small)."""
        if self.many is not None:
            return not set(self.many.values_of(candidate)).isdisjoint(self.many.values_of(record))
        for mine, theirs in self.terms:
            value = theirs.of(record)
            if value is None or mine.of(candidate) != value:
                return False
        if not self.capped:
            return True
        sizes = block_sizes or {}
        return all(sizes.get(name_of(r), 0) <= NAME_BLOCK_MAX_RECORDS for r in (candidate, record))

    def candidates_name(self, record: Record) -> tuple[Any, ...]:
        """A capped rule's candidates of `record` all have this name (`name_of`)."""
        partner = dict(self.terms)
        return tuple(partner[key].of(record) for key in NAME)

    def splink_sql(self) -> str:
        """The rule over Splink's records `l` and `r` (DuckDB SQL)."""
        terms = [f'l."{mine.name}" = r."{theirs.name}"' for mine, theirs in self.terms]
        if self.capped:
            terms += [f'{side}."{NAME_BLOCK_COLUMN}" IS NOT NULL' for side in ("l", "r")]
        return " AND ".join(terms)

    def splink_exploding(self) -> dict[str, Any] | None:
        """For a `many` rule, the Splink rule over every value of both records (exploded);
        None for the others. Its pairs are those no other rule gives when it comes last:
        records sharing a value beyond the first."""
        if self.many is None:
            return None
        values = self.many.all_values
        return {"blocking_rule": f'l."{values}" = r."{values}"', "arrays_to_explode": [values]}

    def holders_sql(self) -> Select[tuple[int]] | None:
        """For a `many` rule, the ids of the records holding the record's first value
        beyond their own first (through the identifiers' (kind, key) index); None for the
        others. The record's own other values are looked up by `values_lookups_sql`."""
        if self.many is None:
            return None
        ids = _IDENTIFIERS.c
        return select(ids.record_id).where(
            self.many._is_kind(), ids.key == _parameter(self.many.name)
        )

    def others_lookup_sql(self) -> tuple[ColumnElement[bool], ...] | None:
        """`holders_sql` as a lookup of records."""
        holders = self.holders_sql()
        return None if holders is None else (records.c.id.in_(holders),)

    def values_lookups_sql(self) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
        """For a `many` rule, the lookups of the records holding any of the values bound
        as the list parameter `<key>_values`: as their first value, and as another (two
        lookups, each on its index: PostgreSQL scans the table for the two ORed)."""
        assert self.many is not None
        ids = _IDENTIFIERS.c
        values: BindParameter[str] = bindparam(f"{self.many.name}_values", expanding=True)
        holders = select(ids.record_id).where(self.many._is_kind(), ids.key.in_(values))
        return self.many.sql().in_(values), records.c.id.in_(holders)

    def lookup_sql(self) -> tuple[ColumnElement[bool], ...]:
        """The lookup of a record's candidates in the store: each candidate key (as its
        index holds it) equal to a bound parameter named after the record's key."""
        return tuple(mine.sql() == _parameter(theirs.name) for mine, theirs in self.lookup)

    def checks_sql(self) -> tuple[ColumnElement[bool], ...]:
        """`checks` in the store's SQL, with the parameters of `lookup_sql`."""
        return tuple(mine.sql() == _parameter(theirs.name) for mine, theirs in self.checks)

    def lock_names(self, record: Record) -> list[str]:
        """Names such that two records this rule pairs (either way) share one: the record's
        keys as the record looked up, and as a candidate."""
        return self.lock_names_of(key_values(record))

    def lock_names_of(self, keys: Mapping[str, Any]) -> list[str]:
        """`lock_names` of a record whose `key_values` are `keys`."""
        if self.many is not None:
            first = keys[self.many.name]
            values = ((first,) if first is not None else ()) + self.many.others_of(keys)
            return [f"{self.lock}:{value}" for value in values]
        found = (values_of(keys) for values_of in self._lock_sides)
        sides = ["\x1f".join(values) for values in found if None not in values]
        if self.symmetric and len(sides) > 1:
            # both sides are the same keys in another order, and so are the partner's
            sides = [min(sides)]
        return [f"{self.lock}:{side}" for side in sides]


NAME_RULE: Final = BlockingRule("name", _same(*NAME), capped=True)

# Pairs worth scoring: records that share an identifier, or a name with something else.
RULES: Final = (
    BlockingRule("phone_key", _same(PHONE)),
    BlockingRule("email_key", _same(EMAIL)),
    BlockingRule("national_id_key", _same(NATIONAL_ID)),
    BlockingRule("handle_key", _same(HANDLE)),
    BlockingRule("declared_key", _same(DECLARED)),
    BlockingRule("surname_dob", _same(SURNAME, BIRTH_DATE)),
    BlockingRule("given_dob", _same(GIVEN, BIRTH_DATE)),
    # A birth date and a postcode, shared: the same person under names typed too
    # differently (or in swapped fields) for the name rules, in data without contacts.
    BlockingRule("postcode_dob", _same(POSTCODE, BIRTH_DATE)),
    # An e-mail user name and a birth date, shared: one person's address with a slip in
    # the provider ("jt40@combs.net" / "jt40@comsb.net"), which the e-mail rule cannot
    # find, while the names are mistyped or missing. Looked up through the e-mail user
    # index: a candidate whose user name equals the record's personal one is personal too,
    # so the rule needs no index of its own (a shared mailbox's record looks up nothing).
    BlockingRule(
        "email_user_dob",
        _same(PERSONAL_EMAIL_USER, BIRTH_DATE),
        lookup=((EMAIL_USER, PERSONAL_EMAIL_USER), (BIRTH_DATE, BIRTH_DATE)),
    ),
    NAME_RULE,
    # Looked up by the indexed address prefix alone: with the surname too, SQLite would
    # read every record of a common surname, or miss the prefix expression's index.
    BlockingRule("surname_address", _same(SURNAME, ADDRESS), lookup=_same(ADDRESS_PREFIX)),
    # A given name and an address, shared: the surname changed (a married name) or
    # mistyped, and no birth date in common. Looked up as the surname's twin.
    BlockingRule("given_address", _same(GIVEN, ADDRESS), lookup=_same(ADDRESS_PREFIX)),
    # A social handle that is someone's e-mail user name ("mariamedina09" / mariamedina09@...),
    # and a name typed with its fields swapped ("Bruhn Thomas" / "Thomas Bruhn"), which may
    # share no other key. The swapped name is capped like the name block: "Luna María"
    # against every "María Luna" would cost real-time calls hundreds of candidates.
    BlockingRule("handle_is_email_user", ((HANDLE, EMAIL_USER),), lock="user"),
    BlockingRule("email_user_is_handle", ((EMAIL_USER, HANDLE),), lock="user"),
    BlockingRule("swapped_names", ((GIVEN, SURNAME), (SURNAME, GIVEN)), capped=True, lock="names"),
    # A postcode and a surname, shared: the given name replaced or mistyped, and no
    # birth date in common.
    BlockingRule("postcode_surname", _same(POSTCODE, SURNAME)),
    # A national ID with one character mistyped or two neighbours swapped: the ID with one
    # of its windows cut out (`store._schema.national_id_mask`), each window a rule.
    *(BlockingRule(key.name, _same(key)) for key in NATIONAL_ID_MASK_KEYS),
)

# The derived keys Splink's records carry as columns, for the rules' SQL to compare.
SPLINK_KEYS: Final = tuple(
    dict.fromkeys(key for rule in RULES for term in rule.terms for key in term if key.sql_of)
)


def name_block_sql(block_size: str, alias: str) -> str:
    """DuckDB: the name block of the records `alias`, NULL where more than
    NAME_BLOCK_MAX_RECORDS records share it (`block_size`: an expression of their number)."""
    name = " || ' ' || ".join(f"{alias}.{key.column}" for key in NAME)
    return f"CASE WHEN {block_size} <= {NAME_BLOCK_MAX_RECORDS} THEN {name} END"


# Every key the rules compare (those of lookups and checks included).
KEYS: Final = tuple(
    dict.fromkeys(key for rule in RULES for term in (*rule.terms, *rule.lookup) for key in term)
)


# The keys of several values.
MANY_KEYS: Final = tuple(rule.many for rule in RULES if rule.many is not None)


def key_values(record: Record) -> dict[str, Any]:
    """A record's every key (`KEYS`), by key name, and its `OTHERS_COLUMN`: worked out
    once for all rules."""
    found = {key.name: key.of(record) for key in KEYS}
    found[OTHERS_COLUMN] = record.get(OTHERS_COLUMN)
    return found


def lock_names(record: Record) -> list[str]:
    """The lock names of a record under every rule: two records that some rule pairs share
    one (caps aside: a name block's size changes as records arrive)."""
    keys = key_values(record)
    return list(dict.fromkeys(name for rule in RULES for name in rule.lock_names_of(keys)))


def email_user(record: Record) -> str | None:
    """The user-name part of a record's e-mail match key."""
    value: str | None = EMAIL_USER.of(record)
    return value
