"""Subject access: everything the store holds about one person, as one document.

The customer's records as given (the raw row, its value issues, its further phones and
e-mails as `extra_identifiers`) with every earlier version; their interactions with
theirs; the consent ledger; the profile as a channel sees it; the resolution links between
their records and the steward decisions naming them; and who read their data. Values are
JSON-ready (times in ISO 8601).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, or_, select, tuple_

from cx360.models._privacy import SubjectAccess
from cx360.privacy._access import read_log
from cx360.privacy._consent import events_of_records, in_order, recorded_events
from cx360.store._schema import (
    interaction_versions,
    interactions,
    overrides,
    record_customers,
    record_identifiers,
    record_links,
    record_versions,
    records,
)

_ACCESS_ENTRIES = 100_000


def _plain(row: Mapping[Any, Any], *, without: Sequence[str] = ()) -> dict[str, Any]:
    return {
        k: v.isoformat() if isinstance(v, datetime) else v
        for k, v in row.items()
        if k not in without
    }


def _records(conn: Connection, customer_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(records)
        .join(record_customers, record_customers.c.record_id == records.c.id)
        .where(record_customers.c.customer_id == customer_id)
        .order_by(records.c.id)
    ).mappings()
    out = [dict(r) for r in rows]
    versions: dict[int, list[dict[str, Any]]] = {}
    further: dict[int, list[dict[str, Any]]] = {}
    if out:
        ids = [r["id"] for r in out]
        query = (
            select(record_versions)
            .where(record_versions.c.record_id.in_(ids))
            .order_by(record_versions.c.record_id, record_versions.c.version)
        )
        for v in conn.execute(query).mappings():
            versions.setdefault(v["record_id"], []).append(dict(v))
        held = (
            select(record_identifiers)
            .where(record_identifiers.c.record_id.in_(ids))
            .order_by(
                record_identifiers.c.record_id,
                record_identifiers.c.kind,
                record_identifiers.c.position,
            )
        )
        for i in conn.execute(held).mappings():
            further.setdefault(i["record_id"], []).append(
                {
                    "kind": i["kind"],
                    "position": i["position"],
                    "key": i["key"],
                    "display": i["display"],
                    "phone_kind": i["phone_kind"],
                }
            )
    for r in out:
        r["versions"] = versions.get(r["id"], [])
        r["extra_identifiers"] = further.get(r["id"], [])
    return out


def _interactions(conn: Connection, keys: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    if not keys:
        return []
    key = tuple_(interactions.c.source, interactions.c.source_record_id)
    rows = [
        dict(r)
        for r in conn.execute(
            select(interactions).where(key.in_(keys)).order_by(interactions.c.id)
        ).mappings()
    ]
    versions: dict[int, list[dict[str, Any]]] = {}
    if rows:
        query = select(interaction_versions).where(
            interaction_versions.c.interaction_pk.in_([r["id"] for r in rows])
        )
        for v in conn.execute(query.order_by(interaction_versions.c.version)).mappings():
            versions.setdefault(v["interaction_pk"], []).append(_plain(v, without=("id",)))
    hidden = ("id", "batch_id", "content_hash")
    return [_plain(r, without=hidden) | {"versions": versions.get(r["id"], [])} for r in rows]


def _decisions(
    conn: Connection, ids: Sequence[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if not ids:
        return [], []
    links = conn.execute(
        select(record_links).where(
            or_(record_links.c.record_id_l.in_(ids), record_links.c.record_id_r.in_(ids))
        )
    ).mappings()
    decided = conn.execute(
        select(overrides).where(
            or_(overrides.c.record_id_l.in_(ids), overrides.c.record_id_r.in_(ids))
        )
    ).mappings()
    return [_plain(r, without=("id",)) for r in links], [_plain(r) for r in decided]


def _as_given(record: Mapping[str, Any]) -> dict[str, Any]:
    versions = record["versions"]
    hidden = ("id", "record_id", "batch_id", "content_hash")
    return _plain(record, without=("batch_id", "content_hash", "versions")) | {
        "versions": [_plain(v, without=hidden) for v in versions]
    }


def subject_access(
    conn: Connection, customer_id: str, profile: dict[str, Any] | None, now: datetime
) -> SubjectAccess:
    """The document for `customer_id` (the survivor, not an alias), read in `conn`."""
    held = _records(conn, customer_id)
    ids = [r["id"] for r in held]
    consents = events_of_records(held)
    consents += events_of_records(
        {**v, "source": r["source"], "source_record_id": r["source_record_id"]}
        for r in held
        for v in r["versions"]
    )
    consents += recorded_events(conn, customer_id)
    links, decided = _decisions(conn, ids)
    keys = [(r["source"], r["source_record_id"]) for r in held]
    return SubjectAccess(
        customer_id=customer_id,
        generated_at=now,
        records=[_as_given(r) for r in held],
        interactions=_interactions(conn, keys),
        consents=in_order(consents),
        profile=profile,
        links=links,
        overrides=decided,
        access_log=read_log(
            conn, customer_id=customer_id, actor=None, since=None, limit=_ACCESS_ENTRIES
        ),
    )
