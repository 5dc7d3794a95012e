"""Each blocking rule is defined once (`cx360.resolve._blocking`), and every path agrees
with its Python predicate on generated records: the Splink SQL that DuckDB runs, the
real-time candidate statements on SQLite and PostgreSQL, the incremental loader, and the
lock names. The values come from small alphabets, so that records share keys often, and
records hold further phones and e-mails (`record_identifiers`) drawn from the same ones."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from itertools import combinations
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, delete, insert, select

from cx360.resolve._blocking import (
    ADDRESS_PREFIX,
    EMAIL_USER,
    NAME_BLOCK_MAX_RECORDS,
    NATIONAL_ID_MASK_KEYS,
    OTHERS_COLUMN,
    OTHERS_SEPARATOR,
    PERSONAL_EMAIL_USER,
    RULES,
    lock_names,
    name_of,
)
from cx360.resolve._incremental import GUARD_COLUMNS as _GUARD_COLUMNS
from cx360.resolve._incremental import ROW_COLUMNS, scoring_scope
from cx360.resolve._splink import (
    _WINDOW_BLOCK_SIZE,
    SplinkSession,
    _records_sql,
    _settings,
    _with_all_values,
)
from cx360.resolve.realtime._candidates import (
    _CANDIDATES,
    _CANDIDATES_LOCKING_CUSTOMERS,
    _PG_CANDIDATES,
    _kept,
    _query_params,
    others_candidates,
)
from cx360.store import Store
from cx360.store._schema import record_customers, record_identifiers, records

Features = dict[str, Any]

# Keys drawn from few values; names that are given names and surnames alike (swapped
# names), e-mail user names that are handles, addresses sharing their indexed prefix,
# national IDs a typo, a swap of neighbours or a character apart (and too short to mask).
_LONG = "calle " + "x" * 100
VALUES: dict[str, Sequence[str | None]] = {
    "phone_key": (None, "+573001", "+573002"),
    "email_key": (None, "ana@x.co", "ana@y.co", "bo@x.co", "bo", "@x.co", "cy@a@b", "info@x.co"),
    "national_id_key": (None, "11", "12", "1234567", "1234568", "1243567", "12345678", "9234567"),
    "handle_key": (None, "ana", "bo", "cy"),
    "given_canonical": (None, "ana", "bo", "ruiz"),
    "surname_key": (None, "ana", "bo", "ruiz"),
    "birth_date": (None, "1990-01-01", "1985-03-07"),
    "address_key": (None, "calle 1", _LONG + "1", _LONG + "2"),
    "postcode_key": (None, "2000", "2001"),
    "declared_key": (None, "card=a1", "card=a2", "passport=a1"),
}
# A record's phones and e-mails beyond the first: among the first values of others
_OTHERS = st.lists(
    st.sampled_from(
        [
            "phone:+573001",
            "phone:+573003",
            "email:ana@x.co",
            "email:cy",
            "declared:card=a1",
            "declared:card=a3",
        ]
    ),
    max_size=3,
    unique=True,
).map(lambda items: OTHERS_SEPARATOR.join(items) or None)
_RECORD = st.fixed_dictionaries(
    {c: st.sampled_from(v) for c, v in VALUES.items()} | {OTHERS_COLUMN: _OTHERS}
)
_RECORDS = st.lists(_RECORD, min_size=2, max_size=7)


def _features(drawn: Features) -> Features:
    """A record's features: the drawn keys, the other columns scoring reads unknown."""
    return {**dict.fromkeys(ROW_COLUMNS), **drawn}


def _sizes(people: Sequence[Features]) -> Counter[tuple[Any, ...]]:
    return Counter(name_of(record) for record in people)


def _expected(people: Sequence[Features], rule: Any, sizes: Any) -> set[tuple[int, int]]:
    """The pairs (l, r) of indexes, l < r, that the rule's predicate blocks as Splink's
    rule does: `l` the candidate."""
    return {
        (i, j)
        for (i, left), (j, right) in combinations(enumerate(people), 2)
        if rule.blocks(left, right, sizes)
    }


# -- batch: the rules Splink gets, run by DuckDB over Splink's records table ---------------


@functools.cache
def _splink_rules() -> list[str]:
    """The prediction blocking rules in the Splink settings cx360 trains from."""
    return [rule["blocking_rule"] for rule in _settings()["blocking_rules_to_generate_predictions"]]


