"""CSV in blocks for worker processes: exactly the rows the row-by-row reader gives."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cx360.ingest import ingest_file
from cx360.ingest._pipeline import ingest_rows
from cx360.ingest._readers import (
    BlockReadError,
    CsvBlocks,
    MalformedRow,
    open_csv_blocks,
    parse_csv_block,
)
from cx360.ingest._readers import open_rows as open_rows_
from cx360.models import RECORD_COLUMNS
from cx360.store import Store
from cx360.store._schema import quarantine, records

Rows = list[tuple[int, dict[str, Any] | MalformedRow]]


def _by_rows(path: Path) -> Rows:
    source = open_rows_(path, "records")
    return list(source.rows)


def _by_blocks(path: Path, block_bytes: int, max_block_bytes: int = 1 << 20) -> Rows:
    """Rows as the pipeline assembles them: block by block, row numbers made file-wide, and
    the rest row by row from the first block that did not end on a row."""
    blocks = open_csv_blocks(open_rows_(path, "records"))
    assert blocks is not None
    blocks._block_bytes = block_bytes
    blocks._max_block_bytes = max_block_bytes
    out: Rows = []
    handed: list[bytes] = []
    redo: list[bytes] = []
    try:
        for data in blocks:
            handed.append(data)
    except BlockReadError:  # the rest is read row by row
        pass
    for index, data in enumerate(handed):
        rows, ended = parse_csv_block(data, blocks.layout)
        if not ended:
            redo = handed[index:]
            break
        offset = len(out)
        out.extend((number + offset, row) for number, row in rows)
    out.extend(blocks.rest(redo, start=len(out)))
    blocks.close()
    return out


_HEADER = list(RECORD_COLUMNS)

_TRICKY = [
    "Calle 5, Apto 3",
    'dijo "hola"',
    "línea uno\nlínea dos",
    "dos\r\nlíneas",
    '"',
    "",
    " ",
    "José 🌸",
    ",,,",
]


def _write(path: Path, rows: list[list[str]], newline: str = "\r\n", bom: bool = False) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(_HEADER)
    writer.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    return path


def _row(i: int) -> list[str]:
    values = [f"v{i}-{c}" for c in _HEADER]
    values[1] = str(i)
    values[6] = _TRICKY[i % len(_TRICKY)]
    return values


def test_blocks_give_the_rows_of_the_file_with_quoted_newlines(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.csv", [_row(i) for i in range(400)], bom=True)
    expected = _by_rows(path)
    assert len(expected) == 400
    for block_bytes in (1, 7, 64, 1000, 1 << 20):
        assert _by_blocks(path, block_bytes) == expected


def test_blocks_keep_blank_lines_and_malformed_rows_numbered(tmp_path: Path) -> None:
    text = ",".join(_HEADER) + "\n"
    for i in range(60):
        text += ",".join(_row(i)[:3]) + "\n" if i % 7 == 3 else ",".join(f"x{i}" for _ in _HEADER)
        text += "\n\n" if i % 5 == 0 else "\n"
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    expected = _by_rows(path)
    assert any(isinstance(row, MalformedRow) for _, row in expected)
    for block_bytes in (3, 50, 333):
        assert _by_blocks(path, block_bytes) == expected


def test_a_lone_quote_that_misleads_the_cut_falls_back_to_rows(tmp_path: Path) -> None:
    # `5" screen` is a literal quote in an unquoted field: counting quotes goes wrong after it
    lines = [",".join(_HEADER)]
    for i in range(80):
        values = [f"x{i}"] * len(_HEADER)
        if i == 10:
            values[5] = '5" screen'
        if i % 9 == 0:
            values[6] = '"two\nlines"'
        lines.append(",".join(values))
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = _by_rows(path)
    for block_bytes in (5, 100, 700):
        assert _by_blocks(path, block_bytes) == expected


def test_no_cut_within_the_limit_falls_back_to_rows(tmp_path: Path) -> None:
    rows = [_row(i) for i in range(30)]
    rows[3][6] = "x\n" * 5000  # one quoted field of 10 kB
    path = _write(tmp_path / "r.csv", rows)
    assert _by_blocks(path, 64, max_block_bytes=2048) == _by_rows(path)


def test_last_line_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        ",".join(_HEADER) + "\n" + ",".join(["a"] * 14) + "\n" + ",".join(["b"] * 14),
        encoding="utf-8",
    )
    assert _by_blocks(path, 4) == _by_rows(path)
    assert len(_by_rows(path)) == 2


def test_header_with_a_lone_carriage_return_is_not_read_in_blocks(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(b"source,source_record_id,phone\rweb,1,300\r")
    assert open_csv_blocks(open_rows_(path, "records")) is None
    jsonl = tmp_path / "x.jsonl"
    jsonl.write_text('{"source": "web", "source_record_id": "1", "phone": "300"}\n')
    assert open_csv_blocks(open_rows_(jsonl, "records")) is None


_FIELD = st.text(alphabet=st.sampled_from(list('ab ,"\n\r\té🌸')), max_size=8)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.lists(_FIELD, min_size=14, max_size=14), max_size=25),
    raw_tail=st.text(alphabet=st.sampled_from(list('ab,"\n\r')), max_size=60),
    block_bytes=st.integers(min_value=1, max_value=200),
)
def test_blocks_equal_rows_for_any_text(
    tmp_path_factory: Any, rows: list[list[str]], raw_tail: str, block_bytes: int
) -> None:
    # well-formed rows, then raw text that need not be valid CSV at all
    path = tmp_path_factory.mktemp("b") / "r.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_HEADER)
    writer.writerows(rows)
    path.write_text(buffer.getvalue() + raw_tail, encoding="utf-8")
    assert _by_blocks(path, block_bytes, max_block_bytes=400) == _by_rows(path)


def _stored(store: Store) -> tuple[list[Any], list[Any]]:
    with store.connection() as conn:
        kept = conn.execute(
            select(records.c.source_record_id, records.c.raw, records.c.content_hash).order_by(
                records.c.source_record_id
            )
        ).all()
        set_aside = conn.execute(
            select(quarantine.c.row_number, quarantine.c.reason, quarantine.c.raw).order_by(
                quarantine.c.row_number
            )
        ).all()
    return [tuple(r) for r in kept], [tuple(r) for r in set_aside]


def _tiny_blocks(path: Path) -> Iterator[CsvBlocks]:
    blocks = open_csv_blocks(open_rows_(path, "records"))
    assert blocks is not None
    blocks._block_bytes = 300
    try:
        yield blocks
    finally:
        blocks.close()


def test_ingest_in_blocks_stores_what_rows_store(tmp_path: Path) -> None:
    lines = [",".join(_HEADER)]
    for i in range(300):
        values = [""] * len(_HEADER)
        values[0], values[1], values[2] = "web", f"r{i}", "2026-01-01T00:00:00Z"
        values[5] = f'"Ana\nPérez {i}"' if i % 11 == 0 else f"Ana Pérez {i}"
        values[7] = f"300 555 {i:04d}"
        values[12] = "CO"
        if i == 40:
            values[11] = '5" tall'  # a literal quote: the cut after it goes wrong
        if i % 50 == 7:
            values[1] = ""  # quarantined: missing key
        lines.append(",".join(values) if i % 37 != 5 else "too,few")
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    by_rows = Store.open(tmp_path / "rows.db")
    ingest_file(by_rows, path, "records", workers=0)
    by_blocks = Store.open(tmp_path / "blocks.db")
    for blocks in _tiny_blocks(path):
        report = ingest_rows(by_blocks, "records", blocks, workers=2)
        assert report.rows == 300
        assert report.stored + report.quarantined == report.rows
    auto = Store.open(tmp_path / "auto.db")
    ingest_file(auto, path, "records", workers=2)
    try:
        expected = _stored(by_rows)
        assert expected[1], "some rows are quarantined"
        assert _stored(by_blocks) == expected
        assert _stored(auto) == expected
    finally:
        for store in (by_rows, by_blocks, auto):
            store.close()


def test_prepared_rows_cross_processes_unchanged() -> None:
    from datetime import UTC, datetime

    from cx360.ingest._pipeline import _pack, _unpack
    from cx360.ingest._prepare import Quarantined
    from cx360.models import QuarantineReason

    encoded = [("web", "r1", -1, "Ana", 0, "{}"), ("web", "r2", "2026-01-01 00:00:00", "Ñ", 1, "")]
    packed = _pack(list(encoded), compact=True)
    assert isinstance(packed, bytes)  # marshalled
    assert _unpack(packed) == encoded
    quarantined = Quarantined(3, QuarantineReason.MISSING_KEY, "source", {"source": ""})
    mixed = [encoded[0], quarantined]
    assert _pack(list(mixed), compact=True) == mixed  # left to pickle
    postgres = [("web", "r1", datetime(2026, 1, 1, tzinfo=UTC))]
    assert _pack(list(postgres), compact=True) == postgres
    assert _pack(list(encoded), compact=False) == encoded
