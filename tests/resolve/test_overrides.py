"""Steward overrides end to end, on SQLite and PostgreSQL: stored, audited, honoured."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from cx360 import (
    Hub,
    InputError,
    NotFoundError,
    OverrideConflictError,
    ResolutionError,
)
from cx360.store import Store
from cx360.store._schema import customers, overrides, record_links
from cx360.synthetic import write_dataset
from tests._stores import BuiltStores, built_stores
from tests.resolve._support import assignments

Key = tuple[str, str]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("synthetic")
    return dict(write_dataset(out, n_records=3000, seed=8, fmt="csv"))


@pytest.fixture(scope="module")
def resolved(
    dataset: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BuiltStores]:
    """The dataset ingested and resolved, once per backend; tests override on copies."""

    def build(hub: Hub) -> None:
        hub.ingest_files(dataset["records"])
        hub.resolve()

    with built_stores(build, tmp_path_factory.mktemp("overrides-built")) as stores:
        yield stores


def _resolved_hub(resolved: BuiltStores, url: str) -> tuple[Store, Hub]:
    """The empty store at `url` filled with a copy of `resolved`'s, and its hub."""
    store = Store.open(url)
    resolved.copy_into(store, url)
    return store, Hub(store)


def _members(assigned: dict[Key, str]) -> dict[str, list[Key]]:
    groups: dict[str, list[Key]] = defaultdict(list)
    for key, customer in sorted(assigned.items()):
        groups[customer].append(key)
    return groups


def _partition(assigned: dict[Key, str]) -> set[frozenset[Key]]:
    return {frozenset(keys) for keys in _members(assigned).values()}


def _merged_into(store: Store, customer_id: str) -> str | None:
    with store.connection() as conn:
        return conn.execute(
            select(customers.c.merged_into).where(customers.c.customer_id == customer_id)
        ).scalar()


def test_overrides_change_customers_and_survive_later_resolves(
    resolved: BuiltStores, store_url: str
) -> None:
    store, hub = _resolved_hub(resolved, store_url)
    original = assignments(store)
    groups = sorted(_members(original).items(), key=lambda kv: (-len(kv[1]), kv[0]))
    # X larger than Y, so X keeps its id and Y becomes its alias; Z is split in two
    (z_id, z_keys), (x_id, x_keys) = groups[0], groups[1]
    y_id, y_keys = next((c, k) for c, k in groups[2:] if 2 <= len(k) < len(x_keys))
    a, b = x_keys[0], y_keys[0]
    c, d = z_keys[0], z_keys[-1]

    link_id = hub.link_records(a, b, reason="same passport, ticket 42", by="steward-1")
    separate_id = hub.separate_records(c, d, reason="twins, ticket 43", by="steward-2")
    assert link_id != separate_id
    # nothing changes before the next resolve
    assert assignments(store) == original

    report = hub.resolve()
    assert report.override_links == 1
    assert report.overrides_refused == []
    assert report.blocked_by_guards.get("override_separate", 0) >= 1
    after = assignments(store)
    # merge: both customers' records are now X, and Y is an alias of X
    assert {after[k] for k in x_keys + y_keys} == {x_id}
    assert _merged_into(store, y_id) == x_id
    # split: c and d apart, and the larger part of Z keeps Z's id
    assert after[c] != after[d]
    parts: dict[str, int] = defaultdict(int)
    for key in z_keys:
        parts[after[key]] += 1
    assert parts[z_id] == max(parts.values())
    assert report.split_customers >= 1
    with store.connection() as conn:
        kinds = {
            (row.kind, row.match_weight)
            for row in conn.execute(select(record_links.c.kind, record_links.c.match_weight))
        }
    assert ("override", None) in kinds

    # overrides hold on every later resolve, with the model reused or retrained
    again = hub.resolve()
    assert again.records_reassigned == 0
    assert assignments(store) == after

    # the audit trail
    listed = {o.id: o for o in hub.overrides()}
    assert set(listed) == {link_id, separate_id}
    link = listed[link_id]
    assert link.kind == "link" and link.active
    assert (link.record_a.source, link.record_a.source_record_id) == a
    assert (link.record_b.source, link.record_b.source_record_id) == b
    assert link.reason == "same passport, ticket 42"
    assert link.created_by == "steward-1"
    assert isinstance(link.created_at, datetime) and link.created_at.tzinfo is not None

    # revoking returns to the model's decision; the rows stay, stamped
    revoked = hub.revoke_override(link_id, reason="wrong ticket", by="lead")
    hub.revoke_override(separate_id, reason="checked again", by="lead")
    assert revoked.revoked_by == "lead" and revoked.revoke_reason == "wrong ticket"
    assert revoked.revoked_at is not None and not revoked.active
    assert hub.overrides() == []
    assert [o.id for o in hub.overrides(include_revoked=True)] == [link_id, separate_id]
    with store.connection() as conn:
        assert conn.execute(select(overrides.c.revoked_by)).scalars().all() == ["lead", "lead"]
    back = hub.resolve()
    assert back.override_links == 0
    assert _partition(assignments(store)) == _partition(original)

    # a new decision also holds through a retrain
    hub.link_records(a, b, reason="confirmed by phone", by="steward-1")
    hub.separate_records(c, d, reason="confirmed twins", by="steward-2")
    retrained = hub.resolve(retrain=True)
    assert retrained.model_id != back.model_id
    final = assignments(store)
    assert final[a] == final[b]
    assert final[c] != final[d]
    hub.close()


