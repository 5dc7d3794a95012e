"""The Hub's own answers about a store (status, listings, quarantine) and how it opens one,
on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

import cx360
from cx360 import (
    ConfigurationError,
    Hub,
    InputError,
    QuarantinedRow,
    QuarantineReason,
    SparkOptions,
    StoreNotFoundError,
    StoreStatus,
)
from cx360.store import Store
from cx360.store._schema import quarantine, record_customers

_LONG_KEY = "w" * 300  # longer than a key may be: the row cannot be stored


def _records() -> list[dict[str, str]]:
    return [
        {"source": "web", "source_record_id": "w1", "email": "ana.test@example.com"},
        {"source": "whatsapp", "source_record_id": "wa1", "phone": "+573001112233"},
        {"source": "web", "source_record_id": "", "email": "luis.test@example.com"},
        {"source": "web", "source_record_id": _LONG_KEY, "email": "eva.test@example.com"},
    ]


def test_quarantined_rows_are_typed_and_masked(store: Store) -> None:
    hub = Hub(store)
    report = hub.ingest(records=_records()).records
    assert report is not None and report.quarantined == 2
    rows = hub.quarantined()
    assert all(isinstance(row, QuarantinedRow) for row in rows)
    too_long, missing = rows  # newest first
    assert (missing.reason, missing.column, missing.value) == (
        QuarantineReason.MISSING_KEY,
        "source_record_id",
        None,
    )
    assert (missing.source, missing.key, missing.row_number) == ("web", None, 3)
    assert missing.batch_id == report.batch_id
    assert too_long.reason is QuarantineReason.VALUE_TOO_LONG
    assert too_long.value == "*" * 298 + "ww"
    assert too_long.quarantined_at is not None
    assert "luis" not in repr(rows) and "eva.test" not in repr(rows)
    assert hub.quarantined(limit=1) == [too_long]
    assert hub.quarantined(batch_id=(report.batch_id or 0) + 1) == []
    with store.connection() as conn:
        assert conn.execute(select(func.count()).select_from(quarantine)).scalar_one() == 2


def test_status_counts_what_the_store_holds(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(
        records=_records(),
        interactions=[
            {"source": "web", "source_record_id": "w1", "interaction_id": "i1"},
        ],
    )
    status = hub.status()
    assert isinstance(status, StoreStatus)
    assert (status.records, status.interactions, status.quarantined) == (2, 1, 2)
    assert (status.customers, status.unresolved_records, status.last_run) == (0, 2, None)
    assert status.backend == store.dialect
    assert status.schema_version == store.revision
    assert "***" in status.url or status.backend == "sqlite"
    assert hub.channels() == ["web", "whatsapp"]


def test_status_and_listings_after_a_run(tmp_path: Path) -> None:
    from cx360.synthetic import write_dataset

    data = write_dataset(tmp_path / "data", n_records=600, seed=9, fmt="csv")
    store = Store.open(f"sqlite:///{tmp_path / 'c.db'}")
    hub = Hub(store)
    hub.ingest_files(data.records_path)
    report = hub.resolve()
    status = hub.status()
    assert status.customers == report.customers
    assert status.unresolved_records == 0
    run = status.last_run
    assert run is not None and run.status == "done" and run.finished_at is not None
    assert run.matching_model is not None
    assert run.matching_model.id == report.model_id
    assert run.matching_model.trained_on == report.records

    top = hub.top_customers(limit=5)
    assert len(top) == 5
    with store.connection() as conn:
        held = dict(
            conn.execute(
                select(record_customers.c.customer_id, func.count()).group_by(
                    record_customers.c.customer_id
                )
            ).all()
        )
    widths = [(len(c.sources), c.records) for c in top]
    assert widths == sorted(widths, reverse=True)
    for customer in top:
        assert customer.records == held[customer.customer_id]
        assert customer.sources == sorted(customer.sources)
    assert len(top[0].sources) == max(len(c.sources) for c in hub.top_customers(limit=1000))
    hub.close()


def test_report_refuses_a_channel_the_store_does_not_know(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(records=_records())
    with pytest.raises(InputError, match="unknown channel 'whatsap': the store knows web, "):
        hub.report(channel="whatsap")
    assert hub.report(channel="whatsapp").contacts.interactions == 0


def test_connect_can_refuse_to_create(store_url: str, tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    with pytest.raises(StoreNotFoundError, match="the file does not exist"):
        cx360.connect(missing, create=False)
    assert not missing.exists()
    if store_url.startswith("postgresql"):  # an empty schema: no store yet
        with pytest.raises(StoreNotFoundError, match="holds no cx360 schema"):
            cx360.connect(store_url, create=False)
    cx360.connect(store_url).close()  # creates it
    with cx360.connect(store_url, create=False) as hub:
        assert hub.status().records == 0


@pytest.mark.postgres
def test_a_server_that_is_not_there_is_a_clear_error(postgres_url: str) -> None:
    nobody = make_url(postgres_url).set(port=9, password="s3cret-pw")  # nothing listens on 9
    for create in (False, True):
        with pytest.raises(cx360.StoreConnectionError, match="cannot connect") as caught:
            cx360.connect(nobody.render_as_string(hide_password=False), create=create)
        assert "s3cret-pw" not in str(caught.value)


def test_the_url_hides_the_password(store_url: str) -> None:
    with cx360.connect(store_url) as hub:
        password = make_url(store_url).password
        if password:
            assert ":***@" in hub.url and f":{password}@" not in hub.url
        else:
            assert hub.url == store_url


def test_spark_options_need_the_spark_engine(store: Store) -> None:
    with pytest.raises(ConfigurationError, match="engine='spark'"):
        Hub(store).resolve(spark=SparkOptions(master="local[1]"))
