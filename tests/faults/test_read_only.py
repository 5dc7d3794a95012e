"""A store that cannot be written (a SQLite file the process may not write, a PostgreSQL
role that may only read): ingest, `resolve_record` and resolve fail with an error of
cx360's own, whose message holds none of the record's values, and the store is unchanged."""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import NullPool, create_engine, text
from sqlalchemy.engine import make_url

import cx360
from cx360.store import resolve_store_url
from tests.faults._harness import clone_store, read_rows, schema_of, snapshot, violations
from tests.faults.conftest import Reference, backend_of


@contextlib.contextmanager
def _read_only(url: str) -> Iterator[str]:
    """A URL of the same store through which nothing can be written."""
    if url.startswith("sqlite"):
        with _unwritable(Path(url.removeprefix("sqlite:///"))):
            yield url
        return
    role, schema = f"ro_{uuid.uuid4().hex[:10]}", schema_of(url)
    admin = create_engine(resolve_store_url(url), poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{role}'"))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}'))
        conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO {role}'))
    try:
        reader = make_url(resolve_store_url(url)).set(username=role, password=role)
        yield reader.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


@contextlib.contextmanager
def _unwritable(path: Path) -> Iterator[None]:
    """The file made unwritable: mode 444, and for root (whom modes do not stop) the
    immutable attribute."""
    path.chmod(0o444)
    immutable = os.geteuid() == 0
    if immutable:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o644)


def _personal_values(row: dict[str, str]) -> list[str]:
    keep = ("first_name", "last_name", "full_name", "email", "phone", "national_id", "address")
    return [row[c] for c in keep if len(row.get(c) or "") >= 4]


def test_a_read_only_store_refuses_writes_clearly_and_stays_whole(
    store_url: str, reference: Reference, scratch: Callable[[str], str]
) -> None:
    assert reference.backend == backend_of(store_url)
    url = scratch(reference.backend)
    clone_store(reference.copies["resolve"], url)
    before = snapshot(url)
    row = read_rows(reference.data.second_records)[0]
    attempts: dict[str, Callable[[cx360.Hub], object]] = {
        "ingest": lambda hub: hub.ingest_files(records=reference.data.second_records),
        "resolve_record": lambda hub: hub.resolve_record(row),
        "resolve": lambda hub: hub.resolve(full=True),
    }
    with _read_only(url) as reader:
        for name, attempt in attempts.items():
            with pytest.raises(cx360.Cx360Error) as raised:  # noqa: SIM117
                with cx360.connect(reader) as hub:
                    attempt(hub)
            message = str(raised.value)
            leaked = [value for value in _personal_values(row) if value in message]
            assert not leaked, f"{name}: {message}"
    assert violations(url) == {}
    assert snapshot(url) == before
