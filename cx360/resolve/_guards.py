"""Over-merge guards: when two groups of records cannot be one person.

Shared identifiers (a household phone, a family email, an address) are evidence, not
proof. Whatever the match weights say, two groups are never merged when, between them,
they hold two clearly different birth dates, two different valid national IDs of the
same kind, given names that cannot be the same person's, or clearly different surnames.
Each guard names itself with a `GuardReason` when it finds a conflict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cx360.models._explain import GuardReason
from cx360.normalize import given_name_variants, is_given_name
from cx360.resolve._rules import Rule, enabled
from cx360.resolve._similarity import levenshtein, transposition_distance

# Real birth dates that are also what agents and systems type when they have none
# (normalization drops the unambiguous fill-ins such as 1900-01-01): the model still
# weighs them, but they never keep two groups apart.
DEFAULT_LIKE_BIRTH_DATES = frozenset({"2000-01-01", "1970-01-01"})


def is_default_like(birth_date: str) -> bool:
    """Whether a birth date is one of `DEFAULT_LIKE_BIRTH_DATES` (as a rule that applies)."""
    return birth_date in DEFAULT_LIKE_BIRTH_DATES and enabled(Rule.DEFAULT_LIKE_BIRTH_DATES)


@dataclass(frozen=True, slots=True)
class GuardLimits:
    """Limits in the spirit of Segment's identity rules."""

    max_national_ids_per_kind: int = 1
    check_given_names: bool = True
    check_birth_dates: bool = True
    # Off by default: swapped fields and partial or compound surnames make it block far
    # more true merges than false ones; given names and birth dates tell a household apart.
    check_surnames: bool = False
    # Two full surnames on both sides with none in common, not even mistyped or moved to
    # the given name: two people who share a given name (and a birth date) by chance.
    check_full_surnames: bool = True
    # Same first surname, different second ones: in Hispanic naming the second surname is
    # the mother's, so these are a parent and child or cousins, not one person.
    check_second_surnames: bool = True
    # A pair's own evidence may override a guard's conflict (`corroborated`), as may a pair
    # of at least this weight sharing a personal identifier, or at least the next one
    # sharing its national ID, which household members never share (`overwhelming`).
    corroboration: bool = True
    overwhelming_match_weight: float | None = 25.0
    overwhelming_id_match_weight: float | None = 12.0
    # A single pair below this weight between two groups of several records each is the
    # chain single linkage builds between a household's customers (a shared birth date, a
    # family phone): it joins them only when another scored pair runs between them too.
    bridge_match_weight: float | None = 5.0


class GivenName(NamedTuple):
    """How one record names its person, as far as the given-name guard cares."""

    key: str  # the first given name's key
    canonical: str  # its formal name ("pepe" -> "jose")
    givens: tuple[str, ...]  # every given-name word, the first one first
    surnames: tuple[str, ...]

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> GivenName:
        key: str = record["given_key"]
        givens = tuple((record.get("given_keys") or key).split(" "))
        surnames = tuple(s for s in (record.get("surname_key"), record.get("surname2_key")) if s)
        return cls(key, record.get("given_canonical") or key, givens, surnames)


