"""Statistics of the month that the report writes as files (cross_border.csv)."""

from __future__ import annotations

import pandas as pd

from .month import Month

CROSS_BORDER_COLUMNS = ["processor", "source_country", "resource", "action", "third_country",
                        "events", "actors", "customers", "records"]


def cross_border(results, month: Month) -> pd.DataFrame | None:
    """Access events in the month grouped by processor, source_country, resource, action (SPEC §6), from
    the month's results; None when the access log does not cover the month (not assessed, not zero)."""
    df = results.table("cross_border/summary")
    return None if df is None else df[CROSS_BORDER_COLUMNS]
