"""Looking a customer up by any identifier: found, ambiguous, not found, never guessed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from cx360 import Hub, InputError, RecordRef
from cx360.store import Store
from tests.profile._support import assign

# phone keys held by the records of exactly one customer
_SINGLE_CUSTOMER = """
    select r.{key} as key, r.id, r.source, r.source_record_id, r.country, r.raw,
           rc.customer_id
    from records r join record_customers rc on rc.record_id = r.id
    where r.{key} in (
        select r2.{key} from records r2 join record_customers rc2 on rc2.record_id = r2.id
        where r2.{key} is not null group by r2.{key} having count(distinct rc2.customer_id) = 1
    ) {extra}
    order by r.id limit {n}
"""


def _rows(store: Store, sql: str, **params: Any) -> list[Any]:
    with store.connection() as conn:
        return list(conn.execute(text(sql), params))


def _single(store: Store, key: str, extra: str = "", n: int = 10) -> list[Any]:
    rows = _rows(store, _SINGLE_CUSTOMER.format(key=key, extra=extra, n=n))
    assert rows, f"the dataset has no {key} held by one customer"
    return rows


def _raw(row: Any) -> dict[str, Any]:
    import json

    return row.raw if isinstance(row.raw, dict) else json.loads(row.raw)


def test_phone_typed_in_another_format_finds_the_records_customer(
    built: Hub, built_store: Store
) -> None:
    for row in _single(built_store, "phone_key", "and r.phone_key like '+57%'"):
        national = row.key.removeprefix("+57")
        for typed in (f"{national[:3]} {national[3:6]} {national[6:]}", f"(57) {national}"):
            found = built.profile(phone=typed, country="CO")
            assert found.status == "found", typed
            assert found.customer_id == row.customer_id
            assert found.profile is not None
            assert found.profile.customer_id == row.customer_id
            assert RecordRef(source=row.source, source_record_id=row.source_record_id) in (
                found.profile.records
            )


def test_every_identifier_kind_finds_the_customer(built: Hub, built_store: Store) -> None:
    for row in _single(built_store, "email_key", n=5):
        typed = f"  {_raw(row)['email'].upper()} "
        assert built.profile(email=typed).customer_id == row.customer_id
    for row in _single(built_store, "handle_key", n=5):
        assert built.profile(handle="@" + row.key.upper()).customer_id == row.customer_id
    for row in _single(built_store, "national_id_key", n=5):
        found = built.profile(national_id=_raw(row)["national_id"], country=row.country)
        assert found.customer_id == row.customer_id
    for row in _rows(built_store, _SINGLE_CUSTOMER.format(key="phone_key", extra="", n=3)):
        found = built.profile(record=(row.source, row.source_record_id))
        assert (found.status, found.customer_id) == ("found", row.customer_id)
        by_id = built.profile(customer_id=row.customer_id)
        assert by_id.profile is not None
        assert by_id.profile.records == found.profile.records  # type: ignore[union-attr]
        assert by_id.alias is None


def test_placeholders_are_never_one_profile(built: Hub, built_store: Store) -> None:
    rows = _rows(
        built_store,
        "select raw, country from records where issues like '%phone:placeholder%' limit 10",
    )
    assert rows
    for row in rows:
        found = built.profile(phone=_raw(row)["phone"], country=row.country)
        assert (found.status, found.reason, found.profile) == ("ambiguous", "placeholder", None)
    for email in ("noemail@noemail.com", "NO-TIENE@correo.com", "sincorreo@gmail.com"):
        found = built.profile(email=email)
        assert found.status == "ambiguous"
        assert found.profile is None
    context = built.context(phone="0000000000", country="CO")
    assert (context.status, context.reason, context.context) == ("ambiguous", "placeholder", None)


def test_a_phone_shared_by_customers_lists_them_all(built: Hub, built_store: Store) -> None:
    shared = _rows(
        built_store,
        """select r.phone_key, count(distinct rc.customer_id) as n
           from records r join record_customers rc on rc.record_id = r.id
           where r.phone_key is not null
           group by r.phone_key having count(distinct rc.customer_id) > 1""",
    )
    assert shared, "households share phones in the synthetic data"
    for key, n in shared[:10]:
        expected = {
            r.customer_id
            for r in _rows(
                built_store,
                "select rc.customer_id from records r join record_customers rc "
                "on rc.record_id = r.id where r.phone_key = :k",
                k=key,
            )
        }
        found = built.profile(phone=key)
        assert (found.status, found.reason, found.profile) == ("ambiguous", "shared", None)
        assert found.candidate_count == n
        assert {c.customer_id for c in found.candidates} == expected


def test_a_merged_away_customer_id_resolves_to_the_survivor(built: Hub, built_store: Store) -> None:
    survivor = _single(built_store, "phone_key", n=1)[0].customer_id
    alias = "cus_test_merged_away_0001"
    with built_store.transaction() as conn:
        conn.execute(
            text(
                "insert into customers (customer_id, status, merged_into, created_at, updated_at)"
                " values (:a, 'merged', :s, current_timestamp, current_timestamp)"
            ),
            {"a": alias, "s": survivor},
        )
    found = built.profile(customer_id=alias)
    assert (found.status, found.customer_id, found.alias) == ("found", survivor, alias)
    assert found.profile is not None
    assert found.profile.customer_id == survivor
    card = built.context(customer_id=alias)
    assert (card.alias, card.customer_id) == (alias, survivor)


def test_nothing_found(built: Hub) -> None:
    assert built.profile(phone="+57 321 999 0001").reason == "no_match"
    assert built.profile(email="zq.tester.4711@gmail.com").reason == "no_match"
    assert built.profile(customer_id="cus_does_not_exist").status == "not_found"
    assert built.profile(record=("web", "no-such-record")).status == "not_found"
    invalid = built.profile(phone="+57 12", country="CO")
    assert (invalid.status, invalid.reason, invalid.profile) == ("not_found", "invalid", None)
    assert built.profile(email="not an email").reason == "invalid"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "got none"),
        ({"phone": "+573001234567", "email": "a@b.co"}, "got 2: phone, email"),
        ({"email": "a@b.co", "country": "CO"}, "country applies"),
        ({"phone": "+573001234567", "country": "Colombia"}, "alpha-2"),
        ({"phone": "300 123 4567"}, "needs its country"),
        ({"email": "   "}, "empty"),
        ({"record": ("web",)}, "record must be"),
    ],
)
def test_exactly_one_readable_identifier(store: Store, kwargs: Any, message: str) -> None:
    hub = Hub(store)
    with pytest.raises(InputError, match=message) as raised:
        hub.profile(**kwargs)
    assert "300" not in str(raised.value)  # no personal data in messages
    with pytest.raises(InputError, match=message):
        hub.context(**kwargs)


def _person(source: str, record_id: str, **values: str) -> dict[str, str]:
    return {"source": source, "source_record_id": record_id, "country": "CO", **values}


def test_unresolved_records_are_provisional_or_reported(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(
        records=[
            _person("store", "s1", first_name="Ana", last_name="Gómez", phone="3001112233"),
            _person("whatsapp", "w1", full_name="Ana G", phone="+57 300 111 2233"),
            _person("web", "x1", first_name="Luis", last_name="Ríos", phone="3104445566"),
            _person("app", "a1", first_name="Luis", phone="310 444 5566"),
            _person("email", "e1", first_name="Marta", email="marta.rios.83@gmail.com"),
        ],
        interactions=[
            {"source": "email", "source_record_id": "e1", "interaction_id": "i1", "type": "x"}
        ],
    )
    assign(store, {"cus_ana": [("store", "s1")]})
    # one customer and one record not resolved yet: found, the record reported
    found = hub.profile(phone="300 111 2233", country="CO")
    assert (found.status, found.customer_id) == ("found", "cus_ana")
    assert found.unresolved == [RecordRef(source="whatsapp", source_record_id="w1")]
    assert found.profile is not None
    assert found.profile.records == [RecordRef(source="store", source_record_id="s1")]
    # one unresolved record: a provisional single-record profile, with its interactions
    alone = hub.profile(email="MARTA.RIOS.83@gmail.com")
    assert (alone.status, alone.customer_id) == ("found", None)
    assert alone.profile is not None
    assert alone.profile.provisional
    assert alone.profile.interaction_count == 1
    assert alone.profile.golden.name is not None
    assert alone.profile.golden.name.value == "Marta"
    by_record = hub.context(record=("email", "e1"))
    assert by_record.context is not None
    assert by_record.context.provisional
    # several unresolved records, no customer: ambiguous, each a provisional candidate
    shared = hub.profile(phone="+573104445566")
    assert (shared.status, shared.reason, shared.candidate_count) == ("ambiguous", "shared", 2)
    assert {c.record for c in shared.candidates} == {
        RecordRef(source="web", source_record_id="x1"),
        RecordRef(source="app", source_record_id="a1"),
    }
    assert all(c.customer_id is None for c in shared.candidates)
    assert {c.name for c in shared.candidates} == {"Luis Ríos", "Luis"}


def test_shared_phone_hand_built(store: Store) -> None:
    hub = Hub(store)
    hub.ingest(
        records=[
            _person("store", "s1", first_name="Ana", last_name="Gómez", phone="6012345678"),
            _person("web", "x1", first_name="Ana", last_name="Gómez", phone="601 234 5678"),
            _person("store", "s2", first_name="Pedro", last_name="Gómez", phone="6012345678"),
        ]
    )
    assign(store, {"cus_ana": [("store", "s1"), ("web", "x1")], "cus_pedro": [("store", "s2")]})
    found = hub.context(phone="601 234 5678", country="CO")
    assert (found.status, found.reason, found.context) == ("ambiguous", "shared", None)
    assert [
        (c.customer_id, c.name, c.records_with_identifier, c.sources) for c in found.candidates
    ] == [
        ("cus_ana", "Ana Gómez", 2, ["store", "web"]),
        ("cus_pedro", "Pedro Gómez", 1, ["store"]),
    ]
    assert "Ana" not in repr(found)  # names stay out of repr (and so out of logs)
