"""The Spark engine (SPEC §9): the same queries of queries/ on Apache Spark, over a source read in place.

`SparkEngine` implements only what differs from the DuckDB engine (engines/duckdb.py):
- **where the data is**: a source folder (SPEC §3), read where it lies — no database. The source's files
  are listed and hashed without Spark (ingest.source.input_files, ingest.source.fingerprint: the fingerprint the DuckDB
  loader records), so the month results' key is known at once and stored results are read without
  starting Spark. Spark starts at the first query.
- **the tables**: each entry staged, checked and typed by spark/source.py (the loader's checks and messages),
  held as a temp view with the contract's types (TIMESTAMP as TIMESTAMP_NTZ: naive UTC), cached; an
  absent optional table is an empty view, as the loader's empty table. The small views (an absent table,
  the bookkeeping, the policy tables) are made when a query first names one: most queries read none.
- **the bookkeeping** the analysis reads (`_load_tables`, `_load_inputs`, `_load_extra_columns`,
  `_load_info`, `_load_ignored`: ingest.layout.BOOKKEEPING's columns), computed as the loader computes it:
  rows, earliest and latest per table (coverage.span_sql), the data end (coverage.data_end_of, or
  source.yml), input files with size, SHA-256 and rows, extra columns, ignored entries, and the values
  after the data end (looked for only in a table whose latest instant in some column lies after it: the
  check pass gives every instant column's latest value).
  The bookkeeping of a source state is stored in the results folder (`<results>/<data[:16]>/_checked/
  <key>.duckdb`, keyed by the data's fingerprint, the code's and the session kind): a later command on the
  same files (a `findings` after the `report`, a notebook) reads the coverage from there, and answers from
  stored month results without starting Spark; new or changed files check the source again.
- **the roll-ups**: queries/rollups/*.sql run once over every month of the access log, at the first
  query that reads one.
- **the dialect**: each query translated by sql.portable.to_spark (cached), run with `spark.sql(text, args)`,
  fetched through Arrow, and given the exact column types DuckDB gives the same query (its DESCRIBE on
  an empty database of the same tables), converted by DuckDB: frames, stored results and CSV bytes are
  the same as the DuckDB engine's.


Sessions (local mode or Spark Connect, always UTC) come from session.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import duckdb
import pandas as pd

from ...core.assets import code_fingerprint
from ...core.errors import EngineError, GdprAnalyticsError, first_line
from ...core.instants import format_instant
from ...core.words import plural
from ...ingest import coverage, rollups
from ...ingest.checks import q, typed, typed_select
from ...ingest.contract import TABLES
from ...ingest.layout import BOOKKEEPING, info_rows
from ...ingest.source import fingerprint, input_files, meta_file, relative, scan
from ...sql import portable, queries
from ..base import ACCESS_TABLES, POLICY_TABLES, Engine
from .session import ENV_REMOTE, LOCK, session

# pyspark warns, at import and at some calls, that it does not fully support pandas >= 3: nothing here goes
# through pyspark's pandas conversion (answers come back as Arrow, converted by DuckDB)
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)

LOAD_MODE = "read in place by Spark"


@lru_cache(maxsize=1)
def _mirror():
    """An empty in-memory DuckDB database with every table a query may read (the contract's tables, the
    policy tables, the bookkeeping and the roll-ups): DESCRIBE of a query there gives the column types
    the DuckDB engine's answer has."""

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for t in TABLES.values():
        con.execute(f"CREATE TABLE {q(t.name)} ({', '.join(f'{q(c.name)} {c.type}' for c in t.columns)})")
    for name, cols in {**POLICY_TABLES, **ACCESS_TABLES}.items():
        con.execute(f"CREATE TABLE {name} ({', '.join(f'{c} {ty}' for c, ty in cols)})")
    for name, ddl in BOOKKEEPING.items():
        con.execute(f"CREATE TABLE {name} ({ddl})")
    rollups.create(con)
    return con


