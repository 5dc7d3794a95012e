"""The generational-suffix guard: "Jr." and "Sr." of one name are two people."""

from __future__ import annotations

from cx360.models._explain import GuardReason
from cx360.resolve._groups import Groups
from cx360.resolve._guards import GuardLimits, Profile, conflict, corroborated
from cx360.resolve._rules import Rule, switched_off


def _record(suffix: str | None = None, **values: str) -> dict[str, str | None]:
    record: dict[str, str | None] = {
        "given_key": "matthew",
        "given_canonical": "matthew",
        "given_keys": "matthew",
        "surname_key": "clark",
        "phone_key": "+13216034420",
        "name_suffix": suffix,
    }
    record.update(values)
    return record


def test_a_junior_and_a_senior_of_one_name_conflict() -> None:
    limits = GuardLimits()
    junior, senior = Profile.of(_record("jr")), Profile.of(_record("sr"))
    assert conflict(junior, senior, limits) == GuardReason.GIVEN_NAME
    assert conflict(junior, Profile.of(_record("iii")), limits) == GuardReason.GIVEN_NAME


def test_a_name_without_a_suffix_fits_either() -> None:
    limits = GuardLimits()
    bare = Profile.of(_record())
    assert conflict(bare, Profile.of(_record("jr")), limits) is None
    assert conflict(Profile.of(_record("sr")), bare, limits) is None
    assert conflict(Profile.of(_record("jr")), Profile.of(_record("jr")), limits) is None


def test_a_group_holding_a_suffix_keeps_the_other_generation_out() -> None:
    """Groups gather their records' suffixes: a bare record joined to the junior's group
    makes that group a junior's, which a senior's group does not fit."""
    records = [_record("jr"), _record(), _record("sr")]
    groups = Groups(records, GuardLimits())
    assert groups.link(0, 1, 20.0, records[0], records[1]) is None
    assert groups.link(groups.find(1), 2, 20.0, records[1], records[2]) == GuardReason.GIVEN_NAME
    assert groups.labels() == [0, 0, 2]


def test_the_rule_switches_off_and_so_does_the_given_name_guard() -> None:
    junior, senior = Profile.of(_record("jr")), Profile.of(_record("sr"))
    with switched_off([Rule.NAME_SUFFIXES]):
        assert conflict(junior, senior, GuardLimits()) is None
    assert conflict(junior, senior, GuardLimits(check_given_names=False)) is None


def test_the_same_national_id_and_birth_date_corroborate_a_mistyped_suffix() -> None:
    same = {"national_id_key": "1033546493", "birth_date": "1984-10-01"}
    left, right = _record("jr", **same), _record("sr", **same)
    assert corroborated(left, right, GuardReason.GIVEN_NAME)
    other_date = _record("sr", national_id_key="1033546493", birth_date="1956-08-04")
    assert not corroborated(left, other_date, GuardReason.GIVEN_NAME)


def test_profiles_absorb_suffixes() -> None:
    merged = Profile.merged([Profile.of(_record("jr")), Profile.of(_record())])
    assert merged.suffixes == {"jr"}
