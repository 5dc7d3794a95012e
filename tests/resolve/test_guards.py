from __future__ import annotations

import random

from cx360.models._explain import GuardReason
from cx360.resolve._guards import (
    GivenName,
    GuardLimits,
    Profile,
    birth_dates_compatible,
    conflict,
    corroborated,
    given_names_compatible,
    may_override,
    overridden,
    overwhelming,
)
from cx360.resolve._rules import Rule, switched_off


def _profile(**values: str) -> Profile:
    return Profile.of(values)


def _name(given: str, surname: str | None = None, canonical: str | None = None) -> GivenName:
    """A record's name as the guard reads it: `given` holds every given-name word."""
    record = {"given_key": given.split(" ")[0], "given_keys": given, "surname_key": surname}
    return GivenName.of({**record, "given_canonical": canonical})


def test_given_names() -> None:
    assert given_names_compatible(_name("pepe", canonical="jose"), _name("jose luis"))
    assert given_names_compatible(_name("caro"), _name("carolina"))
    assert given_names_compatible(_name("jose"), _name("maria jose"))
    assert given_names_compatible(_name("guadalupe"), _name("guadalpue", canonical="x"))
    assert not given_names_compatible(_name("maria"), _name("ana"))
    assert not given_names_compatible(_name("liliana"), _name("luz"))


def test_a_shared_surname_or_first_name_is_not_enough_in_one_family() -> None:
    # names swapped between fields: the given name is a surname everyone at home shares
    swapped = _name("hayes", "laura")
    assert given_names_compatible(swapped, _name("laura", "hayes"))
    assert not given_names_compatible(swapped, _name("james", "hayes"))
    assert not given_names_compatible(_name("reyes maria", "jose"), _name("natalia", "reyes"))
    assert given_names_compatible(_name("reyes maria", "jose"), _name("maria jose", "reyes"))
    # the same first given name, two different second ones: brothers, not one person
    assert not given_names_compatible(_name("juan pablo"), _name("juan carlos"))
    assert given_names_compatible(_name("juan c"), _name("juan carlos"))
    assert given_names_compatible(_name("juan carlos"), _name("juan"))
    # a known name is not a typo or short form of another known name
    assert not given_names_compatible(_name("jose"), _name("josefa"))
    assert not given_names_compatible(_name("juan"), _name("juana"))
    assert given_names_compatible(_name("dani", canonical="daniel"), _name("daniel"))


def test_a_group_known_by_a_bare_first_name_still_keeps_the_brother_out() -> None:
    limits = GuardLimits()
    group = _profile(given_key="juan", given_keys="juan pablo", surname_key="restrepo")
    group.absorb(_profile(given_key="juan", given_keys="juan", surname_key="restrepo"))
    brother = _profile(given_key="juan", given_keys="juan carlos", surname_key="restrepo")
    assert conflict(group, brother, limits) == "given_name"
    typo = _profile(given_key="juan", given_keys="juan pbalo", surname_key="restrepo")
    assert conflict(group, typo, limits) is None


def test_birth_dates() -> None:
    assert birth_dates_compatible("1985-03-07", "1985-07-03")  # day and month swapped
    assert birth_dates_compatible("1985-03-07", "1985-03-08")  # one keystroke
    assert not birth_dates_compatible("1960-03-07", "1990-03-07".replace("07", "21"))


def test_a_birth_date_with_one_whole_part_wrong_does_not_keep_two_groups_apart() -> None:
    limits = GuardLimits()
    one = _profile(given_key="jose", surname_key="garcia", birth_date="1965-03-14")
    for other_date in ("1972-03-14", "1965-11-14", "1965-03-28"):
        other = _profile(given_key="jose", surname_key="garcia", birth_date=other_date)
        assert conflict(one, other, limits) is None, other_date
    # two parts different: another person (a father and his son born on another day)
    junior = _profile(given_key="jose", surname_key="garcia", birth_date="1990-03-28")
    assert conflict(one, junior, limits) == "birth_date"


