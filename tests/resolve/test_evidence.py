from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from cx360.resolve._evidence import (
    CONTACT_COLUMNS,
    DEFAULT_MATCH_WEIGHT,
    DEFAULT_NAME_ONLY_MATCH_WEIGHT,
    IDENTIFIER_COLUMNS,
    MAX_PRIOR_SHIFT,
    LinkRule,
    contacts_agree,
    identified_mask,
    identifiers_agree,
    linking_pairs,
    pair_evidence,
    prior_shift,
)
from cx360.resolve._rules import Rule, switched_off

_COLUMNS = ("unique_id", *IDENTIFIER_COLUMNS, "given_key", "given_keys")


def _records() -> list[dict[str, Any]]:
    base: dict[str, Any] = dict.fromkeys(_COLUMNS)
    return [
        {**base, "unique_id": 1, "given_key": "ana", "phone_key": "+573001234567"},
        {**base, "unique_id": 2, "given_key": "ana", "phone_key": "+573001234567"},
        {**base, "unique_id": 3, "given_key": "ana", "email_key": "ana.ruiz@example.com"},
        {**base, "unique_id": 4, "given_key": "ana", "handle_key": "ana.ruiz"},
        {**base, "unique_id": 5, "given_key": "ana", "birth_date": "1990-02-03"},
        {**base, "unique_id": 6, "given_key": "ana", "birth_date": "1990-02-03"},
        {**base, "unique_id": 7, "given_key": "ana"},
        {**base, "unique_id": 8, "given_key": "ana", "address_key": "calle 1 2 3"},
        {**base, "unique_id": 9, "given_key": "ana", "address_key": "calle 1 2 3"},
        {**base, "unique_id": 10, "given_key": "ana", "national_id_key": "X1"},
        {**base, "unique_id": 11, "given_key": "ana", "national_id_key": "X1"},
        {**base, "unique_id": 12, "given_key": "ana", "email_key": "other@example.com"},
    ]


def _table(rows: list[dict[str, Any]]) -> pa.Table:
    schema = pa.schema([("unique_id", pa.int64())] + [(c, pa.string()) for c in _COLUMNS[1:]])
    return pa.Table.from_pylist(rows, schema=schema)


def test_records_sharing_an_identifier_are_identifier_backed() -> None:
    rows = _records()
    by_id = {r["unique_id"]: r for r in rows}
    assert identifiers_agree(by_id[1], by_id[2])  # phone
    # a handle that is the other's e-mail user name is mostly a name, not an identifier
    assert not identifiers_agree(by_id[3], by_id[4])
    assert identifiers_agree(by_id[5], by_id[6])  # birth date
    assert identifiers_agree(by_id[8], by_id[9])  # address
    assert identifiers_agree(by_id[10], by_id[11])  # national ID
    assert not identifiers_agree(by_id[1], by_id[7])  # only a name
    assert not identifiers_agree(by_id[3], by_id[12])  # two different e-mails
    assert not identifiers_agree(by_id[7], by_id[7] | {"unique_id": 99})  # unknowns never agree


def _vectorised_agrees(rows: list[dict[str, Any]]) -> list[bool]:
    """`identified_mask` over every pair of `rows`, checked against `identifiers_agree`."""
    pairs = list(combinations(range(len(rows)), 2))
    left = np.array([a for a, _ in pairs])
    right = np.array([b for _, b in pairs])
    mask = identified_mask(_table(rows), left, right)
    expected = [identifiers_agree(rows[a], rows[b]) for a, b in pairs]
    assert mask.tolist() == expected
    return expected


def test_the_vectorised_and_the_record_by_record_checks_agree() -> None:
    expected = _vectorised_agrees(_records())
    assert any(expected) and not all(expected)


