"""The ingest hot path (`prepare_record_values` + `PreparedCodec.encode_values`) gives what
`prepare_record` + `PreparedCodec.encode` give, value for value."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cx360.ingest._pipeline import codec_for
from cx360.ingest._prepare import (
    _ENCODER,
    RECORD_VALUE_COLUMNS,
    Quarantined,
    prepare_record,
    prepare_record_values,
    serialize,
)
from cx360.store._writes import RECORDS, encode_sqlite_datetime, prepared_columns

_ROWS: list[dict[str, Any]] = [
    {
        "source": "whatsapp",
        "source_record_id": "wa-1",
        "observed_at": "2026-02-01T12:00:00Z",
        "full_name": "MARÍA GUADALUPE 🇲🇽",
        "phone": "525573873693",
        "country": "MX",
    },
    {
        "source": "store",
        "source_record_id": "s-1",
        "observed_at": "2026-02-01 12:00:00.250+05:00",
        "first_name": "María",
        "last_name": "García Luna",
        "email": " NoEmail@NoEmail.com ",
        "phone": "0000000000",
        "national_id": "12345678Z",
        "date_of_birth": date(1990, 5, 4),
        "address": "Calle 5 # 10-20, Apto 3",
        "city": "Bogotá",
        "postcode": "110111",
        "region": "Bogotá D.C.",
        "country": "CO",
        "handle": "@maria_g",
    },
    {
        "source": "web",
        "source_record_id": "w-1",
        "email": "not an email",
        "date_of_birth": "31/02/1990",
        "national_id": "1",
        "full_name": "   ",
    },
    {"source": "web", "source_record_id": "w-2", "phone": "300 123 4567"},  # default country
    {"source": "web", "source_record_id": "", "phone": "1"},  # quarantined
    {"source": "web", "source_record_id": "w-3", "phone": 3.5},  # a float: a value issue
    {"source": "web", "source_record_id": 4.5, "phone": "1"},  # quarantined: a float key
]


def test_prepared_columns_are_the_store_columns_in_order() -> None:
    assert prepared_columns(RECORDS) + RECORDS.extras == RECORD_VALUE_COLUMNS


def test_values_are_the_prepared_record_in_column_order() -> None:
    countries = {"web": "CO"}
    for number, row in enumerate(_ROWS, 1):
        values = prepare_record_values(row, number, countries)
        record = prepare_record(row, number, countries, strict=False)
        if isinstance(record, Quarantined):
            assert values == record
            continue
        assert not isinstance(values, Quarantined)
        assert dict(zip(RECORD_VALUE_COLUMNS, values, strict=True)) == record
        for sqlite in (True, False):
            codec = codec_for("records", sqlite)
            assert codec.encode_values(values) == codec.encode(record)


_OPTIONAL = [
    "observed_at", "first_name", "last_name", "full_name", "email", "phone", "national_id",
    "date_of_birth", "address", "city", "postcode", "region", "country", "handle",
]  # fmt: skip
_TEXT = st.one_of(st.none(), st.text(max_size=30), st.sampled_from(["", " ", "0", "+57 300"]))


@settings(max_examples=200, deadline=None)
@given(
    st.fixed_dictionaries(
        {"source": st.sampled_from(["web", "app"]), "source_record_id": st.text(max_size=5)},
        optional={c: _TEXT for c in _OPTIONAL},
    )
)
def test_values_and_record_agree_on_any_row(row: dict[str, Any]) -> None:
    values = prepare_record_values(row, 1, {"app": "MX"})
    record = prepare_record(row, 1, {"app": "MX"}, strict=False)
    if isinstance(record, Quarantined):
        assert values == record
    else:
        assert not isinstance(values, Quarantined)
        assert dict(zip(RECORD_VALUE_COLUMNS, values, strict=True)) == record
        codec = codec_for("records", True)
        assert codec.encode_values(values) == codec.encode(record)


def test_strict_preparation_refuses_unreadable_values_and_names_the_column() -> None:
    """Real time refuses what ingest keeps as a value issue: its caller can fix it."""
    base = {"source": "web", "source_record_id": "w-9"}
    cases = [
        ({"observed_at": "yesterday-ish"}, "unparseable_timestamp", "observed_at"),
        ({"phone": 3.5}, "wrong_type", "phone"),
        ({"country": "Narnia"}, "invalid_country", "country"),
    ]
    for changes, reason, column in cases:
        refused = prepare_record({**base, **changes}, None)
        assert isinstance(refused, Quarantined)
        assert (refused.reason.value, refused.column) == (reason, column)
        kept = prepare_record({**base, **changes}, None, strict=False)
        assert not isinstance(kept, Quarantined)
        assert column in kept["issues"]
    # what is readable is accepted by both: a country's name, a day-first time
    row = {**base, "country": "Colombia", "observed_at": "14/06/2024 10:50", "phone": "300"}
    for strict in (True, False):
        record = prepare_record(row, None, strict=strict)
        assert not isinstance(record, Quarantined)
        assert record["country"] == "CO" and record["observed_at"].hour == 10


def _by_fields(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"
    )


@given(
    st.datetimes(
        min_value=datetime(2, 1, 1),
        max_value=datetime(9998, 12, 31),
        timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=-5, minutes=-30))]),
    )
)
def test_sqlite_datetime_text_is_fixed_width_naive_utc(value: datetime) -> None:
    assert encode_sqlite_datetime(value) == _by_fields(value)


_JSON_VALUE = st.one_of(
    st.text(),
    st.sampled_from(["", "\u2028", '"q"', "\\", "\x00\x1f", "🇲🇽 María"]),
    st.none(),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.dates(),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _JSON_VALUE, max_size=8))
def test_raw_json_is_the_sorted_encoders(row: dict[str, Any]) -> None:
    """The fast path for all-text rows writes what the encoder writes, character for
    character (the content hash depends on it); other rows take the encoder."""
    payload, digest = serialize(row)
    assert payload == _ENCODER.encode(row)
    assert serialize(dict(reversed(list(row.items())))) == (payload, digest)


def test_raw_json_of_a_row_that_is_not_a_dict() -> None:
    class Row(Mapping[str, Any]):
        def __init__(self, data: dict[str, Any]) -> None:
            self.data = data

        def __getitem__(self, key: str) -> Any:
            return self.data[key]

        def __iter__(self) -> Iterator[str]:
            return iter(self.data)

        def __len__(self) -> int:
            return len(self.data)

    data = {"b": "x", "a": "é", "c": "1"}
    assert serialize(Row(data)) == serialize(data)
    assert serialize(Row({**data, "d": 2})) == serialize({**data, "d": 2})


def test_postcode_and_region_keys_follow_the_records_country() -> None:
    row = {"source": "web", "source_record_id": "au-1", "postcode": "800", "region": "NT"}
    record = prepare_record(row, 1, {"web": "AU"}, strict=False)
    assert not isinstance(record, Quarantined)
    assert (record["postcode_key"], record["region_key"]) == ("0800", "northern territory")
    assert record["raw"] is not None and "800" in record["raw"]
    unknown = prepare_record(row | {"postcode": "N/A", "region": "-"}, 1, None, strict=True)
    assert not isinstance(unknown, Quarantined)  # a placeholder is a value issue, not refused
    assert (unknown["postcode_key"], unknown["region_key"]) == (None, None)
    assert unknown["issues"] == "postcode:placeholder"