def test_a_birth_date_with_two_digits_slipped_in_its_year_does_not_keep_groups_apart() -> None:
    limits = GuardLimits()
    one = _profile(given_key="liam", surname_key="laing", birth_date="1939-11-23")
    # a slip in the month and one in the day
    other = _profile(given_key="liam", surname_key="laing", birth_date="1939-12-13")
    assert conflict(one, other, limits) is None
    with switched_off([Rule.TWO_SLIP_BIRTH_DATES]):
        assert conflict(one, other, limits) == "birth_date"
    # another year: a father and his son of one name, born thirty years apart
    father = _profile(given_key="jose", surname_key="garcia", birth_date="1955-01-16")
    son = _profile(given_key="jose", surname_key="garcia", birth_date="1985-04-16")
    assert conflict(father, son, limits) == "birth_date"


def test_household_members_conflict_and_the_same_person_does_not() -> None:
    limits = GuardLimits()
    mother = _profile(given_key="patricia", surname_key="adams", birth_date="1955-11-30")
    son = _profile(given_key="joseph", surname_key="adams")
    assert conflict(mother, son, limits) == "given_name"
    father = _profile(given_key="jose", surname_key="garcia", birth_date="1960-05-01")
    junior = _profile(given_key="jose", surname_key="garcia", birth_date="1990-08-12")
    assert conflict(father, junior, limits) == "birth_date"
    same = _profile(given_key="pepe", given_canonical="jose", surname_key="garcia")
    assert conflict(father, same, limits) is None


def test_two_valid_national_ids_conflict_unless_one_keystroke_apart() -> None:
    limits = GuardLimits()
    a = _profile(national_id_key="1020304050", national_id_kind="co_cc")
    b = _profile(national_id_key="1020304051", national_id_kind="co_cc")
    c = _profile(national_id_key="7788990011", national_id_kind="co_cc")
    assert conflict(a, b, limits) is None
    assert conflict(a, c, limits) == "national_id"
    assert conflict(a, c, GuardLimits(max_national_ids_per_kind=2)) is None


def test_absorb_accumulates_evidence() -> None:
    limits = GuardLimits()
    group = _profile(given_key="ana", surname_key="ruiz")
    group.absorb(_profile(birth_date="1990-01-01"))
    assert conflict(group, _profile(birth_date="1970-06-15"), limits) == "birth_date"


def test_typos_initials_and_second_names_are_one_person() -> None:
    assert given_names_compatible(_name("jsoe"), _name("jose"))
    assert given_names_compatible(_name("lux"), _name("luz"))
    assert given_names_compatible(_name("jc", "mora"), _name("juan carlos", "mora"))
    limits = GuardLimits()
    group = _profile(given_key="maria", given_keys="maria fernanda", surname_key="pineda")
    group.absorb(_profile(given_key="maria", given_keys="maria", surname_key="pineda"))
    assert conflict(group, _profile(given_key="fernanda", surname_key="pineda"), limits) is None
    assert (
        conflict(group, _profile(given_key="andrea", surname_key="pineda"), limits) == "given_name"
    )


def test_transposition_distance() -> None:
    from cx360.resolve._similarity import transposition_distance

    assert transposition_distance("jose", "jsoe") == 1
    assert transposition_distance("rafael", "rafeal") == 1
    assert transposition_distance("ana", "ana") == 0
    assert transposition_distance("luz", "lux") == 1
    assert transposition_distance("abc", "") == 3


def test_a_pair_agreeing_on_the_other_two_personal_attributes_corroborates() -> None:
    record = {
        "given_key": "lauren",
        "surname_key": "sounness",
        "birth_date": "1990-01-29",
        "national_id_key": "1020304050",
    }
    # a different given name, with the same ID and birth date: a typing error
    assert corroborated(record, {**record, "given_key": "noah"}, "given_name")
    # a different birth date with the same ID and a name with a typo
    assert corroborated(
        record, {**record, "birth_date": "1914-07-23", "surname_key": "sounnes"}, "birth_date"
    )
    # a different ID is never corroborated away: strangers share a name and a birth date
    assert not corroborated(record, {**record, "national_id_key": "7788990011"}, "national_id")
    # household members share at most one of the three: never corroborated
    junior = {**record, "birth_date": "2015-03-02", "national_id_key": "1122334455"}
    assert not corroborated(record, junior, "birth_date")
    twin = {**record, "given_key": "noah", "national_id_key": "1122334455"}
    assert not corroborated(record, twin, "given_name")
    assert not corroborated({"birth_date": "1990-01-29"}, {"birth_date": "1990-01-29"}, "x")


