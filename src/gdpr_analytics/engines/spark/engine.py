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
import warnings
from dataclasses import replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

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
from ...ingest.source import PARTITIONED, fingerprint, input_files, meta_file, relative, scan
from ...sql import portable, queries
from ..base import ACCESS_TABLES, POLICY_TABLES, Engine
from .kept import CheckedSet, FileFacts, Kept, key_of
from .session import ENV_REMOTE, LOCK, session

# pyspark warns, at import and at some calls, that it does not fully support pandas >= 3: nothing here goes
# through pyspark's pandas conversion (answers come back as Arrow, converted by DuckDB)
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)

if TYPE_CHECKING:
    from .source import SparkChecker

LOAD_MODE = "read in place by Spark"


def _meets(a: tuple, b: tuple) -> bool:
    """Whether two ranges of key values (least, greatest) meet; keys that are not text are taken to meet."""
    if not all(isinstance(v, str) for v in (*a, *b)):
        return True
    return a[0] <= b[1] and b[0] <= a[1]


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

    return _as_duckdb(table, types, lambda result: result.df())


def as_duckdb_rows(table, types: list[tuple[str, str]]) -> list[tuple]:
    """An Arrow table from Spark as the rows (Python values) of the DuckDB engine's answer."""
    return _as_duckdb(table, types, lambda result: result.fetchall())


