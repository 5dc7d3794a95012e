"""Accuracy benchmark: resolution methods side by side on synthetic and public datasets.

    python benchmarks/accuracy.py --suite --json suite.json      # the whole suite, one table
    python benchmarks/accuracy.py --suite --records 100000      # generator profiles at 100k
    python benchmarks/accuracy.py --records 15000 --seeds 11 12
    python benchmarks/accuracy.py --datasets febrl3 febrl4 rldata10000 --methods exact splink_docs
    python benchmarks/accuracy.py --records 50000 --seeds 11 --datasets synthetic --json out.json
    python benchmarks/accuracy.py --suite --methods cx360 --without weak_bridges
    python benchmarks/accuracy.py --suite --seeds 31 --ablate all --json ablation.json

The suite (`--suite`) runs every dataset with cx360, Splink as its documentation
configures that kind of data (`splink_docs`), Splink on cx360's normalized columns
(`plain_splink`) and exact identifier stitching, and prints one Markdown table (dataset ×
method: P / R / F1, seconds). Datasets: FEBRL1-4, RLdata500, RLdata10000, Splink's
fake_1000 (benchmarks/_datasets.py) and the project generator under each profile
(`synthetic` is the `today` profile; `synthetic-multi_contact`, `synthetic-sparse`,
`synthetic-households`), at --records records. A method that fails on a dataset is a row
saying so, with the error's class.

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

Guards and rules, with and without (ABLATIONS): `--without NAME` (repeatable) runs cx360
with those switched off, through `Hub.resolve`'s options (`GuardLimits`, the link
weights) where they have one, else through the private switch of the rules no option
reaches (`cx360.resolve._rules`, for evaluation only, in this process). `--ablate NAME...`
(or `all`) runs cx360 on every dataset with everything, then with each one off in turn,
and prints the change each makes (dataset × rule: P / R / F1 without it, minus with it).
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
    normalize_records,
    normalized_frame,
    plain_splink,
    read_table,
    splink_docs,
    truth_series,
)
from benchmarks._datasets import PUBLIC_SETS  # noqa: E402
from benchmarks._metrics import ClusteringMetrics, as_key_series, evaluate  # noqa: E402
from cx360.resolve._rules import Rule  # noqa: E402

#: Generator datasets and the profile each is generated with.
PROFILE_DATASETS: dict[str, str] = {
    "synthetic": "today",
    "synthetic-multi_contact": "multi_contact",
    "synthetic-sparse": "sparse",
    "synthetic-households": "households",
}
DATASETS = (*PROFILE_DATASETS, *PUBLIC_SETS)
#: What `--suite` runs.
SUITE_METHODS = ("cx360", "splink_docs", "plain_splink", "exact")


@dataclass(frozen=True)
class Ablation:
    """One guard or rule switched off: `resolve` options of `Hub.resolve`, `limits`
    fields of its `GuardLimits`, or `rules` of the private switch."""

    what: str
    resolve: dict[str, Any] = field(default_factory=dict)
    limits: dict[str, Any] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()


#: Every guard and rule that `--without` / `--ablate` switch off, by name.
ABLATIONS: dict[str, Ablation] = {
    "given_names": Ablation("given-name guard", limits={"check_given_names": False}),
    "full_given_names": Ablation(
        "full given names that never fit (Juan Pablo / Juan Carlos)",
        rules=(Rule.FULL_GIVEN_NAMES,),
    ),
    "swapped_names": Ablation("given name and surname swapped fit", rules=(Rule.SWAPPED_NAMES,)),
    "birth_dates": Ablation("birth-date guard", limits={"check_birth_dates": False}),
    "default_like_birth_dates": Ablation(
        "2000-01-01 / 1970-01-01 neither guarded nor identifiers",
        rules=(Rule.DEFAULT_LIKE_BIRTH_DATES,),
    ),
    "two_slip_birth_dates": Ablation(
        "birth dates of one year two digits apart may be one person's",
        rules=(Rule.TWO_SLIP_BIRTH_DATES,),
    ),
    "full_surnames": Ablation("full-surname guard", limits={"check_full_surnames": False}),
    "second_surnames": Ablation(
        "second-surname guard (family naming)", limits={"check_second_surnames": False}
    ),
    "national_ids": Ablation("national-ID guard", limits={"max_national_ids_per_kind": 10**9}),
    "national_id_typos": Ablation(
        "national IDs one typo apart are one ID", rules=(Rule.NATIONAL_ID_TYPOS,)
    ),
    "name_suffixes": Ablation(
        "generational suffixes that differ (Jr. / Sr.) keep groups apart",
        rules=(Rule.NAME_SUFFIXES,),
    ),
    "overrides": Ablation(
        "a pair's own evidence overrides a guard (facets)", limits={"corroboration": False}
    ),
    "overwhelming": Ablation(
        "overwhelming weights override a guard",
        limits={"overwhelming_match_weight": None, "overwhelming_id_match_weight": None},
    ),
    "weak_bridges": Ablation("weak-bridge rule", limits={"bridge_match_weight": None}),
    "sole_holders": Ablation("sole-holder links", resolve={"sole_holder_match_weight": None}),
    "name_only_weight": Ablation(
        "name-only pairs need a higher weight", resolve={"name_only_match_weight": 2.0}
    ),
    "address_word_counts": Ablation(
        "an address identifies only given names of as many words",
        rules=(Rule.ADDRESS_WORD_COUNTS,),
    ),
    "near_birth_dates": Ablation(
        "a birth date one typo away is an identifier", rules=(Rule.NEAR_BIRTH_DATES,)
    ),
    "date_part_keyed_wrong": Ablation(
        "a birth date with one whole part different is an identifier",
        rules=(Rule.DATE_PART_KEYED_WRONG,),
    ),
    "near_national_ids": Ablation(
        "a national ID one typo away is an identifier", rules=(Rule.NEAR_NATIONAL_IDS,)
    ),
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
    #: the data's kind for `splink_docs` and, for public sets, their own columns
    kind: str = "omnichannel"
    raw: pd.DataFrame | None = field(default=None, repr=False)
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

    with tempfile.TemporaryDirectory(prefix="cx360-acc-") as tmp:
        return resolve_in(Path(tmp), ds, opts)


def resolve_in(directory: Path, ds: Dataset, opts: argparse.Namespace) -> MethodResult:
    """`_cx360` with its store (`cx360.db`) and export kept in `directory`."""
    from dataclasses import replace

    import cx360
    from cx360.resolve._rules import switched_off

    off = [ABLATIONS[name] for name in opts.without or ()]
    options: dict[str, Any] = {k: v for a in off for k, v in a.resolve.items()}
    limits = replace(cx360.GuardLimits(), **{k: v for a in off for k, v in a.limits.items()})
    hub = cx360.connect(f"sqlite:///{directory}/cx360.db")
    try:
        rows = ds.records.fillna("").astype(str).to_dict("records")
        started = time.perf_counter()
        hub.ingest(records=rows)
        ingest_seconds = time.perf_counter() - started
        with switched_off(rule for a in off for rule in a.rules):
            report = hub.resolve(limits=limits, **options)
        hub.export(f"{directory}/assignments.csv")
    finally:
        hub.close()
    assigned = pd.read_csv(directory / "assignments.csv", dtype=str, keep_default_na=False)
    clusters = pd.Series(
        assigned.customer_id.to_numpy(),
        index=assigned.source + "|" + assigned.source_record_id,
    )
    stages = {k: v for k, v in report.seconds.items() if k != "total"}
    info: dict[str, Any] = {"ingest_seconds": ingest_seconds}
    if off:
        info["without"] = list(opts.without)
    return MethodResult(clusters, stages, info)


METHODS: dict[str, Method] = {
    "exact": lambda ds, opts: exact_identifier_method(ds.normalized),
    "plain_splink": lambda ds, opts: plain_splink(
        ds.normalized,
        threshold=opts.threshold,
        link_type=ds.link_type,
        seed=opts.splink_seed,
        log_level=opts.splink_log_level,
    ),
    "splink_docs": lambda ds, opts: splink_docs(
        ds.normalized if ds.raw is None else ds.raw,
        ds.kind,
        link_type=ds.link_type,
        threshold=opts.docs_threshold,
        log_level=opts.splink_log_level,
    ),
    "cx360": _cx360,
}


# --------------------------------------------------------------------------------------


def synthetic_dataset(
    records: int,
    seed: int,
    data_dir: Path,
    fmt: str,
    workers: int | None,
    profile: str = "today",
) -> Dataset:
    """Generate (once) and load a synthetic dataset of `records` records for `seed`."""
    from cx360.synthetic import generate, write_dataset

    label = "synthetic" if profile == "today" else f"synthetic-{profile}"
    directory = data_dir / f"{label}-{records}-s{seed}"
    records_path = directory / f"records.{fmt}"
    truth_path = directory / f"truth.{fmt}"
    if not (records_path.exists() and truth_path.exists()):
        started = time.perf_counter()
        write_dataset(
            generate(records, seed=seed, profile=profile),  # type: ignore[arg-type]
            directory,
            format=fmt,
            workers=min(4, workers or 4),
        )
        print(
            f"# generated {directory} in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    return Dataset(
        name=label,
        seed=seed,
        records=read_table(records_path),
        truth=truth_series(truth_path),
        records_path=records_path,
        workers=workers,
    )


def public_dataset(name: str, workers: int | None) -> Dataset:
    public = PUBLIC_SETS[name]()
    return Dataset(
        name=name,
        seed=None,
        records=public.records,
        truth=public.truth,
        link_type=public.link_type,
        kind=public.kind,
        raw=public.raw,
        workers=workers,
    )


def run_method(
    name: str, ds: Dataset, opts: argparse.Namespace, unavailable: set[str]
) -> dict[str, Any] | None:
    """Run one method on one dataset; a result row (a failure is a row with its error's
    class under "error"), or None when skipped.

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
    except Exception as error:
        print(f"# {name} failed on {ds.name}:", file=sys.stderr)
        traceback.print_exc()
        return _failed(ds.name, ds.seed, len(ds.truth), name, error, time.perf_counter() - started)
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


