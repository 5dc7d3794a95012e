"""Export of record → customer assignments, streamed to CSV or Parquet."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from sqlalchemy import select

from cx360.store import Store
from cx360.store._schema import record_customers, records

_COLUMNS = ("source", "source_record_id", "customer_id")
_CHUNK = 50_000


def export_assignments(store: Store, path: str | os.PathLike[str]) -> int:
    """Stream `source, source_record_id, customer_id` for every record; rows written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    query = (
        select(records.c.source, records.c.source_record_id, record_customers.c.customer_id)
        .outerjoin(record_customers, record_customers.c.record_id == records.c.id)
        .order_by(records.c.id)
    )
    written = 0
    with store.connection() as conn:
        result = conn.execution_options(yield_per=_CHUNK).execute(query)
        if target.suffix.lower() in (".parquet", ".pq"):
            import pyarrow as pa
            import pyarrow.parquet as pq

            schema = pa.schema([(c, pa.string()) for c in _COLUMNS])
            with pq.ParquetWriter(target, schema) as writer:
                for part in result.partitions():
                    columns = list(zip(*part, strict=True))
                    writer.write_table(
                        pa.table([pa.array(c, pa.string()) for c in columns], schema=schema)
                    )
                    written += len(part)
        else:
            with target.open("w", encoding="utf-8", newline="") as handle:
                writer_csv = csv.writer(handle)
                writer_csv.writerow(_COLUMNS)
                for part in result.partitions():
                    writer_csv.writerows((s, r, c or "") for s, r, c in part)
                    written += len(part)
    return written
