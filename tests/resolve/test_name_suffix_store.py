"""A father and his son of one name, "Jr." and "Sr.", sharing the family phone: the
stored suffix keeps them apart in batch resolution and in real time. Real stores
(SQLite and PostgreSQL), real Splink on DuckDB."""

from __future__ import annotations

from typing import Any

import cx360
from cx360.resolve._rules import Rule, switched_off
from cx360.store._schema import records

from ._support import assignments

FAMILY_PHONE = "+1 212 482 9137"


def _clarks() -> list[dict[str, Any]]:
    senior = {"full_name": "Matthew Clark Sr.", "email": "mclark.sr@correo.example.org"}
    junior = {"first_name": "Matthew", "last_name": "Clark Jr.",
              "email": "mattclark.jr@correo.example.org"}  # fmt: skip
    rows = [
        {"source": "web", "source_record_id": "1", **senior, "phone": FAMILY_PHONE},
        {"source": "pos", "source_record_id": "2", **senior},
        {"source": "web", "source_record_id": "3", **junior, "phone": FAMILY_PHONE},
        {"source": "app", "source_record_id": "4", **junior},
    ]
    return [{**row, "country": "US"} for row in rows]


def test_the_suffix_is_stored_and_keeps_father_and_son_apart(store_url: str) -> None:
    with cx360.connect(store_url) as hub:
        hub.ingest(records=_clarks())
        with hub._store.connection() as conn:
            stored = dict(conn.execute(records.select().with_only_columns(
                records.c.source_record_id, records.c.name_suffix)).all())  # fmt: skip
        hub.resolve()
        customer = assignments(hub._store)
        junior = hub.resolve_record(
            {
                "source": "call",
                "source_record_id": "9",
                "full_name": "Matthew Clark Jr.",
                "phone": FAMILY_PHONE,
                "country": "US",
            }
        )
    assert stored == {"1": "sr", "2": "sr", "3": "jr", "4": "jr"}
    assert customer[("web", "1")] == customer[("pos", "2")]
    assert customer[("web", "3")] == customer[("app", "4")]
    assert customer[("web", "1")] != customer[("web", "3")]
    # real time puts the son's call with the son, as the next batch run would
    assert junior.customer_id == customer[("web", "3")]


def test_without_the_rule_the_family_phone_joins_them(store_url: str) -> None:
    with cx360.connect(store_url) as hub:
        hub.ingest(records=_clarks())
        with switched_off([Rule.NAME_SUFFIXES]):
            hub.resolve()
        customer = assignments(hub._store)
    assert len(set(customer.values())) == 1