def _failed(
    dataset: str, seed: int | None, records: int, method: str, error: Exception, seconds: float
) -> dict[str, Any]:
    """The row of a method that failed: its error's class, no figures."""
    return {
        "dataset": dataset,
        "seed": seed,
        "records": records,
        "method": method,
        "seconds": seconds,
        "error": type(error).__name__,
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
    if "error" in row:
        failed = f"failed ({row['error']})"
        cells = [row["dataset"], "-" if row["seed"] is None else str(row["seed"])]
        cells += [f"{row['records']:,}", row["method"], failed]
        cells += [""] * (len(COLUMNS) - len(cells) - 2)
        return [*cells, f"{row['seconds']:.1f}", ""]
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


def _render(header: list[str], body: list[list[str]], markdown: bool, left: set[str]) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [
        max(len(h), *(len(c[i]) for c in body)) if body else len(h) for i, h in enumerate(header)
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if h in left else c.rjust(w)
            for c, w, h in zip(cells, widths, header, strict=True)
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, body)])


def format_table(rows: list[dict[str, Any]], markdown: bool = False) -> str:
    """The detailed table: one row per (dataset, seed, method), with cluster measures."""
    header = [name for name, _ in COLUMNS]
    return _render(header, [_cells(r) for r in rows], markdown, {"dataset", "method", "stages"})


