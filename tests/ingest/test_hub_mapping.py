"""`Hub.ingest` and `Hub.ingest_files` with a column mapping, forced reading options and
Spanish statuses, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from cx360 import ColumnMapping, Hub
from cx360.store import Store
from cx360.store._schema import interactions, records


def test_ingest_objects_with_a_mapping_and_recognized_keys(store: Store) -> None:
    hub = Hub(store)
    result = hub.ingest(
        records=[
            {"Código": "K1", "Nombre completo": "Lucía Núñez", "Móvil": "612 345 678"},
            {"Código": "K2", "Nombre completo": "Iker Peña", "Móvil": "612 345 679"},
        ],
        interactions=[
            {"ID": "i1", "Código": "K1", "Estado": "Cerrado", "Fecha": "05/06/2024 10:00"}
        ],
        mapping=ColumnMapping(source="tienda", columns={"source_record_id": "Código"}),
    )
    assert result.records is not None and result.records.inserted == 2
    assert result.records.mapping is not None
    assert result.records.mapping.columns["phone"] == ["Móvil"]
    assert result.interactions is not None and result.interactions.inserted == 1
    hub.configure_source("tienda", default_country="ES")
    with store.connection() as conn:
        stored = conn.execute(select(records.c.source, records.c.given_names)).all()
        interaction = conn.execute(select(interactions.c.status, interactions.c.occurred_at)).one()
    assert sorted(stored) == [("tienda", "Iker"), ("tienda", "Lucía")]
    assert interaction.status == "closed"
    assert interaction.occurred_at.day == 5 and interaction.occurred_at.month == 6


def test_ingest_files_with_options(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "datos.dat"  # a name that says no format
    path.write_bytes("ref|correo\nA1|Iñigo.Peña@proton.me\n".encode("cp1252"))
    hub = Hub(store)
    mapping = ColumnMapping(source="crm", columns={"source_record_id": "ref"})
    result = hub.ingest_files(path, mapping=mapping, delimiter="|", encoding="cp1252", format="csv")
    report = result.records
    assert report is not None and report.inserted == 1
    assert report.mapping is not None
    assert (report.mapping.delimiter, report.mapping.encoding) == ("|", "cp1252")
    # a plain dict maps columns
    other = tmp_path / "otro.csv"
    other.write_text("source,ref,correo\nweb,B2,b.ruiz@proton.me\n", encoding="utf-8")
    again = hub.ingest_files(other, mapping={"source_record_id": "ref"}).records
    assert again is not None and again.inserted == 1
    with store.connection() as conn:
        emails = dict(conn.execute(select(records.c.source_record_id, records.c.email_key)).all())
    assert emails == {"A1": "iñigo.peña@proton.me", "B2": "b.ruiz@proton.me"}


def test_a_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "crm.toml"
    path.write_text(
        'source = "crm"\ndelimiter = ";"\nconsents = ["Acepta SMS"]\n\n'
        '[columns]\nsource_record_id = "Código"\nphone = ["Celular", "Teléfono"]\n\n'
        '[statuses]\n"En revisión" = "open"\n',
        encoding="utf-8",
    )
    mapping = ColumnMapping.from_toml(path)
    assert mapping.source == "crm" and mapping.delimiter == ";"
    assert mapping.columns == {"source_record_id": "Código", "phone": ["Celular", "Teléfono"]}
    assert mapping.statuses == {"En revisión": "open"} and mapping.consents == ["Acepta SMS"]


def test_consent_columns_in_spanish_and_english_reach_the_profile(store: Store) -> None:
    from sqlalchemy import insert

    from cx360.store import utcnow
    from cx360.store._schema import customers, record_customers

    hub = Hub(store)
    hub.ingest(
        records=[
            {
                "source": "web",
                "source_record_id": "w1",
                "email": "ana.ruiz@proton.me",
                "acepta_comunicaciones": "Sí",
                "opt-in email": "yes",
                "observed_at": "2024-01-01T00:00:00Z",
            },
            {
                "source": "tienda",
                "source_record_id": "t1",
                "email": "ana.ruiz@proton.me",
                "Autoriza tratamiento de datos": "No",
                "Recibir SMS": "x",
                "observed_at": "2024-02-01T00:00:00Z",
            },
        ],
        mapping=ColumnMapping(consents=["Recibir SMS"]),  # not a known name
    )
    now = utcnow()
    with store.transaction() as conn:
        conn.execute(
            insert(customers).values(
                customer_id="cus_a", status="active", created_at=now, updated_at=now
            )
        )
        for record_id in conn.execute(select(records.c.id)).scalars():
            conn.execute(
                insert(record_customers).values(
                    record_id=record_id, customer_id="cus_a", assigned_at=now
                )
            )
    card = hub.context(customer_id="cus_a").context
    assert card is not None
    granted = {c.name: c.granted for c in card.consents}
    assert granted == {
        "consent_acepta_comunicaciones": True,
        "consent_opt_in_email": True,
        "consent_autoriza_tratamiento_de_datos": False,
        "consent_recibir_sms": True,
    }


def test_a_wrong_mapping_file_is_a_clear_error(tmp_path: Path) -> None:
    import pytest

    from cx360 import ConfigurationError

    path = tmp_path / "bad.toml"
    path.write_text('sorce = "crm"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"bad\.toml: sorce"):
        ColumnMapping.from_toml(path)
    path.write_text("[columns\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not a TOML file"):
        ColumnMapping.from_toml(path)
    path.write_text('[statuses]\n"Hecho" = "done"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"statuses\.Hecho"):
        ColumnMapping.from_toml(path)
    with pytest.raises(ConfigurationError, match="no mapping file"):
        ColumnMapping.from_toml(tmp_path / "missing.toml")
