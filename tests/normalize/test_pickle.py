"""Normalized results survive pickling (ingest workers send them between processes), the
same whether the normalizers run as Python or compiled with mypyc."""

from __future__ import annotations

import copy
import pickle

import pytest

from cx360.ingest._prepare import Quarantined
from cx360.models import QuarantineReason
from cx360.normalize import (
    normalize_birth_date,
    normalize_email,
    normalize_name,
    normalize_national_id,
    normalize_phone,
)

VALUES = [
    normalize_birth_date("03/04/1985", "CO"),
    normalize_email("Ana.Perez+x@Gmail.com"),
    normalize_email("noemail@noemail.com"),
    normalize_name("José Luis", "García Márquez", None, "CO"),
    normalize_national_id("12345678Z", "ES"),
    normalize_phone("300 123 4567", "CO"),
    normalize_phone("0000000000", "CO"),
    Quarantined(7, QuarantineReason.MISSING_KEY, "source", {"source": "", "x": [1, 2]}),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_results_pickle_and_copy_to_equal_values(value: object) -> None:
    assert value is not None
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(value, protocol))
        assert again == value
        assert type(again) is type(value)
    assert copy.copy(value) == value
    assert copy.deepcopy(value) == value
