"""How two channel records compare: one definition for batch and real-time scoring.

Each comparison has levels from most to least similar. A level is written twice, as a
DuckDB SQL condition (for Splink in batch) and as a Python predicate (for real-time
scoring and tests), and `tests/resolve/test_features.py` checks that both agree on
generated pairs. Match keys come from `cx360.normalize`; NULL means unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cx360.resolve._blocking import DECLARED, OTHERS_SEPARATOR
from cx360.resolve._blocking import email_user as email_user  # a derived key, with the rules
from cx360.resolve._guards import DEFAULT_LIKE_BIRTH_DATES, birth_dates_compatible
from cx360.resolve._similarity import within

Record = Mapping[str, Any]

# The normalized columns that resolution reads from the store.
FEATURE_COLUMNS: tuple[str, ...] = (
    "given_key",
    "given_canonical",
    "given_keys",
    "surname_key",
    "surname2_key",
    "birth_date",
    "birth_date_parts",
    "email_key",
    "phone_key",
    "national_id_key",
    "address_key",
    "city_key",
    "postcode_key",
    "region_key",
    "handle_key",
    "name_suffix",
    "declared_key",
    # the values of the attributes a store declares to compare (`_declared_comparisons`)
    "attribute_values",
)


@dataclass(frozen=True, slots=True)
class Level:
    """One similarity level: a SQL condition on `<col>_l`/`<col>_r` and its Python twin."""

    label: str
    sql: str
    test: Callable[[Record, Record], bool]
    is_null: bool = False
    tf_column: str | None = None
    # learned after the other levels, with theirs held fixed (see `_splink.train_model`)
    trained_apart: bool = False


@dataclass(frozen=True, slots=True)
class Comparison:
    name: str
    levels: tuple[Level, ...]

    # the levels' Python tests but the last ('else', which always holds): the hot loop's
    tests: tuple[Callable[[Record, Record], bool], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "tests", tuple(level.test for level in self.levels[:-1]))

    def level_of(self, left: Record, right: Record) -> int:
        """Index of the first level that holds (the last level is 'else')."""
        index = 0
        for test in self.tests:
            if test(left, right):
                return index
            index += 1
        return index


def _null(*columns: str) -> Level:
    sql = " OR ".join(f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in columns)

    test = _one_null(columns[0]) if len(columns) == 1 else _any_null(columns)
    return Level("null", sql, test, is_null=True)


def _one_null(column: str) -> Callable[[Record, Record], bool]:
    # the usual case, written without a generator: it runs for every comparison of a pair
    def test(a: Record, b: Record) -> bool:
        return a.get(column) is None or b.get(column) is None

    return test


def _any_null(columns: tuple[str, ...]) -> Callable[[Record, Record], bool]:
    def test(a: Record, b: Record) -> bool:
        return any(a.get(c) is None or b.get(c) is None for c in columns)

    return test


def _exact(column: str, label: str = "exact", tf: bool = False) -> Level:
    def test(a: Record, b: Record) -> bool:
        return a.get(column) is not None and bool(a[column] == b[column])

    return Level(label, f'"{column}_l" = "{column}_r"', test, tf_column=column if tf else None)


def _within(column: str, distance: int, label: str) -> Level:
    def test(a: Record, b: Record) -> bool:
        return within(a[column], b[column], distance)

    return Level(label, f'levenshtein("{column}_l", "{column}_r") <= {distance}', test)


def _close(column: str, shortest: int) -> Level:
    # two edits (or two letters swapped) in a name long enough to keep its shape
    # ("herbert"/"herbret"). Damerau-Levenshtein would take swaps in short names too,
    # but Spark SQL has no such function, and both engines must share the levels.
    def test(a: Record, b: Record) -> bool:
        x, y = a[column], b[column]
        return min(len(x), len(y)) >= shortest and within(x, y, 2)

    sql = (
        f'levenshtein("{column}_l", "{column}_r") <= 2 AND '
        f'least(length("{column}_l"), length("{column}_r")) >= {shortest}'
    )
    return Level("close", sql, test)


def _names_swapped(a: Record, b: Record) -> bool:
    return bool(
        a["surname_key"] is not None
        and a["given_key"] == b["surname_key"]
        and a["surname_key"] == b["given_key"]
    )


# A record's birth date as written: its date, else what a date that does not exist
# says ("1949-15-25", `normalize.dates.NormalizedDate.parts`). Such a date takes part in
# the levels that compare parts and in no other: its wrong part is no typo of a known
# date, and never equals a valid one.
_WRITTEN_L = 'coalesce("birth_date_l", "birth_date_parts_l")'
_WRITTEN_R = 'coalesce("birth_date_r", "birth_date_parts_r")'
_PARTS_EQUAL = (
    f"(CASE WHEN substr({_WRITTEN_L}, 1, 4) = substr({_WRITTEN_R}, 1, 4) THEN 1 ELSE 0 END + "
    f"CASE WHEN substr({_WRITTEN_L}, 6, 2) = substr({_WRITTEN_R}, 6, 2) THEN 1 ELSE 0 END + "
    f"CASE WHEN substr({_WRITTEN_L}, 9, 2) = substr({_WRITTEN_R}, 9, 2) THEN 1 ELSE 0 END)"
)


def written_birth_date(record: Record) -> str | None:
    """`_WRITTEN_L`/`_WRITTEN_R` for one record."""
    found: str | None = record.get("birth_date") or record.get("birth_date_parts")
    return found


def _unknown_birth_date() -> Level:
    # A date typed when the customer gives none ("2000-01-01") says nothing, as the
    # guards read it: strangers share it. Term-frequency weighting would catch it too,
    # but would also weaken true dates whose duplicates inflate their frequencies.
    defaults = ", ".join(f"'{d}'" for d in sorted(DEFAULT_LIKE_BIRTH_DATES))
    sql = (
        f"{_WRITTEN_L} IS NULL OR {_WRITTEN_R} IS NULL OR "
        f'"birth_date_l" IN ({defaults}) OR "birth_date_r" IN ({defaults})'
    )

    def test(a: Record, b: Record) -> bool:
        if written_birth_date(a) is None or written_birth_date(b) is None:
            return True
        return a.get("birth_date") in DEFAULT_LIKE_BIRTH_DATES or (
            b.get("birth_date") in DEFAULT_LIKE_BIRTH_DATES
        )

    return Level("null", sql, test, is_null=True)


def _near_birth_dates(a: Record, b: Record) -> bool:
    left, right = a.get("birth_date"), b.get("birth_date")
    return left is not None and right is not None and birth_dates_compatible(left, right)


def _date_parts_equal(a: str, b: str) -> int:
    """How many of year, month and day two ISO dates share."""
    return (a[:4] == b[:4]) + (a[5:7] == b[5:7]) + (a[8:10] == b[8:10])


def _one_part_different(a: Record, b: Record) -> bool:
    # the null level before it has seen that both are written
    return _date_parts_equal(str(written_birth_date(a)), str(written_birth_date(b))) >= 2


def _impossible_one_part_different(a: Record, b: Record) -> bool:
    impossible = a.get("birth_date") is None or b.get("birth_date") is None
    return impossible and _one_part_different(a, b)


def _same_year(a: Record, b: Record) -> bool:
    return str(written_birth_date(a))[:4] == str(written_birth_date(b))[:4]


def _else() -> Level:
    return Level("else", "ELSE", lambda a, b: True)


def _given_other(a: Record, b: Record) -> bool:
    # "María José" on one channel, "José" on another: a given name among the other's
    return bool(
        a["given_key"] in (b["given_keys"] or "").split(" ")
        or b["given_key"] in (a["given_keys"] or "").split(" ")
    )


def _prefix(a: Record, b: Record) -> bool:
    # "caro" / "carolina", "j" / "jose": a short form the nickname table does not know
    x, y = a["given_key"], b["given_key"]
    return bool(x.startswith(y) or y.startswith(x))


def _part_sql(side: str, part: int) -> str:
    # the user name (1) or the provider (2) of an address
    return f"split_part(\"email_key_{side}\", '@', {part})"


def _parts(record: Record) -> tuple[str, str]:
    user, _, provider = str(record["email_key"]).partition("@")
    return user, provider.partition("@")[0]


def _bare_sql(side: str) -> str:
    sql = _part_sql(side, 1)
    for separator in _SEPARATORS:
        sql = f"replace({sql}, '{separator}', '')"
    return sql


def _bare(user: str) -> str:
    for separator in _SEPARATORS:
        user = user.replace(separator, "")
    return user


def _digits(user: str) -> str:
    return "".join(c for c in user if c in "0123456789")


def _email_typo(a: Record, b: Record) -> bool:
    (user_a, provider_a), (user_b, provider_b) = _parts(a), _parts(b)
    if not (within(user_a, user_b, 2) and within(provider_a, provider_b, 2)):
        return False
    if user_a == user_b:
        return True
    digits = _digits(user_a)
    if digits != _digits(user_b):
        return False
    bare_a, bare_b = _bare(user_a), _bare(user_b)
    return bool(digits) or not (bare_a.startswith(bare_b) or bare_b.startswith(bare_a))


def _same_numbered_user(a: Record, b: Record) -> bool:
    user_a, user_b = _parts(a)[0], _parts(b)[0]
    return user_a == user_b and _digits(user_a) != ""


# One person's address typed with a slip or two in the user name, the provider or both
# ("lolat86@bishop-giles.com", "glolat86@bishop-gilees.com"). User names that differ
# only in what a provider changes to hand a taken name to someone else are no slip:
# separators ("juanlozano", "juan_lozano"), digits ("jose.garcia85", "jose.garcia58"),
# letters added at the end of a user name without digits ("mariaramirez",
# "mariaramirezb"). The same user name at another provider is a level only where it
# holds digits ("hday48"): a user name built from the name alone ("maria_aguilar") at
# two providers is two Marías as often as one, and would count the names a second
# time; for the same reason, no level for a user name built from the other record's
# name ("ljaimes" and Leonardo Jaimes). How often strangers' addresses agree so is
# learned by EM, in a pass of its own after the other levels are trained
# (`trained_apart`): the levels are rare, and learned with the rest they would move
# every other comparison's estimates, while a pass that holds those fixed leaves every
# other pair scored as before. They weigh in the score only: the link rule
# (`_evidence`) does not take them for a shared identifier.
_SEPARATORS = (".", "_", "-")
_USERS_L, _USERS_R = _part_sql("l", 1), _part_sql("r", 1)
_DIGITS_L = f"regexp_replace({_USERS_L}, '[^0-9]', '', 'g')"
_DIGITS_R = f"regexp_replace({_USERS_R}, '[^0-9]', '', 'g')"
_EMAIL_TYPO_SQL = (
    f"levenshtein({_USERS_L}, {_USERS_R}) <= 2 AND "
    f"levenshtein({_part_sql('l', 2)}, {_part_sql('r', 2)}) <= 2 AND "
    f"({_USERS_L} = {_USERS_R} OR ({_DIGITS_L} = {_DIGITS_R} AND ({_DIGITS_L} <> '' OR NOT ("
    f"starts_with({_bare_sql('l')}, {_bare_sql('r')}) OR "
    f"starts_with({_bare_sql('r')}, {_bare_sql('l')})))))"
)
EMAIL_LEVELS: tuple[Level, ...] = (
    _null("email_key"),
    _exact("email_key"),
    Level("typo", _EMAIL_TYPO_SQL, _email_typo, trained_apart=True),
    Level(
        "same numbered user name",
        f"{_USERS_L} = {_USERS_R} AND {_DIGITS_L} <> ''",
        _same_numbered_user,
        trained_apart=True,
    ),
    _else(),
)


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "given_name",
        (
            _null("given_key"),
            _exact("given_key", tf=True),
            _exact("given_canonical", "nickname"),
            Level(
                "other given name",
                'list_contains(string_split("given_keys_r", \' \'), "given_key_l") OR '
                'list_contains(string_split("given_keys_l", \' \'), "given_key_r")',
                _given_other,
            ),
            _within("given_key", 1, "typo"),
            Level(
                "prefix",
                'starts_with("given_key_l", "given_key_r") OR '
                'starts_with("given_key_r", "given_key_l")',
                _prefix,
            ),
            _close("given_key", 6),
            Level(
                "swapped with surname",
                '"given_key_l" = "surname_key_r" AND "surname_key_l" = "given_key_r"',
                _names_swapped,
            ),
            _else(),
        ),
    ),
    Comparison(
        "surname",
        (
            _null("surname_key"),
            Level(
                "both surnames",
                '"surname_key_l" = "surname_key_r" AND "surname2_key_l" = "surname2_key_r"',
                lambda a, b: bool(
                    a["surname_key"] == b["surname_key"]
                    and a["surname2_key"] is not None
                    and a["surname2_key"] == b["surname2_key"]
                ),
            ),
            _exact("surname_key", "first surname", tf=True),
            Level(
                "crossed",
                '"surname_key_l" = "surname2_key_r" OR "surname2_key_l" = "surname_key_r"',
                lambda a, b: bool(
                    a["surname_key"] == b["surname2_key"] or a["surname2_key"] == b["surname_key"]
                ),
            ),
            _within("surname_key", 1, "typo"),
            _close("surname_key", 6),
            _else(),
        ),
    ),
    Comparison(
        "birth_date",
        (
            _unknown_birth_date(),
            _exact("birth_date"),
            Level(
                "typo or day/month swapped",
                'levenshtein("birth_date_l", "birth_date_r") <= 1 OR '
                '(substr("birth_date_l", 1, 4) = substr("birth_date_r", 1, 4) AND '
                'substr("birth_date_l", 6, 2) = substr("birth_date_r", 9, 2) AND '
                'substr("birth_date_l", 9, 2) = substr("birth_date_r", 6, 2))',
                _near_birth_dates,
            ),
            # a date that does not exist agreeing with the other on two parts: its third
            # is a slip for certain, which a valid date one part off is not (strangers of
            # one name are born on one day of different years), so it is weighed apart
            Level(
                "one part impossible",
                f'("birth_date_l" IS NULL OR "birth_date_r" IS NULL) AND {_PARTS_EQUAL} >= 2',
                _impossible_one_part_different,
            ),
            # one whole part keyed wrong (a year, a month or a day from another field):
            # strangers' dates rarely agree on the other two parts
            Level("one part different", f"{_PARTS_EQUAL} >= 2", _one_part_different),
            Level(
                "same year",
                f"substr({_WRITTEN_L}, 1, 4) = substr({_WRITTEN_R}, 1, 4)",
                _same_year,
            ),
            _else(),
        ),
    ),
    # No level for a handle that is the other record's e-mail user name: such user names
    # are mostly the person's name ("jose_ruiz"), and would count the names a second time.
    Comparison("email", EMAIL_LEVELS),
    Comparison("phone", (_null("phone_key"), _exact("phone_key"), _else())),
    Comparison(
        "national_id",
        (
            _null("national_id_key"),
            _exact("national_id_key"),
            _within("national_id_key", 1, "typo"),
            # two digits swapped, or two typos (FEBRL's duplicates often carry either)
            _within("national_id_key", 2, "two typos"),
            _else(),
        ),
    ),
    Comparison(
        "address",
        (
            _null("address_key"),
            _exact("address_key"),
            _within("address_key", 3, "close"),
            _else(),
        ),
    ),
    Comparison("city", (_null("city_key"), _exact("city_key"), _else())),
    # One character off is most often a typo (or the next district). Not weighed by how
    # common the code is: most stores hold no postcode at all, and a frequency-adjusted
    # column needs frequencies frozen with every model.
    Comparison(
        "postcode",
        (
            _null("postcode_key"),
            _exact("postcode_key"),
            _within("postcode_key", 1, "typo"),
            _else(),
        ),
    ),
    Comparison("region", (_null("region_key"), _exact("region_key"), _else())),
    Comparison("handle", (_null("handle_key"), _exact("handle_key"), _else())),
)


# A store's declared identifiers (`_blocking.DECLARED`), as Splink's records carry them
# (`declared_columns`): every value ("<attribute>=<key>"), and every attribute a record
# holds one of, each joined by `OTHERS_SEPARATOR` (NULL: none).
DECLARED_VALUES = "declared_values"
DECLARED_NAMES = "declared_names"


def declared_columns(record: Record) -> tuple[str | None, str | None]:
    """A record's `DECLARED_VALUES` and `DECLARED_NAMES`, sorted (one text per set)."""
    values = sorted(set(DECLARED.values_of(record)))
    if not values:
        return None, None
    names = sorted({value.partition("=")[0] for value in values})
    return OTHERS_SEPARATOR.join(values), OTHERS_SEPARATOR.join(names)


