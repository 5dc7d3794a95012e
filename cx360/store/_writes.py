"""Bulk, idempotent writes of ingested rows, one chunk per transaction: a new key is
inserted; new content for a stored key becomes the current version and the previous one
moves to the versions table; the same content changes nothing. A record observed
*earlier* than the stored one is kept as a past version only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    String,
    Table,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)

from cx360.normalize.dates import naive_text
from cx360.store._engine import SerializedJSON
from cx360.store._schema import (
    ingest_batches,
    interaction_versions,
    interactions,
    quarantine,
    record_identifiers,
    record_versions,
    records,
)

if TYPE_CHECKING:
    from cx360.store._dialects import Strategy

# Stay well under SQLite's bound-parameter limit in IN (...) lists.
_IN_CHUNK = 900
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Kind:
    name: str
    table: Table
    versions: Table
    version_fk: str
    key: tuple[str, ...]
    # copied from the current row into its version row when it is replaced
    history: tuple[str, ...]
    # when set, an incoming row older than the stored one becomes history, not current
    ordered_by: str | None
    # prepared values after the table's columns, written elsewhere than in `table`
    extras: tuple[str, ...] = ()


# A prepared record's phones and e-mails beyond the first (`ingest._prepare`): a tuple of
# (kind, match key), written as the rows of `record_identifiers`.
EXTRA_IDENTIFIERS = "extra_identifiers"
# Beside it, item for item, what each of them is shown as: (display, phone kind), the
# E.164 form and kind of a phone, the written form of an e-mail (kind None). Apart from
# the (kind, key) pairs, which every reader of identifiers takes as they are.
EXTRA_FORMS = "extra_identifier_forms"


RECORDS = _Kind(
    name="records",
    table=records,
    versions=record_versions,
    version_fk="record_id",
    key=("source", "source_record_id"),
    history=("observed_at", "content_hash", "raw", "batch_id"),
    ordered_by="observed_at",
    extras=(EXTRA_IDENTIFIERS, EXTRA_FORMS),
)
INTERACTIONS = _Kind(
    name="interactions",
    table=interactions,
    versions=interaction_versions,
    version_fk="interaction_pk",
    key=("interaction_id",),
    history=("occurred_at", "status", "content_hash", "raw", "batch_id"),
    ordered_by=None,
)

_MANAGED = frozenset({"id", "version", "batch_id", "ingested_at", "updated_at"})
# Appended by the writer to every new row, after the prepared columns.
_TAIL = ("version", "batch_id", "ingested_at", "updated_at")


def prepared_columns(kind: _Kind) -> tuple[str, ...]:
    """The table's columns an ingest worker fills, in the positional order of prepared
    rows (whose `kind.extras` follow them)."""
    return tuple(c.name for c in kind.table.columns if c.name not in _MANAGED)


def nullable_positions(kind: _Kind) -> tuple[int, ...]:
    """Positions (in prepared rows) of the nullable text, time and boolean columns: on
    SQLite their NULLs are encoded as `_SQLITE_NULL`."""
    columns = kind.table.c
    return tuple(
        i
        for i, name in enumerate(prepared_columns(kind))
        if columns[name].nullable and isinstance(columns[name].type, String | DateTime | Boolean)
    )


def encode_sqlite_datetime(value: datetime | None) -> str | None:
    """A datetime as the text SQLAlchemy stores in SQLite (naive UTC, fixed width, so
    text order is time order). Done in the ingest workers: it is costly per row."""
    if value is None:
        return None
    if value.tzinfo is UTC:  # the common case: "...+00:00" cut off, no conversion
        return naive_text(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def _decode_sqlite_datetime(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


# A compact row's NULL in a nullable column travels as this integer, which the INSERT
# turns back into NULL (`NULLIF(?, -1)`): sqlite3 binds int and str directly but looks up
# an adapter for None and bool. No such column holds an integer but a boolean's 0/1.
_SQLITE_NULL = -1


class PreparedCodec:
    """Prepared rows as positional tuples, encoded for the store's driver by the ingest
    workers, so that the one writer only binds. `compact` (`Strategy.compact_rows`):
    datetimes as text, NULLs as `_SQLITE_NULL`, booleans as 0/1 (bound fastest)."""

    def __init__(self, kind: _Kind, compact: bool) -> None:
        self.kind = kind
        self.compact = compact
        self.columns = prepared_columns(kind)  # the table's, then the extras: `fields`
        self.fields = self.columns + kind.extras
        self.index = {c: i for i, c in enumerate(self.fields)}
        # where a row's extra identifiers are (None: the kind has none)
        self.extras_at = self.index.get(EXTRA_IDENTIFIERS)
        self.key_positions = tuple(self.index[c] for c in kind.key)
        types = kind.table.c
        self._datetimes = tuple(
            i for i, c in enumerate(self.columns) if isinstance(types[c].type, DateTime)
        )
        self._json = tuple(i for i, c in enumerate(self.columns) if isinstance(types[c].type, JSON))
        self.nullable_positions = nullable_positions(kind) if compact else ()
        self._booleans = tuple(
            i for i in self.nullable_positions if isinstance(types[self.columns[i]].type, Boolean)
        )

    def encode(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return self.encode_values(tuple(row[c] for c in self.fields))

    def encode_values(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        """`encode` of a row given as values in `fields` order."""
        encoded = list(values)
        for i in self._json:  # serialized upstream (SerializedJSON): bind as plain text
            encoded[i] = str(encoded[i])
        if self.compact:
            for i in self._datetimes:
                encoded[i] = encode_sqlite_datetime(encoded[i])
            for i in self.nullable_positions:
                value = encoded[i]
                if value is None:
                    encoded[i] = _SQLITE_NULL
                elif value is True or value is False:
                    encoded[i] = int(value)
        return tuple(encoded)

    def decode(self, values: tuple[Any, ...]) -> dict[str, Any]:
        """Back to the dict form the careful (update/history) path works on."""
        row = dict(zip(self.fields, values, strict=True))
        for i in self._json:
            row[self.columns[i]] = SerializedJSON(values[i])
        if self.compact:
            for i in self.nullable_positions:
                if values[i] == _SQLITE_NULL:
                    row[self.columns[i]] = None
            for i in self._booleans:
                if row[self.columns[i]] is not None:
                    row[self.columns[i]] = bool(row[self.columns[i]])
            for i in self._datetimes:
                row[self.columns[i]] = _decode_sqlite_datetime(row[self.columns[i]])
        return row

    def key(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(values[i] for i in self.key_positions)


@dataclass(slots=True)
class WriteCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def insert_many(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk insert through the driver's executemany with the columns' bind processors
    (what SQLAlchemy does, minus its per-row bookkeeping, which costs more than SQLite's
    own insert). Every row must have the same keys."""
    if not rows:
        return
    dialect = conn.dialect
    names = [c.name for c in table.columns if c.name in rows[0]]
    compiled = insert(table).compile(dialect=dialect, column_keys=names)
    if compiled.positional:
        names = [key for key in compiled.positiontup or ()]
    processors = [
        (i, proc)
        for i, name in enumerate(names)
        if (proc := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    pick = itemgetter(*names)
    params: list[Any] = []
    for row in rows:
        values = list(pick(row))
        for i, proc in processors:
            if values[i] is not None:
                values[i] = proc(values[i])
        params.append(
            tuple(values) if compiled.positional else dict(zip(names, values, strict=True))
        )
    conn.exec_driver_sql(compiled.string, params)


def insert_prepared(
    conn: Connection,
    strategy: Strategy,
    codec: PreparedCodec,
    rows: Sequence[tuple[Any, ...]],
    *,
    batch_id: int,
    now: datetime,
) -> WriteCounts:
    """Write one part of encoded prepared rows (keys unique within the part): new keys
    go in with one statement (`Strategy.insert_rows`); only the rows it skipped (keys
    stored before) take the careful path of `upsert`. A fresh load never reads."""
    kind = codec.kind
    table = kind.table
    if not rows:
        return WriteCounts()
    before = conn.execute(select(func.max(table.c.id))).scalar() or 0
    at = codec.extras_at
    inserted = strategy.insert_rows(conn, codec, rows, batch_id=batch_id, now=now)
    if inserted == len(rows):
        if at is not None:
            _write_new_identifiers(conn, [codec.decode(r) for r in rows if r[at]])
        return WriteCounts(inserted=len(rows))
    # Some keys were stored before: find the rows this statement did insert (newer ids of
    # this batch), and send the others through the careful path.
    key_columns = [table.c[c] for c in kind.key]
    inserted_now = {
        tuple(hit)
        for hit in conn.execute(
            select(*key_columns).where(table.c.id > before, table.c.batch_id == batch_id)
        )
    }
    skipped = [codec.decode(r) for r in rows if codec.key(r) not in inserted_now]
    if at is not None:
        new = [codec.decode(r) for r in rows if r[at] and codec.key(r) in inserted_now]
        _write_new_identifiers(conn, new)
    counts = upsert(conn, kind, skipped, batch_id=batch_id, now=now)
    counts.inserted += len(rows) - len(skipped)
    return counts


# -- a record's further identifiers ---------------------------------------------------------


def identifier_rows(record_id: int, extras: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """The `record_identifiers` rows of one record's extra identifiers: positions from 2
    within each kind (1 is the record's own `phone_key` / `email_key`). Items are (kind,
    key), or (kind, key, display, phone kind) (`identifiers_with_forms`): the forms are
    columns only from migration 0014 on, and rows of (kind, key) items leave them out."""
    last: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    for item in extras:
        kind, key = item[0], item[1]
        position = last[kind] = last.get(kind, 1) + 1
        row = {"record_id": record_id, "kind": kind, "key": key, "position": position}
        if len(item) > 2:
            row["display"], row["phone_kind"] = item[2], item[3]
        out.append(row)
    return out


def identifiers_with_forms(row: Mapping[str, Any]) -> tuple[tuple[Any, ...], ...]:
    """A prepared record's extra identifiers with their forms: (kind, key, display,
    phone kind); forms unknown (None) when the row carries none."""
    extras = row.get(EXTRA_IDENTIFIERS) or ()
    forms = row.get(EXTRA_FORMS) or ()
    if len(forms) != len(extras):
        forms = ((None, None),) * len(extras)
    return tuple((*pair, *form) for pair, form in zip(extras, forms, strict=True))


def write_identifiers(
    conn: Connection, extras_by_record: Mapping[int, Any], *, replace: Iterable[int] = ()
) -> None:
    """Store records' extra identifiers (id -> `identifiers_with_forms`), first deleting
    those of the records in `replace` (stored again with new content)."""
    for part in chunks(sorted(set(replace))):
        conn.execute(delete(record_identifiers).where(record_identifiers.c.record_id.in_(part)))
    rows = [
        row
        for record_id, extras in extras_by_record.items()
        if extras
        for row in identifier_rows(record_id, extras)
    ]
    if rows:
        conn.execute(insert(record_identifiers), rows)


def _write_new_identifiers(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """The extra identifiers of records just inserted (prepared rows, which have some):
    their ids are read by key, one read per part."""
    if not rows:
        return
    ids = _existing(conn, RECORDS, rows)
    write_identifiers(conn, {ids[_row_key(RECORDS, r)].id: identifiers_with_forms(r) for r in rows})


def _row_key(kind: _Kind, row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c] for c in kind.key)


def _naive_utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; compare everything as naive UTC
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def chunks(items: Sequence[_T], size: int = _IN_CHUNK) -> Iterable[Sequence[_T]]:
    """`items` in parts of `size`: an IN list each, within every database's limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(
    conn: Connection, kind: _Kind, rows: Sequence[dict[str, Any]]
) -> dict[tuple[str, ...], Any]:
    table = kind.table
    wanted: list[Any] = [table.c.id, table.c.version, table.c.content_hash]
    if kind.ordered_by:
        wanted.append(table.c[kind.ordered_by])
    if kind.extras:  # whether a replaced record's identifiers must be deleted
        held = record_identifiers.c.record_id == table.c.id
        wanted.append(exists().where(held).label("has_identifiers"))
    found: dict[tuple[str, ...], Any] = {}
    *group_cols, last = kind.key
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for row in rows:
        groups[tuple(row[c] for c in group_cols)].append(row[last])
    for group, values in groups.items():
        for part in chunks(values):
            query = select(*wanted, table.c[last]).where(table.c[last].in_(part))
            for column, value in zip(group_cols, group, strict=True):
                query = query.where(table.c[column] == value)
            for hit in conn.execute(query):
                found[(*group, hit._mapping[last])] = hit
    return found


def upsert(
    conn: Connection,
    kind: _Kind,
    rows: Sequence[dict[str, Any]],
    *,
    batch_id: int,
    now: datetime,
) -> WriteCounts:
    """Write one chunk of prepared rows (keys unique within the chunk)."""
    counts = WriteCounts()
    if not rows:
        return counts
    table = kind.table
    columns = [c.name for c in table.columns if c.name not in _MANAGED]
    existing = _existing(conn, kind, rows)
    new_rows: list[dict[str, Any]] = []
    replaced: list[dict[str, Any]] = []
    late: list[dict[str, Any]] = []
    for row in rows:
        hit = existing.get(tuple(row[c] for c in kind.key))
        if hit is None:
            # prepared rows carry exactly the table's columns: complete them in place
            row.update(version=1, batch_id=batch_id, ingested_at=now, updated_at=now)
            new_rows.append(row)
        elif hit.content_hash == row["content_hash"]:
            counts.unchanged += 1
        elif kind.ordered_by and _is_older(row.get(kind.ordered_by), hit._mapping[kind.ordered_by]):
            late.append({"hit": hit, "row": row})
        else:
            values = {f"b_{c}": row.get(c) for c in columns}
            values.update(b_id=hit.id, b_version=hit.version + 1)
            replaced.append(values)

    if new_rows:
        insert_many(conn, table, new_rows)
        counts.inserted = len(new_rows)
        if kind.extras:
            _write_new_identifiers(conn, [r for r in new_rows if r.get(EXTRA_IDENTIFIERS)])
    if replaced:
        ids = [v["b_id"] for v in replaced]
        for part in chunks(ids):
            _copy_to_history(conn, kind, part, now)
        if kind.extras:
            _replace_identifiers(conn, rows, existing, replaced)
        assignments: dict[str, Any] = {c: bindparam(f"b_{c}") for c in columns}
        assignments.update(version=bindparam("b_version"), batch_id=batch_id, updated_at=now)
        statement = update(table).where(table.c.id == bindparam("b_id")).values(assignments)
        conn.execute(statement, replaced)
        counts.updated += len(replaced)
    if late:
        history = [
            {
                kind.version_fk: item["hit"].id,
                "version": item["hit"].version + 1,
                **{c: item["row"].get(c) for c in kind.history if c != "batch_id"},
                "batch_id": batch_id,
                "replaced_at": now,
            }
            for item in late
        ]
        conn.execute(insert(kind.versions), history)
        bump = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(version=bindparam("b_version"), updated_at=now)
        )
        conn.execute(bump, [{"b_id": i["hit"].id, "b_version": i["hit"].version + 1} for i in late])
        counts.updated += len(late)
    return counts


def _replace_identifiers(
    conn: Connection,
    rows: Sequence[dict[str, Any]],
    existing: Mapping[tuple[str, ...], Any],
    replaced: Sequence[dict[str, Any]],
) -> None:
    """The extra identifiers of records stored again with new content: the new ones
    replace the old (a record without any, before or after, costs no statement)."""
    replaced_ids = {v["b_id"] for v in replaced}
    new: dict[int, Any] = {}
    old: list[int] = []
    for row in rows:
        hit = existing.get(_row_key(RECORDS, row))
        if hit is None or hit.id not in replaced_ids:
            continue
        if hit.has_identifiers:
            old.append(hit.id)
        if row.get(EXTRA_IDENTIFIERS):
            new[hit.id] = identifiers_with_forms(row)
    if new or old:
        write_identifiers(conn, new, replace=old)


def _is_older(incoming: datetime | None, stored: datetime | None) -> bool:
    left, right = _naive_utc(incoming), _naive_utc(stored)
    return left is not None and right is not None and left < right


def _copy_to_history(conn: Connection, kind: _Kind, ids: Sequence[int], now: datetime) -> None:
    table = kind.table
    source = select(
        table.c.id,
        table.c.version,
        *(table.c[c] for c in kind.history),
        literal(now, type_=kind.versions.c.replaced_at.type),
    ).where(table.c.id.in_(ids))
    target = [kind.version_fk, "version", *kind.history, "replaced_at"]
    conn.execute(insert(kind.versions).from_select(target, source))


def add_quarantine(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(quarantine), list(rows))


# -- ingest batches -----------------------------------------------------------------------

Stored = Literal["inserted", "updated", "late", "unchanged"]  # what a write did to a row
_NEW_BATCH = insert(ingest_batches).returning(ingest_batches.c.id)
_COUNT_IN_BATCH = (
    update(ingest_batches)
    .where(ingest_batches.c.id == bindparam("b_id"))
    .values(
        rows=ingest_batches.c.rows + 1,
        inserted=ingest_batches.c.inserted + bindparam("b_inserted"),
        updated=ingest_batches.c.updated + bindparam("b_updated"),
        unchanged=ingest_batches.c.unchanged + bindparam("b_unchanged"),
        finished_at=bindparam("b_now"),
    )
)


def start_batch(
    conn: Connection, *, kind: str, origin: str | None, now: datetime, status: str = "running"
) -> int:
    """A new `ingest_batches` row; real-time writes count themselves into a "done" one."""
    finished = now if status == "done" else None
    values = {"kind": kind, "origin": origin, "status": status, "started_at": now}
    counts = dict.fromkeys(("rows", "inserted", "updated", "unchanged", "quarantined"), 0)
    return int(conn.execute(_NEW_BATCH, {**values, "finished_at": finished, **counts}).scalar_one())


def finish_batch(
    conn: Connection, batch_id: int, *, status: str, now: datetime, counts: dict[str, int]
) -> None:
    conn.execute(
        update(ingest_batches)
        .where(ingest_batches.c.id == batch_id)
        .values(status=status, finished_at=now, **counts)
    )


def batch_counts(batch_id: int, stored: Stored, now: datetime) -> dict[str, Any]:
    """The parameters of `_COUNT_IN_BATCH`: one row more (a late one counts as updated)."""
    return {
        "b_id": batch_id,
        "b_inserted": int(stored == "inserted"),
        "b_updated": int(stored in ("updated", "late")),
        "b_unchanged": int(stored == "unchanged"),
        "b_now": now,
    }


def count_in_batch(conn: Connection, batch_id: int, stored: Stored, now: datetime) -> None:
    conn.execute(_COUNT_IN_BATCH, batch_counts(batch_id, stored, now))
