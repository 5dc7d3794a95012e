"""The group engine: rebuilt from stored links it is the group batch made, and real time,
which decides with it, accepts what batch accepts (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import os
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

import cx360
from cx360 import Hub
from cx360.models._explain import GuardReason
from cx360.resolve._cluster import _must_links, _sole_holder_links, _weighted_links
from cx360.resolve._groups import Groups, PairsByRecord, StoredLink
from cx360.resolve._guards import GuardLimits
from cx360.synthetic import write_dataset

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
    """What real time relies on: the links batch stores, replayed (`Groups.replay`), give
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
            StoredLink(i, j, w, kind, 1, link_id)
            for link_id, (i, j, w, kind) in enumerate(
                [(*link, "model") for link in links]
                + [(*link, "sole_holder") for link in sole]
                + [(*link, "override") for link in forced]
            )
        ]
        rng.shuffle(stored)
        again = Groups(records, LIMITS)
        customers: dict[int, list[int]] = {}
        for i, root in enumerate(batch.labels()):
            customers.setdefault(root, []).append(i)
        again.replay(list(customers.values()), stored)
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


# -- real time accepts what batch accepts ----------------------------------------------------

SPECIAL = "facets"  # the source of the test's own records


def _person(key: str, given: str, born: str, **more: str) -> dict[str, str]:
    return {
        "source": SPECIAL,
        "source_record_id": key,
        "first_name": given,
        "last_name": "Quintanilla Ortuño",
        "date_of_birth": born,
        "country": "CO",
        **more,
    }


# A customer a steward joined across the guards: Leocadia (x) and Maximiliano (y), born
# 1979 and 1958; and one whose own pair joined it across one guard: Bartolomé (b), whose
# second record carries a mistyped birth date but his ID and name.
BATCH = [
    _person(
        "x1", "Leocadia", "1979-04-12", email="leo.quintanilla@example.org", phone="3105550101"
    ),
    _person("x2", "Leocadia", "1979-04-12", email="leo.quintanilla@example.org"),
    _person("y1", "Maximiliano", "1958-11-03", email="maxq@example.net", phone="3155550177"),
    _person("y2", "Maximiliano", "1958-11-03", phone="3155550177"),
    _person("b1", "Bartolomé", "1966-02-21", national_id="79456123", phone="3005550142"),
    _person("b2", "Bartolomé", "1969-08-30", national_id="79456123", email="bq@example.com"),
]
# Streamed: each fits one side of its customer, and only its name and birth date say so
# (no identifier that would let its own pair override the guard the other side raises).
STREAMED = [
    _person("x3", "Leocadia", "1979-04-12"),
    _person("y3", "Maximiliano", "1958-11-03"),
    _person("b3", "Bartolomé", "1966-02-21"),
    _person("z1", "Leocadia", "1958-11-03"),  # fits neither side: Leocadia, born in 1958
]


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@contextmanager
def _store_url(backend: str, folder: Path) -> Iterator[str]:
    """A SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'cx360.db'}"
        return
    base = os.environ.get("CX360_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("set CX360_TEST_POSTGRES_URL to run PostgreSQL tests")
    base = "postgresql+psycopg://" + base.split("://", 1)[1]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def joined_across(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hub]:
    """A store resolved in batch from generated records and `BATCH`, x1 and y1 linked by a
    steward."""
    folder = tmp_path_factory.mktemp("groups")
    data = write_dataset(folder / "data", n_records=900, seed=11, fmt="csv")
    with _store_url(request.param, folder) as url:
        hub = cx360.connect(url)
        try:
            hub.ingest(records=[*_read(data.records_path), *BATCH])
            hub.link_records((SPECIAL, "x1"), (SPECIAL, "y1"), reason="one customer", by="steward")
            hub.resolve()
            yield hub
        finally:
            hub.close()


def _customer(hub: Hub, key: str) -> str | None:
    return hub.explain_record((SPECIAL, key)).customer_id


def _partition(hub: Hub, keys: list[str]) -> set[frozenset[str]]:
    by_customer: dict[str | None, set[str]] = {}
    for key in keys:
        by_customer.setdefault(_customer(hub, key), set()).add(key)
    return {frozenset(keys) for keys in by_customer.values()}


def test_real_time_joins_a_record_to_the_side_of_a_customer_it_fits_as_batch(
    joined_across: Hub,
) -> None:
    hub = joined_across
    steward_joined, pair_joined = _customer(hub, "x1"), _customer(hub, "b1")
    assert {_customer(hub, k) for k in ("x1", "x2", "y1", "y2")} == {steward_joined}
    assert _customer(hub, "b2") == pair_joined != steward_joined
    streamed = {row["source_record_id"]: hub.resolve_record(row) for row in STREAMED}
    assert streamed["x3"].customer_id == steward_joined, streamed["x3"]
    assert streamed["y3"].customer_id == steward_joined, streamed["y3"]
    assert streamed["b3"].customer_id == pair_joined, streamed["b3"]
    # each joined on a pair the guards object to for the other side's records, and that
    # could not have overridden them on its own
    for key in ("x3", "y3", "b3"):
        match = streamed[key]
        assert match.status == "matched" and match.match_weight is not None
        assert match.match_weight < LIMITS.overwhelming_match_weight  # type: ignore[operator]
    assert streamed["z1"].customer_id not in (steward_joined, pair_joined)
    keys = [row["source_record_id"] for row in (*BATCH, *STREAMED)]
    stream = _partition(hub, keys)
    hub.resolve(full=True)  # batch, on the same records with the same model
    assert _partition(hub, keys) == stream