@dataclass(slots=True)
class Profile:
    """What a group of records says about its person, as far as the guards care."""

    givens: set[GivenName] = field(default_factory=set)
    surnames: set[tuple[str, str | None]] = field(default_factory=set)
    birth_dates: set[str] = field(default_factory=set)
    national_ids: dict[str, set[str]] = field(default_factory=dict)
    # generational suffixes ("jr", "sr", "ii", ...: `normalize.names.name_suffix`)
    suffixes: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> Profile:
        profile = cls()
        if record.get("given_key"):
            profile.givens.add(GivenName.of(record))
        if record.get("name_suffix"):
            profile.suffixes.add(record["name_suffix"])
        if record.get("surname_key"):
            profile.surnames.add((record["surname_key"], record.get("surname2_key")))
        if record.get("birth_date") and not is_default_like(record["birth_date"]):
            profile.birth_dates.add(record["birth_date"])
        kind = record.get("national_id_kind")
        # an ID without known rules (no check digit) cannot tell a typo from another
        # person: the model weighs it
        if record.get("national_id_key") and kind and kind != "generic":
            profile.national_ids.setdefault(kind, set()).add(record["national_id_key"])
        return profile

    @classmethod
    def of_records(cls, records: Iterable[Mapping[str, Any]]) -> Profile:
        """What several records say together (a customer's records)."""
        return cls.merged(cls.of(record) for record in records)

    @classmethod
    def merged(cls, profiles: Iterable[Profile]) -> Profile:
        """A new profile holding everything `profiles` hold."""
        found = cls()
        for profile in profiles:
            found.absorb(profile)
        return found

    def absorb(self, other: Profile) -> None:
        self.givens |= other.givens
        self.surnames |= other.surnames
        self.birth_dates |= other.birth_dates
        self.suffixes |= other.suffixes
        for kind, values in other.national_ids.items():
            self.national_ids.setdefault(kind, set()).update(values)


def given_names_compatible(a: GivenName, b: GivenName) -> bool:
    """Whether two records' given names can be one person's. Names in one family share
    surnames and often a given name, so a match through either must be backed by the rest of
    the name: every given name of the record with fewer must fit one of the other's ("Juan"
    is "Juan Pablo", "José" is "María José"; "Juan Pablo" is not "Juan Carlos", nor "Ana
    María" "María Ángeles"), and a surname typed as the given name (names swapped between
    fields) fits only if the given name then sits in the surname's place ("Hayes Laura" is
    "Laura Hayes", not her brother "James Hayes")."""
    if _given_words_fit(a, b):
        return True
    if enabled(Rule.SWAPPED_NAMES) and (_swapped_fit(a, b) or _swapped_fit(b, a)):
        return True  # given name and surname swapped (either maybe mistyped too)
    if len(a.key) > 1 and _initials(b).startswith(a.key):
        return True  # "jc" for Juan Carlos
    return len(b.key) > 1 and _initials(a).startswith(b.key)


def _given_words_fit(a: GivenName, b: GivenName) -> bool:
    # words also among the other's surnames are a full name split in another place
    words_a = [w for w in a.givens if w not in b.surnames]
    words_b = [w for w in b.givens if w not in a.surnames]
    fewer, more = (words_a, words_b) if len(words_a) <= len(words_b) else (words_b, words_a)
    # an initial may stand for a name ("Juan C." is "Juan Carlos"), but a name is not
    # shown to be the other's by an initial ("Jeremy" is not "Laura J.")
    return bool(fewer) and all(
        any(names_fit(x, y) for y in more if len(y) > 1 or len(x) == 1) for x in fewer
    )


def _swapped_fit(a: GivenName, b: GivenName) -> bool:
    """Whether `a` is `b`'s name typed with given name and surnames swapped: `a`'s given
    name is one of `b`'s surnames, `b`'s given name sits in `a`'s surnames (or further
    given words), `a`'s surname words, read as given names, fit `b`'s as given names do,
    and its given words, read as surnames, do not differ from `b`'s in the second surname
    ("López Forero, María José" is neither "María Fernanda López Forero" nor, read the
    other way, "María José López Gómez")."""
    if not (_fits_any(a.key, b.surnames) and _fits_any(b.key, (*a.givens[1:], *a.surnames))):
        return False
    if not a.surnames or not b.surnames:
        return True
    unswapped = GivenName(a.surnames[0], a.surnames[0], a.surnames, a.givens)
    return _given_words_fit(unswapped, b) and not _second_surnames_differ(
        {_as_surnames(a.givens)}, {_as_surnames(b.surnames)}
    )


def _as_surnames(words: tuple[str, ...]) -> tuple[str, str | None]:
    return (words[0], words[1] if len(words) > 1 else None)


def _fits_any(name: str, words: tuple[str, ...]) -> bool:
    # an initial is too little to stand for a name here (the "E." of "Jennifer E.")
    return any(len(word) > 1 and names_fit(name, word) for word in words)


