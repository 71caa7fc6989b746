"""Instants as the suite writes them: UTC, to the second, `YYYY-MM-DDTHH:MM:SSZ`.

Every instant inside the suite is a naive `datetime` in UTC (DuckDB TIMESTAMP, Spark TIMESTAMP_NTZ);
every instant the suite writes (CSV, JSON, logs, pages) uses `INSTANT`. This is the one home of that format.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

INSTANT = "%Y-%m-%dT%H:%M:%SZ"


def format_instant(instant: datetime) -> str:
    """A datetime as `YYYY-MM-DDTHH:MM:SSZ`: a naive one is taken as UTC, an aware one converted."""
    if instant.tzinfo is not None:
        instant = instant.astimezone(timezone.utc).replace(tzinfo=None)
    return instant.strftime(INSTANT)


def parse_instant(text: str) -> datetime:
    """`YYYY-MM-DDTHH:MM:SSZ` as a naive UTC datetime."""
    return datetime.strptime(text, INSTANT)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def now_text() -> str:
    """The current instant, as written."""
    return format_instant(utc_now())


def naive_utc(value: Any) -> datetime:
    """A datetime as naive UTC (an aware one is converted; a naive one is already UTC)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def day_after(instant: datetime) -> datetime:
    """The first instant of the UTC day after instant's."""
    return datetime(instant.year, instant.month, instant.day) + timedelta(days=1)