def test_a_link_chaining_separated_records_is_refused_and_reported(
    resolved: BuiltStores, tmp_path: Path
) -> None:
    store, hub = _resolved_hub(resolved, f"sqlite:///{tmp_path / 'c.db'}")
    groups = sorted(_members(assignments(store)).values(), key=len)
    a, b, c = groups[0][0], groups[1][0], groups[2][0]
    first = hub.link_records(a, b, reason="r1", by="s")
    hub.separate_records(a, c, reason="r2", by="s")
    second = hub.link_records(b, c, reason="r3", by="s")
    report = hub.resolve()
    assert report.override_links == 1
    assert report.overrides_refused == [second]
    assigned = assignments(store)
    assert assigned[a] == assigned[b] != assigned[c]
    assert first < second
    hub.close()


def _small_hub(store: Store) -> Hub:
    hub = Hub(store)
    hub.ingest(
        records=[
            {"source": "web", "source_record_id": "w-1", "email": "ana.p@example.org"},
            {"source": "app", "source_record_id": "a-1", "email": "ana.p@example.org"},
            {"source": "store", "source_record_id": "s-1", "phone": "+57 300 555 0101"},
        ]
    )
    return hub


def test_invalid_overrides_are_refused(store: Store) -> None:
    hub = _small_hub(store)
    web, app, shop = ("web", "w-1"), ("app", "a-1"), ("store", "s-1")
    with pytest.raises(NotFoundError) as missing:
        hub.link_records(web, ("web", "secret-987654"), reason="x", by="s")
    assert "secret-987654" not in str(missing.value)  # the record id is masked
    with pytest.raises(InputError):
        hub.link_records(web, web, reason="x", by="s")
    with pytest.raises(InputError):
        hub.link_records(web, app, reason="  ", by="s")
    with pytest.raises(InputError):
        hub.separate_records(web, app, reason="x", by="")
    with pytest.raises(InputError):
        hub.separate_records(web, app, reason="x", by="s" * 129)

    link_id = hub.link_records(web, app, reason="same person", by="s")
    # the same decision again is the same override; the opposite one is a conflict
    assert hub.link_records(app, web, reason="again", by="t") == link_id
    with pytest.raises(OverrideConflictError) as conflict:
        hub.separate_records(app, web, reason="no", by="t")
    assert conflict.value.existing_id == link_id
    assert isinstance(conflict.value, ResolutionError)
    separate_id = hub.separate_records(web, shop, reason="other person", by="s")
    with pytest.raises(OverrideConflictError):
        hub.link_records(shop, web, reason="yes", by="t")
    assert [o.id for o in hub.overrides()] == [link_id, separate_id]

    with pytest.raises(NotFoundError):
        hub.revoke_override(9999, reason="x", by="s")
    with pytest.raises(InputError):
        hub.revoke_override(link_id, reason="", by="s")
    hub.revoke_override(link_id, reason="mistake", by="s")
    with pytest.raises(InputError):
        hub.revoke_override(link_id, reason="again", by="s")
    # once revoked, the opposite decision can be made
    hub.separate_records(web, app, reason="checked", by="s")
    assert [o.kind for o in hub.overrides()] == ["separate", "separate"]
    assert len(hub.overrides(include_revoked=True)) == 3


def test_records_may_be_given_as_refs(store: Store) -> None:
    hub = _small_hub(store)
    first = hub.link_records(("web", "w-1"), ("app", "a-1"), reason="same", by="s")
    listed = hub.overrides()[0]
    assert hub.link_records(listed.record_b, listed.record_a, reason="same", by="s") == first