def _duckdb_blocked(people: Sequence[Features]) -> list[set[tuple[int, int]]]:
    """Per prediction rule of the Splink settings, the pairs DuckDB blocks: each rule
    over every pair of Splink's records table (one query: cheaper than a join per rule),
    and a rule's pairs over exploded values (`_with_all_values`) as Splink joins them."""
    columns: dict[str, pa.Array] = {"unique_id": pa.array(range(len(people)), pa.int64())}
    for column in ROW_COLUMNS:
        columns[column] = pa.array([p[column] for p in people], pa.string())
    table, exploding = _with_all_values(pa.table(columns))
    rules = _splink_rules()
    holds = ", ".join(f"coalesce(({rule}), FALSE)" for rule in rules)
    con = _DUCKDB.cursor()
    try:
        con.register("cx360_input", table)
        records_sql = _records_sql(_WINDOW_BLOCK_SIZE, "cx360_input i", "FALSE")
        con.execute(f"CREATE OR REPLACE TEMP TABLE cx360_records AS {records_sql}")
        rows = con.execute(
            f"SELECT l.unique_id, r.unique_id, {holds} FROM cx360_records l, cx360_records r"
            " WHERE l.unique_id < r.unique_id"
        ).fetchall()
        blocked = [{(a, b) for a, b, *held in rows if held[n]} for n in range(len(rules))]
        for rule in exploding:
            (values,) = rule["arrays_to_explode"]
            exploded = f"(SELECT unique_id, unnest({values}) AS {values} FROM cx360_records)"
            pairs = con.execute(
                f"SELECT DISTINCT l.unique_id, r.unique_id FROM {exploded} l, {exploded} r"
                f" WHERE ({rule['blocking_rule']}) AND l.unique_id < r.unique_id"
            ).fetchall()
            (number,) = [n for n, plain in enumerate(RULES) if plain.splink_exploding() == rule]
            blocked[number] |= set(pairs)
    finally:
        con.close()
    return blocked


_DUCKDB = duckdb.connect()


@settings(max_examples=250, deadline=None)
@given(drawn=_RECORDS)
def test_duckdb_blocks_what_the_rules_say_and_records_paired_share_a_lock(
    drawn: list[Features],
) -> None:
    people = [_features(d) for d in drawn]
    sizes = _sizes(people)
    blocked = _duckdb_blocked(people)
    assert len(blocked) == len(RULES)
    for rule, found in zip(RULES, blocked, strict=True):
        assert found == _expected(people, rule, sizes), rule.name
    for left, right in combinations(people, 2):
        paired = [rule.blocks(left, right, sizes) for rule in RULES]
        # the rules pair records whichever is looked up: real time finds both ways round
        assert any(paired) == any(rule.blocks(right, left, sizes) for rule in RULES)
        if any(paired):
            assert set(lock_names(left)) & set(lock_names(right))
        for rule in RULES:
            shared = bool(set(rule.lock_names(left)) & set(rule.lock_names(right)))
            either = rule.blocks(left, right) or rule.blocks(right, left)
            if either:
                assert shared, rule.name
            if all(mine == theirs for mine, theirs in rule.terms):
                assert shared == either, rule.name  # an equality rule's names are exact


# -- the derived keys: Python, DuckDB, SQLite and PostgreSQL ------------------------------

# no NUL and no lone surrogates: neither is text any store can hold (psycopg refuses both)
_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    max_size=120,
)
# shared mailboxes, which have no personal e-mail user name
_ROLE_ADDRESSES = ("info@x.co", "ventas", "soporte@a@b", "info.ana@x.co")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(_TEXT | st.sampled_from(_ROLE_ADDRESSES), min_size=1, max_size=5))
def test_derived_keys_agree_in_python_duckdb_and_the_store(store: Store, values: list[str]) -> None:
    # national IDs are at most 64 characters long in the store
    people = [
        _features({"email_key": v, "address_key": v, "national_id_key": v[:64]}) for v in values
    ]
    with store.transaction() as conn:
        _clear(conn)
        ids = _insert(conn, people)
    con = duckdb.connect()
    try:
        national_ids = [v[:64] for v in values]
        con.register(
            "i",
            pa.table(
                {
                    "n": range(len(values)),
                    "email_key": values,
                    "address_key": values,
                    "national_id_key": national_ids,
                }
            ),
        )
        for key in (EMAIL_USER, PERSONAL_EMAIL_USER, ADDRESS_PREFIX, *NATIONAL_ID_MASK_KEYS):
            in_python = [key.of(person) for person in people]
            sql = f"SELECT {key.duckdb('i')} FROM i ORDER BY n"
            in_duckdb = [value for (value,) in con.execute(sql).fetchall()]
            with store.connection() as conn:
                stored = {i: v for i, v in conn.execute(select(records.c.id, key.sql()))}
            assert in_python == in_duckdb == [stored[i] for i in ids], key.name
    finally:
        con.close()


