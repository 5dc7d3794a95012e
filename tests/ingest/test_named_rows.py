"""Rows given alone (`resolve_record`, `record_interaction`) are read as ingest reads a
header: contract names in any case, common English and Spanish names, a mapping with a
source and case-status words; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cx360 import ColumnMapping, Hub, SchemaError
from cx360.ingest import named_row
from cx360.store import Store
from cx360.store._schema import interactions, records

_SPANISH = {
    "ID": "wa-77",
    "Nombre": "Lucía",
    "Apellidos": "Ferrer Soto",
    "Correo electrónico": "lucia.ferrer.90@gmail.com",
    "Teléfono": "+34 612 345 678",
    "Fecha de nacimiento": "1990-04-12",
}


def test_contract_rows_pass_unchanged_and_others_are_renamed() -> None:
    contract = {"source": "web", "source_record_id": "w1", "email": "ana.test@example.com"}
    row, plan = named_row("records", contract)
    assert row is contract and plan is None
    row, plan = named_row("records", {"SOURCE": "web", "Source_Record_Id": "w1", "E-mail": "x"})
    assert dict(row) == {"source": "web", "source_record_id": "w1", "email": "x"}
    hubspot = {"source": "crm", "source_record_id": "c1", "First Name": "Ana", "Mobile Phone": "1"}
    row, _ = named_row("records", hubspot)
    expected = {"source": "crm", "source_record_id": "c1", "first_name": "Ana", "phone": "1"}
    assert dict(row) == expected


def test_a_mapping_gives_the_source_and_the_status_words() -> None:
    mapping = ColumnMapping(
        columns={"source_record_id": "ID"}, source="whatsapp", statuses={"cerrado ok": "closed"}
    )
    row, plan = named_row("records", _SPANISH, mapping)
    assert row["source_record_id"] == "wa-77" and row["first_name"] == "Lucía"
    assert row["email"] == "lucia.ferrer.90@gmail.com" and row["date_of_birth"] == "1990-04-12"
    assert plan is not None and plan.source == "whatsapp"
    assert plan.statuses == {"cerrado ok": "closed"}


def test_resolve_record_reads_spanish_keys_with_a_mapping(store: Store) -> None:
    hub = Hub(store)
    mapping = {"source_record_id": "ID"}
    with pytest.raises(SchemaError):  # no source in the row, none given: nothing stored
        hub.resolve_record(_SPANISH, mapping=mapping)
    match = hub.resolve_record(_SPANISH, mapping=ColumnMapping(columns=mapping, source="whatsapp"))
    assert match.status == "unresolved"  # stored; no model yet
    with store.connection() as conn:
        stored = conn.execute(
            select(
                records.c.source,
                records.c.source_record_id,
                records.c.given_key,
                records.c.email_key,
                records.c.phone_key,
                records.c.birth_date,
            )
        ).one()
    assert stored.source == "whatsapp" and stored.source_record_id == "wa-77"
    assert stored.given_key == "lucia" and stored.email_key == "luciaferrer90@gmail.com"
    assert stored.phone_key == "+34612345678" and str(stored.birth_date) == "1990-04-12"
    again = hub.resolve_record(
        {**_SPANISH, "Origen": "x"}, mapping=ColumnMapping(columns=mapping, source="whatsapp")
    )
    assert again.status == "unresolved"
    with store.connection() as conn:
        assert len(conn.execute(select(records.c.id)).all()) == 1


def test_record_interaction_takes_a_dict_a_source_and_status_words(store: Store) -> None:
    hub = Hub(store)
    row = {"ID cliente": "wa-77", "ID interacción": "i-1", "Estado": "Cerrado OK"}
    mapping = ColumnMapping(
        columns={"source_record_id": "ID cliente", "interaction_id": "ID interacción"},
        source="whatsapp",
        statuses={"cerrado ok": "closed"},
    )
    first = hub.record_interaction(row, mapping=mapping, occurred_at="2030-05-01T10:00:00Z")
    assert first.stored == "inserted" and first.interaction_id == "i-1"
    with store.connection() as conn:
        stored = conn.execute(
            select(interactions.c.source, interactions.c.source_record_id, interactions.c.status)
        ).one()
    assert tuple(stored) == ("whatsapp", "wa-77", "closed")
    keywords = hub.record_interaction(
        source="web", source_record_id="w1", interaction_id="i-2", Estado="Resuelto"
    )
    assert keywords.stored == "inserted"
    with store.connection() as conn:
        status = conn.execute(
            select(interactions.c.status).where(interactions.c.interaction_id == "i-2")
        ).scalar_one()
    assert status == "resolved"
