"""The access log (reads that say who reads are logged, queryable per customer and per
actor) and subject access (everything held about a person, as one JSON document). Real
SQLite and PostgreSQL stores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cx360 import Hub, InputError, NotFoundError
from cx360.store import Store
from tests.profile._support import assign

RECORDS: list[dict[str, Any]] = [
    {
        "source": "web",
        "source_record_id": "w-1",
        "first_name": "Marta",
        "last_name": "Ríos",
        "email": "marta.rios.b@proton.me",
        "observed_at": "2024-03-01T10:00:00Z",
        "consent_marketing_email": "sí",
    },
    {
        "source": "tienda",
        "source_record_id": "t-1",
        "first_name": "Marta",
        "last_name": "Ríos",
        "phone": "+57 301 555 0101",
        "observed_at": "2024-04-01T10:00:00Z",
    },
    {
        "source": "web",
        "source_record_id": "w-9",
        "first_name": "Iván",
        "last_name": "Sosa",
        "email": "ivan.sosa.q@proton.me",
        "observed_at": "2024-02-01T10:00:00Z",
    },
]
INTERACTIONS: list[dict[str, Any]] = [
    {"source": "tienda", "source_record_id": "t-1", "interaction_id": "i-1",
     "occurred_at": "2024-04-02T10:00:00Z", "status": "Abierto", "case_id": "K1",
     "summary": "Reclamo por factura"},
]  # fmt: skip


@pytest.fixture
def hub(store: Store) -> Hub:
    hub = Hub(store)
    hub.ingest(records=RECORDS, interactions=INTERACTIONS)
    assign(
        store,
        {"cus_marta": [("web", "w-1"), ("tienda", "t-1")], "cus_ivan": [("web", "w-9")]},
        aliases={"cus_old": "cus_marta"},
    )
    return hub


def test_reads_with_an_actor_are_logged_per_customer_and_per_actor(
    hub: Hub, tmp_path: Path
) -> None:
    hub.profile(email="marta.rios.b@proton.me")  # no actor: not logged
    assert hub.access_log() == []
    hub.profile(email="marta.rios.b@proton.me", actor="agent-7", purpose="ticket K1")
    hub.context(phone="+573015550101", actor="agent-7")
    hub.context(customer_id="cus_ivan", actor="analyst-2", purpose="survey")
    hub.context(email="nobody.here@proton.me", actor="analyst-2")  # found no one
    hub.export_profiles(tmp_path / "all.jsonl", actor="bi-export", purpose="weekly")
    marta = hub.access_log(customer_id="cus_old")  # an alias reads its survivor's log
    assert [(e.actor, e.view, e.customers) for e in marta] == [
        ("bi-export", "export", 2),
        ("agent-7", "context", 1),
        ("agent-7", "profile", 1),
    ]
    assert marta[-1].purpose == "ticket K1" and marta[-1].customer_id == "cus_marta"
    analyst = hub.access_log(actor="analyst-2")
    assert [(e.customer_id, e.customers) for e in analyst] == [(None, 0), ("cus_ivan", 1)]
    assert len(hub.access_log()) == 5 and len(hub.access_log(limit=2)) == 2
    with pytest.raises(InputError, match="actor"):
        hub.profile(customer_id="cus_ivan", purpose="no actor given")


def test_subject_access_holds_everything_about_the_person(hub: Hub) -> None:
    hub.ingest(records=[dict(RECORDS[1], observed_at="2024-05-01T10:00:00Z", city="Cali")])
    hub.record_consent("marketing", "revoked", customer_id="cus_marta", source="call_center")
    hub.link_records(("web", "w-1"), ("tienda", "t-1"), reason="same person, checked", by="s-1")
    document = hub.subject_access("cus_old", actor="dpo", purpose="request 12")
    assert document.customer_id == "cus_marta"
    keys = sorted((r["source"], r["source_record_id"]) for r in document.records)
    assert keys == [("tienda", "t-1"), ("web", "w-1")]
    store_record = next(r for r in document.records if r["source"] == "tienda")
    assert store_record["raw"]["city"] == "Cali"
    assert [v["raw"].get("city") for v in store_record["versions"]] == [None]  # before
    assert [i["interaction_id"] for i in document.interactions] == ["i-1"]
    assert [(e.origin, e.status) for e in document.consents] == [
        ("ingest", "granted"),
        ("recorded", "revoked"),
    ]
    assert document.profile is not None and document.profile["customer_id"] == "cus_marta"
    assert [o["kind"] for o in document.overrides] == ["link"]
    assert [(e.actor, e.view) for e in document.access_log] == [("dpo", "subject_access")]
    text = document.model_dump_json()
    assert json.loads(text)["records"][0]["raw"]  # one JSON document
    assert "marta.rios.b@proton.me" in text  # it is the person's own data
    with pytest.raises(NotFoundError):
        hub.subject_access("cus_nobody")