def _declared_sets(record: Record) -> tuple[set[str], set[str]]:
    values = set(DECLARED.values_of(record))
    return values, {value.partition("=")[0] for value in values}


def _overlap(column: str) -> str:
    """SQL: the two records' lists in `column` share an item (written so that sqlglot
    gives Spark the same test: `SIZE(ARRAY_INTERSECT(...)) > 0`)."""
    left, right = (
        f'string_split("{column}_{side}", chr({ord(OTHERS_SEPARATOR)}))' for side in "lr"
    )
    return f"array_length(array_intersect({left}, {right})) > 0"


def _no_attribute_in_common(a: Record, b: Record) -> bool:
    return _declared_sets(a)[1].isdisjoint(_declared_sets(b)[1])


def _a_value_in_common(a: Record, b: Record) -> bool:
    return not _declared_sets(a)[0].isdisjoint(_declared_sets(b)[0])


# Two records holding no declared attribute in common (a loyalty card on one, a customer
# number on the other) say nothing; holding one in common, they share a value (a person's
# card) or hold different ones: two people, as two national IDs are, or a card replaced.
DECLARED_IDENTIFIER = Comparison(
    "declared_identifier",
    (
        Level(
            "null",
            f'"{DECLARED_NAMES}_l" IS NULL OR "{DECLARED_NAMES}_r" IS NULL OR '
            f"NOT ({_overlap(DECLARED_NAMES)})",
            _no_attribute_in_common,
            is_null=True,
        ),
        Level(
            "shared",
            _overlap(DECLARED_VALUES),
            _a_value_in_common,
        ),
        _else(),
    ),
)


