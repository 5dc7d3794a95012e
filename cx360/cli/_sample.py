"""`cx360 generate` (a synthetic dataset) and `cx360 demo` (generate, ingest, resolve, show)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from cx360.cli._args import open_hub, store_option

if TYPE_CHECKING:
    from cx360._hub import Hub


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    generate = sub.add_parser("generate", help="write a synthetic omnichannel dataset")
    generate.add_argument("--records", type=int, default=10_000, help="approximate record count")
    generate.add_argument("--seed", type=int, default=1)
    generate.add_argument("--out", type=Path, required=True, help="output folder")
    generate.add_argument("--format", choices=("csv", "jsonl", "parquet"), default="csv")
    generate.set_defaults(run=run_generate)

    demo = sub.add_parser("demo", help="generate a sample, ingest it and show what cx360 knows")
    demo.add_argument("--records", type=int, default=5_000)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--dir", type=Path, default=Path("cx360-demo"), help="where the sample goes")
    store_option(demo)
    demo.set_defaults(run=run_demo)


def run_generate(args: argparse.Namespace) -> int:
    from cx360.synthetic import write_dataset

    paths = write_dataset(args.out, n_records=args.records, seed=args.seed, fmt=args.format)
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
        _show_customer(hub)
    return 0


def _show_customer(hub: Hub) -> None:
    """Print the profile of the customer seen on the most channels: one history."""
    from cx360.profile._cards import profile_text

    top = hub.top_customers(limit=1)
    if not top:
        return
    found = hub.profile(customer_id=top[0].customer_id, limit=10)
    print()
    print(profile_text(found))
