"""Opening the loaded database for analysis: `connect` gives the default engine (engine.DuckDBEngine).

The loader writes these bookkeeping tables beside the data tables:
  _load_tables(table_name, present, rows, earliest, latest)  which tables the source held (absent
                                                      optional tables exist empty, with present = false),
                                                      and their first and last instant (coverage.py)
  _load_inputs(table_name, file, rows, sha256)       every input file read
  _load_extra_columns(table_name, column_name, non_null)  columns outside the contract (not loaded)
  _load_ignored(file, size)                          entries of the source that are not tables
  _load_info(key, value)                             loaded_at, source, tool version, data_end, data_end_from
"""

from __future__ import annotations

from pathlib import Path

from .engine import DuckDBEngine, Engine
from .policy import Policy, load_policy
from .policy_history import PolicyHistory


def connect(db_path: str | Path, policy: Policy | PolicyHistory | None = None, month=None) -> DuckDBEngine:
    """The database opened read-only, in UTC, with the policy's tables registered: a Policy file, or a
    PolicyHistory registered for `month` (its month-end version and every version's instants)."""
    return DuckDBEngine(db_path, policy or load_policy(), month)


def open_location(location: str | Path, policy: Policy | PolicyHistory | None = None, month=None,
                  results: str | Path | None = None) -> Engine:
    """What a notebook reopens: a database file (the DuckDB engine), or a source folder, which only the
    Spark engine reads in place (a report run with --engine spark). The Spark engine starts Spark only
    for a query whose answer is not stored: the month results are found by the files' fingerprint."""
    path = Path(location).expanduser().resolve()
    if path.is_dir():
        from .spark_engine import SparkEngine

        return SparkEngine(path, policy or load_policy(), month, results=results)
    return connect(path, policy, month)
