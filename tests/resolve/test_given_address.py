"""A person whose second record carries another surname (a married name) and no birth
date, with the same given name and address: the `given_address` rule brings the two
together in batch, incremental runs and real time alike, on SQLite and PostgreSQL, and
they become one customer; two people of one address and different given names are not
paired by it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cx360 import Hub
from cx360.store import Store
from cx360.store._schema import record_customers
from tests.resolve._differential import scored_three_ways
from tests.resolve._support import blocked_by, generated, record_ids

Row = dict[str, str]

# Fictional people: (given name, surname, the other surname, birth date, address, city).
_PEOPLE = (
    ("Orsolya", "Venn", "Halloran", "1984-05-12", "14 Quillfeather Lane", "Marlowe"),
    ("Teodora", "Brisk", "Castellan", "1991-11-03", "7 Orvalle Terrace", "Pinecrest"),
    ("Wilhelmina", "Farrow", "Dunmore", "1969-02-27", "220 Kelpmoor Road", "Saltmarsh"),
    ("Ysolde", "Ostend", "Marchetti", "1977-09-08", "3 Larkspur Close", "Eastbrook"),
)
# Two people of one address: another given name and another surname, no birth date.
_NEIGHBOURS = (("Casimir", "Thorne"), ("Perpetua", "Lindqvist"))
_SHARED_ADDRESS = ("51 Bramblewood Court", "Harrowgate")


def _row(number: int, given: str, surname: str, birth_date: str, place: tuple[str, str]) -> Row:
    address, city = place
    return {
        "source": "crm",
        "source_record_id": f"married-{number}",
        "observed_at": "2025-03-01T10:00:00Z",
        "first_name": given,
        "last_name": surname,
        "date_of_birth": birth_date,
        "address": address,
        "city": city,
        "country": "US",
    }


def _people() -> tuple[list[Row], list[Row]]:
    """Each person's first record, and their second: another surname, no birth date."""
    firsts, seconds = [], []
    for n, (given, surname, other, born, *place) in enumerate(_PEOPLE):
        firsts.append(_row(2 * n, given, surname, born, (place[0], place[1])))
        seconds.append(_row(2 * n + 1, given, other, "", (place[0], place[1])))
    (given_a, surname_a), (given_b, surname_b) = _NEIGHBOURS
    firsts.append(_row(100, given_a, surname_a, "", _SHARED_ADDRESS))
    seconds.append(_row(101, given_b, surname_b, "", _SHARED_ADDRESS))
    return firsts, seconds


@pytest.fixture(scope="module")
def married(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Row], list[Row]]:
    """Generated records with these people added, in halves: each person's first record
    in the first (ingested), the other in the second (streamed)."""
    rows = generated(Path(tmp_path_factory.mktemp("married")), n_records=1200, seed=67).rows
    firsts, seconds = _people()
    return [*rows[0::2], *firsts], [*rows[1::2], *seconds]


def _customers(store: Store) -> dict[int, str]:
    with store.connection() as conn:
        query = select(record_customers.c.record_id, record_customers.c.customer_id)
        return {int(r): str(c) for r, c in conn.execute(query)}


def test_a_given_name_and_an_address_shared_are_compared_in_every_path(
    married: tuple[list[Row], list[Row]], store: Store
) -> None:
    scored = scored_three_ways(store, *married)
    ids = record_ids(store)
    customers = _customers(store)
    for n in range(len(_PEOPLE)):
        pair = (ids[f"married-{2 * n}"], ids[f"married-{2 * n + 1}"])
        # only the new rule brings the two together
        assert blocked_by(store, *pair) == {"given_address"}, n
        # scored by real time when the second arrived (and so by the incremental run),
        # and by the full run, which makes them one customer
        assert pair in scored.new, n
        assert pair in scored.batch, n
        assert customers[pair[0]] == customers[pair[1]], n
    neighbours = (ids["married-100"], ids["married-101"])
    assert "given_address" not in blocked_by(store, *neighbours)
    assert customers[neighbours[0]] != customers[neighbours[1]]


def test_real_time_joins_the_married_name_to_its_customer(
    married: tuple[list[Row], list[Row]], store: Store
) -> None:
    first, _ = married
    _, seconds = _people()
    with Hub(store) as hub:
        hub.ingest(records=first)
        hub.resolve()
        joined = hub.resolve_record(seconds[0])
        assert joined.customer_id == _customers(store)[record_ids(store)["married-0"]]
