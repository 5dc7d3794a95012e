"""The suppression list: what erasure asks ingest never to bring back.

An erased record's key (source, source_record_id) and its identifier keys (normalized
e-mail, phone, national ID, handle) are kept as salted hashes only: keyed BLAKE2b with
the store's own random salt (`erasure_salt`), so the list names no one, and hashing every
phone number of a country does not reverse it without the salt. Ingest (files, Python
objects) and `resolve_record` set aside a record whose key or any identifier is on the
list, and an interaction of a suppressed record key, with the quarantine reason `erased`
and none of its values. A person who comes back with fresh consent is taken off the list
first (`Hub.unsuppress`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, delete, exists, insert, select

from cx360._errors import SchemaError
from cx360.models import QuarantineReason
from cx360.privacy._tables import erasure_salt, suppressions
from cx360.store import Store, utcnow
from cx360.store._writes import EXTRA_IDENTIFIERS, PreparedCodec, add_quarantine, chunks

if TYPE_CHECKING:  # ingest imports this module: its own modules are read when called
    from cx360.ingest._prepare import Quarantined

# The identifier kinds a lookup takes, and the records' match-key column of each.
IDENTIFIER_COLUMNS: Final = {
    "email": "email_key",
    "phone": "phone_key",
    "national_id": "national_id_key",
    "handle": "handle_key",
}


def digest(salt: bytes, kind: str, value: str) -> str:
    """The salted hash of one key: `kind` is 'record' (value: source + '\\x1f' + id), an
    identifier kind, or 'customer'."""
    data = f"{kind}\x1f{value}".encode()
    return hashlib.blake2b(data, key=salt, digest_size=20).hexdigest()


def record_value(source: str, source_record_id: str) -> str:
    return f"{source}\x1f{source_record_id}"


def salt_of(conn: Connection, *, create: bool) -> bytes | None:
    """The store's salt; made (once, at random) when `create` and there is none yet."""
    found = conn.execute(select(erasure_salt.c.salt).where(erasure_salt.c.id == 1)).scalar()
    if found is None and create:
        made = secrets.token_hex(32)
        conn.execute(insert(erasure_salt).values(id=1, salt=made, created_at=utcnow()))
        # two first erasures at once: the one committed first made the salt
        found = conn.execute(select(erasure_salt.c.salt).where(erasure_salt.c.id == 1)).scalar()
    return None if found is None else bytes.fromhex(found)