# -- real time and incremental runs, on a real store --------------------------------------


def _clear(conn: Connection) -> None:
    conn.execute(delete(record_identifiers))
    conn.execute(delete(record_customers))
    conn.execute(delete(records))


def _insert(conn: Connection, people: Sequence[Features]) -> list[int]:
    now = datetime.now(UTC)
    ids = []
    for n, person in enumerate(people):
        row = {c: person[c] for c in _GUARD_COLUMNS}
        values = {"source": "web", "source_record_id": str(n), "version": 1, "content_hash": "h"}
        values |= {"raw": {}, "ingested_at": now, "updated_at": now, **row}
        record_id = int(
            conn.execute(insert(records).values(values).returning(records.c.id)).scalar_one()
        )
        ids.append(record_id)
        insert_others(conn, record_id, person.get(OTHERS_COLUMN))
    return ids


def insert_others(conn: Connection, record_id: int, others: str | None) -> None:
    """A record's phones and e-mails beyond the first, stored as ingest stores them."""
    items = [item.split(":", 1) for item in (others or "").split(OTHERS_SEPARATOR) if item]
    for position, (kind, key) in enumerate(items, start=2):
        row = {"record_id": record_id, "kind": kind, "key": key, "position": position}
        conn.execute(insert(record_identifiers).values(row))


def _found_in_real_time(conn: Connection, person: Features) -> Iterator[set[int]]:
    """The candidates each real-time statement finds for `person` (stored already)."""
    params = _query_params(person)
    statements = [_CANDIDATES]
    if conn.dialect.name == "postgresql":
        statements += [_PG_CANDIDATES, _CANDIDATES_LOCKING_CUSTOMERS]
    for statement in statements:
        rows = conn.execute(statement, params).all()
        found = _kept(person, rows) if statement is _CANDIDATES else rows
        found = [*found, *others_candidates(conn, person, found)]
        yield {int(row[0]) for row in found}


def _check_every_path(store: Store, people: Sequence[Features]) -> None:
    """Store `people`; each one's real-time candidates and incremental scope are the
    records some rule pairs with it (itself included, when a rule pairs it with itself)."""
    sizes = _sizes(people)
    with store.transaction() as conn:
        _clear(conn)
        ids = _insert(conn, people)
    with store.connection() as conn:
        for record_id, person in zip(ids, people, strict=True):
            expected = {
                other_id
                for other_id, other in zip(ids, people, strict=True)
                if any(rule.blocks(other, person, sizes) for rule in RULES)
            }
            for found in _found_in_real_time(conn, person):
                assert found == expected
            # an incremental run loads the same, and the records of a name block that
            # has just outgrown the limit (scored again: its pairs are gone)
            loaded = expected | {record_id}
            if sizes[name_of(person)] == NAME_BLOCK_MAX_RECORDS + 1 and None not in name_of(person):
                loaded |= {
                    i for i, p in zip(ids, people, strict=True) if name_of(p) == name_of(person)
                }
            assert set(scoring_scope(conn, [record_id]).rows) == loaded


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=_RECORDS)
def test_real_time_and_incremental_runs_find_what_the_rules_say(
    store: Store, drawn: list[Features]
) -> None:
    _check_every_path(store, [_features(d) for d in drawn])


# -- the name block's cap -----------------------------------------------------------------


def _named(given: str, surname: str, count: int) -> list[Features]:
    return [_features({"given_canonical": given, "surname_key": surname})] * count


