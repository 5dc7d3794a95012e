"""The golden phone and e-mail are chosen among all of a customer's values, first and
further ones alike, by the same survivorship rules, with provenance; profiles, context
cards and exported profiles show each value once, in the form its records give (E.164
with its kind, the e-mail as written). From Python and from the CLI, on a real SQLite
file and a real PostgreSQL server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cx360 import Hub
from cx360.cli import main
from cx360.profile._survivorship import SurvivorshipRules
from cx360.store import Store
from tests.profile._support import assign

# Valentina: her CRM record gives a landline first and her mobile second, and a written
# e-mail second; her newer web record gives another landline and her first e-mail.
CLIENTES = (
    "Código;Fuente;Nombre;Apellidos;Teléfono;Celular;Correo electrónico;País;"
    "Fecha de actualización\n"
    "C-1;crm;Valentina;Arango;601 234 5678;310 555 1234;"
    "v.arango@proton.me, Vale.Arango@Fastmail.com;Colombia;01/06/2024 10:00\n"
    "W-1;web;Valentina;Arango;(604) 444 5566;;v.arango@proton.me;COL;02/06/2024 10:00\n"
    "W-2;web;Tomás;Quintero;;315 000 1122;;CO;02/06/2024 11:00\n"
)
CUSTOMERS = {"CU-1": [("crm", "C-1"), ("web", "W-1")], "CU-2": [("web", "W-2")]}


def _hub(store: Store, tmp_path: Path) -> Hub:
    path = tmp_path / "clientes.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CLIENTES.encode("utf-8"))
    hub = Hub(store)
    hub.ingest_files(records=path)
    assign(store, CUSTOMERS)
    return hub


def test_the_golden_phone_is_the_mobile_wherever_the_record_gives_it(
    store: Store, tmp_path: Path
) -> None:
    hub = _hub(store, tmp_path)
    profile = hub.profile(customer_id="CU-1").profile
    assert profile is not None
    phone = profile.golden.phone
    assert phone is not None
    assert (phone.value, phone.rule, phone.source, phone.source_record_id) == (
        "+573105551234",
        "mobile",
        "crm",
        "C-1",
    )
    assert (phone.records, phone.alternatives) == (1, 2)
    # without the mobile rule the newest record's landline wins, by the same chain
    by_recency = SurvivorshipRules(phone=("most_recent",))
    newest = hub.profile(customer_id="CU-1", rules=by_recency).profile
    assert newest is not None and newest.golden.phone is not None
    assert (newest.golden.phone.value, newest.golden.phone.source) == ("+576044445566", "web")


def test_a_further_email_can_be_golden_in_its_written_form(store: Store, tmp_path: Path) -> None:
    hub = _hub(store, tmp_path)
    by_priority = SurvivorshipRules(email=("most_frequent", "most_recent"))
    frequent = hub.profile(customer_id="CU-1", rules=by_priority).profile
    assert frequent is not None and frequent.golden.email is not None
    assert (frequent.golden.email.value, frequent.golden.email.records) == (
        "v.arango@proton.me",
        2,
    )
    # a CRM record newer than the web one: its two e-mails tie on every rule, and the
    # record's own order decides (the first it gives)
    hub.ingest(
        records=[
            {"source": "crm", "source_record_id": "C-9", "first_name": "Valentina",
             "email": "Vale.Arango@Fastmail.com", "email_2": "v.arango@proton.me",
             "observed_at": "2024-07-01T10:00:00+00:00", "country": "CO"}
        ]
    )  # fmt: skip
    assign(store, {"CU-9": [("crm", "C-9")]})
    golden = hub.profile(customer_id="CU-9").profile
    assert golden is not None and golden.golden.email is not None
    assert (golden.golden.email.value, golden.golden.email.rule) == (
        "Vale.Arango@fastmail.com",
        "record_order",
    )


def test_profile_card_and_export_list_each_value_once_with_its_form(
    store: Store, tmp_path: Path
) -> None:
    hub = _hub(store, tmp_path)
    profile = hub.profile(customer_id="CU-1").profile
    assert profile is not None
    listed = [(i.kind, i.value, i.detail) for i in profile.identifiers if i.kind != "handle"]
    assert sorted(listed) == [
        ("email", "Vale.Arango@fastmail.com", None),
        ("email", "v.arango@proton.me", None),
        ("phone", "+573105551234", "mobile"),
        ("phone", "+576012345678", "fixed_line"),
        ("phone", "+576044445566", "fixed_line"),
    ]
    shared = next(i for i in profile.identifiers if i.value == "v.arango@proton.me")
    assert (shared.sources, shared.records) == (["crm", "web"], 2)
    card = hub.context(customer_id="CU-1").context
    assert card is not None
    verified = [(v.kind, v.value, v.detail) for v in card.verified]
    assert sorted(verified) == sorted(listed)
    out = tmp_path / "profiles.jsonl"
    assert hub.export_profiles(out) == 2
    rows = {r["customer_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    valentina: dict[str, Any] = rows["CU-1"]
    assert sorted(valentina["phones"]) == ["+573105551234", "+576012345678", "+576044445566"]
    assert sorted(valentina["emails"]) == ["Vale.Arango@fastmail.com", "v.arango@proton.me"]
    assert (valentina["phone"], valentina["phone_source"]) == ("+573105551234", "crm")


def test_from_the_cli(store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clientes.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CLIENTES.encode("utf-8"))
    assert main(["ingest", str(path), "--store", store_url]) == 0
    store = Store.open(store_url)
    try:
        assign(store, CUSTOMERS)
    finally:
        store.close()
    out = tmp_path / "profiles.jsonl"
    assert main(["export", "--profiles", "--out", str(out), "--store", store_url]) == 0
    rows = {r["customer_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["CU-1"]["phone"] == "+573105551234"
    assert len(rows["CU-1"]["phones"]) == len(set(rows["CU-1"]["phones"])) == 3
    assert sorted(rows["CU-1"]["emails"]) == ["Vale.Arango@fastmail.com", "v.arango@proton.me"]
    # found by her second e-mail, as written in another case; the card shows each phone
    # with its kind
    assert main(["profile", "--email", "VALE.arango@fastmail.com", "--store", store_url]) == 0
    printed = capsys.readouterr().out
    assert "+573105551234" in printed and "+576012345678" in printed
    phone_lines = [line for line in printed.splitlines() if "+576012345678" in line]
    assert len(phone_lines) == 1 and "fixed_line" in phone_lines[0]
