"""The streaming generator: households → people → channel records → interactions → rows.

Memory is bounded: people are generated one household at a time, their rows pass through a
fixed-size shuffle buffer (so a person's records do not sit next to each other in the
output), and uniqueness of ids, phones, emails and handles is guaranteed by construction
(permuted counters) or by a fixed-size Bloom filter — nothing grows with the number of
records.

The population is split into LANES independent lanes (own random stream, own counters,
own Bloom filter). Values stay unique across lanes without shared state: counters are
interleaved (n·LANES + lane) and a free-text value (email, handle) may only be issued by
the lane its hash points to. Lanes are emitted one after the other, so they can also be
written by separate processes and joined (see _writer.write_dataset) with identical output.
"""

from __future__ import annotations

import calendar
import math
import random
from bisect import bisect_right
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from cx360._errors import ConfigurationError
from cx360.models import INTERACTION_COLUMNS
from cx360.models import RECORD_COLUMNS as CONTRACT_RECORD_COLUMNS
from cx360.synthetic import _data as ref
from cx360.synthetic._people import People, Person, Phone
from cx360.synthetic._profiles import PROFILES, Profile, knobs_for
from cx360.synthetic._render import (
    F_COUNTRY,
    F_EMAIL,
    F_FIRST,
    F_FULL,
    F_HANDLE,
    F_NID,
    F_PHONE,
    FIELD_NAMES,
    REPAIRABLE,
    Rec,
    Renderer,
)
from cx360.synthetic._util import AffinePermutation, Picker, iso_utc, rr

__all__ = [
    "DEFAULT_COUNTRIES",
    "INTERACTION_COLUMNS",
    "LANES",
    "RECORD_COLUMNS",
    "SOURCES",
    "TRUTH_COLUMNS",
    "Bundle",
    "CollectedDataset",
    "DatasetStream",
    "GenerationStats",
    "SyntheticConfig",
    "SyntheticDataset",
    "generate",
]

SOURCES: tuple[str, ...] = ("whatsapp", "call_center", "email", "web", "app", "store", "social")
# The generator writes the library's input contract, in its order, without the columns it
# has no values for (postcode, region).
RECORD_COLUMNS: tuple[str, ...] = ("source", "source_record_id", "observed_at", *FIELD_NAMES)
assert tuple(c for c in CONTRACT_RECORD_COLUMNS if c in RECORD_COLUMNS) == RECORD_COLUMNS
TRUTH_COLUMNS: tuple[str, ...] = ("source", "source_record_id", "person_id", "household_id")
DEFAULT_COUNTRIES: tuple[tuple[str, float], ...] = (
    ("CO", 0.3),
    ("MX", 0.3),
    ("ES", 0.2),
    ("US", 0.2),
)
SUPPORTED_COUNTRIES = ("CO", "MX", "ES", "US")

_DAY = 86_400

# How many channel records a person has: most 1–2, a tail of power users with 10+.
_RECORD_COUNTS = tuple(range(1, 26))
_RECORD_COUNT_WEIGHTS = (
    40,
    24,
    13,
    7.5,
    4.5,
    3,
    2,
    1.5,
    1.2,
    0.5,
    0.35,
    0.3,
    0.25,
    0.2,
    0.15,
    *(0.05,) * 10,
)
_MEAN_RECORDS = sum(
    c * w for c, w in zip(_RECORD_COUNTS, _RECORD_COUNT_WEIGHTS, strict=True)
) / sum(_RECORD_COUNT_WEIGHTS)

# Channel mix per market (before a person's own preferences).
_CHANNEL_WEIGHTS: dict[str, tuple[float, ...]] = {
    #       wa    cc    email web   app   store social
    "CO": (0.26, 0.17, 0.10, 0.14, 0.13, 0.12, 0.08),
    "MX": (0.25, 0.16, 0.10, 0.14, 0.13, 0.14, 0.08),
    "ES": (0.20, 0.16, 0.13, 0.16, 0.13, 0.13, 0.09),
    "US": (0.06, 0.20, 0.18, 0.20, 0.15, 0.13, 0.08),
}
# After each record on a channel, the chance of another one there is multiplied by this.
_REPEAT_DAMPING = (0.3, 0.6, 0.3, 0.35, 0.35, 0.45, 0.5)
_WA, _CC, _EMAIL, _WEB, _APP, _STORE, _SOCIAL = range(7)

