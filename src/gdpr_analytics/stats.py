"""Statistics of the month that the report writes as files (cross_border.csv)."""

from __future__ import annotations

import pandas as pd

from .engine import Engine
from .month import Month

CROSS_BORDER_COLUMNS = ["processor", "source_country", "resource", "action", "third_country",
                        "events", "actors", "customers", "records"]


def cross_border(engine: Engine, month: Month) -> pd.DataFrame:
    """Access events in the month grouped by processor, source_country, resource, action (SPEC §6)."""
    df = engine.run("cross_border/summary", period_start=month.period_start, as_of=month.as_of)
    return df[CROSS_BORDER_COLUMNS]
