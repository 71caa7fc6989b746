"""Load a source folder (SPEC §3) into a typed DuckDB database, enforcing the data contract.

The database is built in a temporary file beside the target and moved into place only when every
table has loaded and passed every check, so a failed load leaves the previous database as it was.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import duckdb

from . import __version__
from .contract import TABLES, Column, Table
from .errors import DataError
from .progress import progress

EXAMPLES = 5  # offending rows quoted in an error message
_HIVE = re.compile(r"^([^=/]+)=[^/]*$")
_COUNTRY = "^[A-Za-z]{2}$"


@dataclass
class Entry:
    """One table's input: a CSV file (plain or gzip), a Parquet file, or a folder of Parquet files."""

    table: Table
    kind: str  # "csv" or "parquet"
    path: Path  # the file, or the folder
    files: list[Path] = field(default_factory=list)
    hive_keys: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return self.path.name + ("/" if self.path.is_dir() else "")


def discover(source: Path) -> dict[str, Entry]:
    """The entry of every table present in source; an error for a missing required table."""
    if not source.is_dir():
        raise DataError(f"source {source} is not a folder")
    found: dict[str, Entry] = {}
    for table in TABLES.values():
        candidates = []
        for suffix, kind in ((".csv", "csv"), (".csv.gz", "csv"), (".parquet", "parquet")):
            p = source / f"{table.name}{suffix}"
            if p.is_file():
                candidates.append(Entry(table, kind, p, [p]))
        folder = source / table.name
        if folder.is_dir():
            files = sorted(f for f in folder.rglob("*.parquet") if f.is_file())
            if not files:
                raise DataError(f"source {source}: folder {table.name}/ holds no .parquet files")
            keys = {m.group(1) for f in files for part in f.relative_to(folder).parts[:-1]
                    if (m := _HIVE.match(part))}
            candidates.append(Entry(table, "parquet", folder, files, keys))
        if len(candidates) > 1:
            names = ", ".join(c.label for c in candidates)
            raise DataError(f"source {source}: table {table.name} is given more than once ({names}); keep one")
        if candidates:
            found[table.name] = candidates[0]
        elif table.required:
            raise DataError(
                f"source {source}: required table {table.name} is missing (expected {table.name}.csv, "
                f"{table.name}.csv.gz, {table.name}.parquet or a folder {table.name}/ of Parquet files)"
            )
    return found


def sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _q(name: str) -> str:
    """Quote an identifier (column names come from the contract or a file header)."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _typed(col: Column) -> str:
    """SQL turning the raw value into the contract's type; NULL where it does not convert."""
    c = _q(col.name)
    if col.type == "TIMESTAMP":
        # No offset: UTC (the session time zone is UTC). An offset: converted to UTC.
        return f"TRY_CAST(TRY_CAST({c} AS TIMESTAMPTZ) AS TIMESTAMP)"
    if col.type == "BOOLEAN":
        return f"CASE lower(trim(CAST({c} AS VARCHAR))) WHEN 'true' THEN true WHEN 'false' THEN false END"
    if col.type == "VARCHAR":
        if col.name == "source_country":
            return f"upper(trim(CAST({c} AS VARCHAR)))"
        return f"CAST({c} AS VARCHAR)"
    return f"TRY_CAST({c} AS {col.type})"


def _checks(table: Table) -> list[tuple[str, str, str]]:
    """(column, what is wrong, SQL condition true for a bad row) for every per-row rule of the contract."""
    out = []
    for col in table.columns:
        c, t = _q(col.name), _typed(col)
        if not col.nullable:
            out.append((col.name, "is empty (NULL not allowed)", f"{c} IS NULL"))
        if col.type != "VARCHAR":
            what = {"TIMESTAMP": "is not an ISO 8601 timestamp", "DATE": "is not an ISO 8601 date",
                    "BOOLEAN": "is not true or false"}.get(col.type, f"is not a valid {col.type}")
            out.append((col.name, what, f"{c} IS NOT NULL AND {t} IS NULL"))
        if col.name == "source_country":
            out.append((col.name, "is not a two-letter country code",
                        f"{c} IS NOT NULL AND NOT regexp_full_match(trim(CAST({c} AS VARCHAR)), '{_COUNTRY}')"))
        if col.allowed:
            allowed = ", ".join("'" + a + "'" for a in col.allowed)
            out.append((col.name, f"is not one of {', '.join(col.allowed)}",
                        f"{t} IS NOT NULL AND {t} NOT IN ({allowed})"))
        if col.minimum is not None:
            out.append((col.name, f"is below {col.minimum}", f"{t} < {col.minimum}"))
        if col.exclusive_minimum is not None:
            out.append((col.name, f"is not greater than {col.exclusive_minimum}", f"{t} <= {col.exclusive_minimum}"))
    return out