_INTERACTION_TYPES: dict[str, Picker[str]] = {
    "whatsapp": Picker(
        ("inquiry", "contact", "complaint", "purchase", "feedback"), (40, 25, 20, 10, 5)
    ),
    "call_center": Picker(
        ("inquiry", "complaint", "contact", "return", "purchase"), (35, 30, 25, 5, 5)
    ),
    "email": Picker(("inquiry", "complaint", "contact", "feedback"), (35, 35, 20, 10)),
    "web": Picker(("purchase", "inquiry", "return", "contact", "complaint"), (55, 20, 10, 10, 5)),
    "app": Picker(
        ("purchase", "inquiry", "feedback", "contact", "complaint"), (50, 20, 10, 10, 10)
    ),
    "store": Picker(("purchase", "return", "inquiry", "complaint"), (70, 12, 10, 8)),
    "social": Picker(("complaint", "feedback", "inquiry", "contact"), (35, 25, 25, 15)),
}
_STATUS: dict[str, Picker[str]] = {
    "purchase": Picker(("completed", "cancelled", "pending"), (92, 5, 3)),
    "return": Picker(("resolved", "open", "pending"), (70, 15, 15)),
    "inquiry": Picker(("resolved", "open"), (85, 15)),
    "contact": Picker(("resolved", "open"), (90, 10)),
    "feedback": Picker(("resolved",), (1,)),
    "complaint": Picker(("resolved", "open", "escalated", "pending"), (65, 15, 10, 10)),
    "case": Picker(("resolved", "open", "escalated", "pending"), (60, 20, 10, 10)),
}
_OPEN_STATES = Picker(("open", "escalated", "pending"), (60, 15, 25))


# A record waiting in the shuffle buffer: (source, wa_id or social platform, observed_at,
# fields, interactions as (occurred_at, type, status, case_id, summary), person, household).
_Frozen = tuple[
    str, str, str, tuple[str, ...], tuple[tuple[str, str, str, str, str], ...], str, str
]


class Bundle(NamedTuple):
    """One channel record with everything that belongs to it, in output order.

    `record` follows RECORD_COLUMNS, each of `interactions` follows INTERACTION_COLUMNS and
    `truth` follows TRUTH_COLUMNS. All values are text; "" means unknown.
    """

    record: tuple[str, ...]
    interactions: tuple[tuple[str, ...], ...]
    truth: tuple[str, str, str, str]


@dataclass(frozen=True)
class SyntheticConfig:
    """What to generate. The same config always yields byte-identical output.

    - `n_records`: exact number of channel records (people ≈ n_records / 2.7).
    - `seed`: everything derives from `random.Random(seed)`.
    - `countries`: market weights, any of CO, MX, ES, US.
    - `noise`: multiplier of error rates (typos, placeholders, nicknames, partial names,
      wrong dates, outdated values, Gmail variants...). 0 gives error-free records that
      still vary in format; 2 doubles the rates.
    - `start`/`end`: the window in which records and interactions are observed.
    - `interactions_per_record`: mean of the per-record interaction count (before cases).
    - `shuffle_buffer`: records held back to decorrelate output order from people.
    - `profile`: the population's habits (see PROFILES): "today", "multi_contact",
      "sparse" or "households".
    """

    n_records: int = 10_000
    seed: int = 0
    countries: tuple[tuple[str, float], ...] = DEFAULT_COUNTRIES
    noise: float = 1.0
    start: datetime = datetime(2020, 1, 1, tzinfo=UTC)
    end: datetime = datetime(2025, 6, 30, 23, 59, 59, tzinfo=UTC)
    interactions_per_record: float = 1.2
    shuffle_buffer: int = 8192
    profile: Profile = "today"

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ConfigurationError(
                f"unknown profile {self.profile!r}; choose among {', '.join(PROFILES)}"
            )
        if self.n_records < 0:
            raise ConfigurationError("n_records must be >= 0")
        if not (self.noise >= 0 and math.isfinite(self.noise)):
            raise ConfigurationError("noise must be a finite number >= 0")
        if self.interactions_per_record < 0:
            raise ConfigurationError("interactions_per_record must be >= 0")
        if self.shuffle_buffer < 1:
            raise ConfigurationError("shuffle_buffer must be >= 1")
        if not self.countries:
            raise ConfigurationError("countries must name at least one market")
        for code, weight in self.countries:
            if code not in SUPPORTED_COUNTRIES:
                raise ConfigurationError(
                    f"unsupported country {code!r}; choose among {', '.join(SUPPORTED_COUNTRIES)}"
                )
            if not (weight >= 0 and math.isfinite(weight)):
                raise ConfigurationError(f"country weight for {code} must be >= 0")
        if sum(w for _, w in self.countries) <= 0:
            raise ConfigurationError("country weights must not all be zero")
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ConfigurationError("start and end must be timezone-aware datetimes")
        if (self.end - self.start).days < 90:
            raise ConfigurationError("the observation window must span at least 90 days")

    @staticmethod
    def normalise_countries(countries: Mapping[str, float] | None) -> tuple[tuple[str, float], ...]:
        if countries is None:
            return DEFAULT_COUNTRIES
        return tuple((str(k).upper(), float(v)) for k, v in countries.items())


