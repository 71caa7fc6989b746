"""Opening the loaded database for analysis: read-only, UTC, with the policy's temp tables.

The loader writes these bookkeeping tables beside the data tables:
  _load_tables(table_name, present, rows)            which tables the source held (absent optional
                                                      tables exist empty, with present = false)
  _load_inputs(table_name, file, rows, sha256)       every input file read
  _load_extra_columns(table_name, column_name, non_null)  columns outside the contract (not loaded)
  _load_info(key, value)                             loaded_at, source, tool version
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .errors import UsageError
from .policy import Policy, load_policy, register


def connect(db_path: str | Path, policy: Policy | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection (other processes may read at the same time), TimeZone UTC,
    with the policy registered as temp tables."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise UsageError(f"database {db_path} does not exist: run `gdpr-analytics load` first")
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as exc:
        raise UsageError(f"cannot open database {db_path}: {str(exc).splitlines()[0]}") from None
    con.execute("SET TimeZone = 'UTC'")
    register(con, policy or load_policy())
    return con


def present_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM _load_tables WHERE present").fetchall()}


def load_info(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT key, value FROM _load_info").fetchall())


def inputs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    cur = con.execute("SELECT table_name, file, rows, sha256 FROM _load_inputs ORDER BY table_name, file")
    return [dict(zip(("table", "file", "rows", "sha256"), r)) for r in cur.fetchall()]
