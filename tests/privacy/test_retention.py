"""Retention: interactions older than the period go with their versions, except those of
cases still open; earlier versions replaced long ago go; current records stay; a dry run
counts the same and deletes nothing. Real SQLite and PostgreSQL stores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from cx360 import Hub, InputError
from cx360.cli import main
from cx360.store import Store, utcnow
from cx360.store._schema import interaction_versions, interactions, record_versions, records

OLD, NEW = "2019-03-01T10:00:00Z", "2099-01-01T10:00:00Z"
INTERACTIONS: list[dict[str, Any]] = [
    {"interaction_id": "old-closed", "occurred_at": OLD, "case_id": "K1", "status": "Resuelto"},
    {"interaction_id": "old-open", "occurred_at": OLD, "case_id": "K2", "status": "Abierto"},
    {"interaction_id": "old-none", "occurred_at": OLD},
    {"interaction_id": "recent", "occurred_at": NEW, "case_id": "K3", "status": "Cerrado"},
]  # fmt: skip


@pytest.fixture
def hub(store: Store) -> Hub:
    hub = Hub(store)
    key = {"source": "web", "source_record_id": "w-1"}
    hub.ingest(records=[key | {"email": "lia.mora.t@proton.me", "observed_at": OLD}])
    hub.ingest(records=[key | {"email": "lia.mora.t@proton.me", "phone": "+57 301 555 0177"}])
    hub.ingest(interactions=[key | row for row in INTERACTIONS])
    hub.ingest(interactions=[key | INTERACTIONS[0] | {"summary": "updated"}])  # a version
    with store.transaction() as conn:  # versions replaced long ago
        conn.execute(update(record_versions).values(replaced_at=utcnow() - timedelta(days=900)))
        conn.execute(
            update(interaction_versions).values(replaced_at=utcnow() - timedelta(days=900))
        )
    return hub


def _counts(store: Store) -> tuple[int, ...]:
    with store.connection() as conn:
        return tuple(
            conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (records, record_versions, interactions, interaction_versions)
        )


def test_old_interactions_and_versions_go_open_cases_and_records_stay(
    hub: Hub, store: Store
) -> None:
    before = _counts(store)
    assert before == (1, 1, 4, 1)
    dry = hub.retain(interactions=timedelta(days=365), versions=timedelta(days=365), dry_run=True)
    assert (dry.interactions, dry.interaction_versions, dry.record_versions) == (2, 1, 1)
    assert dry.kept_open == 1 and dry.dry_run
    assert _counts(store) == before
    done = hub.retain(interactions=timedelta(days=365), versions=timedelta(days=365))
    same = {"dry_run", "interactions_before", "versions_before"}
    assert done.model_dump(exclude=same) == dry.model_dump(exclude=same)
    assert _counts(store) == (1, 0, 2, 0)
    with store.connection() as conn:
        left = sorted(conn.execute(select(interactions.c.interaction_id)).scalars())
    assert left == ["old-open", "recent"]
    profile = hub.profile(record=("web", "w-1")).profile
    assert profile is not None and [c.case_id for c in profile.open_cases] == ["K2"]
    assert hub.retain(interactions=timedelta(days=365)).interactions == 0  # nothing left


def test_versions_only_and_bad_periods(hub: Hub, store: Store) -> None:
    assert hub.retain(versions=timedelta(days=2000)).record_versions == 0  # too recent
    assert hub.retain(versions=timedelta(days=365)).record_versions == 1
    assert _counts(store)[2] == 4  # interactions untouched
    with pytest.raises(InputError, match="positive"):
        hub.retain(interactions=timedelta(0))


def test_retain_from_the_command_line(
    hub: Hub, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hub.close()
    argv = ["retain", "--interactions", "2y", "--versions", "52w", "--dry-run"]
    assert main([*argv, "--store", store_url]) == 0
    out = capsys.readouterr().out
    assert "would purge: 2 interactions, 1 earlier interaction versions, 1 earlier" in out
    assert "kept: 1 old interactions of cases still open" in out
    assert main(["retain", "--interactions", "730d", "--json", "--store", store_url]) == 0
    assert '"interactions": 2' in capsys.readouterr().out
    assert main(["retain", "--store", store_url]) == 2
    with pytest.raises(SystemExit) as usage:  # argparse: a period it cannot read
        main(["retain", "--interactions", "3m", "--store", store_url])
    assert usage.value.code == 2
