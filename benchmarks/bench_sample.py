"""Benchmark: the sample generator (`gdpr-analytics sample`), CSV against Parquet, in one run.

    .venv/bin/python benchmarks/bench_sample.py                        # 10k/200k and 50k/1M (under a minute)
    .venv/bin/python benchmarks/bench_sample.py --customers 1000000 --events 50000000
    .venv/bin/python benchmarks/bench_sample.py --formats parquet --customers 1000000 --events 50000000

For each size it generates the data set once per format into a temporary folder (deleted afterwards)
and prints one table: seconds, rows written per second (all six tables), output size, and the peak
resident memory of this process so far (DuckDB runs in-process). Each generation runs in a fresh
DuckDB connection, so one size does not warm the next.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from gdpr_analytics import sample

DEFAULT_SIZES = [(10_000, 200_000), (50_000, 1_000_000)]


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, help="one size: number of customers (with --events)")
    ap.add_argument("--events", type=int, help="one size: number of access events (with --customers)")
    ap.add_argument("--formats", default="csv,parquet", help="comma-separated, default csv,parquet")
    ap.add_argument("--seed", type=int, default=sample.DEFAULT_SEED)
    ap.add_argument("--tmp", type=Path, help="where to write (default: the system temporary folder)")
    args = ap.parse_args()
    if (args.customers is None) != (args.events is None):
        ap.error("give --customers and --events together")
    sizes = [(args.customers, args.events)] if args.customers is not None else DEFAULT_SIZES
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]

    header = f"{'customers':>10} {'events':>11} {'format':>8} {'seconds':>8} {'rows':>11} {'rows/s':>10} " \
             f"{'MB':>8} {'peak RSS MB':>12}"
    print(header)
    print("-" * len(header))
    for customers, events in sizes:
        for fmt in formats:
            out = Path(tempfile.mkdtemp(prefix="bench-sample-", dir=args.tmp))
            try:
                t0 = time.perf_counter()
                counts = sample.generate(out, customers=customers, events=events, seed=args.seed, fmt=fmt,
                                         progress=False)
                seconds = time.perf_counter() - t0
                rows = sum(counts.values())
                print(f"{customers:>10,} {events:>11,} {fmt:>8} {seconds:>8.1f} {rows:>11,} {rows / seconds:>10,.0f} "
                      f"{folder_size(out) / 1e6:>8.1f} {peak_rss_mb():>12,.0f}", flush=True)
            finally:
                shutil.rmtree(out, ignore_errors=True)
    print(f"\n(rows: all six tables; MB: output folder; machine: {sys.platform}, "
          f"DuckDB threads = its default, one per core)")


if __name__ == "__main__":
    main()