SUITE_HEADER = ("dataset", "records", "method", "P", "R", "F1", "seconds", "prep s")


def _prep_seconds(row: dict[str, Any]) -> float | None:
    """Time before the method proper: cx360's ingest, the baselines' normalization."""
    info = row.get("info") or {}
    if "ingest_seconds" in info:
        return float(info["ingest_seconds"])
    value = row.get("normalize_seconds")
    return None if value is None else float(value)


def suite_table(rows: list[dict[str, Any]], markdown: bool = True) -> str:
    """The suite's table: dataset × method, P / R / F1, seconds (the method's own:
    cx360's resolve stages, Splink's train + predict + cluster) and preparation seconds
    (cx360's ingest; the normalization the baselines on normalized columns start from,
    measured once per dataset). A failed run shows its error's class."""
    body: list[list[str]] = []
    for row in rows:
        name = row["dataset"] if row.get("seed") is None else f"{row['dataset']} s{row['seed']}"
        cells = [name, f"{row['records']:,}", row["method"]]
        if "error" in row:
            cells += [f"failed ({row['error']})", "", ""]
        else:
            m = row["metrics"]
            cells += [f"{m['precision']:.4f}", f"{m['recall']:.4f}", f"{m['f1']:.4f}"]
        prep = _prep_seconds(row)
        cells += [f"{row['seconds']:.1f}", "" if prep is None else f"{prep:.1f}"]
        body.append(cells)
    return _render(list(SUITE_HEADER), body, markdown, {"dataset", "method"})