class _Loader:
    def __init__(self, con: duckdb.DuckDBPyConnection, source: Path, show: bool | None):
        self.con = con
        self.source = source
        self.show = show

    # -- reading ---------------------------------------------------------------------------------
    def stage(self, entry: Entry) -> tuple[str, list[str]]:
        """Create raw.<table> holding the input as read; return (relation, its columns)."""
        name = entry.table.name
        rel = f"raw.{_q(name)}"
        try:
            if entry.kind == "csv":
                self.con.execute(
                    f"CREATE TABLE {rel} AS SELECT * FROM read_csv($path, header = true, all_varchar = true, "
                    "delim = ',', quote = '\"', escape = '\"', strict_mode = true, encoding = 'utf-8')",
                    {"path": str(entry.path)},
                )
            else:
                # A view cannot take bound parameters: the file paths are quoted as SQL literals.
                files = "[" + ", ".join(_literal(str(f)) for f in entry.files) + "]"
                self.con.execute(
                    f"CREATE VIEW {rel} AS SELECT * FROM read_parquet({files}, hive_partitioning = true, "
                    "union_by_name = true, filename = '_file', file_row_number = true)"
                )
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"{entry.label}: cannot be read as {entry.kind.upper()}: {first}") from None
        cols = [r[0] for r in self.con.execute(f"DESCRIBE {rel}").fetchall()]
        return rel, cols

    # -- checking --------------------------------------------------------------------------------
    def where(self, entry: Entry, rel: str, condition: str, show_cols: list[str]) -> str:
        """The first offending rows, with CSV line numbers or Parquet file and row."""
        if entry.kind == "csv":
            sel = ", ".join(["rowid"] + [_q(c) for c in show_cols])
            rows = self.con.execute(
                f"SELECT {sel} FROM {rel} WHERE {condition} ORDER BY rowid LIMIT {EXAMPLES}").fetchall()
            lines = _csv_line_numbers(entry.path, [r[0] for r in rows])
            places = [f"line {lines.get(r[0], '?')}" for r in rows]
        else:
            sel = ", ".join(["_file", "file_row_number"] + [_q(c) for c in show_cols])
            rows = self.con.execute(
                f"SELECT {sel} FROM {rel} WHERE {condition} ORDER BY _file, file_row_number LIMIT {EXAMPLES}"
            ).fetchall()
            places = [f"{Path(r[0]).relative_to(self.source)} row {r[1] + 1}" for r in rows]
            rows = [(None,) + tuple(r[2:]) for r in rows]
        shown = []
        for place, row in zip(places, rows):
            values = ", ".join(f"{c}={_short(v)}" for c, v in zip(show_cols, row[1:]))
            shown.append(f"{place} ({values})")
        return "; ".join(shown)

    def check(self, entry: Entry, rel: str, cols: list[str]) -> tuple[int, dict[str, int]]:
        table = entry.table
        missing = [c for c in table.column_names if c not in cols]
        if missing:
            raise DataError(
                f"{entry.label}: table {table.name} lacks required column(s) {', '.join(missing)} "
                f"(it has: {', '.join(c for c in cols if c not in ('_file', 'file_row_number'))})"
            )
        extra = [c for c in cols if c not in table.column_names and c not in ("_file", "file_row_number")
                 and c not in entry.hive_keys]
        checks = _checks(table)
        aggs = ["count(*)"] + [f"count_if({cond})" for _, _, cond in checks] + [f"count({_q(c)})" for c in extra]
        counts = self.con.execute(f"SELECT {', '.join(aggs)} FROM {rel}").fetchone()
        rows, bad, extra_counts = counts[0], counts[1:1 + len(checks)], counts[1 + len(checks):]
        problems = [(chk, n) for chk, n in zip(checks, bad) if n]
        if problems:
            (column, what, cond), n = problems[0]
            key = table.key
            show = [key, column] if column != key else [key]
            more = f" (and {len(problems) - 1} more problem(s) in this table)" if len(problems) > 1 else ""
            raise DataError(
                f"{entry.label}: table {table.name}, column {column}: {n} row(s) where the value {what}; "
                f"first offending rows: {self.where(entry, rel, cond, show)}{more}"
            )
        dup = f"{_q(table.key)} IN (SELECT {_q(table.key)} FROM {rel} GROUP BY 1 HAVING count(*) > 1)"
        n_dup = self.con.execute(f"SELECT count(*) FROM {rel} WHERE {dup}").fetchone()[0]
        if n_dup:
            raise DataError(
                f"{entry.label}: table {table.name}, column {table.key}: duplicate key in {n_dup} row(s); "
                f"first offending rows: {self.where(entry, rel, dup, [table.key])}"
            )
        return rows, dict(zip(extra, extra_counts))

    def check_references(self, entry: Entry, rel: str, present: set[str]) -> None:
        table = entry.table
        for column, parent, parent_col in table.references:
            if parent not in present:
                continue
            cond = (f"{_q(column)} IS NOT NULL AND {_q(column)} NOT IN "
                    f"(SELECT {_q(parent_col)} FROM main.{_q(parent)})")
            n = self.con.execute(f"SELECT count(*) FROM {rel} WHERE {cond}").fetchone()[0]
            if n:
                raise DataError(
                    f"{entry.label}: table {table.name}, column {column}: {n} row(s) refer to a {parent}.{parent_col} "
                    f"that does not exist; first offending rows: "
                    f"{self.where(entry, rel, cond, [table.key, column])}"
                )

    # -- writing ---------------------------------------------------------------------------------
    def build(self, table: Table, rel: str | None) -> None:
        cols = ", ".join(f"{_typed(c)}::{c.type} AS {_q(c.name)}" for c in table.columns)
        defs = ", ".join(f"{_q(c.name)} {c.type}" for c in table.columns)
        self.con.execute(f"CREATE TABLE main.{_q(table.name)} ({defs})")
        if rel is None:
            return
        order = f" ORDER BY {_q(table.time_column)}" if table.name == "access_log" else ""
        self.con.execute(f"INSERT INTO main.{_q(table.name)} SELECT {cols} FROM {rel}{order}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _csv_line_numbers(path: Path, record_indexes: Iterable[int]) -> dict[int, int]:
    """Line number (1-based, header is line 1) where each 0-based data record starts."""
    wanted = set(record_indexes)
    if not wanted:
        return {}
    out: dict[int, int] = {}
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        start = reader.line_num + 1
        for i, _ in enumerate(reader):
            if i in wanted:
                out[i] = start
                if len(out) == len(wanted):
                    break
            start = reader.line_num + 1
    return out


def load_into(con: duckdb.DuckDBPyConnection, source: Path, show: bool | None = None) -> dict[str, int]:
    """Load source into con's main schema (con must have a database `raw` attached for staging)."""
    con.execute("SET TimeZone = 'UTC'")
    entries = discover(source)
    loader = _Loader(con, source, show)
    order = [t for t in TABLES if t in entries]
    counts: dict[str, int] = {}
    inputs: list[tuple[str, str, int, str]] = []
    extras: list[tuple[str, str, int]] = []
    with progress(show=show, total=len(TABLES), desc="load", unit="table") as bar:
        for name in order:
            entry = entries[name]
            bar.set_postfix_str(name)
            rel, cols = loader.stage(entry)
            rows, extra = loader.check(entry, rel, cols)
            loader.check_references(entry, rel, set(counts))
            loader.build(entry.table, rel)
            counts[name] = rows
            extras.extend((name, c, n) for c, n in extra.items())
            if entry.kind == "csv":
                per_file = {entry.path: rows}
            else:
                per_file = {Path(f): n for f, n in con.execute(
                    f"SELECT _file, count(*) FROM {rel} GROUP BY _file").fetchall()}
            for f in entry.files:
                inputs.append((name, f.relative_to(source).as_posix(), per_file.get(f, 0), sha256_file(f)))
            bar.update(1)
        for name, table in TABLES.items():
            if name not in entries:
                loader.build(table, None)
                bar.update(1)
    con.execute("CREATE TABLE main._load_tables(table_name VARCHAR, present BOOLEAN, rows BIGINT)")
    con.executemany("INSERT INTO main._load_tables VALUES (?, ?, ?)",
                    [(t, t in entries, counts.get(t, 0)) for t in TABLES])
    con.execute("CREATE TABLE main._load_inputs(table_name VARCHAR, file VARCHAR, rows BIGINT, sha256 VARCHAR)")
    if inputs:
        con.executemany("INSERT INTO main._load_inputs VALUES (?, ?, ?, ?)", inputs)
    con.execute("CREATE TABLE main._load_extra_columns(table_name VARCHAR, column_name VARCHAR, non_null BIGINT)")
    if extras:
        con.executemany("INSERT INTO main._load_extra_columns VALUES (?, ?, ?)", extras)
    con.execute("CREATE TABLE main._load_info(key VARCHAR, value VARCHAR)")
    con.executemany("INSERT INTO main._load_info VALUES (?, ?)", [
        ("loaded_at", datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("source", str(source.resolve())),
        ("tool_version", __version__),
        ("duckdb_version", duckdb.__version__),
    ])
    return counts


def load_to_file(source: str | Path, db: str | Path, show: bool | None = None) -> dict[str, int]:
    """Load source into the database file db, replacing it only if the whole load succeeds."""
    source, db = Path(source), Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(f".{db.name}.tmp-{os.getpid()}")
    scratch = db.with_name(f".{db.name}.scratch-{os.getpid()}")
    leftovers = [tmp, scratch, Path(f"{tmp}.wal"), Path(f"{scratch}.wal")]
    for p in leftovers:
        p.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute("ATTACH $path AS raw", {"path": str(scratch)})
            counts = load_into(con, source, show)
            con.execute("DETACH raw")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, db)
        Path(f"{db}.wal").unlink(missing_ok=True)  # a stale log of the replaced file must not replay
        return counts
    finally:
        for p in leftovers:
            p.unlink(missing_ok=True)
