"""Roll-ups kept up to date by `load`: monthly ones of the access log, so month figures and 12-month
trends read a few hundred rows instead of every event, and one of the orders (each customer's first and
last order), so the retention rule reads one row per customer instead of grouping every order.

Each roll-up table holds the rows of a named query of queries/rollups/ for every month the access log
touches (`month_start` = first instant of the month, UTC). `load` recomputes exactly the months that a
new, changed or removed access log file touches; tests/ingest/test_incremental.py checks the tables equal a
recomputation from the events after every kind of change. The orders roll-up (SNAPSHOT_TABLES) is
rebuilt whole whenever the orders table is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

import duckdb

from ..sql import queries

#: roll-up table -> the named query that computes one month of it
TABLES = {
    "_rollup_access_month": "rollups/access_month",
    "_rollup_access_country": "rollups/access_country",
}

#: roll-up table -> the named query (no parameters) that computes all of it from a snapshot table
SNAPSHOT_TABLES = {
    "_rollup_last_order": "rollups/last_order",
}


def month_of(ts: datetime) -> datetime:
    return datetime(ts.year, ts.month, 1)


def next_month(m: datetime) -> datetime:
    return datetime(m.year + (m.month == 12), m.month % 12 + 1, 1)


def months_between(first: datetime, last: datetime) -> list[datetime]:
    """Every month from the one holding `first` to the one holding `last`."""
    out, m = [], month_of(first)
    while m <= last:
        out.append(m)
        m = next_month(m)
    return out


def create(con: duckdb.DuckDBPyConnection) -> None:
    """The roll-up tables, empty, with the columns their queries give."""
    for table, name in TABLES.items():
        q = queries.get(name)
        epoch = datetime(1970, 1, 1)
        con.execute(f"CREATE TABLE IF NOT EXISTS main.{table} AS SELECT * FROM ({q.sql}) LIMIT 0",
                    queries.bind(q, {"month_start": epoch, "month_end": epoch}))
    for table, name in SNAPSHOT_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS main.{table} AS SELECT * FROM ({queries.get(name).sql}) LIMIT 0")


def rebuild_snapshot(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the snapshot roll-ups whole (after the orders table was rebuilt)."""
    for table, name in SNAPSHOT_TABLES.items():
        con.execute(f"CREATE OR REPLACE TABLE main.{table} AS {queries.get(name).sql}")


def refresh(con: duckdb.DuckDBPyConnection, months: Iterable[datetime]) -> None:
    """Replace the roll-up rows of the given months by a recomputation from the access log."""
    months = sorted(set(months))
    if not months:
        return
    for table, name in TABLES.items():
        q = queries.get(name)
        con.executemany(f"DELETE FROM main.{table} WHERE month_start = $m", [{"m": m} for m in months])
        for m in months:
            con.execute(f"INSERT INTO main.{table} {q.sql}",
                        queries.bind(q, {"month_start": m, "month_end": next_month(m)}))