def test_name_only_pairs_need_the_higher_weight() -> None:
    rule = LinkRule(match_weight=2.0, name_only_match_weight=10.0, sole_holder_match_weight=None)
    assert rule.floor == 2.0
    assert rule.links(2.0, identified=True)
    assert not rule.links(9.9, identified=False)
    assert rule.links(10.0, identified=False)
    rows = _records()
    # features out of order: the rule must not depend on it
    features = _table(list(reversed(rows)))
    edges = pa.table(
        {
            "unique_id_l": pa.array([1, 1, 1, 3], pa.int64()),
            "unique_id_r": pa.array([2, 7, 12, 4], pa.int64()),
            "match_weight": pa.array([3.0, 9.0, 12.0, 9.5]),
        }
    )
    kept = linking_pairs(edges, features, rule)
    pairs = zip(kept["unique_id_l"].to_pylist(), kept["unique_id_r"].to_pylist(), strict=True)
    assert list(pairs) == [
        (1, 2),  # phone shared, above 2
        (1, 12),  # names only, but above 10
    ]
    assert linking_pairs(edges.slice(0, 0), features, rule).num_rows == 0


def test_pairs_sharing_a_contact_are_kept_down_to_the_sole_holder_weight() -> None:
    rule = LinkRule(match_weight=2.0, name_only_match_weight=10.0, sole_holder_match_weight=-8.0)
    assert rule.floor == 2.0 and rule.scoring_floor == -8.0
    rows = _records()
    features = _table(rows)
    edges = pa.table(
        {
            # phone shared (contact) at 1.0 and -9.0; birth date shared (an identifier,
            # not a contact) at 1.0; phone shared at 3.0 (links)
            "unique_id_l": pa.array([1, 1, 5, 1], pa.int64()),
            "unique_id_r": pa.array([2, 2, 6, 2], pa.int64()),
            "match_weight": pa.array([1.0, -9.0, 1.0, 3.0]),
        }
    )
    kept = linking_pairs(edges, features, rule)
    assert kept["match_weight"].to_pylist() == [1.0, 3.0]
    no_sole = LinkRule(2.0, 10.0, None)
    assert no_sole.scoring_floor == 2.0
    assert linking_pairs(edges, features, no_sole)["match_weight"].to_pylist() == [3.0]
    positions = np.array([0, 0, 4, 0]), np.array([1, 1, 5, 1])
    weights = edges["match_weight"].to_numpy()
    evidence = pair_evidence(features, *positions, weights, rule)
    assert evidence.links.tolist() == [False, False, False, True]
    assert evidence.contacts.tolist() == [True, True, False, True]
    contacts = identified_mask(features, *positions, CONTACT_COLUMNS)
    expected = [contacts_agree(rows[a], rows[b]) for a, b in zip(*positions, strict=True)]
    assert contacts.tolist() == expected


def test_a_birth_date_one_typo_away_identifies_a_pair() -> None:
    dates = ["1985-03-07", "1985-03-08", "1985-07-03", "1958-03-17", "1990-11-21", None]
    base = dict.fromkeys(_COLUMNS)
    rows = [{**base, "unique_id": i, "birth_date": d} for i, d in enumerate(dates)]
    _vectorised_agrees(rows)
    assert identifiers_agree(rows[0], rows[1])  # one keystroke
    assert identifiers_agree(rows[0], rows[2])  # day and month swapped
    assert not identifiers_agree(rows[0], rows[3])  # two parts different
    assert not identifiers_agree(rows[0], rows[4]) and not identifiers_agree(rows[0], rows[5])


