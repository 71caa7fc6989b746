"""`gdpr-analytics load`: validate a source folder and load it into a DuckDB database (ingest/load.py),
then compute the latest month's results on the new data, before the load commits it (or the new file
replaces the old one).

The month computed is the last month the data covers (`--month latest`), under the policy (`--policy`)
and the parameters `findings` and `report` use by default, so the scheduler's `findings`, `report` and
notebooks that follow only read (the month results' key covers data, policy, parameters and code, so
asking with other parameters or another policy still computes afresh and nothing stale is read). A
failure there fails the load and changes nothing. `--no-month-results` skips the step.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..analysis.context import MonthContext
from ..analysis.results import FINDINGS, month_results
from ..analysis.store import Store
from ..core.errors import PolicyError
from ..core.instants import parse_instant
from ..core.month import Month
from ..core.progress import progress
from ..engines.base import results_beside
from ..engines.duckdb import DuckDBEngine
from ..ingest.load import LoadResult, load_to_file
from ..policy.history import PolicyHistory, load_history


def latest_month_results(db: Path, history: PolicyHistory):
    """The last step of a load (ingest.load.LastStep): on the load's connection (the new data, not yet
    committed), compute and store (unless stored already) the results of the latest month it covers, beside
    the target database `db`."""
    def step(con, result: LoadResult) -> str:
        started = time.perf_counter()
        if not result.data_end:
            return "month results not computed: the data holds no instant, so it covers no month"
        end = parse_instant(result.data_end)
        month = Month(end.year, end.month).previous()
        try:
            history.check_covers(month)
        except PolicyError as exc:
            return f"month results not computed: {month.label}: {exc}"
        with progress(total=1, desc="load", unit="step") as bar, DuckDBEngine.over(con, location=db) as engine:
            bar.set_postfix_str("month results of the latest month")
            month_results(engine, MonthContext.build(engine, month, history), tables=[FINDINGS])
            bar.update()
        return (f"month results of {month.label} ready for findings, report and notebooks "
                f"({time.perf_counter() - started:.1f} s)")
    return step


def run(args: argparse.Namespace) -> None:
    step = None if args.no_month_results else latest_month_results(args.db, load_history(args.policy, args.evidence))
    result = load_to_file(args.source, args.db, full=args.full, last_step=step)
    if result.mode != "up to date":
        # results of data states other than this one and the one it replaced (which a running report
        # may still be using) are never read again
        Store(results_beside(args.db)).prune({result.data_sha256, result.replaced_sha256})
    print(f"loaded {args.db}: {result.summary()}", file=sys.stderr)
