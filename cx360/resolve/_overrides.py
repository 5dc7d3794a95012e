"""A data steward's overrides: force two records together, or keep them apart for good.

An override names two records by `(source, source_record_id)` and is stored with who made
it, when and why. Overrides are never deleted: revoking one stamps who, when and why, and
resolution stops honouring it. Every resolve reads the active ones: a 'link' joins the
two records' customers whatever the model and the guards say; a 'separate' keeps the
customer holding one record apart from the customer holding the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, insert, or_, select, update
from sqlalchemy.sql import Select

from cx360._errors import InputError, NotFoundError, OverrideConflictError, mask
from cx360.models import Override, OverrideKind, RecordRef
from cx360.store import Store, utcnow
from cx360.store._schema import overrides, records

RecordLike = RecordRef | tuple[str, str]
_KINDS: tuple[OverrideKind, ...] = ("link", "separate")
_MAX_ACTOR = 128  # overrides.created_by / revoked_by are String(128)


@dataclass(frozen=True, slots=True)
class ActiveOverrides:
    """What resolution honours: `(override id, record id, record id)` per kind, oldest first."""

    links: list[tuple[int, int, int]] = field(default_factory=list)
    separations: list[tuple[int, int, int]] = field(default_factory=list)


def as_ref(record: RecordLike) -> RecordRef:
    """A `RecordRef` from a ref or a `(source, source_record_id)` pair."""
    if isinstance(record, RecordRef):
        return record
    if isinstance(record, str):  # "ab" would unpack into two one-letter fields
        raise InputError("a record is addressed as (source, source_record_id), not a string")
    try:
        source, source_record_id = record
    except (TypeError, ValueError):
        raise InputError("a record is addressed as (source, source_record_id)") from None
    return RecordRef(source=str(source), source_record_id=str(source_record_id))


def add_override(
    store: Store,
    kind: OverrideKind,
    a: RecordLike,
    b: RecordLike,
    *,
    reason: str,
    by: str,
) -> int:
    """Store a steward's 'link' or 'separate' between two records; returns its id. The
    same active decision on the same pair again writes nothing and returns the existing id.
    Raises `NotFoundError` for an unknown record, `InputError` for a record with itself or
    an empty reason or actor, and `OverrideConflictError` when the opposite decision is
    active on the same pair."""
    if kind not in _KINDS:
        raise InputError(f"override kind must be one of {_KINDS}, got {kind!r}")
    reason, by = _required(reason, "reason"), _actor(by)
    ref_a, ref_b = as_ref(a), as_ref(b)
    with store.transaction() as conn:
        id_a, id_b = (int(record_row(conn, ref, records.c.id).id) for ref in (ref_a, ref_b))
        if id_a == id_b:
            raise InputError("an override needs two different records")
        pair = or_(
            and_(overrides.c.record_id_l == id_a, overrides.c.record_id_r == id_b),
            and_(overrides.c.record_id_l == id_b, overrides.c.record_id_r == id_a),
        )
        for existing_id, existing_kind in conn.execute(
            select(overrides.c.id, overrides.c.kind)
            .where(pair, overrides.c.revoked_at.is_(None))
            .order_by(overrides.c.id)
        ):
            if existing_kind == kind:
                return int(existing_id)
            raise OverrideConflictError(
                f"override {existing_id} ({existing_kind}) is active on these records; "
                f"revoke it before adding a '{kind}'",
                existing_id=int(existing_id),
            )
        return int(
            conn.execute(
                insert(overrides)
                .values(
                    kind=kind,
                    record_id_l=id_a,
                    record_id_r=id_b,
                    reason=reason,
                    created_by=by,
                    created_at=utcnow(),
                )
                .returning(overrides.c.id)
            ).scalar_one()
        )


def revoke_override(store: Store, override_id: int, *, reason: str, by: str) -> Override:
    """Revoke an active override (the row stays, stamped); returns it as it now is. Raises
    `NotFoundError` for an unknown id and `InputError` when it is already revoked or the
    reason or actor is empty."""
    reason, by = _required(reason, "reason"), _actor(by)
    with store.transaction() as conn:
        row = conn.execute(_listing().where(overrides.c.id == override_id)).first()
        if row is None:
            raise NotFoundError(f"no override {override_id}")
        if row.revoked_at is not None:
            raise InputError(f"override {override_id} is already revoked")
        conn.execute(
            update(overrides)
            .where(overrides.c.id == override_id, overrides.c.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_by=by, revoke_reason=reason)
        )
        row = conn.execute(_listing().where(overrides.c.id == override_id)).one()
    return _override(row)


def list_overrides(store: Store, *, include_revoked: bool = False) -> list[Override]:
    """Overrides oldest first; only the active ones unless `include_revoked`."""
    query = _listing().order_by(overrides.c.id)
    if not include_revoked:
        query = query.where(overrides.c.revoked_at.is_(None))
    with store.connection() as conn:
        return [_override(row) for row in conn.execute(query)]


def active_overrides(conn: Connection) -> ActiveOverrides:
    """The overrides a resolve honours, by record id, oldest first (older links win)."""
    found = ActiveOverrides()
    query = (
        select(overrides.c.id, overrides.c.kind, overrides.c.record_id_l, overrides.c.record_id_r)
        .where(overrides.c.revoked_at.is_(None))
        .order_by(overrides.c.id)
    )
    for override_id, kind, left, right in conn.execute(query):
        target = found.links if kind == "link" else found.separations
        target.append((int(override_id), int(left), int(right)))
    return found


def _listing() -> Select[Any]:
    left, right = records.alias("l"), records.alias("r")
    return select(
        overrides,
        left.c.source.label("source_a"),
        left.c.source_record_id.label("source_record_id_a"),
        right.c.source.label("source_b"),
        right.c.source_record_id.label("source_record_id_b"),
    ).select_from(
        overrides.join(left, left.c.id == overrides.c.record_id_l).join(
            right, right.c.id == overrides.c.record_id_r
        )
    )


def _override(row: Row[Any]) -> Override:
    return Override(
        id=row.id,
        kind=row.kind,
        record_a=RecordRef(source=row.source_a, source_record_id=row.source_record_id_a),
        record_b=RecordRef(source=row.source_b, source_record_id=row.source_record_id_b),
        reason=row.reason,
        created_by=row.created_by,
        created_at=_aware(row.created_at),
        revoked_at=_aware(row.revoked_at) if row.revoked_at is not None else None,
        revoked_by=row.revoked_by,
        revoke_reason=row.revoke_reason,
    )


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; the store writes UTC, so both stores read alike
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def record_row(conn: Connection, ref: RecordRef, *columns: Any) -> Row[Any]:
    """The `columns` of the stored record `ref`; `NotFoundError` when there is none."""
    row = conn.execute(
        select(*columns).where(
            records.c.source == ref.source, records.c.source_record_id == ref.source_record_id
        )
    ).first()
    if row is None:
        # the record id may be a phone number or an email: masked
        raise NotFoundError(f"no record {ref.source}:{mask(ref.source_record_id)}")
    return row


def _required(value: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InputError(f"an override needs a {what}")
    return text


def _actor(value: str) -> str:
    text = _required(value, "steward name (by)")
    if len(text) > _MAX_ACTOR:
        raise InputError(f"a steward name has at most {_MAX_ACTOR} characters")
    return text