def _as_duckdb(table, types: list[tuple[str, str]], fetch):
    if table.num_columns != len(types):
        raise GdprAnalyticsError(f"Spark gave {plural(table.num_columns, 'column')} where DuckDB gives {len(types)}")
    table = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
    select = ", ".join(f"CAST(c{i} AS {t}) AS {q(name)}" for i, (name, t) in enumerate(types))
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("spark_answer", table)
        return fetch(con.execute(f"SELECT {select} FROM spark_answer"))
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
        self.kept = Kept(self.results / "_spark" if self.results is not None else None)
        self._checker = None
        self._facts: dict[str, FileFacts] = {}  # relative path -> what the checks found in the file
        self._staged: dict[tuple, tuple[str, list[str]]] = {}  # (table, files) -> staged view, its columns
        self._files_views: dict[tuple, str] = {}  # (table, files) -> the typed view of those files
        #: the files (relative paths) whose own checks ran, and every file a typed view read: what a run
        #: cost (tests check that a later run checks only new files and a month reads only its own)
        self.checked_files: list[str] = []
        self.files_read: set[str] = set()
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
        renamed = self._month_of_log(sql, params)
        self._make_named(sql, skip={name for name, _ in renamed})
        stamps = frozenset(k for k, v in params.items() if isinstance(v, datetime))
        text = portable.to_spark(sql, stamps, renamed)
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
                    from .source import SparkChecker

                    self._checker = SparkChecker(self._spark, self.source)
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

    def _make_named(self, sql: str, skip: set[str] = frozenset()) -> None:
        """Make the views `sql` names that are made on demand (the policy tables, the bookkeeping, an absent
        table's empty view, the whole access log): each is a few Spark calls, and most queries read none."""
        named = {n.lower() for n in portable.tables(sql)}
        with LOCK:
            for name in [n for n in self._later if n not in skip and n.lower() in named]:
                self._view(name, self._later.pop(name)())

    def _month_of_log(self, sql: str, params: dict[str, Any]) -> tuple[tuple[str, str], ...]:
        """A query of one period (`period_start`, `as_of`: every month query reading the access log reads
        only events in [period_start, as_of)) reads the view of the access log files holding events of that
        period, not the whole log: ((access_log, that view),), or () for any other query."""
        entry = self.src.entries.get(PARTITIONED)
        start, end = params.get("period_start"), params.get("as_of")
        if (entry is None or not isinstance(start, datetime) or not isinstance(end, datetime)
                or PARTITIONED not in portable.tables(sql)):
            return ()
        files = [f for f in entry.files if self._facts[relative(f, self.source)].overlaps(start, end)]
        return ((PARTITIONED, self._files_view(entry, files, cache=True)),)

    def _stage(self, entry, files: list[Path]) -> str:
        """The staged (as read) view of some files of an entry, staged once."""
        return self._staged_with_columns(entry, files)[0]

    def _staged_with_columns(self, entry, files: list[Path]) -> tuple[str, list[str]]:
        key = (entry.table.name, tuple(files))
        if key not in self._staged:
            name = f"_raw_{entry.table.name}_{len(self._staged)}"
            part = entry if list(files) == list(entry.files) else replace(entry, files=list(files))
            self._staged[key] = self._checker.stage(part, name)
            self._views.append(name)
        return self._staged[key]

    def _typed(self, entry, files: list[Path]):
        """The typed rows of some files of an entry (the contract's types, as the loader's table)."""
        table = entry.table
        if not files:
            return self._frame([], ", ".join(f"{c.name} {c.type}" for c in table.columns))
        self.files_read.update(relative(f, self.source) for f in files)
        rel = self._stage(entry, files)
        return self._spark.sql(portable.to_spark(f"SELECT {typed_select(table)} FROM {rel}"))

    def _files_view(self, entry, files: list[Path], cache: bool = False) -> str:
        """The name of a view of the typed rows of some files of an entry (made once)."""
        key = (entry.table.name, tuple(files))
        if key not in self._files_views:
            name = f"_{entry.table.name}_{len(self._files_views)}"
            self._view(name, self._typed(entry, files), cache=cache)
            self._files_views[key] = name
        return self._files_views[key]

    def _file_key(self, table: str, rel: str) -> str:
        return key_of("file", table, rel, self.files[rel].sha256, code_fingerprint())

    def _table_state(self, table: str) -> str:
        """One key for the files of a table as they are now."""
        return key_of(sorted((f.file, f.sha256) for f in self.files.values() if f.table == table))

    def _check_entry(self, checker: "SparkChecker", entry, present: set[str]) -> dict[str, FileFacts]:
        """Check the files of one table's entry that were not checked before with the files beside them, and
        give every file's facts (kept.py). The checks of a file on its own (contract, types, repeated keys
        within the new files, bytes) run on the new or changed files only; the checks across files run on
        what they need: a new file's keys against the files whose keys' range meets theirs, and the
        references against the parent tables when the table's files or the parent's changed."""
        table = entry.table
        rels = {f: relative(f, self.source) for f in entry.files}
        fkeys = {f: self._file_key(table.name, rels[f]) for f in entry.files}
        set_key = key_of("set", str(self.source.resolve()), table.name, code_fingerprint())
        before = self.kept.checked_set(set_key)
        together = set(before.files) if before else set()
        facts: dict[str, FileFacts] = {}
        for f in entry.files:
            known = self.kept.facts(fkeys[f]) if fkeys[f] in together else None
            if known is not None:
                facts[rels[f]] = known
        old = [f for f in entry.files if rels[f] in facts]
        new = [f for f in entry.files if rels[f] not in facts]
        checker.trusted.update(old)  # their bytes were checked: not read again for that
        parents = {parent: self._table_state(parent) for _, parent, _ in table.references if parent in present}
        if not new and before is not None and before.parents == parents and len(together) == len(old):
            return facts
        stamps = [c for c in table.columns if c.type == "TIMESTAMP"]
        key = q(table.key)
        aggs = (coverage.span_aggregates(table, typed) + [f"max({typed(c)})" for c in stamps]
                + [f"min({key})", f"max({key})"])
        found: dict[str, FileFacts] = {}
        if new:
            rel, cols = self._staged_with_columns(entry, new)
            self.checked_files += [rels[f] for f in new]
            checked = checker.check(replace(entry, files=new), rel, cols, aggs)
            n = len(stamps)

            def facts_of(rows: int, also, extra: dict) -> FileFacts:
                return FileFacts(rows=int(rows), span=tuple(also[:2]), latest=list(also[2:2 + n]),
                                 extra={c: int(v) for c, v in extra.items()}, key=tuple(also[2 + n:4 + n]))

            if len(new) == 1:
                found[rels[new[0]]] = facts_of(checked.rows, checked.also, checked.extra)
            else:
                extra_cols = list(checked.extra)
                sel = ["_file", "count(*)", *aggs, *[f"count({q(c)})" for c in extra_cols]]
                per_file = {checker._local(r[0]): r for r in checker._all(
                    f"SELECT {', '.join(sel)} FROM {rel} GROUP BY _file")}
                for f in new:
                    r = per_file.get(f)
                    if r is None:  # a file with no row
                        found[rels[f]] = facts_of(0, [None] * len(aggs), {c: 0 for c in extra_cols})
                    else:
                        found[rels[f]] = facts_of(r[1], r[2:2 + len(aggs)], dict(zip(extra_cols, r[2 + len(aggs):])))
            if old:  # the new files' keys against the checked files whose keys' range meets theirs
                ranges = [found[rels[f]].key for f in new if found[rels[f]].rows]
                meets = [f for f in old if facts[rels[f]].rows and any(_meets(facts[rels[f]].key, r) for r in ranges)]
                if meets:
                    both = [f for f in entry.files if f in set(new) | set(meets)]
                    rel2 = self._stage(entry, both)
                    dup = f"{key} IN (SELECT {key} FROM {rel2} GROUP BY 1 HAVING count(*) > 1)"
                    checker.reject_if(replace(entry, files=both), rel2, dup, [table.key],
                                      f"column {table.key}: duplicate key in {{rows}}")
        if parents:
            checker.check_references(entry, self._stage(entry, entry.files), present)
        for f in new:
            self.kept.put_facts(fkeys[f], found[rels[f]])
        self.kept.put_checked_set(set_key, CheckedSet(files=sorted(fkeys.values()), parents=parents))
        return {**facts, **found}

    def _read(self) -> None:
        """Check every table (in the loader's order: a reference's parent first) and make its typed view,
        then write the bookkeeping views. Only the files not checked before are checked (kept.py); the
        access log gets no view of its whole history, only the views of the files a query needs."""
        checker = self._checker
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
            facts = self._check_entry(checker, entry, set(entries))
            self._facts.update(facts)
            counts[table.name] = sum(f.rows for f in facts.values())
            firsts = [f.span[0] for f in facts.values() if f.span[0] is not None]
            lasts = [f.span[1] for f in facts.values() if f.span[1] is not None]
            spans[table.name] = (min(firsts) if firsts else None, max(lasts) if lasts else None)
            latest[table.name] = [v for f in facts.values() for v in f.latest if v is not None]
            extra: dict[str, int] = {}
            for f in entry.files:
                rel = relative(f, self.source)
                info = self.files[rel]
                inputs.append((table.name, info.file, info.size, info.sha256, facts[rel].rows,
                               None, None, None, None, None))
                for c, n in facts[rel].extra.items():
                    extra[c] = extra.get(c, 0) + n
            extras.extend((table.name, entry.label, c, int(n)) for c, n in extra.items())
            if table.name == PARTITIONED:  # read a month at a time (_month_of_log); whole only when asked
                self._later[table.name] = (lambda e: lambda: self._typed(e, e.files))(entry)
            else:
                self._view(table.name, self._typed(entry, entry.files), cache=True)
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
                    relation = t.name
                    if t.name == PARTITIONED:  # only the files holding such a value
                        entry = entries[t.name]
                        later = [f for f in entry.files
                                 if any(v > end for v in self._facts[relative(f, self.source)].latest if v is not None)]
                        relation = self._files_view(entry, later)
                    after_end += coverage.after_end_rows(t, relation, answer)
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
        """The roll-ups (queries/rollups/): each month of the access log rolled up once from the files
        holding its events and kept (kept.py), again only when one of those files changed; the snapshot
        roll-ups of the orders and the sends computed from their tables."""
        with LOCK:
            if self._rollups:
                return
            columns = {t: [(c, ty) for c, ty in
                           duckdb_types(f"SELECT * FROM {t}", {})] for t in rollups.TABLES}
            rows: dict[str, list[tuple]] = {t: [] for t in rollups.TABLES}
            entry = self.src.entries.get(PARTITIONED)
            facts = [self._facts[relative(f, self.source)] for f in entry.files] if entry else []
            firsts = [f.span[0] for f in facts if f.span[0] is not None]
            lasts = [f.span[1] for f in facts if f.span[1] is not None]
            months = rollups.months_between(min(firsts), max(lasts)) if firsts else []
            missing: list[tuple[datetime, list[Path], str]] = []
            for m in months:
                end = rollups.next_month(m)
                files = [f for f in entry.files if self._facts[relative(f, self.source)].overlaps(m, end)]
                key = key_of("rollups", m.isoformat(), [self._file_key(PARTITIONED, relative(f, self.source))
                                                        for f in files], code_fingerprint())
                kept = self.kept.rollups(key, columns)
                if kept is None:
                    missing.append((m, files, key))
                else:
                    for t in rollups.TABLES:
                        rows[t] += kept[t]
            if missing:  # one pass over the files of the months not kept, split by month and kept
                wanted = {f for _, files, _ in missing for f in files}
                view = self._files_view(entry, [f for f in entry.files if f in wanted])
                bound = {"month_start": missing[0][0], "month_end": rollups.next_month(missing[-1][0])}
                fresh: dict[str, list[tuple]] = {}
                for table, name in rollups.TABLES.items():
                    qy = queries.get(name)
                    text = portable.to_spark(qy.sql, frozenset(bound), ((PARTITIONED, view),))
                    self._make_named(qy.sql, skip={PARTITIONED})
                    answer = self._spark.sql(text, args=bound).toArrow()
                    fresh[table] = as_duckdb_rows(answer, duckdb_types(qy.sql, bound))
                for m, _, key in missing:  # month_start is every roll-up's first column
                    month_rows = {t: [r for r in fresh[t] if r[0] == m] for t in rollups.TABLES}
                    self.kept.put_rollups(key, columns, month_rows)
                    for t in rollups.TABLES:
                        rows[t] += month_rows[t]
            for table in rollups.TABLES:
                ddl = ", ".join(f"{c} {ty}" for c, ty in columns[table])
                self._view(table, self._frame(rows[table], ddl), cache=True)
            for table, name in rollups.SNAPSHOT_TABLES.items():
                self._make_named(queries.get(name).sql)
                self._view(table, self._spark.sql(portable.to_spark(queries.get(name).sql)), cache=True)
            self._rollups = True
