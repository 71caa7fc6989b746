"""Benchmark: the month's findings against a plain DuckDB scan and a pandas version, in one run.

    .venv/bin/python benchmarks/bench_findings.py                      # 20k customers / 1M events
    .venv/bin/python benchmarks/bench_findings.py --customers 1000000 --events 50000000
    .venv/bin/python benchmarks/bench_findings.py --db build/big.duckdb --month 2026-10

Prints one table: generating and loading the data (when no --db is given), the fifteen rules
(`rules.evaluate`, what `gdpr-analytics findings` runs), a plain DuckDB scan of the month's access
events (the floor any access rule pays), the five XB rules alone, and the same five XB rules in pandas
after fetching the month's events into a data frame.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from gdpr_analytics import rules
from gdpr_analytics.db import connect
from gdpr_analytics.month import Month
from gdpr_analytics.parameters import Parameters
from gdpr_analytics.policy import load_policy


def timed(label, fn, table):
    t0 = time.perf_counter()
    out = fn()
    table.append((label, time.perf_counter() - t0, out))
    return out


def pandas_xb(con, month: Month, policy, threshold: int) -> int:
    df = con.execute("SELECT * FROM access_log WHERE occurred_at >= $s AND occurred_at < $e",
                     {"s": month.period_start, "e": month.as_of}).df()
    eea = set(policy.eea)
    declared = {p["key"] for p in policy.data["processors"]}
    allowed_c = set(policy.processor_countries())
    scope = set(policy.processor_scope())
    proc = df["processor"].str.strip().str.lower()
    third = ~df["source_country"].isin(eea)
    is_declared = proc.isin(declared)
    pc = pd.Series(list(zip(proc, df["source_country"])), index=df.index).isin(allowed_c)
    ps = pd.Series(list(zip(proc, df["resource"], df["action"])), index=df.index).isin(scope)
    n = (~is_declared).sum()
    n += (is_declared & third & ~pc).sum()
    n += (is_declared & ~ps).sum()
    n += (third & (df["action"] == "export") & (df["record_count"] > threshold)).sum()
    n += (third & df["ticket_id"].isna()).sum()
    return int(n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path)
    ap.add_argument("--month", default="2026-10")
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    args = ap.parse_args()
    table: list[tuple[str, float, object]] = []
    month, params, policy = Month.parse(args.month), Parameters(), load_policy()
    with tempfile.TemporaryDirectory(prefix="bench-findings-") as tmp:
        db = args.db
        if db is None:
            from gdpr_analytics.load import load_to_file
            from gdpr_analytics.sample import generate

            src, db = Path(tmp) / "src", Path(tmp) / "bench.duckdb"
            timed(f"sample {args.customers:,} customers / {args.events:,} events (parquet)",
                  lambda: sum(generate(src, customers=args.customers, events=args.events, fmt="parquet",
                                       progress=False).values()), table)
            timed("load (validate, type, write database)", lambda: sum(load_to_file(src, db, show=False).values()), table)
        con = connect(db, policy)
        total = con.execute("SELECT count(*) FROM access_log").fetchone()[0]
        in_month = timed("plain DuckDB scan: count the month's access events", lambda: con.execute(
            "SELECT count(*) FROM access_log WHERE occurred_at >= $s AND occurred_at < $e",
            {"s": month.period_start, "e": month.as_of}).fetchone()[0], table)
        res = timed("findings: all 15 rules (rules.evaluate)", lambda: rules.evaluate(con, month, params), table)
        table[-1] = (table[-1][0], table[-1][1], len(res.findings))
        bound = rules.query_parameters(month, params)
        from gdpr_analytics import queries

        xb = [r for r in rules.CATALOGUE if r.rule_id.startswith("XB")]
        timed("XB-001..005 in DuckDB SQL", lambda: sum(len(queries.run(con, r.query, **bound)) for r in xb), table)
        timed("XB-001..005 in pandas (fetch month + filter)",
              lambda: pandas_xb(con, month, policy, params.bulk_export_threshold), table)
        con.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\naccess_log rows: {total:,}; in {month.label}: {in_month:,}; peak RSS of this process: {peak:,.0f} MiB\n")
    width = max(len(t[0]) for t in table)
    print(f"{'step'.ljust(width)}  {'seconds':>9}  {'result rows':>12}")
    for label, secs, out in table:
        print(f"{label.ljust(width)}  {secs:9.3f}  {out if isinstance(out, int) else '':>12}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