def _commit() -> str:
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stdout.strip()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--suite",
        action="store_true",
        help=f"every dataset with {', '.join(SUITE_METHODS)}; prints the suite table",
    )
    parser.add_argument("--records", type=int, default=15_000, help="synthetic records")
    parser.add_argument("--seeds", type=int, nargs="+", default=[11], help="synthetic seeds")
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=None)
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=sorted(METHODS),
        default=None,
        help="methods to run (default: all)",
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench-data" / "accuracy")
    parser.add_argument("--format", choices=("parquet", "csv", "jsonl"), default="parquet")
    parser.add_argument(
        "--threshold", type=float, default=0.9, help="plain_splink's match probability"
    )
    parser.add_argument(
        "--docs-threshold",
        type=float,
        default=None,
        help="splink_docs' clustering threshold (default: each documentation example's)",
    )
    parser.add_argument("--splink-seed", type=int, default=42, help="seed of Splink's u sampling")
    parser.add_argument("--workers", type=int, default=None, help="normalization processes")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--json", type=Path, default=None, help="also write all results here")
    parser.add_argument(
        "--splink-log-level", default="ERROR", help="Splink's log level (default ERROR)"
    )
    parser.add_argument(
        "--without",
        action="append",
        choices=sorted(ABLATIONS),
        default=[],
        metavar="RULE",
        help=f"run cx360 without this guard or rule (repeatable): {', '.join(ABLATIONS)}",
    )
    parser.add_argument(
        "--ablate",
        nargs="+",
        choices=["all", *sorted(ABLATIONS)],
        default=None,
        metavar="RULE",
        help="cx360 with everything, then without each RULE (or all) in turn; the changes",
    )
    return parser


def load_dataset(name: str, seed: int | None, opts: argparse.Namespace) -> Dataset:
    """A dataset of the suite by name (generator datasets for `seed`)."""
    if name in PROFILE_DATASETS:
        assert seed is not None
        return synthetic_dataset(
            opts.records, seed, opts.data_dir, opts.format, opts.workers, PROFILE_DATASETS[name]
        )
    return public_dataset(name, opts.workers)


def run_suite(opts: argparse.Namespace) -> list[dict[str, Any]]:
    """Every (dataset, seed) × method of `opts`; the result rows in that order."""
    rows: list[dict[str, Any]] = []
    unavailable: set[str] = set()
    for name, seed in _specs(opts):
        started = time.perf_counter()
        try:
            ds = load_dataset(name, seed, opts)
        except Exception as error:  # a set that cannot be read fails its rows, not the run
            print(f"# {name} could not be loaded:", file=sys.stderr)
            traceback.print_exc()
            rows += [_failed(name, seed, 0, m, error, 0.0) for m in opts.methods]
            continue
        loaded = time.perf_counter() - started
        label = name if seed is None else f"{name} seed {seed}"
        if any(
            m in ("exact", "plain_splink") or (m == "splink_docs" and ds.raw is None)
            for m in opts.methods
            if m not in unavailable
        ):
            normalized = ds.normalized
            print(
                f"# {label}: {len(ds.records):,} records, {ds.truth.nunique():,} persons; "
                f"loaded in {loaded:.1f} s, normalized in {ds.normalize_seconds:.1f} s "
                f"({normalized.attrs.get('quarantined', 0)} quarantined)",
                file=sys.stderr,
            )
        for method in opts.methods:
            row = run_method(method, ds, opts, unavailable)
            if row is None:
                continue
            if method == "splink_docs" and ds.raw is not None:
                row["normalize_seconds"] = None  # it reads the set's own columns
            rows.append(row)
            if "error" in row:
                continue
            m = row["metrics"]
            print(
                f"# {method} on {label}: P={m['precision']:.4f} R={m['recall']:.4f} "
                f"F1={m['f1']:.4f} in {row['seconds']:.1f} s",
                file=sys.stderr,
            )
    return rows


def _specs(opts: argparse.Namespace) -> list[tuple[str, int | None]]:
    specs: list[tuple[str, int | None]] = []
    for name in opts.datasets:
        if name in PROFILE_DATASETS:
            specs += [(name, seed) for seed in opts.seeds]
        else:
            specs.append((name, None))
    return specs


