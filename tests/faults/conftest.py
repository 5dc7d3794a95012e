"""The fault tests' data and their reference: an uninterrupted life of a fresh store per
backend, built once per session, with a copy of the store after each step to start from."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests._stores import scratch_store as _scratch_store
from tests.conftest import POSTGRES_URL
from tests.faults._harness import (
    FaultData,
    Step,
    build_reference,
    clone_store,
    keep_store,
    kept_directory,
    make_data,
)

# the steps after which tests start from a copy of the reference's store
STARTING_POINTS = ("resolve", "second ingest")


@dataclass
class Reference:
    """The steps of the uninterrupted life, and a copy of the store after each."""

    backend: str
    data: FaultData
    steps: dict[str, Step]
    copies: dict[str, str]  # step -> URL of the store as it was after it


def backend_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


@pytest.fixture(scope="session")
def fault_data(tmp_path_factory: pytest.TempPathFactory) -> FaultData:
    return make_data(tmp_path_factory.mktemp("fault-data"), records=3000, seed=17)


@pytest.fixture(scope="session")
def _stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], str]]:
    """Scratch stores that live for the session (PostgreSQL schemas dropped at its end)."""
    directory = tmp_path_factory.mktemp("fault-stores")
    with contextlib.ExitStack() as stack:

        def new(backend: str) -> str:
            return stack.enter_context(_scratch_store(backend, directory, POSTGRES_URL))

        yield new


@pytest.fixture(scope="session")
def _references(fault_data: FaultData, _stores: Callable[[str], str]) -> dict[str, Reference]:
    return {}


@pytest.fixture
def reference(
    store_url: str,
    fault_data: FaultData,
    _stores: Callable[[str], str],
    _references: dict[str, Reference],
) -> Reference:
    """The reference of the backend of `store_url`."""
    backend = backend_of(store_url)
    if backend not in _references:
        copies: dict[str, str] = {}

        def keep(step: str, url: str) -> None:
            if kept_directory() is not None:  # the whole life, to compare a kept store with
                keep_store(url, f"reference after {step}")
            if step not in STARTING_POINTS:
                return
            copies[step] = _stores(backend)
            clone_store(url, copies[step])

        steps = build_reference(_stores(backend), fault_data, keep)
        _references[backend] = Reference(backend, fault_data, steps, copies)
    return _references[backend]


@pytest.fixture
def session_scratch(_stores: Callable[[str], str]) -> Callable[[str], str]:
    """More empty stores, kept until the session ends."""
    return _stores


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """More empty stores for one test, removed after it."""
    with contextlib.ExitStack() as stack:
        yield lambda backend: stack.enter_context(_scratch_store(backend, tmp_path, POSTGRES_URL))
