"""The consent ledger: events from records' consent columns (with their history) and
recorded through the Hub, per purpose and channel; the current state in the profile and
the context card; may_contact. Real SQLite and PostgreSQL stores."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cx360 import Hub, InputError, NotFoundError
from cx360.privacy._consent import purpose_and_channel
from cx360.store import Store
from tests.profile._support import assign

RECORDS: list[dict[str, Any]] = [
    {"source": "web", "source_record_id": "w-1", "first_name": "Marta", "last_name": "Ríos",
     "email": "marta.rios.b@proton.me", "observed_at": "2024-03-01T10:00:00Z",
     "consent_marketing_email": "sí", "acepta_tratamiento_datos": "Sí"},
    {"source": "tienda", "source_record_id": "t-1", "first_name": "Marta", "last_name": "Ríos",
     "phone": "+57 301 555 0101", "observed_at": "2024-04-01T10:00:00Z",
     "Acepta SMS": "no", "opt-in llamadas": "x"},
    {"source": "web", "source_record_id": "w-9", "first_name": "Iván", "last_name": "Sosa",
     "email": "ivan.sosa.q@proton.me", "observed_at": "2024-02-01T10:00:00Z"},
]  # fmt: skip


@pytest.fixture
def hub(store: Store) -> Hub:
    hub = Hub(store)
    hub.ingest(records=RECORDS)
    assign(
        store,
        {"cus_marta": [("web", "w-1"), ("tienda", "t-1")], "cus_ivan": [("web", "w-9")]},
        aliases={"cus_old": "cus_marta"},
    )
    return hub


@pytest.mark.parametrize(
    ("column", "purpose", "channel"),
    [
        ("consent_marketing_email", "marketing", "email"),
        ("consent_acepta_tratamiento_datos", "data_processing", None),
        ("consent_acepta_sms", "marketing", "sms"),
        ("opt-in llamadas", "marketing", "phone"),
        ("marketing_opt_in", "marketing", None),
        ("consent_correo_postal", "marketing", "post"),
        ("consent_perfilado_whatsapp", "profiling", "whatsapp"),
        ("consent_servicio", "service", None),
    ],
)
def test_a_column_name_says_purpose_and_channel(
    column: str, purpose: str, channel: str | None
) -> None:
    assert purpose_and_channel(column) == (purpose, channel)


def test_consent_columns_become_the_customers_current_state(hub: Hub) -> None:
    profile = hub.profile(customer_id="cus_marta").profile
    assert profile is not None
    state = {(s.purpose, s.channel): (s.status, s.source) for s in profile.consent_state}
    assert state == {
        ("marketing", "email"): ("granted", "web"),
        ("data_processing", None): ("granted", "web"),
        ("marketing", "sms"): ("denied", "tienda"),
        ("marketing", "phone"): ("granted", "tienda"),
    }
    card = hub.context(customer_id="cus_marta").context
    assert card is not None and card.consent_state == profile.consent_state
    assert hub.may_contact("cus_marta", "marketing", "email").allowed
    sms = hub.may_contact("cus_marta", "marketing", "sms")
    assert (sms.allowed, sms.status) == (False, "denied")
    unknown = hub.may_contact("cus_ivan", "marketing", "email")
    assert (unknown.allowed, unknown.status, unknown.decided_by) == (False, "unknown", None)


def test_a_recorded_withdrawal_overrides_and_history_is_kept(hub: Hub) -> None:
    withdrawn = datetime(2024, 5, 1, 12, tzinfo=UTC)
    hub.record_consent(
        "marketing", "revoked", customer_id="cus_old", at=withdrawn, source="call_center",
        evidence="call 2024-05-01", by="agent-7",
    )  # fmt: skip
    email = hub.may_contact("cus_marta", "marketing", "email")
    assert (email.allowed, email.status) == (False, "revoked")  # every channel
    assert email.decided_by is not None and email.decided_by.recorded_by == "agent-7"
    hub.record_consent(
        "marketing", "granted", record=("tienda", "t-1"), channel="whatsapp",
        at=datetime(2024, 6, 1, tzinfo=UTC), source="whatsapp",
    )  # fmt: skip
    assert hub.may_contact("cus_marta", "marketing", "whatsapp").allowed
    assert not hub.may_contact("cus_marta", "marketing", "email").allowed
    history = hub.consents("cus_marta")
    assert [e.at for e in history] == sorted(e.at for e in history)
    assert [(e.origin, e.status) for e in history][-2:] == [
        ("recorded", "revoked"),
        ("recorded", "granted"),
    ]
    assert len([e for e in history if e.origin == "ingest"]) == 4


def test_a_record_update_keeps_the_earlier_consent_in_the_history(hub: Hub) -> None:
    changed = dict(RECORDS[0], observed_at="2024-07-01T10:00:00Z", consent_marketing_email="no")
    hub.ingest(records=[changed])
    email = [e for e in hub.consents("cus_marta") if e.channel == "email"]
    assert [e.status for e in email] == ["granted", "denied"]
    assert not hub.may_contact("cus_marta", "marketing", "email").allowed


def test_bad_consent_calls_are_refused(hub: Hub) -> None:
    with pytest.raises(InputError, match="status"):
        hub.record_consent("marketing", "maybe", customer_id="cus_marta", source="web")
    with pytest.raises(InputError, match="exactly one"):
        hub.record_consent("marketing", "granted", source="web")
    with pytest.raises(NotFoundError):
        hub.record_consent("marketing", "granted", customer_id="cus_nobody", source="web")
    with pytest.raises(NotFoundError):
        hub.record_consent("marketing", "granted", record=("web", "nope"), source="web")
    with pytest.raises(NotFoundError):
        hub.may_contact("cus_nobody", "marketing", "email")
