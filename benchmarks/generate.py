"""Generate a synthetic omnichannel dataset with ground truth, streamed to disk.

    python benchmarks/generate.py --records 1000000 --seed 7 --out bench-data/1m
    python benchmarks/generate.py --records 15000 --out bench-data/15k --format parquet --summary
    python benchmarks/generate.py --records 15000 --profile multi_contact --out bench-data/mc15k

Writes records.<ext>, interactions.<ext> and truth.<ext> (see cx360.synthetic) and prints
counts, timing and file sizes (as JSON with --json).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

try:
    import cx360.synthetic as synthetic
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import cx360.synthetic as synthetic


def _countries(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for part in text.split(","):
        code, _, weight = part.partition("=")
        out[code.strip().upper()] = float(weight) if weight else 1.0
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000, help="exact number of records")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--format", choices=synthetic.FORMATS, default="csv")
    parser.add_argument("--noise", type=float, default=1.0, help="error-rate multiplier")
    parser.add_argument(
        "--profile",
        choices=synthetic.PROFILES,
        default="today",
        help="the population's habits (default: today)",
    )
    parser.add_argument(
        "--countries", type=_countries, default=None, help="market weights, e.g. CO=0.5,MX=0.5"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="worker processes (output is identical for any number)",
    )
    parser.add_argument(
        "--row-group-size", type=int, default=65_536, help="Parquet rows per row group"
    )
    parser.add_argument(
        "--summary", action="store_true", help="also print summary statistics (reads it back)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)

    ds = synthetic.generate(
        args.records,
        seed=args.seed,
        countries=args.countries,
        noise=args.noise,
        profile=args.profile,
    )
    written = synthetic.write_dataset(
        ds,
        args.out,
        format=args.format,
        row_group_size=args.row_group_size,
        workers=args.workers,
    )
    st = written.stats
    report: dict[str, object] = {
        "directory": str(written.directory),
        "format": written.format,
        "profile": args.profile,
        "records": st.records,
        "interactions": st.interactions,
        "people": st.people,
        "households": st.households,
        "cases": st.cases,
        "cross_channel_cases": st.cross_channel_cases,
        "records_by_source": st.records_by_source,
        "seconds": round(written.seconds, 2),
        "records_per_second": round(st.records / written.seconds) if written.seconds else None,
        "bytes": {name: path.stat().st_size for name, path in written.paths.items()},
        "workers": written.workers,
    }
    if args.summary:
        report["summary"] = synthetic.summarize(ds)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        for key, value in report.items():
            if key == "summary":
                print("summary:")
                print(json.dumps(value, indent=2, ensure_ascii=False))
            else:
                print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
