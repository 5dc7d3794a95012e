"""Synthetic people and households: names, birth dates, national ids, phones, emails, handles.

A `Household` shares an address (and maybe an old one), sometimes a landline and a family
email; its members share surnames the way families in each market do. A `Person` owns the
true values every channel record is rendered from.
"""

from __future__ import annotations

import random
import zlib
from datetime import date

from cx360.synthetic import _data as ref
from cx360.synthetic._profiles import ProfileKnobs
from cx360.synthetic._util import (
    AffinePermutation,
    BloomFilter,
    Picker,
    rr,
    strip_accents,
    zipf_weights,
)

__all__ = ["Household", "People", "Person", "Phone"]

HISPANIC = ("CO", "MX", "ES")

# A phone is (country calling code, national significant number), e.g. ("57", "3001234567").
Phone = tuple[str, str]

_COUNTRY_CODE = {"CO": "57", "MX": "52", "ES": "34", "US": "1"}
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
_US_BAD_EXCHANGES = {"555", "950", "958", "959", "976"} | {f"{d}11" for d in range(2, 10)}
_US_EXCHANGES = tuple(f"{x}" for x in range(200, 1000) if f"{x}" not in _US_BAD_EXCHANGES)

# Migration flows: (market) -> ((origin, share of the market's households), ...).
_MIGRATION = {"ES": (("CO", 0.05), ("MX", 0.01)), "US": (("MX", 0.09), ("CO", 0.02))}
# Share of US-born households with Hispanic names.
_US_HISPANIC = 0.08


class Address:
    """A household address: its market, components and city; rendered per record later."""

    __slots__ = ("city", "country", "key", "parts")

    def __init__(self, country: str, parts: tuple[object, ...], city: ref.City, key: str) -> None:
        self.country = country
        self.parts = parts
        self.city = city
        self.key = key


class Person:
    """One synthetic person and the true values of their identifiers."""

    __slots__ = (
        "age",
        "alt_email",
        "alt_mobile",
        "alt_sources",
        "dob",
        "email",
        "email_change",
        "family_email",
        "given",
        "handles",
        "hispanic",
        "household",
        "idx",
        "market",
        "middle",
        "mobile",
        "mobile_change",
        "nick",
        "nid",
        "nid_kind",
        "old_email",
        "old_mobile",
        "origin",
        "origin_mobile",
        "pid",
        "sex",
        "shared_phone",
        "suffix",
        "surnames",
    )

    def __init__(self) -> None:
        self.idx = 0
        self.pid = ""
        self.market = "CO"
        self.origin = "CO"
        self.hispanic = True
        self.sex = "F"
        self.given = ""  # "María José" / "James"
        self.middle = ""  # US middle name
        self.surnames: tuple[str, ...] = ()
        self.suffix = ""  # "Jr." / "Sr." / ""
        self.nick = ""
        self.dob = date(1980, 1, 1)
        self.age = 0
        self.nid = ""
        self.nid_kind = ""  # cc / curp / dni / nie / ssn
        self.mobile: Phone | None = None
        self.old_mobile: Phone | None = None
        self.mobile_change = 0
        self.origin_mobile: Phone | None = None
        self.shared_phone: Phone | None = None  # what this person gives as "home" phone
        self.email = ""
        self.old_email = ""
        self.email_change = 0
        self.family_email = ""
        self.handles: list[str] = []
        self.household: Household | None = None
        # A second mobile / e-mail (multi_contact profile) and the channels given it.
        self.alt_mobile: Phone | None = None
        self.alt_email = ""
        self.alt_sources: frozenset[str] = frozenset()

    @property
    def given_tokens(self) -> list[str]:
        return self.given.split(" ")

    @property
    def full_name(self) -> str:
        parts = [self.given]
        if self.middle:
            parts.append(self.middle)
        parts.extend(self.surnames)
        if self.suffix:
            parts.append(self.suffix)
        return " ".join(parts)


class Household:
    """People living together: shared address, maybe a landline and a family email."""

    __slots__ = (
        "address",
        "city",
        "family_email",
        "hid",
        "landline",
        "market",
        "members",
        "move_ts",
        "old_address",
        "origin",
    )

    def __init__(self) -> None:
        self.hid = ""
        self.market = "CO"
        self.origin = "CO"
        self.city: ref.City = ref.CITIES["CO"][0]
        self.address: Address | None = None
        self.old_address: Address | None = None
        self.move_ts = 0
        self.landline: Phone | None = None
        self.family_email = ""
        self.members: list[Person] = []


