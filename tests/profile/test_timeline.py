"""The unified timeline and open cases, checked against the interactions table directly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text

from cx360 import Hub
from cx360.store import Store
from cx360.store._schema import interactions, record_customers, records
from tests.profile._support import assign

_CLOSING = {"resolved", "closed", "completed", "cancelled"}
_OLDEST = datetime.min.replace(tzinfo=UTC)


def _aware(value: datetime | None) -> datetime:
    if value is None:
        return _OLDEST
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _sample(store: Store) -> list[str]:
    """The 15 customers with the most interactions, and 15 more spread over the rest."""
    with store.connection() as conn:
        ranked = [
            row[0]
            for row in conn.execute(
                text(
                    "select rc.customer_id from record_customers rc "
                    "join records r on r.id = rc.record_id "
                    "join interactions i on i.source = r.source "
                    "and i.source_record_id = r.source_record_id "
                    "group by rc.customer_id order by count(*) desc, rc.customer_id"
                )
            )
        ]
    assert len(ranked) > 100
    return ranked[:15] + ranked[15 :: len(ranked) // 15][:15]


def _interactions_of(store: Store, customer_id: str) -> list[Any]:
    i, r, rc = interactions.c, records.c, record_customers.c
    query = (
        select(i.id, i.interaction_id, i.source, i.occurred_at, i.status, i.case_id)
        .join(records, (r.source == i.source) & (r.source_record_id == i.source_record_id))
        .join(record_customers, rc.record_id == r.id)
        .where(rc.customer_id == customer_id)
    )
    with store.connection() as conn:
        return list(conn.execute(query))


def _expected_open_cases(rows: list[Any]) -> dict[str, tuple[str, int, set[str]]]:
    cases: dict[str, list[Any]] = {}
    for row in rows:
        if row.case_id:
            cases.setdefault(row.case_id, []).append(row)
    expected = {}
    for case_id, items in cases.items():
        items.sort(key=lambda r: (_aware(r.occurred_at), r.id))
        statuses = [r.status for r in items if r.status is not None]
        if statuses and statuses[-1].casefold() not in _CLOSING:
            expected[case_id] = (statuses[-1], len(items), {r.source for r in items})
    return expected


def test_timeline_holds_every_interaction_newest_first(built: Hub, built_store: Store) -> None:
    for customer_id in _sample(built_store):
        rows = _interactions_of(built_store, customer_id)
        found = built.profile(customer_id=customer_id, limit=10_000)
        assert found.profile is not None
        timeline = found.profile.interactions
        assert found.profile.interaction_count == len(rows) == len(timeline)
        assert {item.interaction_id for item in timeline} == {r.interaction_id for r in rows}
        times = [_aware(item.occurred_at) for item in timeline]
        assert times == sorted(times, reverse=True)
        # the default limit keeps the newest 50, and says how many there are
        default = built.profile(customer_id=customer_id).profile
        assert default is not None
        assert default.interactions == timeline[:50]
        assert default.interaction_count == len(rows)


def test_open_cases_match_a_direct_computation(built: Hub, built_store: Store) -> None:
    statuses: set[str] = set()
    for customer_id in _sample(built_store):
        expected = _expected_open_cases(_interactions_of(built_store, customer_id))
        found = built.profile(customer_id=customer_id, limit=0).profile
        assert found is not None
        assert found.interactions == []
        got = {c.case_id: (c.status, c.contacts, set(c.sources)) for c in found.open_cases}
        assert got == expected
        last = [_aware(c.last_contact) for c in found.open_cases]
        assert last == sorted(last, reverse=True)
        statuses |= {c.status for c in found.open_cases if c.status}
    assert "open" in statuses
    assert statuses & {"pending", "escalated"}  # still in progress: open for the agent


def _interaction(record: str, iid: str, when: str | None, **values: str) -> dict[str, Any]:
    source, record_id = record.split(":")
    return {
        "source": source,
        "source_record_id": record_id,
        "interaction_id": iid,
        "occurred_at": when,
        **values,
    }


def test_cases_hand_built(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(
        records=[
            {"source": "whatsapp", "source_record_id": "w1", "full_name": "Ana"},
            {"source": "web", "source_record_id": "x1", "full_name": "Ana"},
            {"source": "store", "source_record_id": "s9", "full_name": "Otra"},
        ],
        interactions=[
            _interaction("whatsapp:w1", "i1", "2024-01-01T09:00:00Z", case_id="C1", status="Open"),
            _interaction("web:x1", "i2", "2024-01-02T09:00:00Z", case_id="C1", status="resolved"),
            _interaction("web:x1", "i3", "2024-02-01T09:00:00Z", case_id="C2", status="open",
                         summary="no llegó"),
            _interaction("whatsapp:w1", "i4", "2024-02-03T09:00:00Z", case_id="C2",
                         status="Escalated", type="complaint", summary="sigue sin llegar"),
            _interaction("whatsapp:w1", "i5", "2024-03-01T09:00:00Z", case_id="C3",
                         status="pending"),
            _interaction("web:x1", "i6", "2024-03-02T09:00:00Z", case_id="C3"),
            _interaction("web:x1", "i7", None, type="contact"),
            # another customer's, and one whose record never arrived
            _interaction("store:s9", "i8", "2024-04-01T09:00:00Z", case_id="C9", status="open"),
            _interaction("app:zz", "i9", "2024-04-01T09:00:00Z", case_id="C1", status="open"),
        ],
    )  # fmt: skip
    assign(store, {"cus_ana": [("whatsapp", "w1"), ("web", "x1")], "cus_otra": [("store", "s9")]})
    profile = hub.profile(customer_id="cus_ana", limit=3).profile
    assert profile is not None
    assert profile.interaction_count == 7
    assert [i.interaction_id for i in profile.interactions] == ["i6", "i5", "i4"]
    assert profile.interactions[2].summary == "sigue sin llegar"
    assert [c.case_id for c in profile.open_cases] == ["C3", "C2"]
    c3, c2 = profile.open_cases
    # a contact without a status does not change the case's status
    assert (c3.status, c3.contacts, c3.sources) == ("pending", 2, ["whatsapp", "web"])
    assert (c2.status, c2.contacts, c2.sources, c2.last_type) == (
        "Escalated", 2, ["web", "whatsapp"], "complaint",
    )  # fmt: skip
    assert c2.first_contact == datetime(2024, 2, 1, 9, tzinfo=UTC)
    assert c2.last_contact == datetime(2024, 2, 3, 9, tzinfo=UTC)
    assert c2.last_summary == "sigue sin llegar"
    everything = hub.profile(customer_id="cus_ana", limit=100).profile
    assert everything is not None
    assert everything.interactions[-1].interaction_id == "i7"  # unknown time: oldest