def test_different_second_surnames_are_different_people() -> None:
    limits = GuardLimits()
    father = _profile(given_key="inigo", surname_key="gomez", surname2_key="cano")
    son = _profile(given_key="inigo", surname_key="gomez", surname2_key="cortes")
    assert conflict(father, son, limits) == "second_surname"
    assert conflict(father, son, GuardLimits(check_second_surnames=False)) is None
    # a typo, a missing second surname, or surnames shifted between fields are no conflict
    typo = _profile(given_key="inigo", surname_key="gomez", surname2_key="canno")
    partial = _profile(given_key="inigo", surname_key="gomez")
    shifted = _profile(given_key="inigo", surname_key="cano", surname2_key="gomez")
    for same in (typo, partial, shifted):
        assert conflict(father, same, limits) is None
    # a group that already holds the other's second surname fits it
    group = _profile(given_key="inigo", surname_key="gomez", surname2_key="cortes")
    group.absorb(_profile(given_key="inigo", surname_key="gomez", surname2_key="cano"))
    assert conflict(group, father, limits) is None


def test_a_second_surname_conflict_is_overridden_by_the_same_id_and_birth_date() -> None:
    from cx360.resolve._guards import corroborated

    left = {
        "given_key": "inigo",
        "surname_key": "gomez",
        "surname2_key": "cano",
        "national_id_key": "02119379K",
        "birth_date": "2011-06-11",
    }
    right = {**left, "surname2_key": "cortes"}
    assert corroborated(left, right, "second_surname")
    assert not corroborated(left, {**right, "birth_date": "1980-01-01"}, "second_surname")


def test_a_default_like_birth_date_never_keeps_two_groups_apart() -> None:
    limits = GuardLimits()
    real = _profile(given_key="steven", surname_key="carter", birth_date="1987-05-02")
    typed = _profile(given_key="steven", surname_key="carter", birth_date="2000-01-01")
    assert conflict(real, typed, limits) is None
    other = _profile(given_key="steven", surname_key="carter", birth_date="1950-09-30")
    assert conflict(real, other, limits) == "birth_date"


def test_only_an_overwhelming_pair_sharing_a_personal_identifier_overrides() -> None:
    from cx360.resolve._guards import overwhelming

    limits = GuardLimits()
    left = {"phone_key": "+34600000001", "address_key": "calle mayor 1", "email_key": "a@x.es"}
    household = {**left, "email_key": "b@x.es"}  # same phone and address, not the e-mail
    assert not overwhelming(left, household, 40.0, limits)
    assert overwhelming(left, dict(left), 40.0, limits)
    assert not overwhelming(left, dict(left), 24.0, limits)
    assert not overwhelming(left, dict(left), 40.0, GuardLimits(overwhelming_match_weight=None))


def test_unvalidated_id_numbers_never_conflict() -> None:
    # without a check digit a different number may be a mistyped or replaced one: the
    # model weighs it, the guards do not (validated kinds do conflict, tested above)
    limits = GuardLimits()
    a = _profile(national_id_key="2283302", national_id_kind="generic")
    other = _profile(national_id_key="9129876", national_id_kind="generic")
    assert conflict(a, other, limits) is None
    assert conflict(a, _profile(national_id_key="3302", national_id_kind="generic"), limits) is None


def test_swapped_names_fit_through_a_typo_too() -> None:
    assert given_names_compatible(_name("john", "coxon"), _name("cooxn", "jonh"))
    assert not given_names_compatible(_name("john", "coxon"), _name("coxon", "mary"))
    # an initial is too little to stand for the swapped name ("Jennifer E." is not Evelyn)
    assert not given_names_compatible(_name("williams jennifer", "e"), _name("evelyn", "williams"))