def names_fit(x: str, y: str) -> bool:
    """Whether two given-name words can be one name: equal, an initial or short form of
    the other, a typo of it, or a nickname of it. Two different known names never fit by
    spelling alone: "Juana" is not a typo of "Juan", nor "Josefa" a short "José"."""
    if x == y:
        return True
    distinct_names = is_given_name(x) and is_given_name(y)
    if not distinct_names:
        if x.startswith(y) or y.startswith(x):
            return True  # "caro"/"carolina", an initial
        shortest = min(len(x), len(y))
        if shortest >= 3 and transposition_distance(x, y) <= 1:
            return True  # a typo: "jsoe", "lux", "rafeal"
        if shortest >= 7 and transposition_distance(x, y) <= 2:
            return True
    return bool(given_name_variants(x) & given_name_variants(y))


def _initials(name: GivenName) -> str:
    return "".join(w[0] for w in (*name.givens, *name.surnames) if w)


def birth_dates_compatible(a: str, b: str) -> bool:
    if a == b or levenshtein(a, b) <= 1:
        return True
    return a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]  # day/month swapped


def _birth_dates_may_be_one(a: str, b: str) -> bool:
    # Also one whole part keyed wrong (a year, month or day from another field or
    # relative) with the other two equal: one person's date mistyped more often than two
    # people linked on names. The match weight still decides; this only stops the veto.
    if birth_dates_compatible(a, b):
        return True
    if (a[:4] == b[:4]) + (a[5:7] == b[5:7]) + (a[8:10] == b[8:10]) >= 2:
        return True
    return enabled(Rule.TWO_SLIP_BIRTH_DATES) and _two_slips(a, b)


def _two_slips(a: str, b: str) -> bool:
    # One year, the month and the day two digits apart (a slip in each): one date typed
    # twice by hand. A father and a son of one name are never born in one year, and twins
    # share the date; in another year, two slips may be a father's and his son's dates
    # ("1955-01-16", "1985-04-16").
    return a[:4] == b[:4] and sum(x != y for x, y in zip(a[4:], b[4:], strict=True)) <= 2


def surnames_compatible(a: tuple[str, str | None], b: tuple[str, str | None]) -> bool:
    if {s for s in a if s} & {s for s in b if s}:
        return True
    return min(len(a[0]), len(b[0])) >= 4 and levenshtein(a[0], b[0]) <= 1


def conflict(a: Profile, b: Profile, limits: GuardLimits) -> GuardReason | None:
    """Why `a` and `b` cannot be one person, or None when they can."""
    for kind, values in a.national_ids.items():
        other = b.national_ids.get(kind)
        if other:
            merged = values | other
            if len(merged) > limits.max_national_ids_per_kind and not _typos_only(merged):
                return GuardReason.NATIONAL_ID
    if limits.check_birth_dates and not all(
        _birth_dates_may_be_one(x, y) for x in a.birth_dates for y in b.birth_dates
    ):
        return GuardReason.BIRTH_DATE
    if limits.check_given_names and a.givens and b.givens:
        # every name one side goes by must fit some name the other side goes by
        # (a group holds "María", "María Fernanda", "Fernanda": all one person's)
        a_fits = all(any(given_names_compatible(x, y) for y in b.givens) for x in a.givens)
        if not a_fits and not all(
            any(given_names_compatible(y, x) for x in a.givens) for y in b.givens
        ):
            return GuardReason.GIVEN_NAME
        if enabled(Rule.FULL_GIVEN_NAMES) and _full_givens_differ(a.givens, b.givens):
            return GuardReason.GIVEN_NAME
    if limits.check_given_names and _suffixes_differ(a.suffixes, b.suffixes):
        return GuardReason.GIVEN_NAME
    if limits.check_surnames and not all(
        surnames_compatible(x, y) for x in a.surnames for y in b.surnames
    ):
        return GuardReason.SURNAME
    if limits.check_full_surnames and _full_surnames_differ(a, b):
        return GuardReason.SURNAME
    if limits.check_second_surnames and _second_surnames_differ(a.surnames, b.surnames):
        return GuardReason.SECOND_SURNAME
    return None


