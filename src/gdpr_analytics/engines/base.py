"""The engine seam: everything the analysis asks of the data, in one small class.

Rules, statistics, the record's observations, the month results and the notebooks talk to an `Engine`,
never to a driver: the loader's bookkeeping (which tables the source held, their rows and instants, the
input files, the data end), run a named query of queries/ with its parameters bound, and register the
policy as tables the queries read. What every engine shares lives here; an engine implements only
`query` (SQL of the portable subset, sql/portable.py, with named parameters), `_create_table` and
`close`, and says what it reads. A failure inside an engine reaches the caller as `EngineError`, one
line, whichever engine raised it.

`duckdb.DuckDBEngine` opens a database written by `gdpr-analytics load`; `spark.engine.SparkEngine`
reads a source folder in place on Apache Spark. A command opens one through `factory.opened`, once,
and passes it down.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ..sql import queries

if TYPE_CHECKING:  # the bookkeeping and a stored month are read without pandas (commands/findings.py)
    import pandas as pd

#: Where an engine's month results are stored when the command names no folder: beside what it reads.
RESULTS_SUFFIX = ".results"

#: (table, columns with types) of the policy tables the queries read; rows come from
#: `policy.history.PolicyHistory.tables(month)`. The first four hold the version in force at the month's
#: last instant (state rules, statistics, the record); the `_at` tables hold every version with the
#: instants it is in force, valid_from inclusive, valid_to exclusive (event rules judge an event by the
#: version in force at its time). An event query finds its version in policy_version_at (a range join
#: on the event's time, one row per version) and then reads the other `_at` tables by `version`.
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
    # the controller's evidence (policy/evidence.py): one row per transfer impact assessment, and what it covers
    "evidence_tia": (("processor", "VARCHAR"), ("country", "VARCHAR"), ("reference", "VARCHAR"),
                     ("review_by", "TIMESTAMP"), ("monthly_records", "BIGINT")),
    "evidence_tia_scope": (("processor", "VARCHAR"), ("country", "VARCHAR"), ("resource", "VARCHAR"),
                           ("action", "VARCHAR")),
}


#: The tables an access pack registers (analysis/access.py): the pack's subjects, and per subject each
#: resource of the access log that held their data and from when until when.
ACCESS_TABLES = {
    "pack_subjects": (("customer_id", "VARCHAR"),),
    "pack_spans": (("customer_id", "VARCHAR"), ("resource", "VARCHAR"), ("held_from", "TIMESTAMP"),
                   ("held_to", "TIMESTAMP")),
    "pack_edges": (("customer_id", "VARCHAR"), ("resource", "VARCHAR"), ("window_from", "TIMESTAMP"),
                   ("window_to", "TIMESTAMP")),
    "pack_versions": (("version", "VARCHAR"), ("valid_from", "TIMESTAMP"), ("valid_to", "TIMESTAMP")),
}


def results_beside(location: str | Path) -> Path:
    """Where the month results of the data at `location` are stored when no folder is named."""
    return Path(str(location) + RESULTS_SUFFIX)


class Engine:
    """What the analysis needs from an engine. Subclasses implement the methods at the end.

    `location` is what the user named (a database file, or a source folder): a re-run of the report's
    notebooks reopens it, and the month results are stored beside it (`results`, unless the command
    names another folder). `reads` is what this engine reads: the location, or a run's snapshot of it,
    which the notebooks of that run open. `transient`: the location is removed when the command ends
    (a source loaded into a temporary database).
    """

    name = "engine"
    location: Path
    reads: Path
    results: Path
    transient = False

    def __init__(self, location: str | Path, results: str | Path | None = None):
        self.location = self.reads = Path(location)
        self.results = Path(results) if results else results_beside(self.location)
        self._books: dict[str, list[tuple]] = {}

    def fingerprint(self) -> str:
        """The data's fingerprint (ingest.source.fingerprint of every input file and source.yml): the month
        results' key. An engine that can tell it without reading the data overrides this."""
        return self.load_info().get("data_sha256", "")

    # -- the loader's bookkeeping (ingest/layout.py), read once per engine, as rows -------------------
    def _book(self, sql: str) -> list[tuple]:
        if sql not in self._books:
            self._books[sql] = self.rows(sql)
        return self._books[sql]

    def present_tables(self) -> set[str]:
        return {t for t, p, *_ in self.load_tables() if p}

    def table_rows(self) -> dict[str, int]:
        return {t: int(n) for t, _, n, *_ in self.load_tables()}

    def load_tables(self) -> list[tuple]:
        """_load_tables: (table_name, present, rows, earliest, latest) of every table of the contract."""
        return list(self._book("SELECT table_name, present, rows, earliest, latest FROM _load_tables"))

    def load_info(self) -> dict[str, str]:
        return dict(self._book("SELECT key, value FROM _load_info"))

    def inputs(self) -> list[dict]:
        return [{"table": t, "file": f, "rows": int(r), "sha256": s} for t, f, r, s in
                self._book("SELECT table_name, file, rows, sha256 FROM _load_inputs ORDER BY table_name, file")]

    def ignored(self) -> list[dict]:
        """The entries of the source that are not tables, not read: [{"file": …, "size": …}] by name."""
        return [{"file": f, "size": int(s)} for f, s in self._book("SELECT file, size FROM _load_ignored ORDER BY file")]

    def after_data_end(self) -> list[dict]:
        """Instants after the data end, per table and column (ingest/coverage.py):
        [{"table", "column", "values", "first_keys": [...]}]."""
        rows = self._book("SELECT table_name, column_name, later, first_keys FROM _load_after_end "
                          "ORDER BY table_name, column_name")
        return [{"table": t, "column": c, "values": int(n), "first_keys": k.split(", ") if k else []}
                for t, c, n, k in rows]

    def known_gaps(self) -> list[dict]:
        """The gaps the source declares in source.yml (ingest/coverage.py known_gaps)."""
        rows = self._book("SELECT table_name, member, gap_from, gap_to, reason FROM _known_gaps "
                          "ORDER BY table_name, gap_from, member")
        return [{"table": t, "member": None if m is None or m != m else m, "from": _day(a), "to": _day(b), "reason": r}
                for t, m, a, b, r in rows]

    # -- the policy --------------------------------------------------------------------------------
    def register_policy(self, history, month=None) -> None:
        """Create the policy tables (POLICY_TABLES) the queries read from a policy.history.PolicyHistory:
        the version at the end of `month` (the latest when None), and every version with its instants."""
        rows = history.tables(month)
        for table, columns in POLICY_TABLES.items():
            self._create_table(table, columns, rows[table])

    def register_access(self, subjects: list[str], spans: list[tuple] | None = None, edges: list[tuple] | None = None,
                        versions: list[tuple] | None = None) -> None:
        """Create the access-pack tables (ACCESS_TABLES): the subjects of the packs being built, the spans in
        which each resource held their data, the windows of their first and last days, and the policy version
        judging each instant (analysis/access.py)."""
        self._create_table("pack_subjects", ACCESS_TABLES["pack_subjects"], [(s,) for s in subjects])
        self._create_table("pack_spans", ACCESS_TABLES["pack_spans"], list(spans or []))
        self._create_table("pack_edges", ACCESS_TABLES["pack_edges"], list(edges or []))
        self._create_table("pack_versions", ACCESS_TABLES["pack_versions"], list(versions or []))

    # -- what an engine implements -------------------------------------------------------------------
    def query(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run SQL text (the portable subset) with named parameters; fully fetched. EngineError on failure."""
        raise NotImplementedError

    def reader(self):
        """A DuckDB connection for reading files beside the data (a stored month's Parquet files), which the
        caller closes; None when the engine has none to lend (the caller opens one)."""
        return None

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        """The answer of `query` as tuples, a missing value as None; an engine that can answer without
        pandas overrides this."""
        return [tuple(None if v is None or v != v else v for v in r)
                for r in self.query(sql, params).itertuples(index=False, name=None)]

    def answer(self, sql: str, params: dict[str, Any] | None = None) -> tuple[list[str], list[tuple]]:
        """The answer of `query` as its column names and tuples, a missing value as None; an engine that can
        answer without pandas overrides this."""
        df = self.query(sql, params)
        return [str(c) for c in df.columns], [tuple(None if v is None or v != v else v for v in r)
                                              for r in df.itertuples(index=False, name=None)]

    def records(self, name: str, **params: Any) -> tuple[list[str], list[tuple]]:
        """The named query's answer as column names and tuples (`answer`): for code that reads an answer row
        by row and need not import pandas (an access pack)."""
        q = queries.get(name)
        return self.answer(q.sql, queries.bind(q, params))

    def run(self, name: str, **params: Any) -> pd.DataFrame:
        """Run the named query of queries/ with the parameters it declares bound by name."""
        q = queries.get(name)
        return self.query(q.sql, queries.bind(q, params))

    def _create_table(self, name: str, columns: Sequence[tuple[str, str]], rows: list[tuple]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _day(value):
    """A DATE as a date (an engine may answer a datetime, pandas' Timestamp among them)."""
    return value.date() if isinstance(value, datetime) else value