def test_a_shared_national_id_makes_less_weight_overwhelming() -> None:
    limits = GuardLimits()
    left = {"national_id_key": "7156463", "birth_date": "1972-04-08"}
    right = {"national_id_key": "7156436", "birth_date": "1988-06-13"}  # digits swapped
    assert overwhelming(left, right, 12.0, limits)
    assert not overwhelming(left, right, 11.9, limits)
    assert not overwhelming(left, {**right, "national_id_key": "9156411"}, 20.0, limits)
    # without a shared ID the general threshold holds
    dated = {"birth_date": "1972-04-08"}
    assert not overwhelming(dated, dated, 20.0, limits)
    assert overwhelming(dated, dated, 25.0, limits)
    assert not overwhelming(left, right, 20.0, GuardLimits(overwhelming_id_match_weight=None))


def test_corroboration_allows_a_mistyped_id_and_swapped_name_fields() -> None:
    left = {
        "given_key": "lauren",
        "given_keys": "lauren",
        "surname_key": "mcveigh",
        "national_id_key": "4278721",
        "birth_date": "1959-12-16",
    }
    swapped = {
        **left,
        "given_key": "mcveigh",
        "given_keys": "mcveigh",
        "surname_key": "lauren",
        "birth_date": "1926-12-30",
    }
    # the birth date conflicts, but the ID and the (swapped) name agree: a typing error
    assert corroborated(left, swapped, "birth_date")
    typo = {**swapped, "national_id_key": "4278712"}  # two digits swapped
    assert corroborated(left, typo, "birth_date")
    assert not corroborated(left, {**swapped, "national_id_key": "4271234"}, "birth_date")
    sister = {**left, "given_key": "laura", "given_keys": "laura", "birth_date": "1961-02-01"}
    assert not corroborated(left, {**sister, "national_id_key": None}, "birth_date")


def test_ids_two_swapped_digits_apart_are_one_id_typed_twice() -> None:
    limits = GuardLimits()
    a = _profile(national_id_key="32346625", national_id_kind="co_cc")
    swapped = _profile(national_id_key="32436625", national_id_kind="co_cc")
    assert conflict(a, swapped, limits) is None
    # a Spanish DNI whose digits were mistyped carries another letter
    dni = _profile(national_id_key="02212716R", national_id_kind="es_dni")
    mistyped = _profile(national_id_key="02217216Q", national_id_kind="es_dni")
    assert conflict(dni, mistyped, limits) is None
    assert conflict(a, _profile(national_id_key="32999925", national_id_kind="co_cc"), limits) == (
        "national_id"
    )


def test_only_the_shared_id_overrides_a_conflict_of_ids() -> None:
    from cx360.resolve._guards import overridden

    limits = GuardLimits()
    # twins: same birth date, address and phone, each with their own ID
    twin = {"birth_date": "2011-03-15", "email_key": "fam@x.co", "national_id_key": "1095147176"}
    sister = {**twin, "national_id_key": "1071905268"}
    assert overridden(twin, sister, 34.0, "given_name", limits)  # as before, for a name
    assert not overridden(twin, sister, 34.0, "national_id", limits)
    assert overridden(twin, dict(twin), 12.0, "national_id", limits)
    assert not overridden(twin, dict(twin), 34.0, "national_id", GuardLimits(corroboration=False))


def test_full_surnames_with_nothing_in_common_are_different_people() -> None:
    limits = GuardLimits()
    octavio = _profile(given_key="octavio", surname_key="gonzalez", surname2_key="medina")
    other = _profile(given_key="octavio", surname_key="juarez", surname2_key="cano")
    assert conflict(octavio, other, limits) == "surname"
    assert conflict(octavio, other, GuardLimits(check_full_surnames=False)) is None
    # one side with a single surname, a shared or mistyped surname, a compound surname
    # split in two, or a surname typed as the given name: no conflict
    for same in (
        _profile(given_key="octavio", surname_key="juarez"),
        _profile(given_key="octavio", surname_key="medina", surname2_key="cano"),
        _profile(given_key="octavio", surname_key="gonzalex", surname2_key="cano"),
    ):
        assert conflict(octavio, same, limits) is None
    delangel = _profile(given_key="marisol", surname_key="delangel", surname2_key="ortiz")
    split = _profile(given_key="marisol", surname_key="del", surname2_key="angel")
    assert conflict(delangel, split, limits) is None
    swapped = _profile(given_key="gonzalez", surname_key="octavio", surname2_key="ruiz")
    assert conflict(octavio, swapped, limits) is None


