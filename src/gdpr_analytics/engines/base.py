"""The engine seam: everything the analysis asks of a database, in one small class.

Rules, statistics, the ROPA's observations, the month results and the notebooks talk to an `Engine`,
never to a driver: which tables the source held, run a named query of queries/ with its parameters
bound, register the policy as tables the queries read, and the loader's bookkeeping. `DuckDBEngine`
(the default, one machine) opens a database written by `gdpr-analytics load`, read-only, in UTC,
within the memory, thread and spill settings of `resources`.

What is common to every engine lives here; an engine class implements only `query` (SQL of the
portable subset, see portable.py, with named parameters), `_create_table`, `close`, and where its month
results are stored (`store`). `spark_engine.SparkEngine` reads a source folder in place on Apache Spark,
and gives the same bookkeeping tables, roll-ups and answers; it is imported only when chosen (`open_engine`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from . import queries, resources
from .errors import UsageError

#: (table, columns with types) of the policy tables the queries read; rows come from `tables(month)`
#: of a `policy.Policy` (one file) or a `policy_history.PolicyHistory` (a folder of versions).
#: The first four hold the version in force at the month's last instant (state rules, statistics,
#: the ROPA); the `_at` tables hold every version with the instants it is in force, valid_from
#: inclusive, valid_to exclusive (event rules judge an event by the version in force at its time).
#: An event query finds its version in policy_version_at (a range join on the event's time, one row per
#: version) and then reads the other `_at` tables by `version`, an equality join.
_BOUNDS = (("valid_from", "TIMESTAMP"), ("valid_to", "TIMESTAMP"))
_VERSION = (("version", "VARCHAR"),)
POLICY_TABLES = {
    "policy_processor": (("processor", "VARCHAR"), ("role", "VARCHAR")),
    "policy_processor_country": (("processor", "VARCHAR"), ("country", "VARCHAR")),
    "policy_processor_scope": (("processor", "VARCHAR"), ("resource", "VARCHAR"), ("action", "VARCHAR")),
    "policy_eea": (("country", "VARCHAR"),),
    "policy_processor_at": (*_VERSION, ("processor", "VARCHAR"), ("role", "VARCHAR"), *_BOUNDS),
    "policy_processor_country_at": (*_VERSION, ("processor", "VARCHAR"), ("country", "VARCHAR"), *_BOUNDS),
    "policy_processor_scope_at": (*_VERSION, ("processor", "VARCHAR"), ("resource", "VARCHAR"),
                                  ("action", "VARCHAR"), *_BOUNDS),
    "policy_eea_at": (*_VERSION, ("country", "VARCHAR"), *_BOUNDS),
    "policy_version_at": (*_VERSION, ("sha256", "VARCHAR"), *_BOUNDS, ("personalised_advertising", "BOOLEAN")),
}


class Engine:
    """What the analysis needs from an engine. Subclasses implement the methods at the end."""

    name = "engine"
    #: what the engine reads: a database file (duckdb) or a source folder (spark); notebooks reopen it
    location: Path

    def fingerprint(self) -> str:
        """The data's fingerprint (source.fingerprint of every input file and source.yml): the month
        results' key. An engine that can tell it without reading the data overrides this."""
        return self.load_info().get("data_sha256", "")

    # -- the loader's bookkeeping (SQL every engine runs the same) -------------------------------
    def present_tables(self) -> set[str]:
        df = self.query("SELECT table_name FROM _load_tables WHERE present")
        return set(df["table_name"].tolist())

    def table_rows(self) -> dict[str, int]:
        df = self.query("SELECT table_name, rows FROM _load_tables")
        return {t: int(n) for t, n in zip(df["table_name"], df["rows"])}

    def load_info(self) -> dict[str, str]:
        df = self.query("SELECT key, value FROM _load_info")
        return dict(zip(df["key"], df["value"]))

    def inputs(self) -> list[dict]:
        df = self.query("SELECT table_name, file, rows, sha256 FROM _load_inputs ORDER BY table_name, file")
        return [{"table": t, "file": f, "rows": int(r), "sha256": s}
                for t, f, r, s in zip(df["table_name"], df["file"], df["rows"], df["sha256"])]

    # -- the policy --------------------------------------------------------------------------------
    def register_policy(self, policy, month=None) -> None:
        """Create the policy tables (POLICY_TABLES) the queries read, from a Policy (one file, in force
        at every instant) or a PolicyHistory (the version at the end of `month`, and every version with
        its instants in force)."""
        rows = policy.tables(month)
        for table, columns in POLICY_TABLES.items():
            self._create_table(table, columns, rows[table])

    # -- what an engine implements -------------------------------------------------------------------
    def query(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run SQL text (the engine's dialect) with named parameters; fully fetched."""
        raise NotImplementedError

    def run(self, name: str, **params: Any) -> pd.DataFrame:
        """Run the named query of queries/ with the parameters it declares bound by name."""
        q = queries.get(name)
        return self.query(q.sql, queries.bind(q, params))

    def store(self):
        """Where this engine's month results are stored (results.Store), or None: computed in memory."""
        return None

    def _create_table(self, name: str, columns: Sequence[tuple[str, str]], rows: list[tuple]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DuckDBEngine(Engine):
    """A database written by `gdpr-analytics load`, attached read-only (other processes may read it at the
    same time), TimeZone UTC, with the memory, thread and spill settings of `resources`.

    The connection's own catalog is in memory: it holds the policy tables and one view per table of the
    database, so every cursor of the connection (jupysql's, for one) sees both."""

    name = "duckdb"
    CATALOG = "gdpr"

    def __init__(self, db_path: str | Path, policy=None, month=None):
        import duckdb

        self.db_path = self.location = Path(db_path)
        if not self.db_path.is_file():
            raise UsageError(f"database {self.db_path} does not exist: run `gdpr-analytics load` first")
        self.con = duckdb.connect(config=resources.current().config())
        try:
            self.con.execute(f"ATTACH $path AS {self.CATALOG} (READ_ONLY)", {"path": str(self.db_path)})
        except duckdb.Error as exc:
            self.con.close()
            raise UsageError(f"cannot open database {self.db_path}: {str(exc).splitlines()[0]}") from None
        self.con.execute("SET TimeZone = 'UTC'")
        names = self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = $db AND schema_name = 'main' "
            "UNION SELECT view_name FROM duckdb_views() WHERE database_name = $db AND schema_name = 'main' "
            "AND NOT internal", {"db": self.CATALOG}).fetchall()
        self._check_layout({n for (n,) in names})
        for (name,) in sorted(names):
            if name.startswith("_access_log_part_"):
                continue  # read through the access_log view, which lives beside them
            quoted = '"' + name.replace('"', '""') + '"'
            self.con.execute(f"CREATE VIEW main.{quoted} AS SELECT * FROM {self.CATALOG}.main.{quoted}")
        self._derived_rollups({n for (n,) in names})
        if policy is not None:
            self.register_policy(policy, month)

    def _derived_rollups(self, names: set[str]) -> None:
        """A database `load` did not write (one built by hand, say) lacks the orders roll-up: a view
        computes it from its table, so the queries read the same rows either way."""
        from . import queries, rollups

        for table, name in rollups.SNAPSHOT_TABLES.items():
            if table not in names and all(t in names for t in queries.get(name).requires):
                self.con.execute(f"CREATE VIEW main.{table} AS {queries.get(name).sql}")

    def _check_layout(self, names: set[str]) -> None:
        """A database an older version wrote lacks tables the queries read: say so, not a catalog error."""
        from .layout import LAYOUT

        if "_load_info" not in names:
            return
        row = self.con.execute(f"SELECT value FROM {self.CATALOG}.main._load_info WHERE key = 'layout'").fetchone()
        if row is not None and row[0] != LAYOUT:
            self.con.close()
            raise UsageError(f"database {self.db_path} was written by an older gdpr-analytics (layout {row[0]}; "
                             f"this version reads layout {LAYOUT}): run `gdpr-analytics load` again, which rebuilds it")

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or {}).df()

    def store(self):
        from .results import Store

        return Store.beside(self.db_path)

    def _create_table(self, name: str, columns: Sequence[tuple[str, str]], rows: list[tuple]) -> None:
        defs = ", ".join(f"{c} {t}" for c, t in columns)
        self.con.execute(f"CREATE OR REPLACE TABLE main.{name}({defs})")
        if rows:  # one statement for all rows (executemany costs a statement per row)
            row = "(" + ", ".join("?" for _ in columns) + ")"
            self.con.execute(f"INSERT INTO main.{name} VALUES " + ", ".join(row for _ in rows),
                             [value for r in rows for value in r])

    def close(self) -> None:
        self.con.close()