def keys_of(row: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(kind, value) of what a record row (or prepared record) would be suppressed by:
    its key, its identifiers, and its further phones and e-mails (`extra_identifiers`,
    as a prepared record holds them: ((kind, key), ...))."""
    source, key = row.get("source"), row.get("source_record_id")
    if isinstance(source, str) and isinstance(key, str):
        yield "record", record_value(source, key)
    for kind, column in IDENTIFIER_COLUMNS.items():
        value = row.get(column)
        if value.__class__ is str and value:
            yield kind, value
    for kind, value in row.get(EXTRA_IDENTIFIERS) or ():
        yield kind, value


def suppress(
    conn: Connection,
    salt: bytes,
    keys: Iterable[tuple[str, str]],
    erasure_id: int,
    now: datetime,
) -> int:
    """Add keys to the list (those already on it stay as they are); how many were new."""
    return suppress_many(conn, salt, [(keys, erasure_id)], now)


def suppress_many(
    conn: Connection,
    salt: bytes,
    batches: Sequence[tuple[Iterable[tuple[str, str]], int]],
    now: datetime,
) -> int:
    """`suppress` for several erasures at once (keys, erasure id): a key named by more
    than one goes under the first; how many were new."""
    wanted: dict[str, tuple[str, int]] = {}
    for keys, erasure_id in batches:
        for kind, value in keys:
            wanted.setdefault(digest(salt, kind, value), (kind, erasure_id))
    listed: set[str] = set()
    for part in chunks(sorted(wanted)):  # one read per part, not one per key
        found = select(suppressions.c.digest).where(suppressions.c.digest.in_(part))
        listed.update(conn.execute(found).scalars())
    rows = [
        {"digest": d, "kind": kind, "erasure_id": erasure_id, "created_at": now}
        for d, (kind, erasure_id) in wanted.items()
        if d not in listed
    ]
    if rows:
        conn.execute(insert(suppressions), rows)
    return len(rows)


def unsuppress(store: Store, keys: Sequence[tuple[str, str]]) -> int:
    """Take keys off the list (a person back with fresh consent); how many were on it."""
    with store.transaction() as conn:
        salt = salt_of(conn, create=False)
        if salt is None:
            return 0
        digests = sorted({digest(salt, kind, value) for kind, value in keys})
        result = conn.execute(delete(suppressions).where(suppressions.c.digest.in_(digests)))
        return int(result.rowcount or 0)


def _erased(kind: str) -> Quarantined:
    """A row set aside because it is on the list: its kind of row, and nothing of it."""
    from cx360.ingest._prepare import Quarantined

    return Quarantined(None, QuarantineReason.ERASED, None, {"suppressed": kind})


@dataclass(frozen=True, slots=True)
class Suppression:
    """The list as ingest holds it, read once per ingest (None when it is empty, so an
    ingest into a store with nothing erased pays nothing)."""

    salt: bytes
    digests: frozenset[str]

    @classmethod
    def load(cls, conn: Connection) -> Suppression | None:
        digests = frozenset(conn.execute(select(suppressions.c.digest)).scalars())
        salt = salt_of(conn, create=False) if digests else None
        return None if salt is None else cls(salt, digests)

    def hit(self, keys: Iterable[tuple[str, str]]) -> bool:
        return any(digest(self.salt, kind, value) in self.digests for kind, value in keys)

    def split(
        self, kind: str, rows: list[tuple[Any, ...]], codec: PreparedCodec
    ) -> tuple[list[tuple[Any, ...]], list[Quarantined]]:
        """Encoded prepared rows of `kind` ('records' or 'interactions'): those to store,
        and those set aside as erased."""
        at = codec.index
        columns: tuple[str, ...] = ("source", "source_record_id")
        if kind == "records":
            columns += (*IDENTIFIER_COLUMNS.values(), EXTRA_IDENTIFIERS)
        positions = [(c, at[c]) for c in columns]
        kept: list[tuple[Any, ...]] = []
        erased: list[Quarantined] = []
        for row in rows:
            if self.hit(keys_of({c: row[i] for c, i in positions})):
                erased.append(_erased(kind))
            else:
                kept.append(row)
        return kept, erased


def load_suppression(store: Store) -> Suppression | None:
    with store.connection() as conn:
        return Suppression.load(conn)


def suppressed_record(conn: Connection, row: Mapping[str, Any]) -> bool:
    """Whether one prepared record is on the list (real time: one indexed read, none
    when nothing was ever erased)."""
    salt = salt_of(conn, create=False)
    if salt is None:
        return False
    digests = [digest(salt, kind, value) for kind, value in keys_of(row)]
    return bool(conn.execute(select(exists().where(suppressions.c.digest.in_(digests)))).scalar())


# A store's salt, as real time last read it, and when (monotonic seconds). Once made, a
# salt never changes; while there is none, another process's first erasure is seen
# within SALT_RECHECK seconds (this process's own, at once: `suppress` forgets the entry).
SALT_RECHECK: Final = 1.0
_salts: weakref.WeakKeyDictionary[Store, tuple[bytes | None, float]] = weakref.WeakKeyDictionary()


def _known_salt(store: Store) -> bytes | None:
    salt, read_at = _salts.get(store, (None, -SALT_RECHECK))
    if salt is None and time.monotonic() - read_at >= SALT_RECHECK:
        with store.lookup_connection() as conn:
            salt = salt_of(conn, create=False)
        _salts[store] = (salt, time.monotonic())
    return salt


def forget_salt(store: Store) -> None:
    """Read the store's salt again at the next real-time call (after an erasure)."""
    _salts.pop(store, None)


def on_list_under_lock(store: Store, conn: Connection, prepared: Mapping[str, Any]) -> bool:
    """Real time, inside the locked transaction that stores the record: whether it is on
    the list. An erasure holds the same locks while it writes its suppressions, so a call
    that waited for one sees what it suppressed. One indexed read, none while nothing was
    ever erased (another process's first erasure is seen within `SALT_RECHECK`)."""
    salt = _known_salt(store)
    if salt is None:
        return False
    digests = [digest(salt, kind, value) for kind, value in keys_of(prepared)]
    return bool(conn.execute(select(exists().where(suppressions.c.digest.in_(digests)))).scalar())


def set_aside_erased(store: Store) -> SchemaError:
    """A real-time record refused as erased: set aside as 'erased' with no values kept, as
    ingest sets such a row aside; the error to raise."""
    from cx360.ingest._quarantine import entries

    with store.transaction() as conn:
        # no batch: real time's rows set aside are not counted in one
        (entry,) = entries([_erased("records")], batch_id=0, kind="records", now=utcnow())
        add_quarantine(conn, [entry | {"batch_id": None}])
    return SchemaError("record not stored: erased", column=None)