def test_swapped_fields_are_read_back_whole_before_they_fit() -> None:
    # "Ramírez Muñoz, María José" typed with given names and surnames swapped
    swapped = GivenName("ramirez", "ramirez", ("ramirez", "munoz"), ("maria", "jose"))
    herself = GivenName("maria", "maria", ("maria", "jose"), ("ramirez", "munoz"))
    sister = GivenName("maria", "maria", ("maria", "cristina"), ("ramirez", "munoz"))
    cousin = GivenName("maria", "maria", ("maria", "jose"), ("ramirez", "gomez"))
    assert given_names_compatible(swapped, herself) and given_names_compatible(herself, swapped)
    for other in (sister, cousin):
        assert not given_names_compatible(swapped, other)
        assert not given_names_compatible(other, swapped)


def test_only_a_pair_that_may_override_a_guard_ever_does() -> None:
    # `may_override` lets real time replay a stored join without asking the guards again:
    # it must hold for every pair that overrides any guard, whatever the weight
    rng = random.Random(3)
    values = {
        "national_id_key": ["1095147176", "1095147167", "1071905268", None],
        "birth_date": ["1990-01-29", "1990-01-28", "1972-04-08", None],
        "email_key": ["a@x.co", "b@x.co", None],
        "given_key": ["laura", "noah", None],
        "surname_key": ["sounness", "sounnes", None],
    }
    limits, overrides = GuardLimits(), 0
    for _ in range(3000):
        left = {column: rng.choice(options) for column, options in values.items()}
        right = {column: rng.choice(options) for column, options in values.items()}
        weight = rng.choice([rng.uniform(-10, 40), 12.0, 25.0])
        if any(overridden(left, right, weight, reason, limits) for reason in GuardReason):
            overrides += 1
            assert may_override(left, right, weight, limits)
        assert not may_override(left, right, weight, GuardLimits(corroboration=False))
    assert overrides > 100


def test_rules_switched_off_for_evaluation_stop_deciding_and_come_back() -> None:
    limits = GuardLimits()
    a = _profile(national_id_key="32346625", national_id_kind="co_cc")
    typo = _profile(national_id_key="32436625", national_id_kind="co_cc")
    real = {"given_key": "steven", "surname_key": "carter", "birth_date": "1987-05-02"}
    typed = real | {"birth_date": "2000-01-01"}
    laura, swapped = _name("laura", "hayes"), _name("hayes", "laura")
    with switched_off([Rule.NATIONAL_ID_TYPOS, Rule.DEFAULT_LIKE_BIRTH_DATES, Rule.SWAPPED_NAMES]):
        assert conflict(a, typo, limits) == "national_id"
        # what a record says is read when its profile is made
        assert conflict(Profile.of(real), Profile.of(typed), limits) == "birth_date"
        assert not given_names_compatible(laura, swapped)
        record = {"national_id_key": "32346625"}
        assert not may_override(record, {"national_id_key": "32436625"}, 0.0, limits)
        assert may_override(record, dict(record), 0.0, limits)  # the same ID still is
    assert conflict(a, typo, limits) is None
    assert conflict(Profile.of(real), Profile.of(typed), limits) is None
    assert given_names_compatible(laura, swapped)


def test_full_given_names_switched_off_let_a_bare_name_join_either() -> None:
    pablo = Profile.of_records(
        [
            {"given_key": "juan", "given_keys": "juan pablo", "surname_key": "ruiz"},
            {"given_key": "juan", "given_keys": "juan", "surname_key": "ruiz"},
        ]
    )
    carlos = _profile(given_key="juan", given_keys="juan carlos", surname_key="ruiz")
    assert conflict(pablo, carlos, GuardLimits()) == "given_name"
    with switched_off([Rule.FULL_GIVEN_NAMES]):
        assert conflict(pablo, carlos, GuardLimits()) is None
