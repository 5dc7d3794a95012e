"""`cx360 generate` (a synthetic dataset) and `cx360 demo` (generate, ingest, resolve, show)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from cx360.cli._args import store_option

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
    from cx360._hub import connect
    from cx360.cli._ingest import print_result
    from cx360.synthetic import write_dataset

    paths = write_dataset(args.dir, n_records=args.records, seed=args.seed, fmt="csv")
    print(f"sample written to {args.dir}/ ({args.records} records, seed {args.seed})")
    with connect(args.store) as hub:
        print(f"store: {hub.store.url}")
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
    """Print the customer seen on the most channels: records and interactions, one history."""
    from sqlalchemy import func, select

    from cx360.store._schema import interactions, record_customers, records

    with hub.store.connection() as conn:
        customer = conn.execute(
            select(record_customers.c.customer_id)
            .join(records, records.c.id == record_customers.c.record_id)
            .group_by(record_customers.c.customer_id)
            .order_by(func.count(func.distinct(records.c.source)).desc(), func.count().desc())
            .limit(1)
        ).scalar()
        if customer is None:
            return
        rows = conn.execute(
            select(
                records.c.source,
                records.c.source_record_id,
                records.c.given_names,
                records.c.surnames,
                records.c.email_display,
                records.c.phone_e164,
            )
            .join(record_customers, record_customers.c.record_id == records.c.id)
            .where(record_customers.c.customer_id == customer)
            .order_by(records.c.source)
        ).all()
        history = conn.execute(
            select(
                interactions.c.occurred_at,
                interactions.c.source,
                interactions.c.type,
                interactions.c.status,
                interactions.c.case_id,
            )
            .join(
                records,
                (records.c.source == interactions.c.source)
                & (records.c.source_record_id == interactions.c.source_record_id),
            )
            .join(record_customers, record_customers.c.record_id == records.c.id)
            .where(record_customers.c.customer_id == customer)
            .order_by(interactions.c.occurred_at.desc())
            .limit(10)
        ).all()
    print(f"\ncustomer {customer}: {len(rows)} channel records")
    for row in rows:
        name = " ".join(filter(None, (row.given_names, row.surnames))) or "-"
        print(
            f"  {row.source:<12} {row.source_record_id[:20]:<20} {name:<30} "
            f"{row.email_display or '-':<34} {row.phone_e164 or '-'}"
        )
    print("  latest interactions, every channel:")
    for item in history:
        when = item.occurred_at.strftime("%Y-%m-%d %H:%M") if item.occurred_at else "-"
        print(
            f"    {when}  {item.source:<12} {item.type or '-':<10} "
            f"{item.status or '-':<9} case {item.case_id or '-'}"
        )
