"""Clustering under the guards and a steward's must-links and cannot-links."""

from __future__ import annotations

import random
from typing import Any

from cx360.models._explain import GuardReason
from cx360.resolve._cluster import cluster
from cx360.resolve._guards import GuardLimits

SEPARATED, WEAK_BRIDGE = GuardReason.OVERRIDE_SEPARATE, GuardReason.WEAK_BRIDGE

LIMITS = GuardLimits()


def _run(
    records: list[dict[str, Any]],
    pairs: list[tuple[int, int, float]],
    **kwargs: Any,
) -> Any:
    left = [p[0] for p in pairs]
    right = [p[1] for p in pairs]
    weights = [p[2] for p in pairs]
    return cluster(records, left, right, weights, limits=LIMITS, **kwargs)


def _born(date: str) -> dict[str, Any]:
    return {"birth_date": date}


def test_scored_pairs_join_strongest_first_and_guards_block() -> None:
    records = [_born("1980-01-01"), _born("1980-01-01"), _born("1995-07-30")]
    result = _run(records, [(0, 1, 12.0), (1, 2, 9.0)])
    assert result.labels == [0, 0, 2]
    assert result.blocked == {"birth_date": 1}
    assert result.forced == []


def test_must_link_joins_across_the_guards() -> None:
    records = [_born("1980-01-01"), _born("1995-07-30")]
    result = _run(records, [], must_link=[(0, 1)])
    assert result.labels == [0, 0]
    assert result.forced == [(0, 1, None)]
    assert result.links == []


def test_a_forced_group_still_gathers_each_side_s_records() -> None:
    # 0 and 2 are one person, 1 and 3 another; a steward says 0 and 1 are one person, so
    # 2 and 3 follow even though the group now holds two birth dates
    records = [_born("1980-01-01"), _born("1995-07-30"), _born("1980-01-01"), _born("1995-07-30")]
    pairs = [(0, 2, 10.0), (1, 3, 9.0)]
    assert _run(records, pairs).labels == [0, 1, 0, 1]
    result = _run(records, pairs, must_link=[(0, 1)])
    assert result.labels == [0, 0, 0, 0]
    # a third person still does not get in
    records.append(_born("2001-11-11"))
    blocked = _run(records, [*pairs, (4, 0, 15.0)], must_link=[(0, 1)])
    assert blocked.labels == [0, 0, 0, 0, 4]
    assert blocked.blocked == {"birth_date": 1}


def test_two_forced_groups_join_when_some_sides_fit() -> None:
    records = [_born("1980-01-01"), _born("1995-07-30"), _born("1980-01-01"), _born("1970-02-02")]
    result = _run(records, [(0, 2, 7.0)], must_link=[(0, 1), (2, 3)])
    assert len(set(result.labels)) == 1


def test_cannot_link_holds_through_a_chain() -> None:
    # a-b must, b-c scored, separate a-c: c stays out
    records: list[dict[str, Any]] = [{}, {}, {}]
    result = _run(records, [(1, 2, 20.0)], must_link=[(0, 1)], cannot_link=[(0, 2)])
    assert result.labels == [0, 0, 2]
    assert result.blocked == {SEPARATED: 1}
    assert result.refused == []


def test_cannot_link_follows_every_merge_of_both_groups() -> None:
    records: list[dict[str, Any]] = [{} for _ in range(6)]
    pairs = [(0, 1, 9.0), (2, 3, 8.0), (4, 5, 7.5), (1, 2, 7.0), (3, 4, 6.5), (5, 0, 6.0)]
    result = _run(records, pairs, cannot_link=[(0, 3)])
    assert result.labels[0] == result.labels[1]
    assert result.labels[2] == result.labels[3]
    assert result.labels[0] != result.labels[3]
    assert result.blocked[SEPARATED] >= 1


def test_a_must_link_that_joins_separated_records_is_refused() -> None:
    records: list[dict[str, Any]] = [{}, {}, {}]
    result = _run(records, [], must_link=[(0, 1), (1, 2)], cannot_link=[(0, 2)])
    assert result.labels == [0, 0, 2]
    assert result.refused == [1]  # the later must-link gives way
    assert result.forced == [(0, 1, None)]


