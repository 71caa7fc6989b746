"""The month's statistics: every named query of queries/ that is not a rule, a roll-up or an explore
query is computed with the month's results (results.py); cross_border.csv is one of them."""

from __future__ import annotations

import pandas as pd

from ..sql import queries

CROSS_BORDER_COLUMNS = ["processor", "source_country", "resource", "action", "third_country",
                        "events", "actors", "customers", "records"]
#: Query folders that are not month statistics: roll-ups (kept by load), one subject (explore notebook).
NOT_MONTHLY = ("rollups/", "explore/", "coverage/", "access/")


def statistic_queries() -> list[queries.Query]:
    """The named queries stored with a month: every query that is not a rule, a roll-up or an explore query."""
    return [q for name, q in queries.all_queries().items()
            if "rule" not in q.meta and not name.startswith(NOT_MONTHLY)]


def cross_border(results) -> pd.DataFrame | None:
    """Access events in the month grouped by processor, source_country, resource, action (SPEC §6), from
    the month's results; None when the access log does not cover the month (not assessed, not zero)."""
    df = results.table("cross_border/summary")
    return None if df is None else df[CROSS_BORDER_COLUMNS]
