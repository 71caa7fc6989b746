"""Benchmark: one full monthly report (the four notebooks, their pages, index and manifest).

    .venv/bin/python benchmarks/bench_report.py                         # data_samples/, latest month
    .venv/bin/python benchmarks/bench_report.py --db build/sample.duckdb --month 2026-10
    .venv/bin/python benchmarks/bench_report.py --customers 20000 --events 1000000   # generated data

Prints the wall time of the load (when a source is given) and of `report.run_report`, the time of
every step as recorded in manifest.json, the size of every file of the month folder, and the peak
memory of this process and of the notebook kernels.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from gdpr_analytics import report
from gdpr_analytics.db import connect
from gdpr_analytics.month import Month

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="a loaded database (default: load --source)")
    ap.add_argument("--source", type=Path, default=REPO / "data_samples")
    ap.add_argument("--customers", type=int, help="generate a sample of this many customers instead")
    ap.add_argument("--events", type=int, help="access events of the generated sample")
    ap.add_argument("--month", default="latest")
    ap.add_argument("--out", type=Path, help="reports folder (default: a temporary one)")
    args = ap.parse_args()

    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        db = args.db
        if db is None:
            from gdpr_analytics.load import load_to_file

            source = args.source
            if args.customers or args.events or not (source / "customers.csv").exists():
                from gdpr_analytics.sample import generate

                source = Path(tmp) / "src"
                given = {k: v for k, v in (("customers", args.customers), ("events", args.events)) if v}
                t0 = time.perf_counter()
                generate(source, fmt="parquet" if given else "csv", progress=False, **given)
                rows.append((f"generate sample {given or '(defaults)'}", time.perf_counter() - t0))
            db = Path(tmp) / "bench.duckdb"
            t0 = time.perf_counter()
            load_to_file(source, db, show=False)
            rows.append((f"load {source}", time.perf_counter() - t0))
        if args.month == "latest":
            con = connect(db)
            month = report.latest_complete_month(con)
            con.close()
        else:
            month = Month.parse(args.month)
        out = args.out or Path(tmp) / "reports"
        t0 = time.perf_counter()
        folder = report.run_report(db=db, month=month, out=out, show=False)
        rows.append((f"report {month} (run_report, total)", time.perf_counter() - t0))

        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        files = sorted((p.relative_to(folder).as_posix(), p.stat().st_size) for p in folder.rglob("*") if p.is_file())

    width = max(len(r[0]) for r in rows + [(t["step"], 0) for t in m["timings"]]) + 2
    print(f"\n{'step'.ljust(width)}{'seconds':>9}")
    for label, secs in rows:
        print(f"{label.ljust(width)}{secs:9.2f}")
    print("\nsteps of the report (manifest.json timings):")
    for t in m["timings"]:
        print(f"  {t['step'].ljust(width - 2)}{t['seconds']:9.2f}")
    print("\nfiles of the month folder:")
    for name, size in files:
        print(f"  {name.ljust(width - 2)}{size / 1e6:8.2f} MB")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\npeak RSS: this process {own:,.0f} MiB; largest notebook kernel {kids:,.0f} MiB")


if __name__ == "__main__":
    main()