def _suffixes_differ(a: set[str], b: set[str]) -> bool:
    """Whether both groups name their person with a generational suffix and none agrees:
    "John Smith Jr." and "John Smith Sr." are a son and his father, who share the rest of
    the name, often a phone, an address, a family e-mail. Part of the name, so the
    given-name guard's: a pair that overrides that guard (the same national ID and birth
    date) overrides this too. A suffix left out says nothing: most records carry none."""
    return enabled(Rule.NAME_SUFFIXES) and bool(a) and bool(b) and a.isdisjoint(b)


def _full_surnames_differ(a: Profile, b: Profile) -> bool:
    """Whether both groups name their person with two surnames somewhere and no surname
    word of one fits any of the other's (as a typo, a prefix of a compound surname), nor
    one of its given names (fields swapped)."""
    if not any(s2 for _, s2 in a.surnames) or not any(s2 for _, s2 in b.surnames):
        return False
    words_a = {w for pair in a.surnames for w in pair if w}
    words_b = {w for pair in b.surnames for w in pair if w}
    givens_a = {w for name in a.givens for w in name.givens}
    givens_b = {w for name in b.givens for w in name.givens}
    if words_a & givens_b or words_b & givens_a:
        return False
    return not any(_surname_words_fit(x, y) for x in words_a for y in words_b)


def _surname_words_fit(x: str, y: str) -> bool:
    if x == y or x.startswith(y) or y.startswith(x):
        return True  # "del" / "delangel"
    shortest = min(len(x), len(y))
    distance = transposition_distance(x, y)
    return (shortest >= 4 and distance <= 1) or (shortest >= 7 and distance <= 2)


def _full_givens_differ(a: set[GivenName], b: set[GivenName]) -> bool:
    """Whether the groups' full given names (two words or more) never fit each other
    ("Juan Pablo" and "Juan Carlos", "Ana María" and "María Ángeles"), while a bare
    "Juan" or "María" made each group fit the other: one agreeing pair is enough."""
    pairs = [(x, y) for x in a if len(x.givens) > 1 for y in b if len(y.givens) > 1]
    return bool(pairs) and not any(given_names_compatible(x, y) for x, y in pairs)


def _second_surnames_differ(a: set[tuple[str, str | None]], b: set[tuple[str, str | None]]) -> bool:
    """Whether the groups' full surnames share the first surname but never the second. A
    group that already holds several second surnames (a typo, a married name) is compatible
    as soon as any of them agrees; a second surname typed in the first surname's place
    ("López" for "García López") or one keystroke off is no conflict."""
    seconds_a = {s2 for _, s2 in a if s2}
    seconds_b = {s2 for _, s2 in b if s2}
    if not seconds_a or not seconds_b or seconds_a & seconds_b:
        return False
    firsts_a = {s1 for s1, _ in a}
    firsts_b = {s1 for s1, _ in b}
    if seconds_a & firsts_b or seconds_b & firsts_a:
        return False  # surnames swapped or shifted between records
    return any(s1 == t1 and levenshtein(s2, t2) > 1 for s1, s2 in a if s2 for t1, t2 in b if t2)


def corroborated(
    left: Mapping[str, Any], right: Mapping[str, Any], reason: GuardReason | None
) -> bool:
    """Whether the two records of a pair agree exactly on both other personal attributes
    (of national ID, birth date, full name) than the one a guard found in conflict: then
    the conflict is a typing error in one record (a wrong date, a neighbour's name), not
    two people. Household members share a phone, an address, a surname, even a birth date
    (twins) or a name (Jr.), but not two of these three. Two national IDs that are not
    one typo apart are never corroborated away: strangers share a name and a birth date."""
    same_id = _same_id(left, right)
    same_date = bool(left.get("birth_date")) and left.get("birth_date") == right.get("birth_date")
    # the name may carry a typo: the given names must fit (as the guard has them) and
    # the surnames be one keystroke apart at most, or the two fields swapped
    same_name = False
    if all(record.get("given_key") and record.get("surname_key") for record in (left, right)):
        name_l, name_r = GivenName.of(left), GivenName.of(right)
        swapped = _fits_any(name_l.key, name_r.surnames) and _fits_any(name_r.key, name_l.surnames)
        same_name = given_names_compatible(name_l, name_r) and (
            swapped or levenshtein(left["surname_key"], right["surname_key"]) <= 1
        )
    if reason in (GuardReason.GIVEN_NAME, GuardReason.SURNAME, GuardReason.SECOND_SURNAME):
        return same_id and same_date
    return reason == GuardReason.BIRTH_DATE and same_id and same_name