def test_decisions_are_reported_for_overrides_too() -> None:
    seen: list[tuple[int, int, str | None]] = []
    records: list[dict[str, Any]] = [{}, {}, {}]
    _run(
        records,
        [(1, 2, 9.0)],
        must_link=[(0, 1)],
        cannot_link=[(0, 2)],
        on_decision=lambda a, b, reason: seen.append((a, b, reason)),
    )
    assert seen == [(0, 1, None), (0, 2, SEPARATED)]


def test_overrides_hold_on_random_graphs() -> None:
    rng = random.Random(5)
    for _ in range(200):
        n = rng.randint(2, 30)
        records: list[dict[str, Any]] = [{} for _ in range(n)]
        pairs = [
            (rng.randrange(n), rng.randrange(n), rng.uniform(0, 20))
            for _ in range(rng.randint(0, 3 * n))
        ]
        pairs = [p for p in pairs if p[0] != p[1]]
        must = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(0, 4))]
        cannot = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(0, 4))]
        cannot = [c for c in cannot if c[0] != c[1]]
        result = _run(records, pairs, must_link=must, cannot_link=cannot)
        labels = result.labels
        for a, b in cannot:
            assert labels[a] != labels[b]
        for index, (a, b) in enumerate(must):
            if index not in result.refused:
                assert labels[a] == labels[b]
        # every label is the lowest position of its cluster
        for i, label in enumerate(labels):
            assert label <= i and labels[label] == label


def test_a_corroborated_pair_joins_across_a_guard_and_keeps_both_sides() -> None:
    person = {"given_key": "lauren", "surname_key": "sounness", "national_id_kind": "co_cc"}
    person |= {"birth_date": "1990-01-29", "national_id_key": "1020304050"}
    typo = {**person, "given_key": "noah"}  # same ID and date: the name was mistyped
    sister = {**person, "given_key": "noah", "national_id_key": "5566778899"}
    sister["birth_date"] = "1993-06-01"
    result = _run([person, typo, sister], [(0, 1, 10.0), (1, 2, 9.0)])
    assert result.labels == [0, 0, 2]
    strict = cluster(
        [person, typo, sister],
        [0, 1],
        [1, 2],
        [10.0, 9.0],
        limits=GuardLimits(corroboration=False),
    )
    assert strict.labels == [0, 1, 2] and strict.blocked["given_name"] == 1


def test_a_join_across_one_guard_still_answers_to_the_others() -> None:
    # 0, 1 and 3 are Juan Carlos Pérez; 1 has a mistyped birth date, but the same ID and
    # name override that conflict. His brother Juan Pablo (2), born on the mistyped date,
    # fits the facet of record 1 alone ("Juan" is "Juan Pablo"), not the whole customer.
    juan = {"surname_key": "perez", "national_id_kind": "co_cc"}
    juan |= {"given_key": "juan", "given_keys": "juan", "national_id_key": "1020304050"}
    records = [
        {**juan, "birth_date": "1980-01-01"},
        {**juan, "birth_date": "1980-10-21"},
        {"surname_key": "perez", "given_key": "juan", "given_keys": "juan pablo"}
        | {"birth_date": "1980-10-21"},
        {"surname_key": "perez", "given_key": "juan", "given_keys": "juan carlos"}
        | {"birth_date": "1980-01-01"},
    ]
    pairs = [(0, 3, 14.0), (0, 1, 12.0), (1, 2, 9.0)]
    result = _run(records, pairs)
    assert result.labels == [0, 0, 2, 0]
    assert result.blocked == {"given_name": 1}
    # a steward's link is the last word: then fitting one side is enough, as before
    steward = _run(records, [(0, 3, 14.0), (1, 2, 9.0)], must_link=[(0, 1)])
    assert steward.labels == [0, 0, 0, 0]


