"""Small building blocks of the generator: weighted choice, id permutations, Bloom filter, noise.

Everything here is deterministic given the `random.Random` passed in (no use of `hash()`,
which is salted per process).
"""

from __future__ import annotations

import math
import random
import time
import zlib
from bisect import bisect_right
from collections.abc import Sequence
from typing import Generic, TypeVar

from cx360._errors import ConfigurationError
from cx360.synthetic._data import KEYBOARD_NEIGHBOURS

T = TypeVar("T")

__all__ = [
    "AffinePermutation",
    "BloomFilter",
    "Picker",
    "iso_utc",
    "rr",
    "strip_accents",
    "typo",
    "zipf_weights",
]


class Picker(Generic[T]):
    """Weighted choice by bisection on cumulative weights (O(log n) per pick)."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        if not items or len(items) != len(weights):
            raise ValueError("Picker needs as many weights as items, and at least one item")
        self.items: tuple[T, ...] = tuple(items)
        cum: list[float] = []
        acc = 0.0
        for w in weights:
            acc += float(w)
            cum.append(acc)
        self.total = acc
        cum[-1] = math.inf  # guards against rounding at the top end
        self.cum = cum

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect_right(self.cum, rng.random() * self.total)]

    def index(self, rng: random.Random) -> int:
        """The position of a weighted pick."""
        return bisect_right(self.cum, rng.random() * self.total)


def rr(rng: random.Random, a: int, b: int | None = None) -> int:
    """Uniform integer in [0, a) or [a, b): `Random.randrange` without its (slow) checks.
    Ranges here are far below 2**53, so the float route is exact enough."""
    if b is None:
        return int(rng.random() * a)
    return a + int(rng.random() * (b - a))


def zipf_weights(n: int, s: float) -> list[float]:
    """Weights 1/rank**s for ranks 1..n: a few very common items and a long tail."""
    return [1.0 / (k**s) for k in range(1, n + 1)]


class AffinePermutation:
    """A bijection of range(m): x ↦ (a·x + b) mod m with gcd(a, m) = 1.

    Feeding it a counter gives identifiers that look random but are unique by construction,
    so uniqueness needs no memory of what was issued.
    """

    __slots__ = ("a", "b", "m", "name")

    def __init__(self, m: int, seed: str) -> None:
        rng = random.Random(seed)
        self.m = m
        self.name = seed
        a = rng.randrange(m // 3 + 1, m) if m > 3 else 1
        while math.gcd(a, m) != 1:
            a += 1
            if a >= m:
                a = 1
        self.a = a
        self.b = rng.randrange(m)

    def __call__(self, x: int) -> int:
        if x >= self.m:
            raise ConfigurationError(
                f"synthetic id space {self.name.split(':')[-1]!r} exhausted; generate fewer records"
            )
        return (self.a * x + self.b) % self.m


class BloomFilter:
    """A fixed-size set of strings with false positives but no false negatives.

    Used to keep emails, handles and CURPs unique across people in constant memory: a
    false positive only means a person gets a slightly different (still unique) value.
    """

    __slots__ = ("bits", "mask")

    def __init__(self, capacity: int) -> None:
        n_bits = 1 << 16
        wanted = max(capacity, 1) * 16
        while n_bits < wanted and n_bits < (1 << 28):
            n_bits <<= 1
        self.bits = bytearray(n_bits >> 3)
        self.mask = n_bits - 1

    def add(self, value: str) -> bool:
        """Add `value`; True if it was (probably) absent, False if (probably) already there."""
        data = value.encode("utf-8")
        h1 = zlib.crc32(data)
        h2 = zlib.adler32(data[::-1]) * 0x9E3779B1 | 1  # a second, independent-enough hash
        bits = self.bits
        mask = self.mask
        new = False
        for i in range(4):
            pos = (h1 + i * h2) & mask
            byte = pos >> 3
            bit = 1 << (pos & 7)
            if not bits[byte] & bit:
                new = True
                bits[byte] |= bit
        return new


_ACCENTS = str.maketrans(
    "ÁÉÍÓÚÜÀÈÌÒÙÄËÏÖÇáéíóúüàèìòùäëïöçÑñ",
    "AEIOUUAEIOUAEIOCaeiouuaeiouaeiocNn",
)


def strip_accents(text: str) -> str:
    """Drop Spanish/Catalan diacritics (including ñ → n), as many legacy systems do."""
    return text.translate(_ACCENTS)


def typo(text: str, rng: random.Random) -> str:
    """One realistic typing error: keyboard-neighbour substitution, transposition,
    deletion or doubled letter. The first letter is kept (people rarely miss it)."""
    n = len(text)
    if n < 3:
        return text
    i = rr(rng, 1, n)
    r = rng.random()
    ch = text[i]
    if r < 0.4:
        near = KEYBOARD_NEIGHBOURS.get(ch.lower())
        if near:
            new = near[rr(rng, len(near))]
            if ch.isupper():
                new = new.upper()
            return text[:i] + new + text[i + 1 :]
        return text[:i] + text[i + 1 :]
    if r < 0.65 and i + 1 < n:
        return text[:i] + text[i + 1] + ch + text[i + 2 :]
    if r < 0.85:
        return text[:i] + text[i + 1 :]
    return text[:i] + ch + text[i:]


_DAY_PREFIX: dict[int, str] = {}
_HOUR_MINUTE = tuple(f"{m // 60:02d}:{m % 60:02d}:" for m in range(1440))
_SECOND = tuple(f"{s:02d}Z" for s in range(60))


def iso_utc(ts: int) -> str:
    """Epoch seconds → ISO-8601 UTC, e.g. "2023-05-14T15:32:10Z"."""
    day, sec = divmod(ts, 86_400)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = time.strftime("%Y-%m-%dT", time.gmtime(day * 86_400))
        if len(_DAY_PREFIX) < 100_000:  # bounded: ~a few thousand days are ever used
            _DAY_PREFIX[day] = prefix
    return prefix + _HOUR_MINUTE[sec // 60] + _SECOND[sec % 60]
