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