def overridden(
    left: Mapping[str, Any],
    right: Mapping[str, Any],
    weight: float,
    reason: GuardReason,
    limits: GuardLimits,
) -> bool:
    """Whether a pair's own evidence overrides a guard's conflict (`reason`) between its
    records' groups: it is `corroborated` or `overwhelming`."""
    if not limits.corroboration:
        return False
    return overwhelming(left, right, weight, limits, reason) or corroborated(left, right, reason)


def overwhelming(
    left: Mapping[str, Any],
    right: Mapping[str, Any],
    weight: float,
    limits: GuardLimits,
    reason: GuardReason | None = None,
) -> bool:
    """Whether a pair's evidence overrides a guard's conflict on its own: a match weight of
    at least `limits.overwhelming_match_weight` and a personal identifier in common (one a
    person does not share with their household, unlike a phone, an address or a surname):
    the e-mail, or the national ID or birth date up to a typing error; or the national ID
    and `limits.overwhelming_id_match_weight`. Weight alone is not enough: identifiers'
    Bayes factors grow with the data, until household members sharing a phone and an address
    score above the threshold. Against a conflict of national IDs only the shared ID counts:
    twins share a birth date, a family its e-mail."""
    same_id = _same_id(left, right)
    id_threshold = limits.overwhelming_id_match_weight
    if same_id and id_threshold is not None and weight >= id_threshold:
        return True
    threshold = limits.overwhelming_match_weight
    if threshold is None or weight < threshold or reason == GuardReason.NATIONAL_ID:
        return False
    email = left.get("email_key")
    if same_id or (email is not None and email == right.get("email_key")):
        return True
    date_l, date_r = left.get("birth_date"), right.get("birth_date")
    return date_l is not None and date_r is not None and birth_dates_compatible(date_l, date_r)


def may_override(
    left: Mapping[str, Any], right: Mapping[str, Any], weight: float, limits: GuardLimits
) -> bool:
    """Whether a pair's evidence could override some guard's conflict (`overridden` for
    some reason): both ways need the national ID in common or an overwhelming weight.
    A join made on a pair that fails this cheap test fitted the guards, so it can be
    replayed without asking them again."""
    if not limits.corroboration:
        return False
    if _same_id(left, right):
        return True
    threshold = limits.overwhelming_match_weight
    return (
        threshold is not None and weight >= threshold and overwhelming(left, right, weight, limits)
    )


def _same_id(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    # an ID one keystroke or two swapped digits apart is the same ID typed twice (two
    # valid IDs of a kind with a check digit never differ by so little)
    id_l, id_r = left.get("national_id_key"), right.get("national_id_key")
    if id_l is None or id_r is None:
        return False
    return id_l == id_r or (
        enabled(Rule.NATIONAL_ID_TYPOS) and transposition_distance(id_l, id_r) <= 1
    )


def _typos_only(values: set[str]) -> bool:
    # Spellings one keystroke or two swapped characters apart are one ID typed twice (no
    # check digit caught it); so is a Spanish DNI whose digits were mistyped and whose
    # letter, recomputed or typed, differs with them
    items = sorted(values)
    if not enabled(Rule.NATIONAL_ID_TYPOS):
        return len(items) <= 1
    return all(
        transposition_distance(items[0], v) <= 1 or _dni_typo(items[0], v) for v in items[1:]
    )


def _dni_typo(a: str, b: str) -> bool:
    both_dni = len(a) == len(b) == 9 and a[:8].isdigit() and b[:8].isdigit()
    return both_dni and transposition_distance(a[:8], b[:8]) <= 1
