"""Declaring a match attribute: the declaration, and the stored records read again.

A declaration lives in the store (`declared_attributes`), so that every later ingest,
resolution and real-time call, in any process, reads the same columns the same way.
Records stored before it were read without it: their raw rows are read again for the
declared identifiers and compared attributes (`records.attribute_values`, with the issues
of values that could not be read), and the records whose keys or values change move to a
new batch, so that the next incremental resolution scores them again (as it scores
records ingested since).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from cx360._errors import ConfigurationError
from cx360.ingest._prepare import declared_identifiers
from cx360.models._attributes import DeclaredAttribute
from cx360.models._records import RECORD_COLUMNS
from cx360.normalize.attributes import attribute_values
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
# A compared attribute's comparison is named after it, and its unreadable values are
# flagged "<attribute>:<issue>" among the record's issues: a name the matching model's
# own comparisons or the contract's columns hold would be read as theirs.
_TAKEN_NAMES = frozenset(
    {
        *RECORD_COLUMNS,
        "given_name",
        "surname",
        "address",
        "city",
        "postcode",
        "region",
        "declared_identifier",
    }
)


def read_declarations(conn: Connection) -> tuple[DeclaredAttribute, ...]:
    """The store's declared attributes, by name."""
    c = declared_attributes.c
    rows = conn.execute(select(c.name, c.kind, c.column).order_by(c.name))
    return tuple(DeclaredAttribute(name=n, kind=k, column=col) for n, k, col in rows)


def identifier_columns(declared: Sequence[DeclaredAttribute]) -> tuple[tuple[str, str], ...]:
    """(attribute, input column) of the declared identifiers: what ingest reads."""
    return tuple((a.name, a.column) for a in declared if a.kind == "identifier")


def compared_columns(
    declared: Sequence[DeclaredAttribute],
) -> tuple[tuple[str, str, str], ...]:
    """(attribute, input column, kind) of the declared compared attributes."""
    return tuple((a.name, a.column, a.kind) for a in declared if a.kind != "identifier")


def declared_identifier_columns(store: Store) -> tuple[tuple[str, str], ...]:
    """`identifier_columns` of a store's declarations."""
    with store.connection() as conn:
        return identifier_columns(read_declarations(conn))


def declared_columns(
    store: Store,
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str, str], ...]]:
    """What ingest reads of a store's declarations: `identifier_columns` and
    `compared_columns` (for `RowPlan.with_identifiers`)."""
    with store.connection() as conn:
        declared = read_declarations(conn)
    return identifier_columns(declared), compared_columns(declared)


def declare(store: Store, attribute: DeclaredAttribute) -> int:
    """Store a declaration (replacing one of the same name) and read the stored records
    again for the declared identifiers and compared attributes; the number of records
    whose keys or values changed."""
    if attribute.kind != "identifier" and attribute.name in _TAKEN_NAMES:
        raise ConfigurationError(
            f"attribute {attribute.name!r}: the name of a contract column or of a "
            "comparison cannot name a compared attribute"
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
        declared = tuple(current.values())
        return _read_again(
            conn, identifier_columns(declared), compared_columns(declared), attribute.name
        )


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


class _Stored(NamedTuple):
    """What reading a record again needs of it, and what it holds now."""

    id: int
    raw: Any
    country: str | None
    attribute_values: str | None
    issues: str | None


def _parts(conn: Connection) -> Iterator[list[_Stored]]:
    r = records.c
    columns = (r.id, r.raw, r.country, r.attribute_values, r.issues)
    last = 0
    while True:
        rows = conn.execute(select(*columns).where(r.id > last).order_by(r.id).limit(_PART)).all()
        if not rows:
            return
        last = int(rows[-1][0])
        yield [_Stored(int(row[0]), *row[1:]) for row in rows]


def _read_again(
    conn: Connection,
    identifiers: tuple[tuple[str, str], ...],
    compared: tuple[tuple[str, str, str], ...],
    declared: str,
) -> int:
    """Each record's declared identifiers and compared values from its raw row; those
    that changed written, their records moved to a new batch. `declared`: the attribute
    just declared, whose former issues (of another kind) go."""
    batch_id: int | None = None
    changed = 0
    # an identifier never had such issues; a name of the contract's is a column's own
    flagged = {name for name, _, _ in compared} | ({declared} - set(RECORD_COLUMNS))
    for part in _parts(conn):
        stored = _stored_keys(conn, [record.id for record in part])
        keys: list[tuple[int, tuple[str, ...]]] = []
        values: list[dict[str, Any]] = []
        for record in part:
            raw = record.raw if isinstance(record.raw, dict) else {}
            found = declared_identifiers(raw, identifiers)
            if list(found) != stored.get(record.id, []):
                keys.append((record.id, found))
            read = _values_read_again(record, raw, compared, flagged)
            if read is not None:
                values.append(read)
        if not keys and not values:
            continue
        if batch_id is None:
            batch_id = start_batch(
                conn, kind="records", origin="declared attributes", now=utcnow(), status="done"
            )
        _write(conn, keys, batch_id)
        _write_values(conn, values, batch_id)
        changed += len({record_id for record_id, _ in keys} | {v["b_id"] for v in values})
    return changed


def _values_read_again(
    record: _Stored,
    raw: dict[str, Any],
    compared: tuple[tuple[str, str, str], ...],
    flagged: set[str],
) -> dict[str, Any] | None:
    """A record's compared values and issues read again from its raw row, where they
    changed (None where not): the issues of the other columns kept as they were."""
    text, issues = attribute_values(raw, compared, record.country)
    kept = [i for i in (record.issues or "").split() if i.partition(":")[0] not in flagged]
    new_issues = " ".join([*kept, *issues]) or None
    if text == record.attribute_values and new_issues == record.issues:
        return None
    return {"b_id": record.id, "b_values": text, "b_issues": new_issues}


def _write_values(conn: Connection, values: list[dict[str, Any]], batch_id: int) -> None:
    if not values:
        return
    r = records.c
    conn.execute(
        update(records)
        .where(r.id == bindparam("b_id"))
        .values(attribute_values=bindparam("b_values"), issues=bindparam("b_issues"))
        .values(batch_id=batch_id),
        values,
    )


def _write(conn: Connection, updates: list[tuple[int, tuple[str, ...]]], batch_id: int) -> None:
    if not updates:
        return
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