@dataclass
class GenerationStats:
    """Counts gathered while streaming (complete once the stream is exhausted)."""

    records: int = 0
    interactions: int = 0
    people: int = 0
    households: int = 0
    cases: int = 0
    cross_channel_cases: int = 0
    records_by_source: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    repaired_records: int = 0
    replaced_records: int = 0
    unlinked_people: int = 0

    def add(self, other: GenerationStats) -> None:
        """Add the counts of another (lane's) run."""
        self.records += other.records
        self.interactions += other.interactions
        self.people += other.people
        self.households += other.households
        self.cases += other.cases
        self.cross_channel_cases += other.cross_channel_cases
        for source, count in other.records_by_source.items():
            self.records_by_source[source] = self.records_by_source.get(source, 0) + count
        self.repaired_records += other.repaired_records
        self.replaced_records += other.replaced_records
        self.unlinked_people += other.unlinked_people


LANES = 4  # independent sub-populations; fixed, so output never depends on the worker count


class DatasetStream(Iterator[Bundle]):
    """Iterator over the bundles of one generation run; `stats` fills in as it goes.

    Bundles come lane after lane (see LANES); within a lane a bounded shuffle buffer
    decorrelates output order from people. `write_dataset(..., workers=k)` writes the
    same rows in the same order using k processes.
    """

    def __init__(self, config: SyntheticConfig, lanes: Sequence[int] | None = None) -> None:
        self.config = config
        self.stats = GenerationStats()
        self.lanes = tuple(range(LANES) if lanes is None else lanes)
        self._it: Generator[Bundle, None, None] = self._run()

    def __iter__(self) -> DatasetStream:
        return self

    def __next__(self) -> Bundle:
        return next(self._it)

    def close(self) -> None:
        """Stop generating."""
        self._it.close()

    def _run(self) -> Generator[Bundle, None, None]:
        for lane in self.lanes:
            emit = _Assembler(self.config, self.stats, lane, LANES).emit
            for item in _Engine(self.config, self.stats, lane, LANES).run():
                yield emit(item)


class _Assembler:
    """Turns a lane's records into final rows with ids. Counters of different lanes are
    interleaved (n·LANES + lane), so ids are unique across lanes without coordination."""

    def __init__(
        self, config: SyntheticConfig, stats: GenerationStats, lane: int, lanes: int
    ) -> None:
        s = config.seed
        self.stats = stats
        self.lane = lane
        self.lanes = lanes
        self.rng = random.Random(f"{s}:ids:{lane}")
        self.src_counter = dict.fromkeys(SOURCES, 0)
        self.social_counter = {"twitter": 0, "instagram": 0, "facebook": 0}
        self.perm_email = AffinePermutation(10**8, f"{s}:src:email")
        self.perm_web = AffinePermutation(16**10, f"{s}:src:web")
        self.perm_app = AffinePermutation(2**48, f"{s}:src:app")
        self.perm_store = AffinePermutation(10**11, f"{s}:src:store")
        self.perm_social = {
            "twitter": AffinePermutation(9 * 10**17, f"{s}:src:tw"),
            "instagram": AffinePermutation(9 * 10**10, f"{s}:src:ig"),
            "facebook": AffinePermutation(9 * 10**14, f"{s}:src:fb"),
        }
        self.interaction_counter = 0

    def emit(self, item: _Frozen) -> Bundle:
        source, extra, observed, fields, inters, pid, hid = item
        srid = self._source_record_id(source, extra)
        stats = self.stats
        stats.records += 1
        stats.records_by_source[source] += 1
        n = self.interaction_counter
        lanes, lane = self.lanes, self.lane
        rows = tuple(
            (source, srid, f"INT-{(n + i) * lanes + lane + 1:010d}", *row)
            for i, row in enumerate(inters)
        )
        self.interaction_counter = n + len(rows)
        stats.interactions += len(rows)
        return Bundle((source, srid, observed, *fields), rows, (source, srid, pid, hid))

    def _source_record_id(self, source: str, extra: str) -> str:
        k = self.src_counter[source]
        self.src_counter[source] = k + 1
        n = k * self.lanes + self.lane
        if source == "whatsapp":
            return extra  # WhatsApp's wa_id is the number itself, digits with country code
        if source == "call_center":
            return f"CC-{n + 1:07d}"
        if source == "email":
            return f"EM{self.perm_email(n):08d}"
        if source == "web":
            return f"u_{self.perm_web(n):010x}"
        if source == "app":
            # UUID-4 shaped; the last 48 bits are a permuted counter, so ids never repeat.
            tail = self.perm_app(n)
            r = self.rng.getrandbits(74)
            return (
                f"{r & 0xFFFFFFFF:08x}-{(r >> 32) & 0xFFFF:04x}-4{(r >> 48) & 0xFFF:03x}-"
                f"{8 + ((r >> 60) & 3):x}{(r >> 62) & 0xFFF:03x}-{tail:012x}"
            )
        if source == "store":
            body = f"7707{self.perm_store(n):011d}"
            return body + _luhn_digit(body)
        # social: extra is the platform
        platform = extra or "instagram"
        j = self.social_counter[platform]
        self.social_counter[platform] = j + 1
        m = j * self.lanes + self.lane
        if platform == "twitter":
            return f"tw_{10**17 + self.perm_social[platform](m)}"
        if platform == "facebook":
            return f"fb_{10**14 + self.perm_social[platform](m)}"
        return f"ig_{10**10 + self.perm_social[platform](m)}"


