"""The context card: what an agent sees when a contact starts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from cx360 import Hub
from cx360.store import Store
from tests.profile._support import assign


def test_card_agrees_with_the_profile(built: Hub, built_store: Store) -> None:
    with built_store.connection() as conn:
        customers = [
            row[0]
            for row in conn.execute(
                text(
                    "select customer_id from record_customers group by customer_id "
                    "order by count(*) desc, customer_id limit 25"
                )
            )
        ]
    for customer_id in customers:
        profile = built.profile(customer_id=customer_id, limit=10_000).profile
        card = built.context(customer_id=customer_id).context
        assert profile is not None
        assert card is not None
        golden = profile.golden
        assert card.name == (golden.name.value if golden.name else None)
        assert card.given_names == golden.given_names
        assert card.recent_interactions == profile.interactions[:5]
        assert card.interaction_count == profile.interaction_count
        assert card.open_cases == profile.open_cases
        assert card.sources == profile.sources
        assert {(v.kind, v.value) for v in card.verified} == {
            (i.kind, i.value) for i in profile.identifiers if i.valid and i.kind != "handle"
        }
        if profile.interactions:
            counts = Counter(i.source for i in profile.interactions)
            assert counts[card.preferred_channel] == max(counts.values())
            assert card.last_channel == profile.interactions[0].source
            assert card.last_contact == profile.interactions[0].occurred_at
        assert card.consents == []  # the synthetic channels give no consent columns


def _record(source: str, record_id: str, when: str, **values: Any) -> dict[str, Any]:
    return {
        "source": source,
        "source_record_id": record_id,
        "observed_at": when,
        "country": "CO",
        **values,
    }


def _contact(record: str, iid: str, when: str, **values: str) -> dict[str, Any]:
    source, record_id = record.split(":")
    return {
        "source": source,
        "source_record_id": record_id,
        "interaction_id": iid,
        "occurred_at": when,
        **values,
    }


def test_card_hand_built(store: Store) -> None:
    hub = Hub(store)
    hub.configure_source("store", priority=10)
    hub.ingest(
        records=[
            _record("store", "s1", "2023-01-01T00:00:00Z", first_name="Ana María",
                    last_name="Gómez", national_id="1020304050", marketing_opt_in="sí",
                    consent_whatsapp="maybe"),
            _record("whatsapp", "w1", "2024-01-01T00:00:00Z", full_name="Anita",
                    phone="300 111 2233", consent_sms=True, handle="@anita"),
            _record("web", "x1", "2025-01-01T00:00:00Z", first_name="Ana", last_name="Gómez",
                    email="NOEMAIL@noemail.com", phone="+57 999 12", marketing_opt_in="No"),
        ],
        interactions=[
            _contact("whatsapp:w1", "i1", "2024-01-01T09:00:00Z", case_id="C1", status="open"),
            _contact("whatsapp:w1", "i2", "2024-01-02T09:00:00Z", case_id="C1", status="closed"),
            _contact("whatsapp:w1", "i3", "2024-05-01T09:00:00Z", type="contact"),
            _contact("store:s1", "i4", "2024-06-01T09:00:00Z", type="purchase"),
            _contact("web:x1", "i5", "2025-02-01T09:00:00Z", case_id="C2", status="open"),
            _contact("web:x1", "i6", "2025-02-02T09:00:00Z", case_id="C2", status="pending",
                     summary="esperando repuesto"),
        ],
    )  # fmt: skip
    assign(store, {"cus_ana": [("store", "s1"), ("whatsapp", "w1"), ("web", "x1")]})
    found = hub.context(phone="+573001112233")
    assert (found.status, found.customer_id) == ("found", "cus_ana")
    card = found.context
    assert card is not None
    assert (card.name, card.given_names) == ("Ana María Gómez", "Ana María")
    # the placeholder e-mail, the invalid phone and the handle are not "verified"
    assert [(v.kind, v.value, v.sources) for v in card.verified] == [
        ("national_id", "1020304050", ["store"]),
        ("phone", "+573001112233", ["whatsapp"]),
    ]
    assert [c.case_id for c in card.open_cases] == ["C2"]
    assert card.open_cases[0].status == "pending"
    assert card.open_cases[0].last_summary == "esperando repuesto"
    assert [i.interaction_id for i in card.recent_interactions] == ["i6", "i5", "i4", "i3", "i2"]
    assert card.interaction_count == 6
    assert (card.preferred_channel, card.last_channel) == ("whatsapp", "web")
    assert card.last_contact == datetime(2025, 2, 2, 9, tzinfo=UTC)
    assert card.sources == ["store", "web", "whatsapp"]
    consents = {c.name: (c.granted, c.value, c.source) for c in card.consents}
    assert consents == {
        "consent_sms": (True, "True", "whatsapp"),
        "consent_whatsapp": (None, "maybe", "store"),
        "marketing_opt_in": (False, "No", "web"),  # the latest record that gives it
    }
    assert card.consents[0].observed_at == datetime(2024, 1, 1, tzinfo=UTC)


def test_preferred_channel_ties_go_to_the_latest(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(
        records=[
            {"source": "app", "source_record_id": "a"},
            {"source": "web", "source_record_id": "b"},
        ],
        interactions=[
            _contact("app:a", "1", "2024-01-01T00:00:00Z"),
            _contact("web:b", "2", "2024-01-02T00:00:00Z"),
            _contact("app:a", "3", "2024-01-03T00:00:00Z"),
            _contact("web:b", "4", "2024-01-04T00:00:00Z"),
        ],
    )
    assign(store, {"cus_t": [("app", "a"), ("web", "b")]})
    card = hub.context(record=("app", "a")).context
    assert card is not None
    assert (card.preferred_channel, card.last_channel) == ("web", "web")
    assert card.name is None
    assert card.verified == []