def _bookkeeping_db(books: dict[str, list[tuple]], path: Path | None = None):
    """A DuckDB database holding the bookkeeping tables' rows: in memory, or at `path` (written under a
    temporary name, then renamed into place, so a reader sees it whole or not at all)."""

    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        try:
            done = _bookkeeping_db(books)
            try:
                done.execute(f"ATTACH '{tmp}' AS out")
                for name in books:
                    done.execute(f"CREATE TABLE out.{name} AS SELECT * FROM {name}")
                done.execute("DETACH out")
            finally:
                done.close()
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return _stored_bookkeeping(path)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, rows in books.items():
        con.execute(f"CREATE TABLE {name} ({BOOKKEEPING[name]})")
        if rows:
            con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in BOOKKEEPING[name].split(','))})",
                            rows)
    return con


def _stored_bookkeeping(path: Path):
    """The bookkeeping stored at `path`, copied into memory (the file stays free for other commands)."""

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"ATTACH '{path}' AS stored (READ_ONLY)")
    for name in BOOKKEEPING:
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM stored.{name}")
    con.execute("DETACH stored")
    return con


def duckdb_types(sql: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """(column, DuckDB type) of the answer the DuckDB engine gives to sql."""
    with LOCK:
        return [(r[0], r[1]) for r in _mirror().execute(f"DESCRIBE {sql}", params).fetchall()]


def as_duckdb_frame(table, types: list[tuple[str, str]]) -> pd.DataFrame:
    """An Arrow table from Spark as the DuckDB engine's DataFrame: its columns (by position) cast to
    DuckDB's types and converted by DuckDB, so dtypes and values are the DuckDB engine's."""

    if table.num_columns != len(types):
        raise GdprAnalyticsError(f"Spark gave {plural(table.num_columns, 'column')} where DuckDB gives {len(types)}")
    table = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
    select = ", ".join(f"CAST(c{i} AS {t}) AS {q(name)}" for i, (name, t) in enumerate(types))
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("spark_answer", table)
        return con.execute(f"SELECT {select} FROM spark_answer").df()
    finally:
        con.close()


class SparkEngine(Engine):
    """A source folder read in place on Spark (see the module's docstring)."""

    name = "spark"

    def __init__(self, source: str | Path, history=None, month=None, *, remote: str | None = None, spark=None,
                 results: str | Path | None = None):
        super().__init__(Path(source).expanduser().absolute(), Path(results).absolute() if results else None)
        self.source = self.location
        self.remote = remote or os.environ.get(ENV_REMOTE) or None
        self.src = scan(self.source)
        self.files = input_files(self.src.entries, self.source)
        self.meta = meta_file(self.src)
        self._fingerprint = fingerprint(list(self.files.values()) + ([self.meta] if self.meta else []))
        self._base = spark
        self._spark = None
        self._started_at: datetime | None = None
        self._policy: dict[str, tuple] = {}
        self._cached: list = []
        self._views: list[str] = []
        self._later: dict[str, Any] = {}  # name -> what makes the view, made when a query first names it
        self._rollups = False
        self._bookkeeping = None
        if history is not None:
            self.register_policy(history, month)

    # -- what differs from the DuckDB engine ------------------------------------------------------------
    def fingerprint(self) -> str:
        return self._fingerprint

    def query(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        params = dict(params or {})
        spark = self._ready()
        if "_rollup_" in sql:
            self._ensure_rollups()
        self._make_named(sql)
        stamps = frozenset(k for k, v in params.items() if isinstance(v, datetime))
        text = portable.to_spark(sql, stamps)
        try:
            answer = (spark.sql(text, args=params) if params else spark.sql(text)).toArrow()
        except GdprAnalyticsError:
            raise
        except Exception as exc:  # noqa: BLE001 - pyspark's own exception classes
            raise EngineError(f"Spark: {first_line(exc)}") from exc
        return as_duckdb_frame(answer, duckdb_types(sql, params))

    def _create_table(self, name: str, columns: Sequence[tuple[str, str]], rows: list[tuple]) -> None:
        self._policy[name] = (columns, rows)
        if self._spark is not None:
            self._later[name] = lambda: self._policy_frame(name)

    def close(self) -> None:
        for df in self._cached:
            try:
                df.unpersist()
            except Exception:  # noqa: BLE001 - a session already gone
                pass
        self._cached.clear()
        if self._spark is not None:
            for name in self._views:
                try:
                    self._spark.catalog.dropTempView(name)
                except Exception:  # noqa: BLE001
                    pass
            if self.remote:
                try:  # a short retry policy: a server gone mid-run must not hold the exit ten minutes
                    from pyspark.sql.connect.client.retries import DefaultPolicy

                    self._spark.client.set_retry_policies([DefaultPolicy(max_retries=2, initial_backoff=200,
                                                                         max_backoff=1000)])
                    self._spark.stop()
                except Exception:  # noqa: BLE001
                    try:
                        self._spark.client.close()
                    except Exception:  # noqa: BLE001
                        pass
        self._spark = None

    # -- reading the source ---------------------------------------------------------------------------
    def _ready(self):
        """The session with every table, the bookkeeping and the policy tables (started at first use)."""
        with LOCK:
            if self._spark is None:
                self._spark = session(self.remote, self._base)
                try:
                    self._started_at = datetime.now(timezone.utc)
                    self._read()
                    for name in self._policy:
                        self._later[name] = (lambda n: lambda: self._policy_frame(n))(name)
                except BaseException:
                    self.close()
                    raise
            return self._spark

    def _view(self, name: str, df, cache: bool = False) -> None:
        if cache:
            df = df.persist()
            self._cached.append(df)
        df.createOrReplaceTempView(name)
        self._views.append(name)

    def _frame(self, rows: list[tuple], ddl: str):
        from .source import spark_ddl

        return self._spark.createDataFrame(rows, spark_ddl(ddl))

    def _policy_frame(self, name: str):
        columns, rows = self._policy[name]
        return self._frame([tuple(r) for r in rows], ", ".join(f"{c} {t}" for c, t in columns))

    def _make_named(self, sql: str) -> None:
        """Make the views `sql` names that are made on demand (the policy tables, the bookkeeping, an absent
        table's empty view): each is a few Spark calls, and most queries read none of them."""
        with LOCK:
            for name in [n for n in self._later if re.search(rf"\b{re.escape(n)}\b", sql, re.IGNORECASE)]:
                self._view(name, self._later.pop(name)())

    def _read(self) -> None:
        """Stage, check and type every table (in the loader's order: a reference's parent first), then
        write the bookkeeping views."""
        from .source import SparkChecker

        checker = SparkChecker(self._spark, self.source)
        entries = self.src.entries
        counts: dict[str, int] = {}
        spans: dict[str, tuple] = {}
        inputs: list[tuple] = []
        extras: list[tuple] = []
        latest: dict[str, list] = {}
        for table in TABLES.values():
            entry = entries.get(table.name)
            if entry is None:
                ddl = ", ".join(f"{c.name} {c.type}" for c in table.columns)
                self._later[table.name] = (lambda d: lambda: self._frame([], d))(ddl)
                counts[table.name], spans[table.name] = 0, (None, None)
                continue
            raw = f"_raw_{table.name}"
            rel, cols = checker.stage(entry, raw)
            self._views.append(raw)
            # the span, and the latest value of every instant column: the rows after the data end (below)
            # are looked for only in a table where one of them lies after it
            stamps = [c for c in table.columns if c.type == "TIMESTAMP"]
            checked = checker.check(entry, rel, cols, coverage.span_aggregates(table, typed)
                                    + [f"max({typed(c)})" for c in stamps])
            rows, extra = checked.rows, checked.extra
            latest[table.name] = [v for v in checked.also[2:] if v is not None]
            checker.check_references(entry, rel, set(entries))
            typed_rows = self._spark.sql(portable.to_spark(f"SELECT {typed_select(table)} FROM {rel}"))
            self._view(table.name, typed_rows, cache=True)
            counts[table.name] = rows
            spans[table.name] = checked.also[:2]
            per_file = checker.rows_per_file(entry, rel)
            for f in entry.files:
                info = self.files[relative(f, self.source)]
                n = rows if len(entry.files) == 1 else per_file.get(f, 0)
                inputs.append((table.name, info.file, info.size, info.sha256, n, None, None, None, None, None))
            extras.extend((table.name, entry.label, c, int(n)) for c, n in extra.items())
        exported = coverage.exported_at(self.src.meta) if self.src.meta else None
        gaps = coverage.known_gaps(self.src.meta) if self.src.meta else []
        end, end_from = coverage.data_end_of([spans[t][1] for t in TABLES], exported)
        after_end = []
        if end is not None:
            def answer(sql: str) -> list[tuple]:
                text = portable.to_spark(sql, frozenset({"data_end"}))
                return [tuple(r) for r in self._spark.sql(text, args={"data_end": end}).collect()]

            for t in TABLES.values():
                if any(v > end for v in latest.get(t.name, ())):
                    after_end += coverage.after_end_rows(t, t.name, answer)
        import pyspark

        info = info_rows(
            loaded_at=format_instant(self._started_at or datetime.now(timezone.utc)), source=str(self.source.resolve()),
            engine=("spark_version", pyspark.__version__),
            load_mode=self._load_mode(),
            data_sha256=self._fingerprint, data_end=format_instant(end) if end is not None else "",
            data_end_from=end_from, source_yml_sha256=self.meta.sha256 if self.meta else "")
        books = {
            "_load_tables": [(t, t in entries, counts[t], *spans[t]) for t in TABLES],
            "_load_inputs": sorted(inputs, key=lambda r: (r[0], r[1])),
            "_load_extra_columns": sorted(extras),
            "_load_info": info,
            "_load_ignored": [(i.file, i.size) for i in self.src.ignored],
            "_load_after_end": after_end,
            "_known_gaps": gaps,
        }
        for name, rows in books.items():
            self._later[name] = (lambda r, d: lambda: self._frame(r, d))(rows, BOOKKEEPING[name])
        path = self._checked_path()
        try:
            self._bookkeeping = _bookkeeping_db(books, path)
        except (OSError, duckdb.Error):  # a results folder that cannot be written: kept in memory only
            self._bookkeeping = _bookkeeping_db(books)

    def _load_mode(self) -> str:
        return LOAD_MODE + (f" (Spark Connect {self.remote})" if self.remote else " (local mode)")

    def _checked_path(self) -> Path | None:
        """Where this source state's bookkeeping is stored (see the module's docstring)."""
        if self.results is None:
            return None
        parts = {"data": self._fingerprint, "code": code_fingerprint(), "mode": self._load_mode()}
        key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()[:32]
        return self.results / self._fingerprint[:16] / "_checked" / f"{key}.duckdb"

    def _book(self, sql: str) -> list[tuple]:
        """The bookkeeping the analysis reads (base.Engine) from the rows `_read` made, in DuckDB (in memory,
        at once): the same values and column types as the views the queries read, without a Spark job.
        Stored by an earlier command on the same files, it is read from there without starting Spark."""
        if sql not in self._books:
            if self._bookkeeping is None:
                path = self._checked_path()
                if path is not None and path.is_file():
                    try:
                        self._bookkeeping = _stored_bookkeeping(path)
                    except duckdb.Error:  # damaged: check the source again
                        self._bookkeeping = None
            if self._bookkeeping is None:
                self._ready()
            self._books[sql] = self._bookkeeping.execute(sql).fetchall()
        return self._books[sql]

    def _ensure_rollups(self) -> None:
        """The roll-ups of every month of the access log and of the orders, computed once by queries/rollups/
        (one pass each)."""
        with LOCK:
            if self._rollups:
                return
            self._make_named("access_log orders")
            first, last = self._spark.sql("SELECT min(occurred_at), max(occurred_at) FROM access_log").collect()[0]
            for table, name in rollups.TABLES.items():
                qy = queries.get(name)
                if first is None:
                    epoch = datetime(1970, 1, 1)
                    bound = {"month_start": epoch, "month_end": epoch}
                else:
                    bound = {"month_start": rollups.month_of(first), "month_end": rollups.next_month(rollups.month_of(last))}
                text = portable.to_spark(qy.sql, frozenset(bound))
                self._make_named(qy.sql)
                self._view(table, self._spark.sql(text, args=bound), cache=True)
            for table, name in rollups.SNAPSHOT_TABLES.items():
                self._make_named(queries.get(name).sql)
                self._view(table, self._spark.sql(portable.to_spark(queries.get(name).sql)), cache=True)
            self._rollups = True
