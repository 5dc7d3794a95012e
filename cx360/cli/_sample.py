"""`cx360 generate` (a synthetic dataset) and `cx360 demo` (generate, ingest, resolve, show)."""

from __future__ import annotations

import argparse
import csv
import os
import shlex
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cx360.cli._args import STORE_ENV_VAR, open_hub, store_option

if TYPE_CHECKING:
    from cx360._hub import Hub
    from cx360.models import Profile


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    generate = sub.add_parser("generate", help="write a synthetic omnichannel dataset")
    generate.add_argument("--records", type=int, default=10_000, help="approximate record count")
    generate.add_argument("--seed", type=int, default=1)
    generate.add_argument("--out", type=Path, required=True, help="output folder")
    generate.add_argument("--format", choices=("csv", "jsonl", "parquet"), default="csv")
    generate.add_argument(
        "--profile",
        choices=("today", "multi_contact", "sparse", "households"),
        default="today",
        help="the population's habits: today (default), multi_contact, sparse, households",
    )
    generate.set_defaults(run=run_generate)

    demo = sub.add_parser("demo", help="generate a sample, ingest it and show what cx360 knows")
    demo.add_argument("--records", type=int, default=5_000)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--dir", type=Path, default=Path("cx360-demo"), help="where the sample goes")
    store_option(demo)
    demo.set_defaults(run=run_demo)


def run_generate(args: argparse.Namespace) -> int:
    from cx360.synthetic import write_dataset

    paths = write_dataset(
        args.out,
        n_records=args.records,
        seed=args.seed,
        fmt=args.format,
        profile=args.profile,
    )
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


def run_demo(args: argparse.Namespace) -> int:
    from cx360.cli._ingest import print_result
    from cx360.synthetic import write_dataset

    paths = write_dataset(args.dir, n_records=args.records, seed=args.seed, fmt="csv")
    print(f"sample written to {args.dir}/ ({args.records} records, seed {args.seed})")
    with open_hub(args, create=True) as hub:
        print(f"store: {hub.url}")
        result = hub.ingest_files(paths["records"], paths["interactions"])
        print_result(result, as_json=False)
        report = hub.resolve()
        print(
            f"resolved {report.records} records into {report.customers} customers "
            f"in {report.seconds.get('total', 0):.1f}s"
        )
        shown = _show_customer(hub)
        customers_file = Path(args.dir) / "customers.csv"
        hub.export(customers_file)
        store = args.store or (None if os.environ.get(STORE_ENV_VAR) else hub.url)
    _print_accuracy(customers_file, Path(paths["truth"]))
    _print_next_commands(shown, store)
    return 0


def _print_accuracy(customers_file: Path, truth_file: Path) -> None:
    """How the resolved customers compare with the people the generator made."""
    with truth_file.open(encoding="utf-8", newline="") as handle:
        truth = {
            (r["source"], r["source_record_id"]): r["person_id"] for r in csv.DictReader(handle)
        }
    with customers_file.open(encoding="utf-8", newline="") as handle:
        customers = {
            (r["source"], r["source_record_id"]): r["customer_id"] for r in csv.DictReader(handle)
        }
    accuracy = pairwise_accuracy(customers, truth)
    print()
    print(f"accuracy against the generated truth ({truth_file}), over pairs of records:")
    print(
        f"  precision {accuracy.precision:.4f}   recall {accuracy.recall:.4f}   "
        f"F1 {accuracy.f1:.4f}"
    )
    print(
        f"  {accuracy.records:,} records of {accuracy.people:,} people in "
        f"{accuracy.customers:,} customers (each record's customer: {customers_file})"
    )


class Accuracy(NamedTuple):
    records: int
    people: int
    customers: int
    precision: float
    recall: float
    f1: float


def pairwise_accuracy(
    predicted: Mapping[tuple[str, str], str], truth: Mapping[tuple[str, str], str]
) -> Accuracy:
    """Pairwise precision, recall and F1 of customers against true people, over the
    records of the truth.

    A pair of records is predicted when both are in one customer and true when both are
    one person; the counts come from (customer, person) cell sizes, so no pair is listed.
    A record without a customer (set aside, or not resolved) is a customer of its own.
    """
    cells: Counter[tuple[str, str]] = Counter()
    for key, person in truth.items():
        customer = predicted.get(key) or f"\x00{key[0]}\x00{key[1]}"
        cells[customer, person] += 1
    by_customer: Counter[str] = Counter()
    by_person: Counter[str] = Counter()
    for (customer, person), size in cells.items():
        by_customer[customer] += size
        by_person[person] += size

    def pairs(sizes: Iterable[int]) -> int:
        return sum(n * (n - 1) // 2 for n in sizes)

    both = pairs(cells.values())
    predicted_pairs, true_pairs = pairs(by_customer.values()), pairs(by_person.values())
    precision = both / predicted_pairs if predicted_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Accuracy(len(truth), len(by_person), len(by_customer), precision, recall, f1)


def _print_next_commands(shown: Profile | None, store: str | None) -> None:
    """Commands to try next on the demo store, with the shown customer's identifiers."""
    on_store = f" --store {shlex.quote(store)}" if store else ""
    lookups = []
    if shown is not None and shown.golden.phone is not None:
        lookups.append(f"profile --phone {shlex.quote(shown.golden.phone.value)}")
    if shown is not None and shown.golden.email is not None:
        lookups.append(f"context --email {shlex.quote(shown.golden.email.value)}")
    other = [r for r in shown.records if r.source != shown.records[0].source] if shown else []
    if shown is not None and other:
        first, second = shown.records[0], other[0]  # two channels' records of the customer
        keys = (f"{r.source}:{r.source_record_id}" for r in (first, second))
        lookups.append("explain " + " ".join(shlex.quote(key) for key in keys))
    commands = [
        *(f"{command}{on_store}" for command in lookups),
        f"status{on_store}",
        f"quarantine{on_store}",
        f"report{on_store}",
        f"export --profiles --out profiles.csv{on_store}",
    ]
    print()
    print("next, try:")
    for command in commands:
        print(f"  cx360 {command}")


def _show_customer(hub: Hub) -> Profile | None:
    """Print the profile of the customer seen on the most channels: one history."""
    from cx360.profile._cards import profile_text

    top = hub.top_customers(limit=1)
    if not top:
        return None
    found = hub.profile(customer_id=top[0].customer_id, limit=10)
    print()
    print(profile_text(found))
    return found.profile
