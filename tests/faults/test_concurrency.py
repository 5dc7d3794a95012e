"""Two processes on one store at once, on SQLite and PostgreSQL: ingest during a batch
resolve, `resolve_record` calls during a batch resolve, and two batch resolves. Nothing is
lost: the store keeps its invariants, and one more resolve gives the customers that the
same steps one after the other give. A resolve that cannot write is refused with an
error saying why.

Each test makes the worst interleaving happen every time: the batch resolve pauses after
clustering, before its write (`_child.py`'s `pause_at`), while the other process works.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import cx360
from tests.faults._child import ERROR_EXIT
from tests.faults._harness import Child, clone_store, snapshot, violations
from tests.faults.conftest import Reference, backend_of


def _copy(reference: Reference, step: str, scratch: Callable[[str], str]) -> str:
    """A store as the reference's was after `step`."""
    url = scratch(reference.backend)
    clone_store(reference.copies[step], url)
    return url


def _while_resolve_waits(
    url: str, go: Path, other: dict[str, object], *, full: bool = False
) -> tuple[Child, Child]:
    """A batch resolve paused before its write while `other` runs to its end; then the
    resolve goes on. Both children, ended."""
    resolve = Child({"op": "resolve", "url": url, "pause_at": "write", "go": str(go), "full": full})
    with resolve:
        assert resolve.wait_for("paused") is not None, resolve.describe()
        with Child({**other, "url": url}) as meanwhile:
            meanwhile.finish()
        go.touch()
        resolve.finish()
    return resolve, meanwhile


def _resolve_again(url: str) -> None:
    with cx360.connect(url) as hub:
        hub.resolve()


def test_ingest_during_a_batch_resolve(
    store_url: str, reference: Reference, scratch: Callable[[str], str], tmp_path: Path
) -> None:
    assert reference.backend == backend_of(store_url)
    url = _copy(reference, "resolve", scratch)
    second = str(reference_data(reference, "second_records"))
    resolve, ingest = _while_resolve_waits(
        url, tmp_path / "go", {"op": "ingest", "records": second}, full=True
    )
    assert ingest.process.returncode == 0, ingest.describe()
    assert resolve.process.returncode == 0, resolve.describe()
    assert violations(url) == {}
    assert snapshot(url).records == reference.steps["second ingest"].after.records
    _resolve_again(url)
    assert violations(url) == {}
    expected = reference.steps["incremental resolve"].after
    assert snapshot(url).partition == expected.partition


def test_resolve_record_during_a_batch_resolve(
    store_url: str, reference: Reference, scratch: Callable[[str], str], tmp_path: Path
) -> None:
    assert reference.backend == backend_of(store_url)
    url = _copy(reference, "second ingest", scratch)
    stream = str(reference_data(reference, "stream_records"))
    resolve, calls = _while_resolve_waits(url, tmp_path / "go", {"op": "stream", "records": stream})
    assert calls.process.returncode == 0, calls.describe()
    assert resolve.process.returncode == 0, resolve.describe()
    assert violations(url) == {}
    _resolve_again(url)
    assert violations(url) == {}
    expected = reference.steps["final resolve"].after
    assert snapshot(url).records == expected.records
    assert snapshot(url).partition == expected.partition


_TWO_RESOLVES: dict[str, tuple[str, Child, Child]] = {}


def _two_resolves(
    reference: Reference, scratch: Callable[[str], str], tmp_path: Path
) -> tuple[str, Child, Child]:
    """Two batch resolves of one store at once (once per backend and session): one pauses
    before its write while the other runs to its end. The store, and the two."""
    if reference.backend not in _TWO_RESOLVES:
        url = _copy(reference, "second ingest", scratch)
        waiting, other = _while_resolve_waits(url, tmp_path / "go", {"op": "resolve"})
        _TWO_RESOLVES[reference.backend] = (url, waiting, other)
    return _TWO_RESOLVES[reference.backend]


def test_two_batch_resolves_at_once_lose_nothing(
    store_url: str, reference: Reference, session_scratch: Callable[[str], str], tmp_path: Path
) -> None:
    assert reference.backend == backend_of(store_url)
    url, waiting, other = _two_resolves(reference, session_scratch, tmp_path)
    assert other.process.returncode == 0, other.describe()
    assert waiting.process.returncode in (0, ERROR_EXIT), waiting.describe()
    assert violations(url) == {}
    _resolve_again(url)
    assert violations(url) == {}
    assert snapshot(url).partition == reference.steps["incremental resolve"].after.partition


def test_a_second_batch_resolve_is_refused_with_a_clear_error(
    store_url: str, reference: Reference, session_scratch: Callable[[str], str], tmp_path: Path
) -> None:
    assert reference.backend == backend_of(store_url)
    _url, waiting, _other = _two_resolves(reference, session_scratch, tmp_path)
    if waiting.process.returncode != 0:
        said = waiting.last_line("error") or waiting.describe()
        assert re.search(r"another|concurrent|at the same time", said), said


def reference_data(reference: Reference, name: str) -> Path:
    return Path(getattr(reference.data, name))
