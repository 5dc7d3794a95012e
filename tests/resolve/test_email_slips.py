"""An e-mail typed with a slip in the provider ("jt40@combs.net" / "jt40@comsb.net") on
two records of one person with the same birth date and names mistyped or missing: the
`email_user_dob` rule brings the two together in batch, incremental runs and real time
alike, on SQLite and PostgreSQL; a shared mailbox's user name ("info") does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from cx360.store import Store
from tests.resolve._differential import scored_three_ways
from tests.resolve._support import blocked_by, generated, record_ids

Row = dict[str, str]

# Fictional people: (given name, surname, e-mail, its slip, birth date). The second
# record of each has no given name and its surname's letters swapped, so no name rule
# pairs the two.
_PEOPLE = (
    ("Jonah", "Tate", "jt40@combs.net", "jt40@comsb.net", "1984-05-12"),
    ("Amara", "Quill", "amara.quill77@vexmail.com", "amara.quill77@vexmial.com", "1991-11-03"),
    ("Teodoro", "Brisk", "tbrisk@orvalle.co", "tbrisk@orvale.co", "1969-02-27"),
    ("Lucinda", "Farrow", "lfarrow09@pinemail.org", "lfarrow09@pinemial.org", "2001-07-19"),
    ("Ramiro", "Ostend", "ramiro_ostend@kelpnet.mx", "ramiro_ostend@kelpent.mx", "1977-09-08"),
)
# Two businesses' shared mailbox, with the same birth date on both records.
_ROLE = ("info@brightlane.com", "info@brightlame.com")


def _row(number: int, given: str, surname: str, email: str, birth_date: str) -> Row:
    return {
        "source": "web",
        "source_record_id": f"slip-{number}",
        "observed_at": "2025-03-01T10:00:00Z",
        "first_name": given,
        "last_name": surname,
        "email": email,
        "date_of_birth": birth_date,
        "country": "US",
    }


def _swapped(surname: str) -> str:
    return surname[0] + surname[2] + surname[1] + surname[3:]


def _slips() -> tuple[list[Row], list[Row]]:
    """Each person's first record, and their second: the e-mail slipped."""
    firsts, seconds = [], []
    for n, (given, surname, email, slip, born) in enumerate(_PEOPLE):
        firsts.append(_row(2 * n, given, surname, email, born))
        seconds.append(_row(2 * n + 1, "", _swapped(surname), slip, born))
    firsts.append(_row(100, "Odile", "Marsh", _ROLE[0], "1980-01-15"))
    seconds.append(_row(101, "Fermin", "Lagos", _ROLE[1], "1980-01-15"))
    return firsts, seconds


@pytest.fixture(scope="module")
def slipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Row], list[Row]]:
    """Generated records with the slipped people added, in halves: each person's first
    record in the first (ingested), the slipped one in the second (streamed)."""
    rows = generated(Path(tmp_path_factory.mktemp("slips")), n_records=1200, seed=61).rows
    firsts, seconds = _slips()
    return [*rows[0::2], *firsts], [*rows[1::2], *seconds]


def test_an_email_slip_with_the_same_birth_date_is_compared_in_every_path(
    slipped: tuple[list[Row], list[Row]], store: Store
) -> None:
    scored = scored_three_ways(store, *slipped)
    ids = record_ids(store)
    for n in range(len(_PEOPLE)):
        pair = (ids[f"slip-{2 * n}"], ids[f"slip-{2 * n + 1}"])
        # only the new rule brings the two together
        assert blocked_by(store, *pair) == {"email_user_dob"}, n
        # scored by real time when the second arrived (and so by the incremental run),
        # and by the full run
        assert pair in scored.new, n
        assert pair in scored.batch, n
    role = (ids["slip-100"], ids["slip-101"])
    assert blocked_by(store, *role) == set()
    assert role not in scored.batch