@pytest.mark.parametrize(
    ("names", "swapped"),
    [
        (NAME_BLOCK_MAX_RECORDS, 2),
        (NAME_BLOCK_MAX_RECORDS + 1, 2),
        (2, NAME_BLOCK_MAX_RECORDS + 1),
        (NAME_BLOCK_MAX_RECORDS, NAME_BLOCK_MAX_RECORDS),
    ],
    ids=["small", "own-too-common", "swapped-too-common", "both-at-the-limit"],
)
def test_a_name_shared_by_too_many_records_stops_blocking_in_every_path(
    store: Store, names: int, swapped: int
) -> None:
    """ "Ana Ruiz" and its swapped form "Ruiz Ana": the name rule pairs the records of a
    name only while at most NAME_BLOCK_MAX_RECORDS share it, and the swapped-names rule
    only while both names are that uncommon; batch, real time and incremental runs agree.
    Lock names take no count into account: they are shared all the same."""
    people = _named("ana", "ruiz", names) + _named("ruiz", "ana", swapped)
    sizes = _sizes(people)
    small = {n: sizes[n] <= NAME_BLOCK_MAX_RECORDS for n in (("ana", "ruiz"), ("ruiz", "ana"))}
    expected = {
        (i, j)
        for (i, left), (j, right) in combinations(enumerate(people), 2)
        if any(rule.blocks(left, right, sizes) for rule in RULES)
    }
    same = small["ana", "ruiz"] * names * (names - 1) // 2
    same += small["ruiz", "ana"] * swapped * (swapped - 1) // 2
    assert len(expected) == same + all(small.values()) * names * swapped
    assert set().union(*_duckdb_blocked(people)) == expected
    _check_every_path(store, people)
    # an incremental session: one record new, the block sizes counted in the store
    with store.connection() as conn:
        ids = [int(i) for (i,) in conn.execute(select(records.c.id).order_by(records.c.id))]
        scope = scoring_scope(conn, [ids[0]])
    assert _incremental_pairs(scope) == {(ids[i], ids[j]) for i, j in expected if 0 in (i, j)}
    assert set(lock_names(people[0])) & set(lock_names(people[-1]))


def _incremental_pairs(scope: Any) -> set[tuple[int, int]]:
    """The pairs an incremental Splink session blocks (with a dirty record)."""
    con = duckdb.connect()
    try:
        session = SplinkSession(
            con, scope.table(), pa.array(scope.dirty, pa.int64()), scope.block_sizes
        )
        pairs: set[tuple[int, int]] = set()
        for rule in _splink_rules():
            table = session.query(
                "SELECT l.unique_id AS a, r.unique_id AS b FROM cx360_records l"
                f" JOIN cx360_records r ON {rule}"
                " WHERE l.unique_id < r.unique_id AND (l.is_dirty OR r.is_dirty)"
            )
            pairs |= set(
                zip(table.column("a").to_pylist(), table.column("b").to_pylist(), strict=True)
            )
        return pairs
    finally:
        con.close()


# -- national IDs one typo apart ----------------------------------------------------------

_ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@settings(max_examples=300, deadline=None)
@given(
    national_id=st.text(alphabet=_ID_CHARS, min_size=7, max_size=64),
    at=st.integers(min_value=0),
    typed=st.sampled_from(_ID_CHARS),
    swap=st.booleans(),
)
def test_a_national_id_one_typo_or_one_swap_apart_is_blocked(
    national_id: str, at: int, typed: str, swap: bool
) -> None:
    """An ID with one character typed wrong, or two neighbours swapped, shares a masked key
    with the right one (so a rule brings the pair), whichever character it is."""
    at %= len(national_id) - 1 if swap else len(national_id)
    chars = list(national_id)
    if swap:
        chars[at], chars[at + 1] = chars[at + 1], chars[at]
    else:
        chars[at] = typed
    mistyped = "".join(chars)
    right, wrong = (_features({"national_id_key": v}) for v in (national_id, mistyped))
    rules = [rule for rule in RULES if rule.name.startswith("national_id")]
    assert any(rule.blocks(right, wrong) for rule in rules)
    # and the masked keys leave most of the ID: about two thirds of it
    for key in NATIONAL_ID_MASK_KEYS:
        assert len(key.of(right)) >= 2 * len(national_id) // 3 - 1


def test_short_national_ids_have_no_masked_keys() -> None:
    # six characters or fewer: what a window leaves would pair IDs that share little
    for national_id in ("12", "123456"):
        assert {
            key.of(_features({"national_id_key": national_id})) for key in NATIONAL_ID_MASK_KEYS
        } == {None}
