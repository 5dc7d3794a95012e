"""Declaring a match attribute: the declaration, and the stored records read again.

A declaration lives in the store (`declared_attributes`), so that every later ingest,
resolution and real-time call, in any process, reads the same columns the same way.
Records stored before it were read without it: their raw rows are read again for the
declared identifiers, and the records whose keys change move to a new batch, so that the
next incremental resolution scores them again (as it scores records ingested since).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from cx360._errors import ConfigurationError
from cx360.ingest._prepare import declared_identifiers
from cx360.models._attributes import DeclaredAttribute
from cx360.store import Store
from cx360.store._schema import (
    DECLARED_KIND,
    declared_attributes,
    record_identifiers,
    records,
)
from cx360.store._store import utcnow
from cx360.store._writes import identifier_rows, start_batch

# Records read again per statement.
_PART = 5_000
# Compared attributes are weighed by the model from a later version on: until then a
# declaration of one would be stored and do nothing.
_SUPPORTED = frozenset({"identifier"})


def read_declarations(conn: Connection) -> tuple[DeclaredAttribute, ...]:
    """The store's declared attributes, by name."""
    c = declared_attributes.c
    rows = conn.execute(select(c.name, c.kind, c.column).order_by(c.name))
    return tuple(DeclaredAttribute(name=n, kind=k, column=col) for n, k, col in rows)


def identifier_columns(declared: Sequence[DeclaredAttribute]) -> tuple[tuple[str, str], ...]:
    """(attribute, input column) of the declared identifiers: what ingest reads."""
    return tuple((a.name, a.column) for a in declared if a.kind == "identifier")


def declared_identifier_columns(store: Store) -> tuple[tuple[str, str], ...]:
    """`identifier_columns` of a store's declarations."""
    with store.connection() as conn:
        return identifier_columns(read_declarations(conn))


def declare(store: Store, attribute: DeclaredAttribute) -> int:
    """Store a declaration (replacing one of the same name) and read the stored records
    again for the declared identifiers; the number of records whose keys changed."""
    if attribute.kind not in _SUPPORTED:
        raise ConfigurationError(
            f"attribute {attribute.name!r}: kind {attribute.kind!r} is not supported yet "
            f"(supported: {', '.join(sorted(_SUPPORTED))})"
        )
    c = declared_attributes.c
    with store.transaction() as conn:
        current = {a.name: a for a in read_declarations(conn)}
        if current.get(attribute.name) == attribute:
            return 0
        conn.execute(delete(declared_attributes).where(c.name == attribute.name))
        conn.execute(
            insert(declared_attributes).values(**attribute.model_dump(), declared_at=utcnow())
        )
        current[attribute.name] = attribute
        return _read_again(conn, identifier_columns(tuple(current.values())))


def _stored_keys(conn: Connection, ids: Sequence[int]) -> dict[int, list[str]]:
    """The declared identifiers stored for records `ids`: the first, then the others."""
    found: dict[int, list[str]] = {}
    r = records.c
    for record_id, key in conn.execute(select(r.id, r.declared_key).where(r.id.in_(ids))):
        if key is not None:
            found[int(record_id)] = [key]
    i = record_identifiers.c
    others = (
        select(i.record_id, i.key)
        .where(i.kind == DECLARED_KIND, i.record_id.in_(ids))
        .order_by(i.record_id, i.position)
    )
    for record_id, key in conn.execute(others):
        found.setdefault(int(record_id), []).append(key)
    return found


def _parts(conn: Connection) -> Iterator[list[tuple[int, Any]]]:
    r = records.c
    last = 0
    while True:
        rows = conn.execute(
            select(r.id, r.raw).where(r.id > last).order_by(r.id).limit(_PART)
        ).all()
        if not rows:
            return
        last = int(rows[-1][0])
        yield [(int(record_id), raw) for record_id, raw in rows]


def _read_again(conn: Connection, columns: tuple[tuple[str, str], ...]) -> int:
    """Each record's declared identifiers from its raw row; those that changed written,
    their records moved to a new batch."""
    batch_id: int | None = None
    changed = 0
    for part in _parts(conn):
        stored = _stored_keys(conn, [record_id for record_id, _ in part])
        updates: list[tuple[int, tuple[str, ...]]] = []
        for record_id, raw in part:
            keys = declared_identifiers(raw if isinstance(raw, dict) else {}, columns)
            if list(keys) != stored.get(record_id, []):
                updates.append((record_id, keys))
        if not updates:
            continue
        if batch_id is None:
            batch_id = start_batch(
                conn, kind="records", origin="declared attributes", now=utcnow(), status="done"
            )
        _write(conn, updates, batch_id)
        changed += len(updates)
    return changed


def _write(conn: Connection, updates: list[tuple[int, tuple[str, ...]]], batch_id: int) -> None:
    r, i = records.c, record_identifiers.c
    ids = [record_id for record_id, _ in updates]
    conn.execute(delete(record_identifiers).where(i.kind == DECLARED_KIND, i.record_id.in_(ids)))
    conn.execute(
        update(records)
        .where(r.id == bindparam("b_id"))
        .values(declared_key=bindparam("b_key"), batch_id=batch_id),
        [{"b_id": record_id, "b_key": keys[0] if keys else None} for record_id, keys in updates],
    )
    rows = [
        row
        for record_id, keys in updates
        for row in identifier_rows(record_id, [(DECLARED_KIND, key) for key in keys[1:]])
    ]
    if rows:
        conn.execute(insert(record_identifiers), rows)
