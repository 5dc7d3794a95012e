"""Golden record: survivorship rules per attribute, provenance, and every known identifier."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import cx360
from cx360 import ConfigurationError, Hub, SurvivorshipRules
from cx360.store import Store
from tests.profile._support import assign

RECORDS: list[dict[str, Any]] = [
    {
        "source": "store",
        "source_record_id": "s1",
        "observed_at": "2023-01-01T10:00:00Z",
        "country": "CO",
        "first_name": "Ana María",
        "last_name": "Gómez Ruiz",
        "national_id": "1020304050",
        "phone": "601 234 5678",
        "email": "ana.gomez@gmail.com",
        "address": "Calle 10 # 5-20",
        "city": "Bogotá",
        "postcode": "110111",
        "region": "Cundinamarca",
        "date_of_birth": "1990-05-17",
    },
    {
        "source": "whatsapp",
        "source_record_id": "w1",
        "observed_at": "2024-06-01T10:00:00Z",
        "country": "CO",
        "full_name": "Anita",
        "phone": "+57 300 111 2233",
    },
    {
        "source": "whatsapp",
        "source_record_id": "w2",
        "observed_at": "2022-01-01T10:00:00Z",
        "country": "CO",
        "full_name": "Anita",
        "phone": "3001112233",
    },
    {
        "source": "web",
        "source_record_id": "x1",
        "observed_at": "2025-01-01T10:00:00Z",
        "country": "CO",
        "first_name": "Ana",
        "last_name": "Gomez",
        "email": "anagomez.nueva@gmail.com",
        "national_id": "1.020.304.051",
        "phone": "0000000000",
        "address": "Carrera 7 # 8-9",
        "city": "Medellín",
        "postcode": "050021",
        "region": "Antioquia",
        "handle": "@AnaGomez",
    },
    {
        "source": "call_center",
        "source_record_id": "c1",
        "observed_at": "2024-12-01T10:00:00Z",
        "country": "CO",
        "full_name": "ANA GOMEZ",
        "national_id": "1020304051",
        "email": "NOEMAIL@noemail.com",
        "phone": "+57 999 12",
        "region": "ANTIOQUIA",
    },
]


def _when(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T10:00:00+00:00").astimezone(UTC)


def _span(first: str, last: str | None = None) -> tuple[datetime, datetime]:
    return _when(first), _when(last or first)


def _hub(store: Store, priorities: bool = True) -> Hub:
    hub = Hub(store)
    hub.ingest(records=RECORDS)
    if priorities:
        hub.configure_source("store", priority=10)
        hub.configure_source("call_center", priority=5)
        hub.configure_source("whatsapp", priority=1)
    assign(store, {"cus_ana": [(r["source"], r["source_record_id"]) for r in RECORDS]})
    return hub


def test_default_rules_with_provenance(store: Store) -> None:
    found = _hub(store).profile(customer_id="cus_ana")
    assert found.profile is not None
    golden = found.profile.golden
    picked = {
        attribute: (value.value, value.source, value.source_record_id, value.rule)
        for attribute, value in golden
        if hasattr(value, "rule")
    }
    assert picked == {
        # the store checks ID: its priority outranks the more frequent values
        "name": ("Ana María Gómez Ruiz", "store", "s1", "source_priority"),
        "national_id": ("1020304050", "store", "s1", "source_priority"),
        # mobile first, then the most recent record holding it; the placeholder never wins
        "phone": ("+573001112233", "whatsapp", "w1", "mobile"),
        "email": ("anagomez.nueva@gmail.com", "web", "x1", "most_recent"),
        "address": ("Carrera 7 # 8-9", "web", "x1", "most_recent"),
        "city": ("Medellín", "web", "x1", "most_recent"),
        "postcode": ("050021", "web", "x1", "most_recent"),
        # held by two records: shown as the one writing it in mixed case
        "region": ("Antioquia", "web", "x1", "most_recent"),
        "birth_date": ("1990-05-17", "store", "s1", "only_value"),
        "handle": ("anagomez", "web", "x1", "only_value"),
    }
    assert golden.phone is not None
    assert (golden.phone.records, golden.phone.alternatives) == (2, 1)
    assert golden.phone.observed_at == _when("2024-06-01")
    assert golden.national_id is not None
    assert (golden.national_id.records, golden.national_id.alternatives) == (1, 1)
    assert (golden.given_names, golden.surnames) == ("Ana María", "Gómez Ruiz")
    assert golden.region is not None
    assert (golden.region.records, golden.region.alternatives) == (2, 1)


def test_without_priorities_the_most_frequent_name_wins(store: Store) -> None:
    golden = _hub(store, priorities=False).profile(customer_id="cus_ana").profile.golden  # type: ignore[union-attr]
    assert golden.name is not None
    # "Anita" twice; "Ana Gomez" twice too (web and call center fold alike): more complete
    assert (golden.name.value, golden.name.rule) == ("Ana Gomez", "most_complete")
    assert golden.national_id is not None
    assert (golden.national_id.value, golden.national_id.rule) == ("1020304051", "most_frequent")


def test_rules_per_call_and_per_hub(store: Store, store_url: str) -> None:
    hub = _hub(store)
    rules = SurvivorshipRules(
        email=("source_priority", "most_recent"),
        national_id=("most_frequent",),
        phone=("most_frequent", "most_recent"),
        city=("source_priority",),
    )
    golden = hub.profile(customer_id="cus_ana", rules=rules).profile.golden  # type: ignore[union-attr]
    assert golden.email is not None
    assert (golden.email.value, golden.email.rule) == ("ana.gomez@gmail.com", "source_priority")
    assert golden.national_id is not None
    # provenance: the most recent of the records holding it (priority is not in the chain)
    assert (golden.national_id.value, golden.national_id.source_record_id) == ("1020304051", "x1")
    assert golden.national_id.rule == "most_frequent"
    assert golden.phone is not None
    assert (golden.phone.value, golden.phone.rule) == ("+573001112233", "most_frequent")
    assert golden.city is not None
    assert (golden.city.value, golden.city.rule) == ("Bogotá", "source_priority")
    with cx360.connect(store_url, survivorship=rules) as other:
        card = other.context(customer_id="cus_ana").context
        assert card is not None
        assert card.name == "Ana María Gómez Ruiz"
        email = other.profile(customer_id="cus_ana").profile.golden.email  # type: ignore[union-attr]
        assert email is not None
        assert email.value == "ana.gomez@gmail.com"


def test_every_identifier_is_listed_with_flags(store: Store) -> None:
    profile = _hub(store).profile(customer_id="cus_ana").profile
    assert profile is not None
    listed = {
        (i.kind, i.value): (i.valid, i.placeholder, i.sources, i.records, i.first_seen, i.last_seen)
        for i in profile.identifiers
    }
    ok, placeholder, invalid = (True, False), (False, True), (False, False)
    assert listed == {
        ("national_id", "1020304050"): (*ok, ["store"], 1, *_span("2023-01-01")),
        ("national_id", "1020304051"): (
            *ok, ["call_center", "web"], 2, *_span("2024-12-01", "2025-01-01"),
        ),
        ("phone", "+573001112233"): (*ok, ["whatsapp"], 2, *_span("2022-01-01", "2024-06-01")),
        ("phone", "+576012345678"): (*ok, ["store"], 1, *_span("2023-01-01")),
        ("phone", "0000000000"): (*placeholder, ["web"], 1, *_span("2025-01-01")),
        ("phone", "+57 999 12"): (*invalid, ["call_center"], 1, *_span("2024-12-01")),
        ("email", "anagomez.nueva@gmail.com"): (*ok, ["web"], 1, *_span("2025-01-01")),
        ("email", "ana.gomez@gmail.com"): (*ok, ["store"], 1, *_span("2023-01-01")),
        ("email", "NOEMAIL@noemail.com"): (*placeholder, ["call_center"], 1, *_span("2024-12-01")),
        ("handle", "anagomez"): (*ok, ["web"], 1, *_span("2025-01-01")),
    }  # fmt: skip
    # per kind: valid ones first, the most recently seen first
    assert [(i.kind, i.value) for i in profile.identifiers][:4] == [
        ("national_id", "1020304051"),
        ("national_id", "1020304050"),
        ("phone", "+573001112233"),
        ("phone", "+576012345678"),
    ]
    mobile = next(i for i in profile.identifiers if i.value == "+573001112233")
    assert mobile.detail == "mobile"
    assert mobile.match_key == "+573001112233"
    assert "+573001112233" not in repr(profile)  # identifiers stay out of repr (and logs)


def test_a_tie_is_decided_by_value_and_says_so(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(
        records=[
            {
                "source": "social",
                "source_record_id": key,
                "handle": handle,
                "observed_at": "2024-01-01",
            }
            for key, handle in (("a", "@zeta"), ("b", "@alfa"))
        ]
    )
    assign(store, {"cus_t": [("social", "a"), ("social", "b")]})
    for _ in range(2):
        handle = hub.profile(customer_id="cus_t").profile.golden.handle  # type: ignore[union-attr]
        assert handle is not None
        assert (handle.value, handle.rule) == ("zeta", "tie")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ()}, "empty"),
        ({"email": ("most_recent", "most_recent")}, "repeat"),
        ({"phone": ("newest",)}, "unknown survivorship rule"),
        ({"email": ("mobile",)}, "'phone' only"),
        ({"phone": ("valid",)}, "'national_id' only"),
        ({"national_id": ("most_complete",)}, "'name' only"),
    ],
)
def test_rules_are_checked(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        SurvivorshipRules(**changes)


def test_a_single_rule_may_be_given_as_a_string() -> None:
    rules = SurvivorshipRules(email="most_frequent")  # type: ignore[arg-type]
    assert rules.email == ("most_frequent",)
    assert SurvivorshipRules().phone == ("mobile", "most_recent", "most_frequent")
