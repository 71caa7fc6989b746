"""Roll-ups kept up to date by `load`: monthly ones of the access log, so month figures and 12-month
trends read a few hundred rows instead of every event, and one of the orders (each customer's first and
last order), so the retention rule reads one row per customer instead of grouping every order.

Each roll-up table holds the rows of a named query of queries/rollups/ for every month the access log
touches (`month_start` = first instant of the month, UTC). `load` recomputes exactly the months that a
new, changed or removed access log file touches; tests/ingest/test_incremental.py checks the tables equal a
recomputation from the events after every kind of change. The snapshot roll-ups (SNAPSHOT_TABLES: each
customer's orders, the marketing sends per day and channel) are rebuilt whole whenever their table is.
The day roll-ups (`_rollup_access_day`, `_rollup_send_day`) are the coverage ledger (analysis/ledger.py);
`_rollup_table_ops_day` counts the operations on whole tables per day for the access packs (analysis/access.py).
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
    "_rollup_access_day": "rollups/access_day",
    "_rollup_table_ops_day": "rollups/table_ops_day",
}

#: roll-up table -> the named query (no parameters) that computes all of it from a snapshot table
SNAPSHOT_TABLES = {
    "_rollup_last_order": "rollups/last_order",
    "_rollup_send_day": "rollups/send_day",
}
#: snapshot roll-up table -> the table it is computed from (rebuilt whenever that table is)
SNAPSHOT_SOURCES = {"_rollup_last_order": "orders", "_rollup_send_day": "marketing_sends"}


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


def rebuild_snapshot(con: duckdb.DuckDBPyConnection, rebuilt: Iterable[str] | None = None) -> None:
    """Recompute whole the snapshot roll-ups of the tables rebuilt (None: every one)."""
    for table, name in SNAPSHOT_TABLES.items():
        if rebuilt is not None and SNAPSHOT_SOURCES[table] not in rebuilt:
            continue
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