def run_ablation(
    opts: argparse.Namespace, rules: list[str], save: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """cx360 on every (dataset, seed) of `opts` with everything (key ""), then without each
    of `rules` in turn: {"": rows, rule: rows}. `save` gets the results so far after each
    dataset (a long run keeps what it measured)."""
    results: dict[str, Any] = {name: [] for name in ["", *rules]}
    for name, seed in _specs(opts):
        ds = load_dataset(name, seed, opts)
        label = name if seed is None else f"{name} seed {seed}"
        for rule in ["", *rules]:
            opts.without = [rule] if rule else []
            row = run_method("cx360", ds, opts, set())
            assert row is not None
            results[rule].append(row)
            m = row.get("metrics")
            figures = "failed" if m is None else f"P={m['precision']:.4f} R={m['recall']:.4f}"
            f1 = "" if m is None else f" F1={m['f1']:.4f}"
            print(f"# {label} without {rule or '(nothing)'}: {figures}{f1}", file=sys.stderr)
        save(results)
    opts.without = []
    return results


def ablation_table(results: dict[str, Any]) -> str:
    """Rule × dataset: P / R / F1 without the rule minus with everything, under a first
    row of the figures with everything. A change under 0.00005 shows as 0."""
    base = results[""]
    header = ["without", *(_dataset_label(row) for row in base)]
    body = [["(nothing): P / R / F1", *(_figures(row) for row in base)]]
    for rule, rows in results.items():
        if rule:
            others = [rows[i] if i < len(rows) else None for i in range(len(base))]
            body.append(
                [rule, *(_deltas(row, other) for row, other in zip(base, others, strict=True))]
            )
    return _render(header, body, True, set())


def _dataset_label(row: dict[str, Any]) -> str:
    return row["dataset"] if row.get("seed") is None else f"{row['dataset']} s{row['seed']}"


def _figures(row: dict[str, Any]) -> str:
    if "error" in row:
        return f"failed ({row['error']})"
    m = row["metrics"]
    return f"{m['precision']:.4f} / {m['recall']:.4f} / {m['f1']:.4f}"


def _deltas(base: dict[str, Any], other: dict[str, Any] | None) -> str:
    if other is None:
        return ""
    if "error" in base or "error" in other:
        return _figures(other)

    def delta(key: str) -> str:
        change = other["metrics"][key] - base["metrics"][key]
        return "0" if abs(change) < 0.00005 else f"{change:+.4f}"

    return " / ".join(delta(key) for key in ("precision", "recall", "f1"))


def main(argv: list[str] | None = None) -> int:
    opts = _parser().parse_args(argv)
    if opts.datasets is None:
        opts.datasets = (
            list(DATASETS)
            if opts.suite or opts.ablate
            else ["synthetic", "febrl3", "febrl4", "rldata10000"]
        )
    if opts.methods is None:
        opts.methods = list(SUITE_METHODS) if opts.suite else list(METHODS)

    from benchmarks._common import machine

    started = time.perf_counter()
    meta = {
        "command": "python benchmarks/accuracy.py " + " ".join(argv or sys.argv[1:]),
        "machine": machine(),
        "commit": _commit(),
    }
    print(f"# machine: {meta['machine']}; commit {meta['commit']}", file=sys.stderr)
    if opts.ablate is not None:
        rules = list(ABLATIONS) if "all" in opts.ablate else list(dict.fromkeys(opts.ablate))

        def save(results: dict[str, Any]) -> None:
            if opts.json is not None:
                opts.json.parent.mkdir(parents=True, exist_ok=True)
                opts.json.write_text(json.dumps({"meta": meta, "ablation": results}, default=str))

        print(ablation_table(run_ablation(opts, rules, save)))
        return 0
    rows = run_suite(opts)
    meta["wall_seconds"] = round(time.perf_counter() - started, 1)
    print(f"# wall time {meta['wall_seconds']:.0f} s", file=sys.stderr)
    if opts.suite:
        print(suite_table(rows, markdown=True))
    else:
        print(format_table(rows, markdown=opts.markdown))
    if opts.json is not None:
        opts.json.parent.mkdir(parents=True, exist_ok=True)
        payload: Any = {"meta": meta, "rows": rows} if opts.suite else rows
        opts.json.write_text(json.dumps(payload, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
