"""The DuckDB engine: a database written by `gdpr-analytics load`, attached read-only (other processes may
read it at the same time), in UTC, within the memory, thread and spill settings of core/resources.py.

The connection's own catalog is in memory: it holds the policy tables and one view per table of the
database, so every cursor of the connection (jupysql's, for one) sees both. A database of another
layout (ingest/layout.py) is refused with "load again", not a catalog error.

While open, the engine holds the database file's reader lock (core/locks.py): a `load` does not write
the file in place under it (it works on a copy), and an engine opened while a load writes in place waits
for the load's commit. `DuckDBEngine.over` reads through a connection the caller owns instead: the
load's, inside its transaction, to compute the latest month before the commit (commands/load.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import duckdb

from ..core import locks, resources
from ..core.errors import EngineError, UsageError, first_line
from ..ingest import rollups
from ..ingest.layout import LAYOUT, PART_PREFIX
from ..sql import queries
from .base import Engine

if TYPE_CHECKING:  # `query` answers a pandas frame (DuckDB imports pandas then); `rows` needs none
    import pandas as pd


class DuckDBEngine(Engine):
    """`path`: the database file read (a run's snapshot of it, or the database itself); `location`: the
    database the user named (default: path), beside which the month results are stored (base.Engine)."""

    name = "duckdb"
    CATALOG = "gdpr"

    def __init__(self, path: str | Path, *, location: str | Path | None = None, results: str | Path | None = None,
                 history=None, month=None):
        super().__init__(location or path, results)
        self.reads = Path(path)
        self._owned = True
        if not self.reads.is_file():
            raise UsageError(f"database {self.location} does not exist: run `gdpr-analytics load` first")
        self._lock = locks.hold_for_reading(self.reads)
        self.con = duckdb.connect(config=resources.current().config())
        try:
            self.con.execute(f"ATTACH $path AS {self.CATALOG} (READ_ONLY)", {"path": str(self.reads)})
        except duckdb.Error as exc:
            self.close()
            raise UsageError(f"cannot open database {self.location}: {first_line(exc)}") from None
        self.con.execute("SET TimeZone = 'UTC'")
        names = {n for (n,) in self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = $db AND schema_name = 'main' "
            "UNION SELECT view_name FROM duckdb_views() WHERE database_name = $db AND schema_name = 'main' "
            "AND NOT internal", {"db": self.CATALOG}).fetchall()}
        self._check_layout(names)
        for name in sorted(names):
            if name.startswith(PART_PREFIX):
                continue  # read through the access_log view, which lives beside them
            quoted = '"' + name.replace('"', '""') + '"'
            self.con.execute(f"CREATE VIEW main.{quoted} AS SELECT * FROM {self.CATALOG}.main.{quoted}")
        self._derived_rollups(names)
        if history is not None:
            self.register_policy(history, month)

    @classmethod
    def over(cls, con: duckdb.DuckDBPyConnection, *, location: str | Path, history=None,
             month=None) -> "DuckDBEngine":
        """An engine reading the database that `con` (the caller's, left open by `close`) has as its catalog,
        as `load` leaves it (its layout, its roll-ups): the policy tables are temporary, so a transaction
        open on `con` writes nothing but its own work. `location`: the database the results are stored
        beside."""
        engine = cls.__new__(cls)
        Engine.__init__(engine, location)
        engine.con, engine._owned, engine._lock = con, False, None
        if history is not None:
            engine.register_policy(history, month)
        return engine

    def _derived_rollups(self, names: set[str]) -> None:
        """A database `load` did not write (one built by hand, say) lacks the orders roll-up: a view
        computes it from its table, so the queries read the same rows either way."""
        for table, name in rollups.SNAPSHOT_TABLES.items():
            if table not in names and all(t in names for t in queries.get(name).requires):
                self.con.execute(f"CREATE VIEW main.{table} AS {queries.get(name).sql}")

    def _check_layout(self, names: set[str]) -> None:
        """A database an older version wrote lacks tables the queries read: say so, not a catalog error."""
        if "_load_info" not in names:
            return
        row = self.con.execute(f"SELECT value FROM {self.CATALOG}.main._load_info WHERE key = 'layout'").fetchone()
        if row is not None and row[0] != LAYOUT:
            self.close()
            raise UsageError(f"database {self.location} was written by an older gdpr-analytics (layout {row[0]}; "
                             f"this version reads layout {LAYOUT}): run `gdpr-analytics load` again, which rebuilds it")

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        try:
            return self.con.execute(sql, params or {}).df()
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB: {first_line(exc)}") from exc

    def reader(self) -> duckdb.DuckDBPyConnection:
        """A cursor of this engine's connection (no second DuckDB to start)."""
        return self.con.cursor()

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        try:
            return self.con.execute(sql, params or {}).fetchall()
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB: {first_line(exc)}") from exc

    def answer(self, sql: str, params: dict[str, Any] | None = None) -> tuple[list[str], list[tuple]]:
        try:
            cur = self.con.execute(sql, params or {})
            return [d[0] for d in cur.description], cur.fetchall()
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB: {first_line(exc)}") from exc

    def _create_table(self, name: str, columns: Sequence[tuple[str, str]], rows: list[tuple]) -> None:
        defs = ", ".join(f"{c} {t}" for c, t in columns)
        create, table = ("CREATE OR REPLACE TABLE main.", "main.") if self._owned else \
            ("CREATE OR REPLACE TEMP TABLE ", "temp.main.")
        self.con.execute(f"{create}{name}({defs})")
        if rows:  # one statement for all rows (executemany costs a statement per row)
            row = "(" + ", ".join("?" for _ in columns) + ")"
            self.con.execute(f"INSERT INTO {table}{name} VALUES " + ", ".join(row for _ in rows),
                             [value for r in rows for value in r])

    def close(self) -> None:
        """Close the connection (unless the caller owns it), then let go of the reader lock: in that order,
        so that no load writes in place while this connection can still read."""
        if self._owned:
            self.con.close()
        if self._lock is not None:
            self._lock.release()