def test_a_birth_date_with_one_whole_part_keyed_wrong_identifies_a_pair() -> None:
    # a year, month or day taken from another field, the other two parts equal
    dates = ["1985-03-07", "1958-03-07", "1985-12-07", "1985-03-28", "1985-12-28", "2019-03-07"]
    base = dict.fromkeys(_COLUMNS)
    rows = [{**base, "unique_id": i, "birth_date": d} for i, d in enumerate(dates)]
    assert _vectorised_agrees(rows) == [
        identifiers_agree(rows[a], rows[b]) for a, b in combinations(range(len(rows)), 2)
    ]
    assert all(identifiers_agree(rows[0], rows[i]) for i in (1, 2, 3, 5))
    assert not identifiers_agree(rows[0], rows[4])  # only the year in common
    assert not identifiers_agree(rows[1], rows[4])
    with switched_off([Rule.DATE_PART_KEYED_WRONG]):
        _vectorised_agrees(rows)
        assert not any(identifiers_agree(rows[0], rows[i]) for i in (1, 2, 3, 5))
        assert identifiers_agree(rows[1], rows[5]) is False


def test_a_birth_date_typed_for_an_unknown_one_identifies_nothing() -> None:
    # "2000-01-01" is what agents type when the customer gives none: strangers share it
    dates = ["2000-01-01", "2000-01-01", "2000-01-02", "1970-01-01", "1985-03-07"]
    base = dict.fromkeys(_COLUMNS)
    rows = [{**base, "unique_id": i, "birth_date": d} for i, d in enumerate(dates)]
    assert not any(_vectorised_agrees(rows))
    assert not identifiers_agree(rows[0], rows[1])
    assert not identifiers_agree(rows[0], rows[2])  # nor is a date one typo from it


def test_an_address_identifies_a_person_only_with_the_whole_given_name() -> None:
    # "Juan" and "Juan Carlos" at one address are as often father and son as one man
    base = dict.fromkeys(_COLUMNS) | {"address_key": "calle 1 2 3"}
    names = ["juan", "juan carlos", "juan", "jaun", None, "juan carlos"]
    rows = [{**base, "unique_id": i, "given_keys": n} for i, n in enumerate(names)]
    _vectorised_agrees(rows)
    assert not identifiers_agree(rows[0], rows[1])
    assert identifiers_agree(rows[0], rows[2]) and identifiers_agree(rows[1], rows[5])
    assert identifiers_agree(rows[0], rows[3])  # a typo is the same name
    assert identifiers_agree(rows[1], rows[4])  # no name: nothing says they differ
    # another identifier still counts
    assert identifiers_agree({**rows[0], "phone_key": "+1"}, {**rows[1], "phone_key": "+1"})


def test_rules_switched_off_for_evaluation_switch_both_twins() -> None:
    base = dict.fromkeys(_COLUMNS)
    rows = [
        {**base, "unique_id": 0, "given_keys": "juan", "address_key": "calle 1 2 3"},
        {**base, "unique_id": 1, "given_keys": "juan carlos", "address_key": "calle 1 2 3"},
        {**base, "unique_id": 2, "birth_date": "1985-03-07"},
        {**base, "unique_id": 3, "birth_date": "1985-03-08"},
        {**base, "unique_id": 4, "birth_date": "2000-01-01"},
        {**base, "unique_id": 5, "birth_date": "2000-01-01"},
    ]
    assert not identifiers_agree(rows[0], rows[1]) and identifiers_agree(rows[2], rows[3])
    assert not identifiers_agree(rows[4], rows[5])
    off = [Rule.ADDRESS_WORD_COUNTS, Rule.NEAR_BIRTH_DATES, Rule.DEFAULT_LIKE_BIRTH_DATES]
    with switched_off(off):
        _vectorised_agrees(rows)
        assert identifiers_agree(rows[0], rows[1])  # an address is an address
        assert not identifiers_agree(rows[2], rows[3])  # dates must be equal
        assert identifiers_agree(rows[4], rows[5])  # any date is a date
    assert _vectorised_agrees(rows) == [
        identifiers_agree(rows[a], rows[b]) for a, b in combinations(range(len(rows)), 2)
    ]
    assert not identifiers_agree(rows[0], rows[1])