class _Engine:
    """One lane: generates its households and people and yields their frozen records,
    decorrelated from generation order by a bounded shuffle buffer."""

    def __init__(
        self, config: SyntheticConfig, stats: GenerationStats, lane: int, lanes: int
    ) -> None:
        self.cfg = config
        self.knobs = knobs_for(config.profile)
        self.stats = stats
        self.lane = lane
        self.lanes = lanes
        n = config.n_records
        self.quota = n // lanes + (1 if lane < n % lanes else 0)
        self.rng = random.Random(f"{config.seed}:lane:{lane}")
        self.buffer_rng = random.Random(f"{config.seed}:lane:{lane}:buffer")
        self.buffer_size = max(1, config.shuffle_buffer // lanes)
        self.start_ts = calendar.timegm(config.start.utctimetuple())
        self.end_ts = calendar.timegm(config.end.utctimetuple())
        codes = [c for c, w in config.countries if w > 0]
        weights = [w for _, w in config.countries if w > 0]
        expected_people = int(self.quota / _MEAN_RECORDS) + 16
        self.people = People(
            config.seed,
            Picker(codes, weights),
            self.start_ts,
            self.end_ts,
            expected_people,
            config.noise,
            lane,
            lanes,
            knobs=self.knobs,
        )
        self.renderer = Renderer(config.noise, self.knobs)
        self.record_count = Picker(_RECORD_COUNTS, _RECORD_COUNT_WEIGHTS)
        self.case_perm = AffinePermutation(10**9, f"{config.seed}:case")
        self.case_counter = 0
        # Interactions per record: Poisson with a per-person activity level (0.4×, 1×, 1.6×).
        self.count_cdfs = [
            _poisson_cdf(config.interactions_per_record * a) for a in (0.4, 1.0, 1.6)
        ]

    # ------------------------------------------------------------------ main loop
    def run(self) -> Iterator[_Frozen]:
        remaining = self.quota
        buf: list[_Frozen] = []
        cap = self.buffer_size
        brng = self.buffer_rng
        stats = self.stats
        while remaining > 0:
            h = self.people.household(self.rng)
            emitted_any = False
            for p in h.members:
                if remaining <= 0:
                    break
                recs = self._person_records(p, remaining)
                remaining -= len(recs)
                stats.people += 1
                emitted_any = True
                for rec in recs:
                    buf.append(_freeze(rec, p.pid, h.hid))
                    if len(buf) >= cap:
                        i = rr(brng, len(buf))
                        buf[i], buf[-1] = buf[-1], buf[i]
                        yield buf.pop()
            if emitted_any:
                stats.households += 1
            # Break the person <-> household reference cycle so memory is freed by
            # reference counting, not by the (slower) cyclic garbage collector.
            for p in h.members:
                p.household = None
            h.members = []
        brng.shuffle(buf)
        yield from buf

    # ------------------------------------------------------------------ one person
    def _person_records(self, p: Person, remaining: int) -> list[Rec]:
        rng = self.rng
        n = min(self.record_count.pick(rng), remaining)
        span = self.end_ts - self.start_ts
        first_seen = self.start_ts + int(rng.random() * span * 0.92)
        times = sorted(rr(rng, first_seen, self.end_ts) for _ in range(n))
        recs = self._plan(p, times)
        self._link(p, recs)
        if self.knobs.sparse_rate:
            self._sparsify(recs)
        self._interactions(p, recs)
        return recs

    def _plan(self, p: Person, times: list[int]) -> list[Rec]:
        rng = self.rng
        weights = list(_CHANNEL_WEIGHTS[p.market])
        for _ in range(2):
            weights[rr(rng, 7)] *= 3.0  # a person's favourite channels
        if p.age >= 65:
            weights[_SOCIAL] *= 0.2
            weights[_APP] *= 0.5
        elif p.age < 25:
            weights[_SOCIAL] *= 2.0
            weights[_APP] *= 1.5
            weights[_CC] *= 0.5
        wa_numbers: list[Phone] = []
        if p.origin_mobile is not None:
            wa_numbers.append(p.origin_mobile)
        for ph in (p.mobile, p.old_mobile, p.alt_mobile):
            if ph is not None:
                wa_numbers.append(ph)
        email_values = [e for e in (p.email, p.old_email, p.family_email, p.alt_email) if e]
        social_accounts: list[tuple[str, str]] = []
        if p.handles:
            platforms = ["instagram", "twitter", "facebook"]
            rng.shuffle(platforms)
            social_accounts = [(pl, h) for h in p.handles for pl in platforms][:3]
        left = [len(wa_numbers), -1, len(email_values), -1, -1, -1, len(social_accounts)]
        for c in range(7):
            if left[c] == 0:
                weights[c] = 0.0

        recs: list[Rec] = []
        rand = rng.random
        render = self.renderer.render
        for ts in times:
            total = sum(weights)
            if total <= 0:
                c = _CC
            else:
                x = rand() * total
                c = 0
                for w in weights:
                    x -= w
                    if x < 0:
                        break
                    c += 1
                while c > 6 or weights[c] <= 0:  # float rounding at the top end
                    c -= 1
            weights[c] *= _REPEAT_DAMPING[c]
            if left[c] > 0:
                left[c] -= 1
                if left[c] == 0:
                    weights[c] = 0.0
            if c == _WA:
                rec = self._wa_record(p, ts, wa_numbers)
            elif c == _EMAIL:
                value = self._pick_email(p, ts, email_values)
                rec = render(p, "email", ts, rng, email_value=value)
            elif c == _SOCIAL:
                pl, h = social_accounts.pop(0)
                rec = render(p, "social", ts, rng, handle=h, platform=pl)
            else:
                rec = render(p, SOURCES[c], ts, rng)
            recs.append(rec)
        return recs

    def _wa_record(self, p: Person, ts: int, numbers: list[Phone]) -> Rec:
        rng = self.rng
        if p.alt_mobile in numbers and "whatsapp" in p.alt_sources:
            ph = p.alt_mobile
        # Migrants often keep WhatsApp on their home-country number.
        elif p.origin_mobile is not None and p.origin_mobile in numbers and rng.random() < 0.65:
            ph = p.origin_mobile
        else:
            current = p.mobile if (p.old_mobile is None or ts >= p.mobile_change) else p.old_mobile
            ph = current if current in numbers else numbers[0]
        numbers.remove(ph)
        return self.renderer.render(p, "whatsapp", ts, rng, wa_phone=ph)

    def _pick_email(self, p: Person, ts: int, values: list[str]) -> str:
        current = p.email if (not p.old_email or ts >= p.email_change) else p.old_email
        if p.alt_email in values and "email" in p.alt_sources:
            current = p.alt_email
        value = current if current in values else values[0]
        if p.family_email in values and value != p.family_email and self.rng.random() < 0.1:
            value = p.family_email
        values.remove(value)
        return value

    def _sparsify(self, recs: list[Rec]) -> None:
        """sparse profile: records of thin channels keep only a first name and a phone
        (done after the linkability repair, as such channels capture no more)."""
        knobs = self.knobs
        rng = self.rng
        for rec in recs:
            if rec.source not in knobs.sparse_sources or not rec.f[F_PHONE]:
                continue
            if rng.random() >= knobs.sparse_rate:
                continue
            name = rec.f[F_FIRST] or rec.f[F_FULL]
            first = name.split(" ")[0] if name else ""
            kept = {F_PHONE: rec.f[F_PHONE], F_FIRST: first, F_COUNTRY: rec.f[F_COUNTRY]}
            rec.f = [kept.get(i, "") for i in range(len(rec.f))]
            rec.fkeys = {F_PHONE: rec.fkeys[F_PHONE]} if F_PHONE in rec.fkeys else {}

    # ------------------------------------------------------------------ linkability
    def _link(self, p: Person, recs: list[Rec]) -> None:
        """Make sure the person's records form one connected group under the evidence a
        careful human could use; repair the (few) that are not, by letting a channel that
        can capture an identifier capture it."""
        if len(recs) < 2:
            return
        rng = self.rng
        for _ in range(6):
            comps = _components(recs)
            if len(comps) == 1:
                return
            main = max(comps, key=len)
            for comp in comps:
                if comp is main:
                    continue
                if self._join(p, recs, comp, main):
                    self.stats.repaired_records += 1
                    main = main + comp
                    continue
                # Nothing on either side can carry a shared identifier: replace the first
                # record of the stray group with one from a channel that can.
                i = comp[0]
                old = recs[i]
                source = ("call_center", "store", "web", "app")[rr(rng, 4)]
                recs[i] = self.renderer.render(p, source, old.ts, rng)
                self.stats.replaced_records += 1
                break
        if len(_components(recs)) > 1:
            self.stats.unlinked_people += 1

    def _join(self, p: Person, recs: list[Rec], comp: list[int], main: list[int]) -> bool:
        rng = self.rng
        main_keys = _identifier_keys(recs, main)
        comp_keys = _identifier_keys(recs, comp)
        # 1. a record of one group captures an identifier the other group shows. Records
        # of channels whose identity is fixed (a social handle, a WhatsApp number, an email
        # sender) are asked last: e.g. an app profile shows the social handle more often
        # than a social profile shows an email.
        passes = [(comp, main_keys), (main, comp_keys)]
        if all(recs[i].source in _FIXED_IDENTITY for i in comp):
            passes.reverse()
        for group, keys in passes:
            if self._capture(recs, group, keys):
                return True
        # 2. one record on each side captures an identifier the person has
        own: list[str] = []
        if p.nid:
            own.append("id")
        if p.mobile is not None:
            own.append("ph:" + p.mobile[0] + p.mobile[1])
        if p.email:
            own.append("em:" + p.email)
        for key in own:
            fld = _KEY_FIELD[key.partition(":")[0]]
            a = next(
                (
                    i
                    for i in comp
                    if fld in REPAIRABLE[recs[i].source] and not _field_needed(recs, comp, i, fld)
                ),
                None,
            )
            b = next(
                (
                    i
                    for i in main
                    if fld in REPAIRABLE[recs[i].source] and not _field_needed(recs, main, i, fld)
                ),
                None,
            )
            if a is not None and b is not None:
                self.renderer.fill(recs[a], fld, key, rng)
                self.renderer.fill(recs[b], fld, key, rng)
                return True
        return False

    def _capture(self, recs: list[Rec], group: list[int], keys: list[str]) -> bool:
        for i in group:
            for fld in REPAIRABLE[recs[i].source]:
                if _field_needed(recs, group, i, fld):
                    continue
                for key in keys:
                    if _KEY_FIELD.get(key.partition(":")[0]) == fld and self.renderer.fill(
                        recs[i], fld, key, self.rng
                    ):
                        return True
        return False

    # ------------------------------------------------------------------ interactions
    def _interactions(self, p: Person, recs: list[Rec]) -> None:
        rng = self.rng
        end = self.end_ts
        lang = "en" if p.market == "US" and (not p.hispanic or rng.random() < 0.6) else "es"
        cdf = self.count_cdfs[rr(rng, 3)]
        for rec in recs:
            k = bisect_right(cdf, rng.random())
            kinds = _INTERACTION_TYPES[rec.source]
            for j in range(k):
                if j == 0:
                    t = rec.ts + rr(rng, 0, 3600)
                else:
                    t = rec.ts + int(rng.random() ** 2 * (end - rec.ts))
                t = min(t, end)
                kind = kinds.pick(rng)
                status = _STATUS[kind].pick(rng)
                case_id = ""
                if kind == "complaint":
                    case_id = self._new_case()
                    if end - t < 10 * _DAY and status == "resolved":
                        status = _OPEN_STATES.pick(rng)
                    # follow-ups on the same channel about the same case
                    if rng.random() < 0.3:
                        t2 = t
                        for _ in range(rr(rng, 1, 3)):
                            t2 += rr(rng, 2 * 3600, 6 * _DAY)
                            if t2 > end:
                                break
                            rec.interactions.append(
                                (
                                    t2,
                                    "contact",
                                    _STATUS["case"].pick(rng),
                                    case_id,
                                    self._summary("case", lang, p.market),
                                )
                            )
                rec.interactions.append(
                    (t, kind, status, case_id, self._summary(kind, lang, p.market))
                )
        # Cases that travel across channels.
        by_source: dict[str, Rec] = {}
        for rec in recs:
            by_source.setdefault(rec.source, rec)
        if len(by_source) >= 2 and rng.random() < 0.35:
            n_cases = 1 if rng.random() < 0.8 else 2
            pool = list(by_source.values())
            for _ in range(n_cases):
                k = min(len(pool), 2 if rng.random() < 0.65 else 3)
                chosen = sorted(rng.sample(pool, k), key=lambda r: r.ts)
                self._cross_case(chosen, lang, p.market)

    def _cross_case(self, chosen: list[Rec], lang: str, market: str) -> None:
        rng = self.rng
        end = self.end_ts
        case_id = self._new_case()
        self.stats.cross_channel_cases += 1
        items = ref.ITEMS[lang]
        item = items[rr(rng, len(items))]  # one case, one product
        t = max(r.ts for r in chosen) + rr(rng, 0, 20 * _DAY)
        steps: list[tuple[Rec, int, str]] = []
        for idx, rec in enumerate(chosen):
            contacts = 1 if rng.random() < 0.7 else (2 if rng.random() < 0.75 else 3)
            for c in range(contacts):
                if t > end:
                    break
                if idx == 0 and c == 0:
                    kind = "complaint"
                else:
                    kind = "case" if rng.random() < 0.6 else "contact"
                steps.append((rec, t, kind))
                t += rr(rng, 2 * 3600, 5 * _DAY)
        if not steps:
            # Too close to the end of the window: the first contact still happened.
            steps.append((chosen[0], min(end, chosen[-1].ts + 3600), "complaint"))
        last = len(steps) - 1
        for n, (rec, ts, kind) in enumerate(steps):
            if n < last:
                status = _OPEN_STATES.pick(rng)
            elif end - ts > 3 * _DAY and rng.random() < 0.68:
                status = "resolved"
            else:
                status = _OPEN_STATES.pick(rng)
            summary_kind = "complaint" if n == 0 else "case"
            summary = self._summary(summary_kind, lang, market, item)
            rec.interactions.append((ts, kind, status, case_id, summary))

    def _new_case(self) -> str:
        n = self.case_perm(self.case_counter * self.lanes + self.lane)
        self.case_counter += 1
        self.stats.cases += 1
        return f"CS-{n:09d}"

    def _summary(self, kind: str, lang: str, market: str, item: str = "") -> str:
        rng = self.rng
        options = ref.SUMMARIES[lang][kind]
        template = options[rr(rng, len(options))]
        if "{" not in template:
            return template
        if not item:
            items = ref.ITEMS[lang]
            item = items[rr(rng, len(items))]
        return template.format(
            n=rr(rng, 100_000, 9_999_999),
            k=rr(rng, 1, 6),
            item=item,
            amt=_amount(market, rng) if "{amt}" in template else "",
        )


_KEY_FIELD = {"ph": F_PHONE, "em": F_EMAIL, "id": F_NID, "h": F_HANDLE}
_FIXED_IDENTITY = frozenset(("social", "whatsapp", "email"))


def _freeze(rec: Rec, pid: str, hid: str) -> _Frozen:
    """A record as nested tuples of strings only: CPython's garbage collector stops
    tracking such tuples, so a full shuffle buffer costs it nothing."""
    items = rec.interactions
    if len(items) > 1:
        items.sort()
    inters = tuple(
        (iso_utc(ts), kind, status, case_id, summary)
        for ts, kind, status, case_id, summary in items
    )
    extra = rec.wa_id or rec.platform
    return (rec.source, extra, iso_utc(rec.ts), tuple(rec.f), inters, pid, hid)


def _components(recs: list[Rec]) -> list[list[int]]:
    """Groups of records linked (transitively) by shared evidence keys, in record order."""
    groups: list[tuple[set[str], list[int]]] = []
    for i, rec in enumerate(recs):
        keys: set[str] = set()
        for field_keys in rec.fkeys.values():
            keys.update(field_keys)
        members = [i]
        kept: list[tuple[set[str], list[int]]] = []
        for group_keys, group_members in groups:
            if keys.isdisjoint(group_keys):
                kept.append((group_keys, group_members))
            else:
                keys |= group_keys
                members = group_members + members
        kept.append((keys, members))
        groups = kept
    return sorted((sorted(m) for _, m in groups), key=lambda m: m[0])


def _identifier_keys(recs: list[Rec], members: list[int]) -> list[str]:
    out: list[str] = []
    for i in members:
        for key in recs[i].all_keys():
            if key.partition(":")[0] in _KEY_FIELD and key not in out:
                out.append(key)
    return out


def _field_needed(recs: list[Rec], group: list[int], i: int, fld: int) -> bool:
    """Does record i's field carry a key that links it to another record of its group?"""
    keys = recs[i].fkeys.get(fld)
    if not keys:
        return False
    for j in group:
        if j != i:
            other = recs[j].all_keys()
            if any(k in other for k in keys):
                return True
    return False


def _poisson_cdf(lam: float, cap: int = 30) -> list[float]:
    """Cumulative Poisson(lam) probabilities for 0..cap-1 (bisect a uniform to sample)."""
    out: list[float] = []
    term = math.exp(-lam)
    acc = 0.0
    for k in range(cap):
        acc += term
        out.append(acc)
        term *= lam / (k + 1)
    return out


def _amount(market: str, rng: random.Random) -> str:
    if market == "CO":
        v = rr(rng, 150, 25_000) * 100
        return "$" + f"{v:,}".replace(",", ".")
    if market == "MX":
        return f"${rr(rng, 8_000, 2_500_000) / 100:,.2f} MXN"
    if market == "ES":
        return f"{rr(rng, 500, 150_000) / 100:.2f} €".replace(".", ",")
    return f"${rr(rng, 500, 150_000) / 100:,.2f}"


def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


class SyntheticDataset:
    """A lazily generated dataset: nothing is produced until it is iterated or written.

    Iterating (or calling a row method) regenerates from the seed each time, always with the
    same result. For large `n_records` prefer `write_dataset` or one pass over `stream()`:
    each of `records()`, `interactions()` and `truth()` is a full generation pass.
    """

    __slots__ = ("config",)

    def __init__(self, config: SyntheticConfig) -> None:
        self.config = config

    def __repr__(self) -> str:
        c = self.config
        return (
            f"SyntheticDataset(n_records={c.n_records}, seed={c.seed}, noise={c.noise}, "
            f"profile={c.profile!r})"
        )

    def stream(self) -> DatasetStream:
        """One generation pass: an iterator of `Bundle`s with running `stats`."""
        return DatasetStream(self.config)

    def __iter__(self) -> Iterator[Bundle]:
        return self.stream()

    def records(self) -> Iterator[dict[str, str]]:
        """Channel records as dicts keyed by RECORD_COLUMNS."""
        for b in self.stream():
            yield dict(zip(RECORD_COLUMNS, b.record, strict=True))

    def interactions(self) -> Iterator[dict[str, str]]:
        """Interactions as dicts keyed by INTERACTION_COLUMNS."""
        for b in self.stream():
            for row in b.interactions:
                yield dict(zip(INTERACTION_COLUMNS, row, strict=True))

    def truth(self) -> Iterator[dict[str, str]]:
        """Ground truth rows (source, source_record_id, person_id, household_id)."""
        for b in self.stream():
            yield dict(zip(TRUTH_COLUMNS, b.truth, strict=True))

    def collect(self) -> CollectedDataset:
        """Everything in memory at once (for tests and small demos)."""
        stream = self.stream()
        records: list[dict[str, str]] = []
        interactions: list[dict[str, str]] = []
        truth: list[dict[str, str]] = []
        for b in stream:
            records.append(dict(zip(RECORD_COLUMNS, b.record, strict=True)))
            interactions.extend(
                dict(zip(INTERACTION_COLUMNS, r, strict=True)) for r in b.interactions
            )
            truth.append(dict(zip(TRUTH_COLUMNS, b.truth, strict=True)))
        return CollectedDataset(records, interactions, truth, stream.stats)


@dataclass
class CollectedDataset:
    """A generated dataset held in memory: lists of row dicts plus generation stats."""

    records: list[dict[str, str]]
    interactions: list[dict[str, str]]
    truth: list[dict[str, str]]
    stats: GenerationStats


def generate(
    n_records: int = 10_000,
    *,
    seed: int = 0,
    countries: Mapping[str, float] | None = None,
    noise: float = 1.0,
    start: datetime | None = None,
    end: datetime | None = None,
    interactions_per_record: float = 1.2,
    profile: Profile = "today",
) -> SyntheticDataset:
    """Describe a synthetic omnichannel dataset with ground truth (generation is lazy).

    `profile` picks the population's habits (PROFILES); "today" is the historical
    generator, unchanged for a given seed.

    >>> ds = generate(1_000, seed=7)
    >>> first = next(iter(ds))
    >>> first.record[0] in SOURCES
    True
    """
    defaults = SyntheticConfig()
    config = SyntheticConfig(
        n_records=n_records,
        seed=seed,
        countries=SyntheticConfig.normalise_countries(countries),
        noise=noise,
        start=start or defaults.start,
        end=end or defaults.end,
        interactions_per_record=interactions_per_record,
        profile=profile,
    )
    return SyntheticDataset(config)
