"""Sources whose access log is a folder of monthly Parquet partitions, and what a loaded database holds:
the incremental load's tests (ingest/) use these to compare an incremental load with a full one."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from pathlib import Path

import duckdb
from sources import write_source

from gdpr_analytics.ingest.load import load_to_file

BOOKKEEPING_SKIP = {"loaded_at", "load_mode", "source"}  # differ between two loads by nature


def _events(month: str, n: int, start: int) -> list[dict]:
    """n events in month (YYYY-MM), ids E<start>…, spread over days 1..n, two processors and countries; every
    seventh names no customer (an operation on the whole orders table)."""
    out = []
    for i in range(n):
        out.append({"event_id": f"E{start + i:05d}", "occurred_at": f"{month}-{i % 28 + 1:02d}T10:00:00",
                    "processor": "tcs" if i % 2 else "bpost", "actor_id": f"A{i % 3}",
                    "source_country": "IN" if i % 2 else "BE", "resource": "orders", "action": "read",
                    "customer_id": None if i % 7 == 6 else f"C{i % 2 + 1}", "record_count": str(i), "ticket_id": None if i % 4 == 1 else "T1"})
    return out


def _partitioned(folder: Path, months: dict[str, list[dict]]) -> Path:
    """A source whose access log is a folder of hive partitions access_log/month=YYYY-MM/data.parquet."""
    write_source(folder, customers=[{"customer_id": "C1"}, {"customer_id": "C2", "erased_at": "2026-08-15T00:00:00"}],
                 orders=[{"order_id": "O1", "customer_id": "C1", "ordered_at": "2023-07-01T00:00:00"}])
    (folder / "access_log.csv").unlink()
    for month, rows in months.items():
        _write_partition(folder, month, rows)
    return folder


def _write_partition(folder: Path, month: str, rows: list[dict]) -> None:
    from sources import write_table

    part = folder / "access_log" / f"month={month}"
    part.mkdir(parents=True, exist_ok=True)
    tmp = write_table(folder.parent, "access_log", rows)
    con = duckdb.connect()
    con.execute("COPY (SELECT * FROM read_csv($p, all_varchar = true)) TO $t (FORMAT parquet)",
                {"p": str(tmp), "t": str(part / "data.parquet")})
    con.close()
    tmp.unlink()


def _content(db: Path) -> dict[str, list]:
    """Every table and view of the database, rows sorted, bookkeeping without the load's own instant."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY table_name").fetchall()]
        out = {}
        for name in names:
            rows = con.execute(f'SELECT * FROM "{name}"').fetchall()
            if name == "_load_info":
                rows = [r for r in rows if r[0] not in BOOKKEEPING_SKIP]
            out[name] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


def _rollups_recomputed(db: Path) -> None:
    """The roll-up tables hold exactly what a GROUP BY over every event (every order, every send) gives."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table, sql in (
            ("_rollup_access_month", """
                SELECT date_trunc('month', occurred_at), processor, source_country, resource, action, count(*),
                       count(DISTINCT actor_id), count(DISTINCT customer_id), coalesce(sum(record_count), 0),
                       count(*) FILTER (WHERE ticket_id IS NULL)
                FROM access_log GROUP BY ALL"""),
            ("_rollup_access_country", """
                SELECT date_trunc('month', occurred_at), processor, source_country, count(*),
                       count(DISTINCT actor_id), count(DISTINCT customer_id), coalesce(sum(record_count), 0)
                FROM access_log GROUP BY ALL"""),
            ("_rollup_last_order", "SELECT customer_id, min(ordered_at), max(ordered_at) FROM orders GROUP BY ALL"),
            # the coverage ledger of days (processors as the rules compare them: NBSP-padded TCS is tcs)
            ("_rollup_access_day", """
                SELECT date_trunc('month', occurred_at), date_trunc('day', occurred_at),
                       lower(trim(processor, ' \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000')), count(*)
                FROM access_log GROUP BY ALL"""),
            ("_rollup_send_day", "SELECT date_trunc('day', sent_at), channel, count(*) FROM marketing_sends GROUP BY ALL"),
            # the access packs' operations on whole tables holding customers' data
            ("_rollup_table_ops_day", """
                SELECT date_trunc('month', occurred_at), CAST(occurred_at AS DATE), resource, processor, source_country,
                       action, count(*), sum(record_count), count(ticket_id)
                FROM access_log WHERE customer_id IS NULL AND resource <> 'infrastructure' GROUP BY ALL"""),
        ):
            stored = sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            fresh = sorted(con.execute(sql).fetchall(), key=repr)
            assert stored == fresh, table
    finally:
        con.close()


def _coverage_recomputed(db: Path) -> None:
    """_load_tables' earliest and latest (the record instants), the data end, and the instants after it
    are what the loaded rows give (SPEC §10)."""
    from gdpr_analytics.ingest.contract import TABLES

    con = duckdb.connect(str(db), read_only=True)
    try:
        latest_of_all = []
        for name, table in TABLES.items():
            fresh = con.execute(f"SELECT min({table.time_column}), max({table.time_column}) FROM {name}").fetchone()
            stored = con.execute("SELECT earliest, latest FROM _load_tables WHERE table_name = $t",
                                 {"t": name}).fetchone()
            assert stored == fresh, name
            latest_of_all.append(fresh[1])
        info = dict(con.execute("SELECT key, value FROM _load_info").fetchall())
        if info["data_end_from"] == "latest row":
            last = max(t for t in latest_of_all if t is not None)
            assert info["data_end"] == (last.date() + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")
        if "data_end" in info:
            end = info["data_end"].replace("T", " ").rstrip("Z")
            fresh_after = []
            for name, table in TABLES.items():
                for c in (c.name for c in table.columns if c.type == "TIMESTAMP"):
                    n = con.execute(f"SELECT count(*) FROM {name} WHERE {c} > CAST($e AS TIMESTAMP)", {"e": end}).fetchone()[0]
                    if n:
                        fresh_after.append((name, c, n))
            stored_after = con.execute("SELECT table_name, column_name, later FROM _load_after_end").fetchall()
            assert sorted(stored_after) == sorted(fresh_after)
    finally:
        con.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _same_as_full(src: Path, incremental: Path, tmp: Path) -> None:
    full = tmp / f"full-{time.monotonic_ns()}.duckdb"
    assert load_to_file(src, full, show=False, full=True).mode == "full"
    assert _content(incremental) == _content(full)  # _load_tables' earliest, latest and the data end too
    _rollups_recomputed(incremental)
    _coverage_recomputed(incremental)