def comparisons_for(
    declared: bool, compared: Sequence[tuple[str, str]] = ()
) -> tuple[Comparison, ...]:
    """The comparisons of a store: with `DECLARED_IDENTIFIER` where records hold declared
    identifiers, then one per declared compared attribute ((name, kind), ...) records
    hold values of (a store without either has the comparisons, and the models, it always
    had)."""
    # imported here: the declared attributes' comparisons are built of this module's levels
    from cx360.resolve._declared_comparisons import compared_comparisons

    own = (*COMPARISONS, DECLARED_IDENTIFIER) if declared else COMPARISONS
    return (*own, *compared_comparisons(compared)) if compared else own


def comparisons_of(model: Mapping[str, Any]) -> tuple[Comparison, ...]:
    """The comparisons a stored model was trained with, as far as this cx360 knows them."""
    from cx360.resolve._declared_comparisons import comparisons_in_model

    specs = list(model.get("comparisons") or [])
    names = {c.get("output_column_name") for c in specs}
    compared = comparisons_in_model(specs)
    return (*comparisons_for(DECLARED_IDENTIFIER.name in names), *compared)


# Columns whose exact-match levels are adjusted by how common the value is.
TF_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(level.tf_column for c in COMPARISONS for level in c.levels if level.tf_column)
)


def splink_comparisons(
    comparisons: tuple[Comparison, ...] = COMPARISONS,
) -> list[dict[str, Any]]:
    """The comparisons as Splink settings dicts (used only by the Splink adapter)."""
    out = []
    for comparison in comparisons:
        levels: list[dict[str, Any]] = []
        for level in comparison.levels:
            entry: dict[str, Any] = {"sql_condition": level.sql, "label_for_charts": level.label}
            if level.is_null:
                entry["is_null_level"] = True
            if level.tf_column:
                entry["tf_adjustment_column"] = level.tf_column
                entry["tf_adjustment_weight"] = 1.0
            levels.append(entry)
        out.append({"output_column_name": comparison.name, "comparison_levels": levels})
    return out
