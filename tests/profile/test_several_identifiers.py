"""Lookups, profiles, context cards and exported profiles see every phone and e-mail of a
record, not only its first: on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cx360 import Hub
from cx360.store import Store
from tests.profile._support import assign


def _records() -> list[dict[str, Any]]:
    return [
        {
            "source": "crm",
            "source_record_id": "C-1",
            "first_name": "Valentina",
            "last_name": "Arango",
            "phone": "300 123 4567 / 310 555 1234",
            "email": "v.arango@proton.me",
            "email_2": "vale.arango@fastmail.com",
            "country": "CO",
            "observed_at": "2024-06-01T10:00:00+00:00",
        },
        {
            "source": "web",
            "source_record_id": "W-1",
            "first_name": "Valentina",
            "last_name": "Arango",
            "email": "v.arango@proton.me",
            "country": "CO",
            "observed_at": "2024-06-02T10:00:00+00:00",
        },
        {
            "source": "web",
            "source_record_id": "W-2",
            "first_name": "Tomás",
            "last_name": "Quintero",
            "phone": "315 000 1122",
            "country": "CO",
        },
    ]


def _customers(store: Store) -> Hub:
    hub = Hub(store)
    hub.ingest(records=_records())
    assign(store, {"CU-1": [("crm", "C-1"), ("web", "W-1")], "CU-2": [("web", "W-2")]})
    return hub


def test_a_second_phone_or_email_finds_the_customer(store: Store) -> None:
    hub = _customers(store)
    for found in (
        hub.profile(phone="310 555 1234", country="CO"),
        hub.profile(email="Vale.Arango@fastmail.com"),
        hub.profile(phone="+57 300 123 4567"),  # the first still does
    ):
        assert found.status == "found"
        assert found.customer_id == "CU-1"
    assert hub.context(phone="3105551234", country="CO").customer_id == "CU-1"
    assert hub.profile(phone="311 222 3344", country="CO").status == "not_found"


def test_a_second_value_shared_with_another_customer_is_ambiguous(store: Store) -> None:
    hub = _customers(store)
    # another customer's record gives Valentina's second phone as its own first
    hub.ingest(
        records=[
            {"source": "app", "source_record_id": "A-9", "phone": "310 555 1234", "country": "CO"}
        ]
    )
    assign(store, {"CU-3": [("app", "A-9")]})
    found = hub.profile(phone="310 555 1234", country="CO")
    assert (found.status, found.reason) == ("ambiguous", "shared")
    assert sorted(c.customer_id or "" for c in found.candidates) == ["CU-1", "CU-3"]


def test_profile_and_card_list_them_with_their_provenance(store: Store) -> None:
    hub = _customers(store)
    profile = hub.profile(customer_id="CU-1").profile
    assert profile is not None
    known = {(i.kind, i.value): i for i in profile.identifiers}
    second_phone = known[("phone", "+573105551234")]
    assert (second_phone.valid, second_phone.sources, second_phone.records) == (True, ["crm"], 1)
    second_email = known[("email", "vale.arango@fastmail.com")]
    assert second_email.sources == ["crm"]
    assert known[("email", "v.arango@proton.me")].sources == ["crm", "web"]
    assert profile.golden.phone is not None and profile.golden.phone.value == "+573001234567"
    card = hub.context(customer_id="CU-1").context
    assert card is not None
    verified = {(v.kind, v.value) for v in card.verified}
    assert {("phone", "+573105551234"), ("email", "vale.arango@fastmail.com")} <= verified


def test_an_unresolved_record_is_found_by_its_second_phone(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(records=_records()[:1])
    found = hub.profile(phone="310 555 1234", country="CO")
    assert found.status == "found" and found.profile is not None
    assert found.profile.provisional
    assert {i.value for i in found.profile.identifiers if i.kind == "phone"} == {
        "+573001234567",
        "+573105551234",
    }


def test_exported_profiles_carry_every_phone_and_email(store: Store, tmp_path: Path) -> None:
    hub = _customers(store)
    out = tmp_path / "profiles.jsonl"
    assert hub.export_profiles(out) == 2
    rows = {r["customer_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert sorted(rows["CU-1"]["phones"]) == ["+573001234567", "+573105551234"]
    assert sorted(rows["CU-1"]["emails"]) == ["v.arango@proton.me", "vale.arango@fastmail.com"]
    assert rows["CU-2"]["phones"] == ["+573150001122"]