def test_two_customers_join_on_one_weak_pair_only_if_another_runs_between_them() -> None:
    # 0-1 and 2-3 are two customers; 1-2 alone is a weak bridge between them
    records: list[dict[str, Any]] = [{}, {}, {}, {}, {}]
    customers = [(0, 1, 20.0), (2, 3, 20.0)]
    bridged = _run(records, [*customers, (1, 2, 4.0)])
    assert bridged.labels == [0, 0, 2, 2, 4]
    assert bridged.blocked == {WEAK_BRIDGE: 1}
    # a second scored pair between them (even one too weak to link on its own) joins them
    backed = _run(
        records, [*customers, (1, 2, 4.0), (0, 3, -3.0)], links_on_weight=[True] * 3 + [False]
    )
    assert backed.labels == [0, 0, 0, 0, 4]
    # so does a strong enough pair, and a record of its own joins a customer on a weak one
    assert _run(records, [*customers, (1, 2, 5.0)]).labels == [0, 0, 0, 0, 4]
    assert _run(records, [*customers, (1, 4, 4.0)]).labels == [0, 0, 2, 2, 0]
    unchecked = cluster(
        records,
        [0, 2, 1],
        [1, 3, 2],
        [20.0, 20.0, 4.0],
        limits=GuardLimits(bridge_match_weight=None),
    )
    assert unchecked.labels == [0, 0, 0, 0, 4]


def _person(given: str | None, phone: str | None = None, **more: Any) -> dict[str, Any]:
    return {"given_key": given, "given_keys": given, "phone_key": phone, **more}


def test_a_sparse_record_joins_the_one_customer_holding_its_phone() -> None:
    # 0-1 one customer (linked on weight); 2 holds only that customer's phone, below the
    # link weight: it joins them through a sole-holder link
    records = [_person("ana", "+571"), _person("ana", "+571"), _person(None, "+571")]
    pairs = [(0, 1, 12.0), (0, 2, 1.0), (1, 2, 1.0)]
    links_on_weight = [True, False, False]
    result = _run(records, pairs, links_on_weight=links_on_weight, contacts=[True] * 3)
    assert result.labels == [0, 0, 0]
    assert result.links == [(0, 1, 12.0)]
    assert len(result.sole_holder) == 1
    # without contacts, only the pair above the link weight joins
    alone = _run(records, pairs, links_on_weight=links_on_weight)
    assert alone.labels == [0, 0, 2] and alone.sole_holder == []


def test_a_phone_two_customers_hold_joins_neither() -> None:
    # 0 and 1 are two people of one household (guards keep them apart); 2 has only
    # their shared phone: it could be either's, so it stays alone
    records = [_person("ana", "+571"), _person("luis", "+571"), _person(None, "+571")]
    pairs = [(0, 1, 3.0), (0, 2, 1.0), (1, 2, 1.0)]
    result = _run(records, pairs, links_on_weight=[True, False, False], contacts=[True] * 3)
    assert result.labels == [0, 1, 2]
    assert result.blocked == {"given_name": 1}
    assert result.sole_holder == []


def test_a_sole_holder_link_still_answers_to_the_guards_and_the_steward() -> None:
    records = [_person("ana", "+571"), _person("luis", "+571")]
    pairs = [(0, 1, 1.0)]
    flags: dict[str, Any] = {"links_on_weight": [False], "contacts": [True]}
    decisions: list[tuple[int, int, str | None]] = []
    result = _run(records, pairs, on_decision=lambda *d: decisions.append(d), **flags)
    assert result.labels == [0, 1]
    assert decisions == [(0, 1, "given_name"), (1, 0, "given_name")]  # each group asks
    same = [_person("ana", "+571"), _person("ana", "+571")]
    assert _run(same, pairs, **flags).labels == [0, 0]
    assert _run(same, pairs, cannot_link=[(0, 1)], **flags).labels == [0, 1]


def test_smaller_groups_attach_first() -> None:
    # 3 holds the phone of 0-1 and the e-mail of 2; 2 holds only 3's e-mail. 2 (one
    # record) goes first and joins 3; the group 2-3 then leads to 0-1 alone and joins it.
    records = [
        _person("ana", "+571"),
        _person("ana", "+571"),
        _person(None, email_key="a@x.co"),
        _person("ana", "+571", email_key="a@x.co"),
    ]
    pairs = [(0, 1, 12.0), (0, 3, 1.0), (1, 3, 1.0), (2, 3, 1.5)]
    result = _run(records, pairs, links_on_weight=[True, False, False, False], contacts=[True] * 4)
    assert result.labels == [0, 0, 0, 0]
    assert [pair[:2] for pair in result.sole_holder] == [(2, 3), (0, 3)]
