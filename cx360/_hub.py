"""The `Hub`: the one object channel apps and jobs hold. It composes the layers below."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from cx360.ingest import ingest_file, ingest_objects
from cx360.ingest._readers import RowSource
from cx360.models import IngestResult, ResolveReport
from cx360.resolve import GuardLimits, ResolveOptions, resolve_store
from cx360.store import Store
from cx360.store._schema import quarantine

RecordLike = Mapping[str, Any] | BaseModel


def connect(url: str | os.PathLike[str] | None = None) -> Hub:
    """Open a hub on a store, creating and migrating it if needed.

    Args:
        url: a SQLAlchemy URL (`sqlite:///path.db`, `postgresql://user@host/db`) or a file
            path for SQLite. Defaults to `$CX360_STORE`, else `sqlite:///cx360.db`.
    """
    return Hub(Store.open(url))


class Hub:
    """Customer 360 over one store: ingest channel records and interactions, and more."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> Hub:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()

    def configure_source(
        self, name: str, *, default_country: str | None = None, priority: int = 0
    ) -> None:
        """Set a source's default country and its priority for survivorship."""
        self.store.configure_source(name, default_country=default_country, priority=priority)

    def ingest(
        self,
        records: Iterable[RecordLike] | None = None,
        interactions: Iterable[RecordLike] | None = None,
    ) -> IngestResult:
        """Store channel records and interactions given as dicts or models.

        Idempotent: the same `(source, source_record_id)` or `interaction_id` again updates
        (keeping history) or changes nothing; bad rows are quarantined with a reason code.
        """
        result = IngestResult()
        if records is not None:
            result.records = ingest_objects(self.store, "records", records)
        if interactions is not None:
            result.interactions = ingest_objects(self.store, "interactions", interactions)
        return result

    def ingest_files(
        self,
        records: str | os.PathLike[str] | None = None,
        interactions: str | os.PathLike[str] | None = None,
        *,
        workers: int | None = None,
        progress: Callable[[RowSource, int], None] | None = None,
    ) -> IngestResult:
        """Stream CSV, JSON Lines or Parquet files of records and interactions into the store."""
        result = IngestResult()
        if records is not None:
            result.records = ingest_file(
                self.store, records, "records", workers=workers, progress=progress
            )
        if interactions is not None:
            result.interactions = ingest_file(
                self.store, interactions, "interactions", workers=workers, progress=progress
            )
        return result

    def resolve(
        self,
        *,
        retrain: bool = False,
        match_weight: float | None = None,
        limits: GuardLimits | None = None,
    ) -> ResolveReport:
        """Resolve every stored record into customers with stable IDs.

        The matching model is trained on the store's own data the first time (and when
        `retrain` is set), saved in the store, and reused afterwards.
        """
        options = ResolveOptions(retrain=retrain, limits=limits or GuardLimits())
        if match_weight is not None:
            options = ResolveOptions(
                match_weight=match_weight, retrain=retrain, limits=options.limits
            )
        return resolve_store(self.store, options)

    def export(self, path: str | os.PathLike[str]) -> int:
        """Write one row per channel record: `source, source_record_id, customer_id`.

        CSV, or Parquet when the file name ends in `.parquet`; returns the rows written.
        Records not resolved yet have an empty customer_id.
        """
        from cx360.profile._export import export_assignments

        return export_assignments(self.store, path)

    def quarantined(self, batch_id: int | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Quarantined rows (newest first): reason code, column, row number and the row as given."""
        query = select(
            quarantine.c.batch_id,
            quarantine.c.kind,
            quarantine.c.row_number,
            quarantine.c.reason,
            quarantine.c.column_name,
            quarantine.c.raw,
        ).order_by(quarantine.c.id.desc())
        if batch_id is not None:
            query = query.where(quarantine.c.batch_id == batch_id)
        with self.store.connection() as conn:
            return [dict(row._mapping) for row in conn.execute(query.limit(limit))]
