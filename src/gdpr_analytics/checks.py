"""The data contract's checks on one staged input (SPEC §3), and the typed rows that pass them.

`Checker` works on a connection that has the input staged as a relation (a CSV read as text, or a
view over Parquet files with `_file` and `file_row_number`). Every error names the file, the table,
the column, how many rows, and the first offending rows (CSV line numbers, or Parquet file and row).
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import Any, Iterable

import duckdb

from .contract import Column, Table
from .errors import DataError
from .source import Entry

EXAMPLES = 5  # offending rows quoted in an error message
_COUNTRY = "^[A-Za-z]{2}$"
_PARQUET_META = ("_file", "file_row_number")


def q(name: str) -> str:
    """Quote an identifier (column names come from the contract or a file header)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def typed(col: Column) -> str:
    """SQL turning the raw value into the contract's type; NULL where it does not convert."""
    c = q(col.name)
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


def typed_select(table: Table) -> str:
    """The SELECT list giving the contract's columns, typed, in contract order."""
    return ", ".join(f"{typed(c)}::{c.type} AS {q(c.name)}" for c in table.columns)


def row_checks(table: Table) -> list[tuple[str, str, str]]:
    """(column, what is wrong, SQL condition true for a bad row) for every per-row rule of the contract."""
    out = []
    for col in table.columns:
        c, t = q(col.name), typed(col)
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


class Checker:
    """Stage, check and describe one input on `con` (which has the scratch database attached as `raw`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, source: Path):
        self.con = con
        self.source = source

    def stage(self, entry: Entry, name: str) -> tuple[str, list[str]]:
        """Create raw.<name> holding the input as read; return (relation, its columns)."""
        rel = f"raw.{q(name)}"
        try:
            if entry.kind == "csv":
                self.con.execute(
                    f"CREATE TABLE {rel} AS SELECT * FROM read_csv($path, header = true, all_varchar = true, "
                    "delim = ',', quote = '\"', escape = '\"', strict_mode = true, encoding = 'utf-8')",
                    {"path": str(entry.path)},
                )
            else:
                # A view cannot take bound parameters: the file paths are quoted as SQL literals.
                files = "[" + ", ".join(literal(str(f)) for f in entry.files) + "]"
                self.con.execute(
                    f"CREATE VIEW {rel} AS SELECT * FROM read_parquet({files}, hive_partitioning = true, "
                    "union_by_name = true, filename = '_file', file_row_number = true)"
                )
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"{entry.label}: cannot be read as {entry.kind.upper()}: {first}") from None
        cols = [r[0] for r in self.con.execute(f"DESCRIBE {rel}").fetchall()]
        return rel, cols

    def where(self, entry: Entry, rel: str, condition: str, show_cols: list[str]) -> str:
        """The first offending rows, with CSV line numbers or Parquet file and row."""
        if entry.kind == "csv":
            sel = ", ".join(["rowid"] + [q(c) for c in show_cols])
            rows = self.con.execute(
                f"SELECT {sel} FROM {rel} WHERE {condition} ORDER BY rowid LIMIT {EXAMPLES}").fetchall()
            lines = csv_line_numbers(entry.path, [r[0] for r in rows])
            places = [f"line {lines.get(r[0], '?')}" for r in rows]
        else:
            sel = ", ".join(["_file", "file_row_number"] + [q(c) for c in show_cols])
            rows = self.con.execute(
                f"SELECT {sel} FROM {rel} WHERE {condition} ORDER BY _file, file_row_number LIMIT {EXAMPLES}"
            ).fetchall()
            places = [f"{Path(r[0]).relative_to(self.source)} row {r[1] + 1}" for r in rows]
            rows = [(None,) + tuple(r[2:]) for r in rows]
        shown = []
        for place, row in zip(places, rows):
            values = ", ".join(f"{c}={short(v)}" for c, v in zip(show_cols, row[1:]))
            shown.append(f"{place} ({values})")
        return "; ".join(shown)

    def check(self, entry: Entry, rel: str, cols: list[str]) -> tuple[int, dict[str, int]]:
        """Every per-row rule and the key's uniqueness within the input; (rows, extra column -> non-null)."""
        table = entry.table
        missing = [c for c in table.column_names if c not in cols]
        if missing:
            raise DataError(
                f"{entry.label}: table {table.name} lacks required column(s) {', '.join(missing)} "
                f"(it has: {', '.join(c for c in cols if c not in _PARQUET_META)})"
            )
        extra = [c for c in cols if c not in table.column_names and c not in _PARQUET_META
                 and c not in entry.hive_keys]
        checks = row_checks(table)
        aggs = ["count(*)"] + [f"count_if({cond})" for _, _, cond in checks] + [f"count({q(c)})" for c in extra]
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
        dup = f"{q(table.key)} IN (SELECT {q(table.key)} FROM {rel} GROUP BY 1 HAVING count(*) > 1)"
        self.reject_if(entry, rel, dup, [table.key], f"column {table.key}: duplicate key in {{n}} row(s)")
        return rows, dict(zip(extra, extra_counts))

    def reject_if(self, entry: Entry, rel: str, condition: str, show: list[str], what: str) -> None:
        """Raise a DataError naming the first rows of rel where condition holds (what: "{n} …")."""
        n = self.con.execute(f"SELECT count(*) FROM {rel} WHERE {condition}").fetchone()[0]
        if n:
            raise DataError(f"{entry.label}: table {entry.table.name}, {what.format(n=n)}; "
                            f"first offending rows: {self.where(entry, rel, condition, show)}")

    def check_references(self, entry: Entry, rel: str, present: set[str]) -> None:
        table = entry.table
        for column, parent, parent_col in table.references:
            if parent not in present:
                continue
            cond = (f"{q(column)} IS NOT NULL AND {q(column)} NOT IN "
                    f"(SELECT {q(parent_col)} FROM main.{q(parent)})")
            self.reject_if(entry, rel, cond, [table.key, column],
                           f"column {column}: {{n}} row(s) refer to a {parent}.{parent_col} that does not exist")


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def csv_line_numbers(path: Path, record_indexes: Iterable[int]) -> dict[int, int]:
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