class _NumberSpace:
    """Phone numbers under one prefix: `prefix + head + tail digits`, issued uniquely."""

    __slots__ = ("count", "heads", "lane", "lanes", "perm", "prefix", "tail")

    def __init__(
        self, prefix: str, heads: tuple[str, ...], tail: int, seed: str, lane: int, lanes: int
    ) -> None:
        self.prefix = prefix
        self.heads = heads
        self.tail = tail
        self.count = 0
        self.lane = lane
        self.lanes = lanes
        self.perm = AffinePermutation(len(heads) * 10**tail, seed)

    def issue(self) -> str:
        # Lanes take interleaved counters, so numbers never repeat across lanes.
        q = self.perm(self.count * self.lanes + self.lane)
        self.count += 1
        base: int = 10**self.tail
        return self.prefix + self.heads[q // base] + str(q % base).zfill(self.tail)


_DIGITS_2_9 = tuple("23456789")
_DIGITS_1_9 = tuple("123456789")
_DIGITS_0_9 = tuple("0123456789")


_DROP_PUNCT = str.maketrans("", "", " '-.ºª")


_ASCII_CACHE: dict[str, str] = {}


def _ascii_lower(text: str) -> str:
    """ "María José" → "mariajose" (names come from finite lists, so this is cached)."""
    out = _ASCII_CACHE.get(text)
    if out is None:
        out = strip_accents(text).lower().translate(_DROP_PUNCT)
        if len(_ASCII_CACHE) < 50_000:
            _ASCII_CACHE[text] = out
    return out


_EMAIL_BASE = (
    ("{f}.{s1}", 14),
    ("{f}.{s1}{yy}", 12),
    ("{f}{s1}", 10),
    ("{f}{s1}{yy}", 8),
    ("{f}_{s1}", 5),
    ("{fi}{s1}", 8),
    ("{fi}{s1}{yy}", 5),
    ("{f}{s1}{n}", 6),
    ("{f}{yyyy}", 3),
    ("{s1}.{f}", 3),
)
_EMAIL_S2 = (("{f}.{s1}.{s2i}", 4), ("{f}{s1}{s2}", 4), ("{fi}{s1}{s2i}", 3), ("{f}.{s1}{s2}", 3))
_EMAIL_G2 = (("{f}{g2}.{s1}", 3), ("{fi}{g2i}{s1}", 3), ("{f}{g2}{yy}", 2))
_EMAIL_MID = (("{f}.{mid}.{s1}", 2), ("{f}{midi}{s1}", 4), ("{f}.{midi}.{s1}", 2))
_EMAIL_NICK = (("{nick}{s1}", 3), ("{nick}.{s1}{yy}", 2), ("{nick}{yy}", 2))
_EMAIL_STYLES: dict[tuple[bool, bool, bool, bool], Picker[str]] = {}


def _email_styles(s2: bool, g2: bool, mid: bool, nick: bool) -> Picker[str]:
    styles = list(_EMAIL_BASE)
    for flag, extra in ((s2, _EMAIL_S2), (g2, _EMAIL_G2), (mid, _EMAIL_MID), (nick, _EMAIL_NICK)):
        if flag:
            styles.extend(extra)
    return Picker([t for t, _ in styles], [w for _, w in styles])


_HANDLE_STYLES = (
    "{f}{s1}",
    "{f}_{s1}",
    "{f}.{s1}",
    "{nick}{s1}",
    "{f}{s1}{yy}",
    "{fi}{s1}",
    "its{f}",
    "{f}_{yy}",
    "{nick}_{s1i}",
    "{s1}{f}",
    "{nick}.{yy}",
    "{soy}{f}{s1}",
)


class People:
    """Factory of households and people for one lane of a generation run (holds counters
    and uniqueness filters; all randomness comes from the `rng` given to each call).

    A run is split into `lanes` independent lanes (which may run in parallel processes).
    Values stay unique across lanes without shared state: numbered values (phones, ids)
    take interleaved counters, and a free-text value (email, handle) may only be issued by
    the lane its hash points to.
    """

    def __init__(
        self,
        seed: int,
        markets: Picker[str],
        start_ts: int,
        end_ts: int,
        expected_people: int,
        noise: float,
        lane: int = 0,
        lanes: int = 1,
        knobs: ProfileKnobs | None = None,
    ) -> None:
        self.knobs = k = knobs or ProfileKnobs()
        self.seed = seed
        self.lane = lane
        self.lanes = lanes
        self.markets = markets
        self.start_ts = start_ts
        self.end_ts = end_ts
        self.end_year = date.fromtimestamp(end_ts).year
        self.noise = noise
        self.person_count = 0
        self.household_count = 0
        self.spaces: dict[str, _NumberSpace] = {}
        self.id_counters: dict[str, int] = {}
        self.id_perms: dict[str, AffinePermutation] = {}
        self.unique = BloomFilter(expected_people * 3)
        self.address_count = 0

        self.male_single: dict[str, Picker[str]] = {}
        self.female_single: dict[str, Picker[str]] = {}
        self.male_compound: dict[str, Picker[str]] = {}
        self.female_compound: dict[str, Picker[str]] = {}
        self.surname: dict[str, Picker[str]] = {}
        self.city: dict[str, Picker[ref.City]] = {}
        self.domain: dict[str, Picker[str]] = {}
        for c in ("CO", "MX", "ES", "US"):
            m = ref.MALE_NAMES[c]
            f = ref.FEMALE_NAMES[c]
            self.male_single[c] = Picker(m, zipf_weights(len(m), k.given_name_zipf))
            self.female_single[c] = Picker(f, zipf_weights(len(f), k.given_name_zipf))
            if c in HISPANIC:
                cm = ref.COMPOUND_MALE[c]
                cf = ref.COMPOUND_FEMALE[c]
                self.male_compound[c] = Picker(cm, zipf_weights(len(cm), k.compound_name_zipf))
                self.female_compound[c] = Picker(cf, zipf_weights(len(cf), k.compound_name_zipf))
            s = ref.SURNAMES[c]
            exponent = k.hispanic_surname_zipf if c in HISPANIC else k.us_surname_zipf
            self.surname[c] = Picker(s, zipf_weights(len(s), exponent))
            cities = ref.CITIES[c]
            self.city[c] = Picker(cities, [ct.weight for ct in cities])
            doms = ref.EMAIL_DOMAINS[c]
            self.domain[c] = Picker([d for d, _ in doms], [w for _, w in doms])
        self.us_mid_m = Picker(ref.US_MIDDLE_MALE, zipf_weights(len(ref.US_MIDDLE_MALE), 0.5))
        self.us_mid_f = Picker(ref.US_MIDDLE_FEMALE, zipf_weights(len(ref.US_MIDDLE_FEMALE), 0.5))
        self.household_size = Picker((1, 2, 3, 4, 5, 6), k.household_size_weights)
        self.es_mobile = Picker(("6", "71", "72", "73", "74"), (82, 5, 5, 4, 4))

    # ------------------------------------------------------------------ numbering
    def _space(self, key: str, prefix: str, heads: tuple[str, ...], tail: int) -> _NumberSpace:
        sp = self.spaces.get(key)
        if sp is None:
            sp = _NumberSpace(
                prefix, heads, tail, f"{self.seed}:phone:{key}", self.lane, self.lanes
            )
            self.spaces[key] = sp
        return sp

    def mobile(self, country: str, city: ref.City, rng: random.Random) -> Phone:
        cc = _COUNTRY_CODE[country]
        if country == "CO":
            pre = ref.CO_MOBILE_PREFIXES[rr(rng, len(ref.CO_MOBILE_PREFIXES))]
            return cc, self._space("CO" + pre, pre, _DIGITS_0_9, 6).issue()
        if country == "ES":
            pre = self.es_mobile.pick(rng)
            return cc, self._space("ES" + pre, pre, _DIGITS_0_9, 8 - len(pre)).issue()
        return self._geo_number(country, city, rng, mobile=True)

    def landline(self, country: str, city: ref.City, rng: random.Random) -> Phone:
        cc = _COUNTRY_CODE[country]
        if country == "CO":
            pre = city.areas[0]
            return cc, self._space("COL" + pre, pre, tuple("2345678"), 6).issue()
        if country == "ES":
            pre = city.areas[rr(rng, len(city.areas))]
            return cc, self._space("ESL" + pre, pre, tuple("2345678"), 8 - len(pre)).issue()
        return self._geo_number(country, city, rng, mobile=False)

    def _geo_number(self, country: str, city: ref.City, rng: random.Random, mobile: bool) -> Phone:
        cc = _COUNTRY_CODE[country]
        area = city.areas[rr(rng, len(city.areas))]
        if country == "MX":
            tail = 10 - len(area) - 1
            heads = _DIGITS_1_9 if mobile else _DIGITS_2_9
            kind = "m" if mobile else "l"
            return cc, self._space(f"MX{kind}{area}", area, heads, tail).issue()
        # US: NXX-NXX-XXXX; mobiles and landlines share the plan.
        return cc, self._space("US" + area, area, _US_EXCHANGES, 4).issue()

    def _next_id(self, key: str, space: int) -> int:
        n = self.id_counters.get(key, 0)
        self.id_counters[key] = n + 1
        perm = self.id_perms.get(key)
        if perm is None:
            perm = AffinePermutation(space, f"{self.seed}:nid:{key}")
            self.id_perms[key] = perm
        return perm(n * self.lanes + self.lane)

    def _owns_local(self, local: str) -> bool:
        """Whether this lane may issue an address (or handle) with this local part. A part
        ending in a digit belongs to lane `digit % lanes`, any other to its hash; dots are
        ignored, so all Gmail spellings of one mailbox belong to one lane."""
        if self.lanes == 1:
            return True
        last = local[-1:]
        if "0" <= last <= "9":
            return int(last) % self.lanes == self.lane
        return zlib.crc32(local.replace(".", "").encode("utf-8")) % self.lanes == self.lane

    def _own_number(self, rng: random.Random, attempt: int) -> str:
        """A number to append to a taken name, 2 to 4 digits, ending in a digit this lane
        owns (so the result is always this lane's to issue)."""
        n = rr(rng, 1, 10 ** (1 + min(3, 1 + attempt // 12)))
        last = self.lane + self.lanes * rr(rng, (10 - self.lane + self.lanes - 1) // self.lanes)
        return str(n - n % 10 + last)

    def _claim_email(self, local: str, domain: str) -> bool:
        """Claim an address (of a local part this lane owns) in its canonical form: Gmail
        ignores dots and +tags, so "jose.garcia@gmail.com" and "josegarcia@gmail.com" are
        one mailbox."""
        if domain == "gmail.com":
            local = local.split("+", 1)[0].replace(".", "")
        return self.unique.add(f"email:{local}@{domain}")

    # ------------------------------------------------------------------ national ids
    def national_id(self, p: Person, birth_state: str, rng: random.Random) -> None:
        m = p.market
        if m == "CO":
            if p.dob.year < 1975:
                p.nid = str(10_000_000 + self._next_id("co8", 90_000_000))
            else:
                p.nid = str(1_000_000_000 + self._next_id("co10", 100_000_000))
            p.nid_kind = "cc"
        elif m == "ES":
            if p.origin != "ES":
                letter = "Y" if rng.random() < 0.6 else "X"
                n = self._next_id("nie" + letter, 10_000_000)
                num = ("1" if letter == "Y" else "0") + str(n).zfill(7)
                p.nid = letter + str(n).zfill(7) + _DNI_LETTERS[int(num) % 23]
                p.nid_kind = "nie"
            else:
                n = self._next_id("dni", 100_000_000)
                p.nid = str(n).zfill(8) + _DNI_LETTERS[n % 23]
                p.nid_kind = "dni"
        elif m == "MX":
            p.nid = self.curp(p, birth_state, rng)
            p.nid_kind = "curp"
        else:
            q = self._next_id("ssn", 898 * 99 * 9999)
            area, rest = divmod(q, 99 * 9999)
            group, serial = divmod(rest, 9999)
            area += 1
            if area >= 666:
                area += 1
            p.nid = f"{area:03d}{group + 1:02d}{serial + 1:04d}"
            p.nid_kind = "ssn"

    def curp(self, p: Person, state: str, rng: random.Random) -> str:
        """A CURP built like RENAPO's: name letters, birth date, sex, state, consonants,
        homoclave and check digit."""
        surnames = [_curp_word(s) for s in p.surnames] + ["", ""]
        s1, s2 = surnames[0], surnames[1]
        gtoks = [_curp_word(t) for t in p.given.split(" ")]
        given = gtoks[0]
        if len(gtoks) > 1 and gtoks[0] in ("JOSE", "J", "MARIA", "MA", "M", "MA."):
            given = gtoks[1]
        first_vowel = next((ch for ch in s1[1:] if ch in "AEIOU"), "X")
        head = (s1[:1] or "X") + first_vowel + (s2[:1] or "X") + (given[:1] or "X")
        if head in ref.CURP_BAD_WORDS:
            head = head[0] + "X" + head[2:]
        d = p.dob
        body = f"{head}{d.year % 100:02d}{d.month:02d}{d.day:02d}{'H' if p.sex == 'M' else 'M'}"
        body += state
        body += _first_inner_consonant(s1) + _first_inner_consonant(s2)
        body += _first_inner_consonant(given)
        # Homoclave: a digit for people born before 2000, a letter after; each lane uses its
        # own share of them, so CURPs of different lanes never coincide.
        homos = _HOMO_DIGITS if d.year < 2000 else _HOMO_LETTERS
        mine = homos[self.lane % self.lanes :: self.lanes] or homos
        cand = body + mine[0]
        for _ in range(12):
            cand = body + mine[rr(rng, len(mine))]
            if self.unique.add("curp:" + cand):
                break
        total = 0
        for i, ch in enumerate(cand):
            total += _CURP_VALUE[ch] * (18 - i)
        return cand + str((10 - total % 10) % 10)

    # ------------------------------------------------------------------ names
    def given_name(self, country: str, sex: str, rng: random.Random) -> str:
        if country in HISPANIC and rng.random() < (0.28 if country == "ES" else 0.36):
            table = self.male_compound if sex == "M" else self.female_compound
        else:
            table = self.male_single if sex == "M" else self.female_single
        return table[country].pick(rng)

    def _name_person(self, p: Person, rng: random.Random) -> None:
        culture = p.origin if p.hispanic else "US"
        if p.hispanic and culture == "US":
            culture = "MX"
        p.given = self.given_name(culture, p.sex, rng)
        if not p.hispanic:
            mids = self.us_mid_m if p.sex == "M" else self.us_mid_f
            if rng.random() < 0.7:
                p.middle = mids.pick(rng)
                if p.middle == p.given:
                    p.middle = ""

    def _nickname(self, p: Person, rng: random.Random) -> str:
        options = ref.NICKNAMES.get(p.given) or ref.NICKNAMES.get(p.given.split(" ")[0])
        if options:
            return options[rr(rng, len(options))]
        first = p.given.split(" ")[0]
        if len(first) >= 6 and rng.random() < 0.5:
            return first[:4]
        return ""

    # ------------------------------------------------------------------ households
    def household(self, rng: random.Random) -> Household:
        h = Household()
        self.household_count += 1
        h.hid = f"H{(self.household_count - 1) * self.lanes + self.lane + 1:07d}"
        m = self.markets.pick(rng)
        h.market = m
        origin = m
        r = rng.random()
        for o, share in _MIGRATION.get(m, ()):
            if r < share:
                origin = o
                break
            r -= share
        h.origin = origin
        us_hispanic = m == "US" and origin == "US" and rng.random() < _US_HISPANIC
        hispanic = origin in HISPANIC or us_hispanic
        h.city = self.city[m].pick(rng)
        h.address = self.address(m, h.city, rng)
        if rng.random() < 0.13 * min(self.noise, 3.0):
            old_city = h.city if rng.random() < 0.8 else self.city[m].pick(rng)
            h.old_address = self.address(m, old_city, rng)
            h.move_ts = rr(rng, self.start_ts + 86_400 * 60, self.end_ts - 86_400 * 30)

        size = self.household_size.pick(rng)
        members = self._members(h, size, hispanic, rng)
        h.members = members

        landline_p = {"CO": 0.25, "MX": 0.2, "ES": 0.4, "US": 0.12}[m]
        if size >= 2:
            landline_p += 0.1 + self.knobs.extra_landline_rate
        if rng.random() < landline_p:
            h.landline = self.landline(m, h.city, rng)
        if size >= 2 and rng.random() < self.knobs.family_email_rate:
            h.family_email = self._family_email(h, members, rng)

        adults = [p for p in members if p.age >= 25] or members
        for p in members:
            # The number given as "home": the landline, else a parent's/partner's mobile.
            if h.landline is not None:
                p.shared_phone = h.landline
            else:
                others = [o for o in adults if o is not p and o.mobile is not None]
                if others:
                    p.shared_phone = others[0].mobile
            if h.family_email and (
                not p.email or rng.random() < self.knobs.family_email_member_share
            ):
                p.family_email = h.family_email
        return h

    def _members(self, h: Household, size: int, hispanic: bool, rng: random.Random) -> list[Person]:
        end_year = self.end_year
        with_kids = size >= 3 or (size == 2 and rng.random() < 0.3)
        couple = size >= 2 and (not with_kids or size >= 3) and rng.random() < 0.8
        if size == 2 and not with_kids:
            couple = True
        n_kids = size - (2 if couple else 1) if with_kids else 0
        if not with_kids and not couple:
            n_kids = 0

        lo, hi = (36, 84) if n_kids else (19, 86)
        head_age = rr(rng, lo, hi)
        head_sex = "M" if (couple or rng.random() < 0.25) else "F"
        if couple and rng.random() < 0.04:
            head_sex = "F"  # same-sex couples exist; keep it simple: two women
        head = self._new_person(h, head_sex, end_year - head_age, hispanic, rng)
        members = [head]
        partner: Person | None = None
        if couple:
            pa = max(19, min(95, head_age + int(rng.gauss(-2, 4))))
            partner = self._new_person(h, "F", end_year - pa, hispanic, rng)
            if not hispanic and head.sex == "M" and rng.random() < 0.65:
                partner.surnames = head.surnames  # took the spouse's last name
            members.append(partner)
        father = head if head.sex == "M" else None
        mother = (
            partner
            if partner is not None and partner.sex == "F"
            else (head if head.sex == "F" else None)
        )
        young_parent_year = max(p.dob.year for p in members)
        kids: list[Person] = []
        for k in range(n_kids):
            twin_of = kids[-1] if kids and rng.random() < 0.06 else None
            sex = "M" if rng.random() < 0.5 else "F"
            if twin_of is not None:
                year = twin_of.dob.year
            else:
                year = young_parent_year + rr(rng, 19, 42)
                year = min(year, end_year - 14)
                if year - young_parent_year < 16:
                    break
            kid = self._new_person(h, sex, year, hispanic, rng, named=False)
            # Surnames: Hispanic children take father's first + mother's first surname.
            if hispanic:
                if father is not None and mother is not None:
                    kid.surnames = (father.surnames[0], mother.surnames[0])
                elif father is not None:
                    kid.surnames = (father.surnames[0], self.surname[_culture(kid)].pick(rng))
                elif mother is not None:
                    kid.surnames = mother.surnames
            else:
                kid.surnames = (father or mother or head).surnames
            # Junior: a son named after his father.
            if (
                sex == "M"
                and father is not None
                and k == 0
                and rng.random() < self.knobs.junior_rate
            ):
                kid.given = father.given
                kid.middle = father.middle
                if not hispanic or h.market == "US":
                    kid.suffix = "Jr."
                    if rng.random() < 0.6:
                        father.suffix = "Sr."
            else:
                self._name_person(kid, rng)
                for _ in range(6):
                    if all(kid.given != o.given for o in members + kids):
                        break
                    kid.given = self.given_name(_culture(kid), kid.sex, rng)
            if twin_of is not None:
                kid.dob = twin_of.dob.replace()  # same birthday
                kid.age = twin_of.age
            kids.append(kid)
        members.extend(kids)
        for p in members:
            self._finish_person(h, p, rng)
        return members

    def _new_person(
        self,
        h: Household,
        sex: str,
        birth_year: int,
        hispanic: bool,
        rng: random.Random,
        *,
        named: bool = True,
    ) -> Person:
        p = Person()
        self.person_count += 1
        p.idx = (self.person_count - 1) * self.lanes + self.lane + 1
        p.pid = f"P{p.idx:08d}"
        p.market = h.market
        p.origin = h.origin
        p.hispanic = hispanic
        p.sex = sex
        p.household = h
        doy = rr(rng, 365)
        p.dob = date.fromordinal(date(birth_year, 1, 1).toordinal() + doy)
        p.age = self.end_year - birth_year
        if named:
            self._name_person(p, rng)
            culture = _culture(p)
            if hispanic and culture in HISPANIC:
                p.surnames = (self.surname[culture].pick(rng), self.surname[culture].pick(rng))
            elif hispanic:
                # US-born Hispanic: usually one surname, sometimes both.
                s1 = self.surname["MX"].pick(rng)
                p.surnames = (s1,) if rng.random() < 0.65 else (s1, self.surname["MX"].pick(rng))
            else:
                p.surnames = (self.surname["US"].pick(rng),)
        return p

    def _finish_person(self, h: Household, p: Person, rng: random.Random) -> None:
        """Ids, phones, emails and handles once the name is final."""
        p.nick = self._nickname(p, rng)
        if h.market == "MX":
            state = h.city.state if rng.random() < 0.7 else ref.MX_STATES[rr(rng, 32)]
            if p.origin != "MX":
                state = "NE"
        else:
            state = ""
        self.national_id(p, state, rng)
        age = p.age
        p_mobile = 0.72 if age < 18 else (0.8 if age > 72 else 0.965)
        if rng.random() < p_mobile:
            p.mobile = self.mobile(p.market, h.city, rng)
            if rng.random() < 0.12 * min(self.noise, 3.0):
                p.old_mobile = self.mobile(p.market, h.city, rng)
                p.mobile_change = rr(rng, self.start_ts + 86_400 * 30, self.end_ts - 86_400)
        if p.origin != p.market and p.age >= 18 and rng.random() < 0.55:
            p.origin_mobile = self.mobile(p.origin, self.city[p.origin].pick(rng), rng)
        p_email = 0.8 if age < 18 else (0.6 if age > 72 else 0.9)
        if rng.random() < p_email:
            p.email = self._email(p, rng)
            if rng.random() < 0.1 * min(self.noise, 3.0):
                p.old_email = self._email(p, rng)
                p.email_change = rr(rng, self.start_ts + 86_400 * 30, self.end_ts - 86_400)
        p_handle = 0.72 if age < 30 else (0.45 if age < 50 else 0.2)
        if rng.random() < p_handle:
            p.handles.append(self._handle(p, rng))
            if rng.random() < 0.12:
                p.handles.append(self._handle(p, rng))
        if self.knobs.second_mobile_rate or self.knobs.second_email_rate:
            self._more_contacts(h, p, rng)

    def _more_contacts(self, h: Household, p: Person, rng: random.Random) -> None:
        """multi_contact: a second mobile and e-mail, more changes over time, and which
        channels are given the second contact (a work e-mail at the store, a second SIM
        on WhatsApp)."""
        k = self.knobs
        if p.mobile is not None and rng.random() < k.second_mobile_rate:
            p.alt_mobile = self.mobile(p.market, h.city, rng)
        changes = k.extra_phone_change_rate
        if p.mobile is not None and p.old_mobile is None and rng.random() < changes:
            p.old_mobile = self.mobile(p.market, h.city, rng)
            p.mobile_change = rr(rng, self.start_ts + 86_400 * 30, self.end_ts - 86_400)
        if p.email and rng.random() < k.second_email_rate:
            p.alt_email = self._email(p, rng)
        if p.email and not p.old_email and rng.random() < k.extra_email_change_rate:
            p.old_email = self._email(p, rng)
            p.email_change = rr(rng, self.start_ts + 86_400 * 30, self.end_ts - 86_400)
        if p.alt_mobile is not None or p.alt_email:
            sources = ("whatsapp", "call_center", "email", "web", "app", "store", "social")
            share = k.second_contact_channel_share
            p.alt_sources = frozenset(s for s in sources if rng.random() < share)

    # ------------------------------------------------------------------ contact points
    def _email(self, p: Person, rng: random.Random) -> str:
        toks = [_ascii_lower(t) for t in p.given.split(" ")]
        f = toks[0] or "x"
        g2 = toks[1] if len(toks) > 1 else ""
        s1 = _ascii_lower(p.surnames[0]) if p.surnames else "x"
        s2 = _ascii_lower(p.surnames[1]) if len(p.surnames) > 1 else ""
        mid = _ascii_lower(p.middle)
        nick = _ascii_lower(p.nick)
        shape = (bool(s2), bool(g2), bool(mid), bool(nick))
        styles = _EMAIL_STYLES.get(shape)
        if styles is None:
            styles = _email_styles(*shape)
            _EMAIL_STYLES[shape] = styles
        values = {
            "f": f,
            "fi": f[0],
            "g2": g2,
            "g2i": g2[:1],
            "s1": s1,
            "s2": s2,
            "s2i": s2[:1],
            "mid": mid,
            "midi": mid[:1],
            "nick": nick,
            "yy": f"{p.dob.year % 100:02d}",
            "yyyy": str(p.dob.year),
            "n": str(rr(rng, 1, 1000)),
        }
        domain = self.domain[p.market].pick(rng)
        # Try a few favourite spellings (drawn by popularity) until one is free and this
        # lane's to issue; when they are taken, add digits, as people do.
        templates = styles.items
        tried: set[int] = set()
        local = ""
        for _ in range(12):
            i = styles.index(rng)
            if i in tried:
                continue
            tried.add(i)
            local = templates[i].format_map(values)
            if self._owns_local(local) and self._claim_email(local, domain):
                return f"{local}@{domain}"
            if len(tried) >= 6:
                break
        for attempt in range(64):
            base = styles.pick(rng).format_map(values)
            local = base + self._own_number(rng, attempt)
            if self._claim_email(local, domain):
                return f"{local}@{domain}"
        return f"{local}.{p.idx}@{domain}"

    def _family_email(self, h: Household, members: list[Person], rng: random.Random) -> str:
        head = members[0]
        s1 = _ascii_lower(head.surnames[0]) if head.surnames else "familia"
        partner_s = (
            _ascii_lower(members[1].surnames[0]) if len(members) > 1 and members[1].surnames else ""
        )
        domains = ref.FAMILY_EMAIL_DOMAINS[h.market]
        domain = domains[rr(rng, len(domains))]
        if h.market == "US" and h.origin == "US":
            second = members[1].given[:1].lower() if len(members) > 1 else ""
            options = [
                f"the{s1}s",
                f"{s1}family",
                f"{s1}home",
                f"{s1}{head.given[:1].lower()}{second}",
            ]
        else:
            options = [
                f"familia{s1}{partner_s}",
                f"{s1}{partner_s}",
                f"familia.{s1}",
                f"los{s1}",
                f"casa{s1}",
            ]
        local = options[0]
        for attempt in range(64):
            local = options[rr(rng, len(options))]
            if attempt >= 4:
                local += self._own_number(rng, attempt)
            if self._owns_local(local) and self._claim_email(local, domain):
                return f"{local}@{domain}"
        return f"{local}.{h.hid.lower()}@{domain}"

    def _handle(self, p: Person, rng: random.Random) -> str:
        f = _ascii_lower(p.given.split(" ")[0]) or "user"
        s1 = _ascii_lower(p.surnames[0]) if p.surnames else ""
        values = {
            "f": f,
            "fi": f[0],
            "s1": s1,
            "s1i": s1[:1],
            "nick": _ascii_lower(p.nick) or f,
            "yy": f"{p.dob.year % 100:02d}",
            "soy": "soy" if p.hispanic else "real",
        }
        order = list(_HANDLE_STYLES)
        rng.shuffle(order)
        local = ""
        for template in order[:6]:  # a few favourite forms, then digits
            local = template.format_map(values)
            if self._owns_local(local) and self.unique.add("handle:" + local):
                return local
        for attempt in range(64):
            sep = "_" if rng.random() < 0.3 else ""
            base = _HANDLE_STYLES[rr(rng, len(_HANDLE_STYLES))].format_map(values)
            local = f"{base}{sep}{self._own_number(rng, attempt)}"
            if self.unique.add("handle:" + local):
                return local
        return f"{local}_{p.idx}"

    # ------------------------------------------------------------------ addresses
    def address(self, country: str, city: ref.City, rng: random.Random) -> Address:
        self.address_count += 1
        key = f"A{self.address_count}"
        parts: tuple[object, ...]
        if country == "CO":
            kind = rr(rng, 4)  # Calle, Carrera, Diagonal/Transversal, Avenida
            n1 = rr(rng, 1, 180) if kind < 2 else rr(rng, 1, 90)
            letter = "ABC"[rr(rng, 3)] if rng.random() < 0.15 else ""
            n2 = rr(rng, 1, 150)
            n3 = rr(rng, 1, 99)
            unit = ""
            r = rng.random()
            if r < 0.5:
                unit = f"Apto {rr(rng, 1, 22)}{rr(rng, 1, 5):02d}"
            elif r < 0.6:
                unit = f"Casa {rr(rng, 1, 60)}"
            elif r < 0.7:
                unit = f"Torre {rr(rng, 1, 8)} Apto {rr(rng, 1, 22)}{rr(rng, 1, 5):02d}"
            parts = (kind, n1, letter, n2, n3, unit)
        elif country == "MX":
            kind = rr(rng, 3)  # Calle, Av., Blvd.
            street = ref.MX_STREET_NAMES[rr(rng, len(ref.MX_STREET_NAMES))]
            number = rr(rng, 1, 3000)
            inner = f"{rr(rng, 1, 30)}" if rng.random() < 0.35 else ""
            col = ref.MX_COLONIAS[rr(rng, len(ref.MX_COLONIAS))]
            cp = f"{rr(rng, 1000, 99999):05d}"
            parts = (kind, street, number, inner, col, cp)
        elif country == "ES":
            kind = _ES_STREET_KIND.pick(rng)  # Calle, Avenida, Plaza, Paseo
            street = ref.ES_STREET_NAMES[rr(rng, len(ref.ES_STREET_NAMES))]
            number = rr(rng, 1, 200)
            floor = rr(rng, 0, 9) if rng.random() < 0.8 else -1
            door = (
                "ABCD"[rr(rng, 4)]
                if rng.random() < 0.6
                else ("izda" if rng.random() < 0.5 else "dcha")
            )
            parts = (kind, street, number, floor, door)
        else:
            number = rr(rng, 1, 9900)
            direction = "NSEW"[rr(rng, 4)] if rng.random() < 0.2 else ""
            street = ref.US_STREET_NAMES[rr(rng, len(ref.US_STREET_NAMES))]
            kind = _US_STREET_KIND.pick(rng)
            unit = ""
            if rng.random() < 0.3:
                unit = f"{rr(rng, 1, 40)}{'ABCD'[rr(rng, 4)] if rng.random() < 0.3 else ''}"
            parts = (number, direction, street, kind, unit)
        return Address(country, parts, city, key)


def _culture(p: Person) -> str:
    if p.hispanic:
        return p.origin if p.origin in HISPANIC else "MX"
    return "US"


_CURP_PARTICLES = frozenset(
    ("DE", "LA", "DEL", "LAS", "LOS", "Y", "MC", "MAC", "VON", "VAN", "DA", "DI")
)
_CURP_VALUE = {ch: i for i, ch in enumerate(_CURP_ALPHABET)}
_HOMO_DIGITS = "0123456789"
_ES_STREET_KIND = Picker((0, 1, 2, 3), (70, 18, 7, 5))
_US_STREET_KIND = Picker(tuple(range(8)), (35, 25, 8, 10, 8, 6, 4, 4))
_HOMO_LETTERS = "ABCDEFGHIJKLMNPQRSTUVWXYZ"


def _curp_word(text: str) -> str:
    out = strip_accents(text).upper().replace("Ñ", "X")
    words = [w for w in out.replace("-", " ").split(" ") if w]
    kept = [w for w in words if w not in _CURP_PARTICLES]
    word = kept[0] if kept else (words[0] if words else "")
    return "".join(ch for ch in word if "A" <= ch <= "Z")


def _first_inner_consonant(word: str) -> str:
    for ch in word[1:]:
        if ch not in "AEIOU":
            return ch
    return "X"
