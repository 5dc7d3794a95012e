"""Ingest from Python objects: normalization stored, idempotence, history, quarantine."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from cx360 import ChannelRecord, Hub, Interaction, QuarantineReason
from cx360.store import Store
from cx360.store._schema import (
    ingest_batches,
    interaction_versions,
    interactions,
    quarantine,
    record_identifiers,
    record_versions,
    records,
)


def _record(**overrides: Any) -> dict[str, Any]:
    base = {
        "source": "call_center",
        "source_record_id": "CC-000001",
        "observed_at": "2026-03-01T10:00:00Z",
        "full_name": "José Luis García Márquez",
        "email": "Jose.Garcia+promo@Gmail.com",
        "phone": "(300) 123-4567",
        "national_id": "1.020.304.050",
        "date_of_birth": "07/03/1985",
        "address": "Cra 7 # 45-12 Apto 301",
        "city": "Bogotá D.C.",
        "country": "CO",
        "handle": "",
    }
    base.update(overrides)
    return base


def _rows(store: Store, table: Any) -> list[Any]:
    with store.connection() as conn:
        return list(conn.execute(select(table)))


def _count(store: Store, table: Any) -> int:
    with store.connection() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_record_is_stored_raw_and_normalized(store: Store) -> None:
    hub = Hub(store)
    report = hub.ingest(records=[_record(loyalty_tier="gold")]).records
    assert report is not None
    assert (report.rows, report.inserted, report.quarantined) == (1, 1, 0)
    (row,) = _rows(store, records)
    assert row.raw["phone"] == "(300) 123-4567"  # kept verbatim
    assert row.raw["loyalty_tier"] == "gold"  # extra columns are kept, not dropped
    assert row.phone_key == "+573001234567"
    assert row.phone_kind == "mobile"
    assert row.email_key == "josegarcia@gmail.com"
    assert row.national_id_key == "1020304050"
    assert row.birth_date == "1985-03-07"
    assert row.given_key == "jose"
    assert row.surname_key == "garcia"
    assert row.surname2_key == "marquez"
    assert row.given_names == "José Luis"
    assert row.country == "CO"
    assert row.version == 1
    assert row.issues is None


def test_models_are_accepted(store: Store) -> None:
    hub = Hub(store)
    record = ChannelRecord(
        source="web", source_record_id="u-1", email="ana@proton.me", segment="vip"
    )
    interaction = Interaction(
        source="web", source_record_id="u-1", interaction_id="i-1", status="Open", case_id="K1"
    )
    result = hub.ingest(records=[record], interactions=[interaction])
    assert result.records is not None and result.records.inserted == 1
    assert result.interactions is not None and result.interactions.inserted == 1
    (row,) = _rows(store, records)
    assert row.raw["segment"] == "vip"
    (inter,) = _rows(store, interactions)
    assert inter.status == "open"


def test_same_record_again_changes_nothing(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(records=[_record()])
    report = hub.ingest(records=[_record()]).records
    assert report is not None
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 1)
    assert _count(store, records) == 1
    assert _count(store, record_versions) == 0


def test_a_batch_mixing_new_changed_older_and_same_rows_is_counted_exactly(
    store: Store,
) -> None:
    """New keys take the bulk insert; only rows whose key exists take the careful path."""
    hub = Hub(store)
    hub.ingest(records=[_record(source_record_id=f"CC-{i}") for i in range(4)])
    batch = [
        _record(source_record_id="CC-0"),  # same content
        _record(source_record_id="CC-1", observed_at="2026-05-01T10:00:00Z", phone="3107654321"),
        _record(source_record_id="CC-2", observed_at="2025-01-01T10:00:00Z", phone="3150001122"),
        *(_record(source_record_id=f"NEW-{i}") for i in range(5)),
    ]
    report = hub.ingest(records=batch).records
    assert report is not None
    assert (report.inserted, report.updated, report.unchanged) == (5, 2, 1)
    assert _count(store, records) == 9
    by_id = {row.source_record_id: row for row in _rows(store, records)}
    assert by_id["CC-1"].phone_key == "+573107654321" and by_id["CC-1"].version == 2
    assert by_id["CC-2"].phone_key == "+573001234567" and by_id["CC-2"].version == 2
    assert by_id["CC-3"].version == 1 and by_id["NEW-4"].version == 1
    assert _count(store, record_versions) == 2


def test_changed_record_updates_and_keeps_history(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(records=[_record()])
    newer = _record(observed_at="2026-04-01T10:00:00Z", phone="+57 310 765 4321")
    report = hub.ingest(records=[newer]).records
    assert report is not None and report.updated == 1
    (row,) = _rows(store, records)
    assert row.phone_key == "+573107654321"
    assert row.version == 2
    (old,) = _rows(store, record_versions)
    assert old.record_id == row.id
    assert old.version == 1
    assert old.raw["phone"] == "(300) 123-4567"


def test_older_observation_becomes_history_not_current(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(records=[_record()])
    older = _record(observed_at="2025-01-01T10:00:00Z", phone="+57 315 000 1122")
    report = hub.ingest(records=[older]).records
    assert report is not None and report.updated == 1
    (row,) = _rows(store, records)
    assert row.phone_key == "+573001234567"  # the newer observation stays current
    assert row.version == 2
    (past,) = _rows(store, record_versions)
    assert past.raw["phone"] == "+57 315 000 1122"


def test_repeated_key_in_one_batch_is_an_update(store: Store) -> None:
    hub = Hub(store)
    rows = [_record(), _record(observed_at="2026-05-01T00:00:00Z", email="other@proton.me")]
    report = hub.ingest(records=rows).records
    assert report is not None
    assert (report.inserted, report.updated) == (1, 1)
    (row,) = _rows(store, records)
    assert row.email_key == "other@proton.me"


@pytest.mark.parametrize(
    ("row", "reason", "column"),
    [
        (
            {"source": "web", "email": "a@proton.me"},
            QuarantineReason.MISSING_KEY,
            "source_record_id",
        ),
        (
            {"source": " ", "source_record_id": "x", "email": "a@b.co"},
            QuarantineReason.MISSING_KEY,
            "source",
        ),
        (_record(source_record_id=12.5), QuarantineReason.WRONG_TYPE, "source_record_id"),
        (_record(source=["web"]), QuarantineReason.WRONG_TYPE, "source"),
        (_record(source_record_id="x" * 300), QuarantineReason.VALUE_TOO_LONG, "source_record_id"),
    ],
)
def test_bad_rows_are_quarantined_with_a_reason(
    store: Store, row: dict[str, Any], reason: QuarantineReason, column: str
) -> None:
    hub = Hub(store)
    good = _record(source_record_id="CC-good")
    report = hub.ingest(records=[good, row]).records
    assert report is not None
    assert report.rows == 2
    assert report.stored + report.quarantined == report.rows
    assert report.quarantine_reasons == {reason.value: 1}
    (q,) = _rows(store, quarantine)
    assert q.reason == reason.value
    assert q.column_name == column
    assert q.row_number == 2
    assert q.batch_id == report.batch_id
    assert isinstance(q.raw, dict)


def test_value_problems_keep_the_record_and_are_flagged(store: Store) -> None:
    hub = Hub(store)
    row = _record(phone="0000000000", email="noemail@noemail.com", date_of_birth="31/02/1990")
    report = hub.ingest(records=[row]).records
    assert report is not None and report.inserted == 1
    (stored,) = _rows(store, records)
    assert stored.phone_key is None
    assert stored.email_key is None
    assert stored.birth_date is None
    assert "phone:placeholder" in stored.issues
    assert "email:placeholder" in stored.issues
    assert "date_of_birth:impossible" in stored.issues
    assert stored.raw["phone"] == "0000000000"


@pytest.mark.parametrize(
    ("changes", "issues", "column", "value"),
    [
        ({"observed_at": "yesterday-ish"}, "observed_at:unparseable", "observed_at", None),
        ({"phone": 3001234567.0}, "phone:wrong_type", "phone_key", None),
        ({"email": ["a@b.com"]}, "email:wrong_type", "email_key", None),
        # no country: the national phone number cannot be read either
        ({"country": "Narnia"}, "country:invalid phone:no_country", "country", None),
        ({"date_of_birth": "not a date"}, "date_of_birth:unparseable", "birth_date", None),
    ],
)
def test_a_bad_value_keeps_the_row_with_that_field_unknown(
    store: Store, changes: dict[str, Any], issues: str, column: str, value: Any
) -> None:
    hub = Hub(store)
    row = _record(**changes)
    report = hub.ingest(records=[row]).records
    assert report is not None
    assert (report.inserted, report.quarantined) == (1, 0)
    assert report.value_issues == dict.fromkeys(issues.split(), 1)
    (stored,) = _rows(store, records)
    assert stored.issues == issues
    assert getattr(stored, column) == value
    for name, given in changes.items():
        assert stored.raw[name] == given  # the raw value is kept
    # the other fields are read as usual
    assert stored.email_key == (None if "email" in changes else "josegarcia@gmail.com")
    assert stored.surname_key == "garcia"


@pytest.mark.parametrize(
    ("country", "code"), [("Colombia", "CO"), ("COL", "CO"), ("colombia", "CO"), ("co", "CO")]
)
def test_country_names_and_alpha3_codes_are_read(store: Store, country: str, code: str) -> None:
    hub = Hub(store)
    report = hub.ingest(records=[_record(country=country)]).records
    assert report is not None and report.value_issues == {}
    (stored,) = _rows(store, records)
    assert (stored.country, stored.phone_key) == (code, "+573001234567")


def test_an_unknown_country_falls_back_to_the_sources_default(store: Store) -> None:
    hub = Hub(store)
    hub.configure_source("call_center", default_country="CO")
    hub.ingest(records=[_record(country="Narnia", phone="300 123 4567")])
    (stored,) = _rows(store, records)
    assert (stored.country, stored.phone_key, stored.issues) == (
        "CO",
        "+573001234567",
        "country:invalid",
    )


def test_day_first_timestamps_are_read_by_the_country(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(
        records=[
            _record(source_record_id="co", observed_at="05/06/2024 10:50", country="CO"),
            _record(source_record_id="us", observed_at="05/06/2024 10:50 PM", country="US"),
        ]
    )
    by_id = {row.source_record_id: row for row in _rows(store, records)}
    seen = {k: v.observed_at.replace(tzinfo=None) for k, v in by_id.items()}
    assert seen == {"co": datetime(2024, 6, 5, 10, 50), "us": datetime(2024, 5, 6, 22, 50)}
    assert all("observed_at" not in (row.issues or "") for row in by_id.values())


def test_several_phones_or_emails_keep_the_first_valid_and_the_others_as_identifiers(
    store: Store,
) -> None:
    hub = Hub(store)
    hub.ingest(
        records=[
            _record(source_record_id="a", phone="300 123 4567 / 310 555 1234"),
            _record(source_record_id="b", phone="12 ; 310 555 1234"),  # the first is invalid
            _record(source_record_id="c", email="ana.p@proton.me; ana@gmail.com"),
            _record(source_record_id="d", phone="300 123 4567", phone_2="300-123-4567"),
            _record(source_record_id="e", phone="", phone_2="310 555 1234"),
            _record(
                source_record_id="f", email="", email_2="ana.x@proton.me", email_3="ana.y@proton.me"
            ),
        ]
    )
    by_id = {row.source_record_id: row for row in _rows(store, records)}
    key_of = {row.id: key for key, row in by_id.items()}
    extra = {
        (key_of[row.record_id], row.kind, row.position): row.key
        for row in _rows(store, record_identifiers)
    }
    assert by_id["a"].phone_key == "+573001234567"
    assert by_id["a"].issues is None  # a valid second value is the record's too
    assert by_id["a"].raw["phone"] == "300 123 4567 / 310 555 1234"
    assert by_id["b"].phone_key == "+573105551234"
    assert by_id["b"].issues == "phone:extra_values"  # "12" is no phone: flagged
    assert by_id["c"].email_key == "ana.p@proton.me"
    assert by_id["c"].issues is None
    assert (by_id["d"].phone_key, by_id["d"].issues) == ("+573001234567", None)  # the same
    assert (by_id["e"].phone_key, by_id["e"].issues) == ("+573105551234", None)
    assert (by_id["f"].email_key, by_id["f"].issues) == ("ana.x@proton.me", None)
    assert extra == {
        ("a", "phone", 2): "+573105551234",
        ("c", "email", 2): "ana@gmail.com",
        ("f", "email", 2): "ana.y@proton.me",
    }


def test_source_default_country_interprets_national_numbers(store: Store) -> None:
    hub = Hub(store)
    hub.configure_source("whatsapp_mx", default_country="MX")
    hub.ingest(
        records=[{"source": "whatsapp_mx", "source_record_id": "1", "phone": "55 1234 5678"}]
    )
    (row,) = _rows(store, records)
    assert row.country == "MX"
    assert row.phone_key == "+525512345678"


def test_interactions_are_idempotent_and_keep_status_history(store: Store) -> None:
    hub = Hub(store)
    first = {
        "source": "email",
        "source_record_id": "em-1",
        "interaction_id": "int-1",
        "occurred_at": "2026-01-02 09:30:00",
        "type": "complaint",
        "status": "open",
        "case_id": "CASE-1",
        "summary": "late delivery",
    }
    hub.ingest(interactions=[first])
    again = hub.ingest(interactions=[first]).interactions
    assert again is not None and again.unchanged == 1
    closed = hub.ingest(interactions=[{**first, "status": "resolved"}]).interactions
    assert closed is not None and closed.updated == 1
    (row,) = _rows(store, interactions)
    assert row.status == "resolved"
    assert row.version == 2
    assert row.occurred_at.replace(tzinfo=None) == datetime(2026, 1, 2, 9, 30)
    (old,) = _rows(store, interaction_versions)
    assert old.status == "open"


def test_interaction_without_id_is_quarantined(store: Store) -> None:
    hub = Hub(store)
    report = hub.ingest(
        interactions=[{"source": "web", "source_record_id": "u", "interaction_id": ""}]
    ).interactions
    assert report is not None and report.quarantine_reasons == {"missing_key": 1}


def test_batches_are_recorded(store: Store) -> None:
    hub = Hub(store)
    report = hub.ingest(records=[_record(), {"source": "x"}]).records
    assert report is not None
    (batch,) = _rows(store, ingest_batches)
    assert batch.id == report.batch_id
    assert batch.status == "done"
    assert (batch.rows, batch.inserted, batch.quarantined) == (2, 1, 1)
    assert batch.finished_at is not None


def test_a_failure_midway_leaves_whole_transactions_only(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cx360.ingest import _pipeline

    # chunks of 100 rows, written in transactions of 300 (3 chunks)
    monkeypatch.setattr(_pipeline, "CHUNK_ROWS", 100)
    monkeypatch.setattr(_pipeline, "TRANSACTION_ROWS", 250)
    written = 600
    hub = Hub(store)

    def rows_then_crash() -> Any:
        for i in range(written + 210):
            yield _record(source_record_id=f"r{i}")
        raise RuntimeError("the input broke")

    with pytest.raises(RuntimeError):
        hub.ingest(records=rows_then_crash())
    assert _count(store, records) == written
    (batch,) = _rows(store, ingest_batches)
    assert batch.status == "failed"
    # re-running the whole input completes it, with no duplicates
    report = hub.ingest(
        records=[_record(source_record_id=f"r{i}") for i in range(written + 210)]
    ).records
    assert report is not None
    assert (report.inserted, report.unchanged) == (210, written)
    assert _count(store, records) == written + 210


def test_timestamps_are_utc(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(records=[_record(observed_at="2026-03-01T05:00:00-05:00")])
    (row,) = _rows(store, records)
    observed = row.observed_at
    if observed.tzinfo is not None:
        observed = observed.astimezone(UTC).replace(tzinfo=None)
    assert observed == datetime(2026, 3, 1, 10, 0)


def _lookup_indexes(store: Store, table: Any) -> set[str]:
    from cx360.store._store import index_names

    with store.connection() as conn:
        # lookup indexes are named ix_* (unique constraints uq_*, SQLite's own sqlite_*)
        return {n for n in index_names(conn, table) if n.startswith("ix_")}


def test_a_bulk_load_defers_lookup_indexes_and_rebuilds_them(store: Store) -> None:
    from cx360.ingest._pipeline import ingest_rows
    from cx360.store._store import secondary_indexes

    expected = {str(ix.name) for ix in secondary_indexes(records)}
    assert _lookup_indexes(store, records) == expected
    rows = [(i, _record(source_record_id=f"r{i}", phone=f"300{i:07d}")) for i in range(1, 51)]
    report = ingest_rows(store, "records", rows, defer_indexes=True)
    assert report.inserted == 50
    assert _lookup_indexes(store, records) == expected

    # and a failed bulk load rebuilds them too
    def crashing() -> Any:
        yield 1, _record(source_record_id="late")
        raise RuntimeError("the input broke")

    with pytest.raises(RuntimeError):
        ingest_rows(store, "records", crashing(), defer_indexes=True)
    assert _lookup_indexes(store, records) == expected


def test_opening_a_store_recreates_lookup_indexes_a_killed_load_left_out(store: Store) -> None:
    store.drop_secondary_indexes(records)
    store.drop_secondary_indexes(interactions)
    assert _lookup_indexes(store, records) == set()
    reopened = Store(store.url)
    try:
        assert _lookup_indexes(reopened, records) and _lookup_indexes(reopened, interactions)
        assert reopened.ensure_indexes() == []
    finally:
        reopened.close()
