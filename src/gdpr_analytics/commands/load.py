"""At the end of `load`: the month results of the latest complete month, computed once, so that the
`findings` command, the report and every notebook that asks for that month afterwards read them.

The load computes them on its new database file before it replaces the old one: a failure here fails
the load and changes nothing. They are stored under the same key `findings` and `report` compute with
their default parameters (the policy version in force at the month's last instant, its retention
period, the default bulk-export threshold), so asking with other parameters or another policy still
computes afresh, and nothing stale is read (results.py keys them by what they were computed from).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from . import coverage
from .errors import PolicyError
from .parameters import Parameters
from .results import FINDINGS, Store, month_results


@dataclass
class Prepared:
    month: str  # YYYY-MM, "" when none was computed
    why_not: str = ""  # why no month was computed
    seconds: float = 0.0

    def summary(self) -> str:
        if not self.month:
            return f"month results not computed: {self.why_not}"
        return f"month results of {self.month} ready for findings, report and notebooks ({self.seconds:.1f} s)"


def default_parameters(policy) -> Parameters:
    """What `findings` and `report` use when given no --retention-years or --bulk-export-threshold."""
    return Parameters(retention_years=policy.retention_years)


def prepare(db_file: str | Path, store: Store, data_end: str, history) -> Prepared:
    """Compute and store (unless stored already) the month results of the latest month the database
    db_file covers (coverage.last_month of its data end) under the policy history `history`."""
    from .db import connect

    started = time.perf_counter()
    if not data_end:
        return Prepared("", "the data holds no instant, so it covers no month")
    month = coverage.last_month(coverage.parse_instant(data_end))
    try:
        history.check_covers(month)
    except PolicyError as exc:
        return Prepared("", f"{month.label}: {exc}")
    policy = history.at_month_end(month)
    with connect(db_file, history, month) as engine:
        month_results(engine, month, default_parameters(policy), policy, store, tables=[FINDINGS], history=history)
    return Prepared(month.label, seconds=time.perf_counter() - started)