def test_a_national_id_one_typo_away_identifies_a_pair() -> None:
    # FEBRL's duplicates: "2049144" typed "2049414", or one digit wrong
    ids = ["2049144", "2049414", "2049145", "2094414", "20491", "20419", None, "2049144"]
    base = dict.fromkeys(_COLUMNS)
    rows = [{**base, "unique_id": i, "national_id_key": v} for i, v in enumerate(ids)]
    _vectorised_agrees(rows)
    assert identifiers_agree(rows[0], rows[1])  # two digits swapped
    assert identifiers_agree(rows[0], rows[2])  # one digit wrong
    assert not identifiers_agree(rows[0], rows[3])  # two typos: another person's
    assert not identifiers_agree(rows[4], rows[5])  # too short to tell a typo
    assert not identifiers_agree(rows[0], rows[6])
    # among other identifiers and pairs already identified, the twins still agree
    mixed = [{**row, "phone_key": "+1" if i % 3 == 0 else None} for i, row in enumerate(rows)]
    _vectorised_agrees(mixed)
    # only the link rule reads it so: a contact is shared only when equal
    assert not contacts_agree(rows[0], rows[1]) and contacts_agree(rows[0], rows[7])
    with switched_off([Rule.NEAR_NATIONAL_IDS]):
        _vectorised_agrees(rows)
        assert not identifiers_agree(rows[0], rows[1])


def test_the_prior_is_re_estimated_from_the_scored_pairs() -> None:
    # 1,000 records (499,500 pairs): a prior of 1e-4 expects about 50 matching pairs, and
    # 150 pairs score as certain matches: the re-estimated prior is 3 times the model's
    certain = np.full(150, 30.0)
    strangers = np.full(500, -7.0)
    weights = np.concatenate([certain, strangers])
    shift = prior_shift(weights, 1_000, 1e-4)
    # the fixed point: the prior is the mean probability of a match over all pairs
    share = np.sum(1.0 / (1.0 + np.exp2(-(weights + shift)))) / 499_500
    fixed = np.log2(share / (1 - share)) - np.log2(1e-4 / (1 - 1e-4))
    assert shift == pytest.approx(fixed, abs=0.005)  # to a hundredth
    assert np.log2(3.0) < shift < 1.8
    # pairs below the floor do not count
    assert prior_shift(np.concatenate([certain, np.full(5_000, -9.0)]), 1_000, 1e-4) == (
        pytest.approx(np.log2(3.0), abs=0.01)
    )


def test_the_prior_shift_never_raises_the_weights_and_is_bounded() -> None:
    # fewer matches than the prior expects: blocking's reach, not a lower prior
    assert prior_shift(np.full(10, 30.0), 1_000, 1e-4) == 0.0
    assert prior_shift(np.full(10_000, 30.0), 1_000, 1e-4) == MAX_PRIOR_SHIFT
    assert prior_shift(np.array([]), 1_000, 1e-4) == 0.0
    assert prior_shift(np.full(10, 30.0), 1, 1e-4) == 0.0
    assert prior_shift(np.full(10, 30.0), 1_000, 0.0) == 0.0


def test_a_calibrated_rule_lowers_the_weights_not_given() -> None:
    assert LinkRule.calibrated(0.0) == LinkRule()
    assert LinkRule.calibrated(1.5) == LinkRule(
        DEFAULT_MATCH_WEIGHT - 1.5, DEFAULT_NAME_ONLY_MATCH_WEIGHT - 1.5
    )
    assert LinkRule.calibrated(1.5, match_weight=3.0) == LinkRule(
        3.0, DEFAULT_NAME_ONLY_MATCH_WEIGHT - 1.5
    )
    assert LinkRule.calibrated(1.5, 3.0, 9.0, None) == LinkRule(3.0, 9.0, None)
    assert LinkRule.calibrated(-1.0) == LinkRule()
    assert LinkRule.calibrated(9.0).match_weight == DEFAULT_MATCH_WEIGHT - MAX_PRIOR_SHIFT
