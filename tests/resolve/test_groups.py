"""The group engine: rebuilt from stored links it is the group batch made."""

from __future__ import annotations

import random
from typing import Any

from cx360.models._explain import GuardReason
from cx360.resolve._cluster import _must_links, _sole_holder_links, _weighted_links
from cx360.resolve._groups import Groups, PairsByRecord, replay_order
from cx360.resolve._guards import GuardLimits

LIMITS = GuardLimits()

# -- the engine -----------------------------------------------------------------------------

_GIVEN = ["juan", "juan carlos", "juan pablo", "maria", "maria jose", "ana", None]
_SURNAMES = [("perez", "gomez"), ("perez", "lopez"), ("perez", None), ("garcia", None)]
_DATES = ["1980-01-01", "1980-10-21", "1980-01-02", "1995-07-30", None]
_IDS = ["1020304050", "1020304051", "5566778899", None]


def _record(rng: random.Random) -> dict[str, Any]:
    given = rng.choice(_GIVEN)
    surname, second = rng.choice(_SURNAMES)
    return {
        "given_key": given.split()[0] if given else None,
        "given_keys": given,
        "surname_key": surname,
        "surname2_key": second,
        "birth_date": rng.choice(_DATES),
        "national_id_key": rng.choice(_IDS),
        "national_id_kind": "co_cc",
        "email_key": rng.choice(["a@x.co", "b@x.co", None]),
    }


def test_replaying_a_run_s_links_gives_back_its_facets_and_waived_guards() -> None:
    """What real time relies on: the links batch stores, replayed in `replay_order`, give
    every group the facets (in order) and waived guards batch's clustering left it."""
    rng = random.Random(7)
    crossed = 0
    for _ in range(400):
        n = rng.randint(2, 18)
        records = [_record(rng) for _ in range(n)]
        pairs = sorted({tuple(sorted(rng.sample(range(n), 2))) for _ in range(2 * n)})
        left, right = [p[0] for p in pairs], [p[1] for p in pairs]
        weights = [rng.choice([rng.uniform(-4, 30), 13.0, 26.0]) for _ in pairs]
        must = [tuple(rng.sample(range(n), 2)) for _ in range(rng.randint(0, 2))]
        batch = Groups(records, LIMITS, pairs=PairsByRecord(n, left, right))
        forced, _ = _must_links(batch, must)  # type: ignore[arg-type]
        links, _ = _weighted_links(batch, range(len(pairs)), left, right, weights)
        contacts = [k for k in range(len(pairs)) if rng.random() < 0.3]
        sole = _sole_holder_links(batch, contacts, left, right, weights)
        # stored as a run writes them (model, sole_holder, override), read back shuffled
        stored = [
            (i, j, w, kind, link_id)
            for link_id, (i, j, w, kind) in enumerate(
                [(*link, "model") for link in links]
                + [(*link, "sole_holder") for link in sole]
                + [(*link, "override") for link in forced]
            )
        ]
        rng.shuffle(stored)
        again = Groups(records, LIMITS)
        for i, j, w, kind, _ in sorted(stored, key=lambda s: replay_order(s[3], 1, s[4])):
            again.rejoin(i, j, kind, w)
        assert again.labels() == batch.labels()
        for root in set(batch.labels()):
            assert again.facets(root) == batch.facets(root)
            assert again.waived(root) == batch.waived(root)
            crossed += len(batch.facets(root)) > 1
    assert crossed > 50  # groups with facets were made, and rebuilt


def test_a_group_joined_across_a_guard_takes_in_what_fits_one_side() -> None:
    born = [{"birth_date": d} for d in ("1980-01-01", "1995-07-30", "1980-01-01", "2001-11-11")]
    groups = Groups(born, LIMITS)
    assert groups.must_link(0, 1) is None  # a steward's link across the birth dates
    assert groups.waived(0) is None
    assert len(groups.facets(0)) == 2
    assert groups.link(0, 2, 9.0, born[0], born[2]) is None  # fits the first side
    assert groups.link(0, 3, 9.0, born[0], born[3]) == GuardReason.BIRTH_DATE
