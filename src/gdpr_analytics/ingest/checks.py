"""The data contract's checks on one staged input (SPEC §3), and the typed rows that pass them.

`Checker` works on a connection that has the input staged as a relation (a CSV read as text, or a
view over Parquet files with `_file` and `file_row_number`). Every error names the file, the table,
the column, how many rows, and the first offending rows (CSV line numbers, or Parquet file and row).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import duckdb

from ..core.errors import DataError
from ..core.words import noun, plural
from ..sql.portable import BLANKS
from . import diagnose
from .contract import Column, Table
from .source import Entry

EXAMPLES = 5  # offending rows quoted in an error message
_COUNTRY = "^[A-Za-z]{2}$"
_PARQUET_META = ("_file", "file_row_number")


def q(name: str) -> str:
    """Quote an identifier (column names come from the contract or a file header)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def blanks_trimmed(expr: str) -> str:
    """trim() of the Unicode space separators, written out (portable: DuckDB's trim() strips exactly these,
    Spark's only spaces; see portable.BLANKS)."""
    return f"trim({expr}, {literal(BLANKS)})"


#: contract types whose conversion is the identity when the staged column already has that type (a Parquet
#: TIMESTAMP without time zone, read with the session in UTC): `typed` then reads the column as it is,
#: sparing two casts per row (the costliest part of checking 50M access events)
NATIVE_TYPES = ("TIMESTAMP",)


def typed(col: Column, native: Iterable[str] = ()) -> str:
    """SQL turning the raw value into the contract's type; NULL where it does not convert. Portable SQL
    (queries/'s subset, portable.py): the Spark engine runs the same text, translated. `native`: the
    columns staged with the contract's type already (see NATIVE_TYPES), read as they are."""
    c = q(col.name)
    if col.name in native and col.type in NATIVE_TYPES:
        return c
    if col.type == "TIMESTAMP":
        # No offset: UTC (the session time zone is UTC). An offset: converted to UTC.
        return f"TRY_CAST(TRY_CAST({c} AS TIMESTAMPTZ) AS TIMESTAMP)"
    if col.type == "BOOLEAN":
        return f"CASE lower({blanks_trimmed(f'CAST({c} AS VARCHAR)')}) WHEN 'true' THEN true WHEN 'false' THEN false END"
    if col.type == "VARCHAR":
        if col.name == "source_country":
            return f"upper({blanks_trimmed(f'CAST({c} AS VARCHAR)')})"
        return f"CAST({c} AS VARCHAR)"
    return f"TRY_CAST({c} AS {col.type})"


def typed_select(table: Table, native: Iterable[str] = ()) -> str:
    """The SELECT list giving the contract's columns, typed, in contract order."""
    return ", ".join(f"{typed(c, native)}::{c.type} AS {q(c.name)}" for c in table.columns)


def row_checks(table: Table, native: Iterable[str] = ()) -> list[tuple[str, str, str]]:
    """(column, what is wrong, SQL condition true for a bad row) for every per-row rule of the contract."""
    out = []
    for col in table.columns:
        c, t = q(col.name), typed(col, native)
        if not col.nullable:
            out.append((col.name, "is empty (NULL not allowed)", f"{c} IS NULL"))
        if col.type != "VARCHAR":
            what = {"TIMESTAMP": "is not an ISO 8601 timestamp", "DATE": "is not an ISO 8601 date",
                    "BOOLEAN": "is not true or false"}.get(col.type, f"is not a valid {col.type}")
            out.append((col.name, what, f"{c} IS NOT NULL AND {t} IS NULL"))
        if col.name == "source_country":
            # the length too: Java's $ (Spark) also matches before a final line break, RE2's (DuckDB) does not
            code = blanks_trimmed(f"CAST({c} AS VARCHAR)")
            out.append((col.name, "is not a two-letter country code",
                        f"{c} IS NOT NULL AND NOT (length({code}) = 2 AND regexp_matches({code}, '{_COUNTRY}'))"))
        if col.allowed:
            allowed = ", ".join("'" + a + "'" for a in col.allowed)
            out.append((col.name, f"is not one of {', '.join(col.allowed)}",
                        f"{t} IS NOT NULL AND {t} NOT IN ({allowed})"))
        if col.minimum is not None:
            out.append((col.name, f"is below {col.minimum}", f"{t} < {col.minimum}"))
        if col.exclusive_minimum is not None:
            out.append((col.name, f"is not greater than {col.exclusive_minimum}", f"{t} <= {col.exclusive_minimum}"))
    return out


@dataclass(frozen=True)
class Checked:
    """What the checks of one input found: its rows, its columns outside the contract (non-null values),
    and the values of the extra aggregates asked for."""

    rows: int
    extra: dict[str, int]
    also: tuple = ()


class Checker:
    """Stage, check and describe one input on `con`: staged in the scratch database attached as `raw`, or
    with `temporary`, in the connection's temporary catalog (a load in one transaction, which may write to
    one database only; temporary objects do not count).

    The checks and their messages are engine-neutral: they run SQL through `_one` and `_all` and name a
    loaded table with `_table`; engines.spark.source.SparkChecker stages the input on Spark and overrides those."""

    def __init__(self, con: duckdb.DuckDBPyConnection, source: Path, temporary: bool = False):
        self.con = con
        self.source = source
        self.temporary = temporary

    def _create(self, kind: str, name: str) -> tuple[str, str]:
        """(the statement's start creating the staged TABLE or VIEW `name`, the relation naming it)."""
        if self.temporary:
            return f"CREATE TEMP {kind} {q(name)}", f"temp.main.{q(name)}"
        return f"CREATE {kind} raw.{q(name)}", f"raw.{q(name)}"

    def unstage(self, entry: Entry, rel: str) -> None:
        """Drop what `stage` created for entry (a temporary one would otherwise last the whole load)."""
        self.con.execute(f"DROP {'TABLE' if entry.kind == 'csv' else 'VIEW'} IF EXISTS {rel}")

    # -- what an engine provides ---------------------------------------------------------------------
    def _one(self, sql: str) -> tuple:
        return self.con.execute(sql).fetchone()

    def _all(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def _table(self, name: str) -> str:
        """A table already loaded (a reference's parent)."""
        return f"main.{q(name)}"

    def _local(self, file: str) -> Path:
        """The local path of a Parquet file as the engine names it in `_file`."""
        return Path(file)

    def stage(self, entry: Entry, name: str) -> tuple[str, list[str]]:
        """Create raw.<name> (or the temporary <name>) holding the input as read, its columns named as the
        contract names them (matched ignoring case and surrounding blanks); return (relation, its columns)."""
        if entry.kind == "csv":
            create, rel = self._create("TABLE", name)
            self._stage_csv(entry, create)
        else:
            create, rel = self._create("VIEW", name)
            self._stage_parquet(entry, create)
        cols = [r[0] for r in self.con.execute(f"DESCRIBE {rel}").fetchall()]
        return rel, cols

    def _stage_csv(self, entry: Entry, create: str) -> None:
        try:
            written = diagnose.header(entry.path)
        except diagnose.Problem as exc:
            raise DataError(f"{entry.label}: table {entry.table.name}: {exc}") from None
        names = [n if n else f"column{i}" for i, n in enumerate(column_names(entry, entry.label, written))]
        try:
            self.con.execute(
                f"{create} AS SELECT * FROM read_csv($path, header = true, all_varchar = true, "
                "delim = ',', quote = '\"', escape = '\"', strict_mode = true, encoding = 'utf-8', names = $names)",
                {"path": str(entry.path), "names": names},
            )
        except duckdb.Error as exc:
            what = diagnose.explain(entry.path, len(names)) or "cannot be read as CSV: " + diagnose.duckdb_reason(str(exc))
            raise DataError(f"{entry.label}: table {entry.table.name}: {what}") from None

    def _stage_parquet(self, entry: Entry, create: str) -> None:
        """A view over the Parquet files, each file's columns renamed as `column_names` says: files that
        spell their columns alike are read together, and the groups joined by name."""
        for f in entry.files:
            if f.stat().st_size == 0:
                raise DataError(f"{relative_label(f, self.source)}: table {entry.table.name}: the file is empty "
                                "(0 bytes); a Parquet file holds at least its columns, even with no row")
        try:
            groups: dict[tuple[str, ...], list[Path]] = {}
            for f, written in parquet_columns(self.con, entry.files).items():
                groups.setdefault(tuple(written), []).append(f)
            selects = []
            for written, files in groups.items():
                where = relative_label(files[0], self.source)
                names = column_names(entry, where, list(written))
                renamed = ", ".join(f"{q(w)} AS {q(n)}" for w, n in zip(written, names))
                hive = [k for k in sorted(entry.hive_keys) if k.lower() not in {w.lower() for w in written}]
                keep = ", ".join(q(k) for k in [*hive, *_PARQUET_META])
                # A view cannot take bound parameters: the file paths are quoted as SQL literals.
                paths = "[" + ", ".join(literal(str(f)) for f in files) + "]"
                selects.append(f"SELECT {renamed}, {keep} FROM read_parquet({paths}, hive_partitioning = true, "
                               "union_by_name = true, filename = '_file', file_row_number = true)")
            self.con.execute(f"{create} AS " + " UNION ALL BY NAME ".join(selects))
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"{entry.label}: table {entry.table.name}: cannot be read as Parquet: {first}") from None

    def where(self, entry: Entry, rel: str, condition: str, show_cols: list[str]) -> str:
        """The first offending rows, with CSV line numbers or Parquet file and row."""
        if entry.kind == "csv":
            # the record's index is its rowid; a table created inside a transaction numbers its rows from a
            # large offset (DuckDB's transaction-local rows) instead of 0
            record = f"rowid - (SELECT min(rowid) FROM {rel})" if self.temporary else "rowid"
            sel = ", ".join([record] + [q(c) for c in show_cols])
            rows = self._all(f"SELECT {sel} FROM {rel} WHERE {condition} ORDER BY rowid LIMIT {EXAMPLES}")
            lines = csv_line_numbers(entry.path, [r[0] for r in rows])
            places = [f"line {lines.get(r[0], '?')}" for r in rows]
        else:
            sel = ", ".join(["_file", "file_row_number"] + [q(c) for c in show_cols])
            rows = self._all(
                f"SELECT {sel} FROM {rel} WHERE {condition} ORDER BY _file, file_row_number LIMIT {EXAMPLES}")
            places = [f"{self._local(r[0]).relative_to(self.source)} row {r[1] + 1}" for r in rows]
            rows = [(None,) + tuple(r[2:]) for r in rows]
        shown = []
        for place, row in zip(places, rows):
            values = ", ".join(f"{c}={short(v)}" for c, v in zip(show_cols, row[1:]))
            shown.append(f"{place} ({values})")
        return "; ".join(shown)

    #: Count the key's repeats in the aggregate of the row checks (one pass; the Spark engine, where every
    #: query is a job) instead of in a query of its own (DuckDB, where a DISTINCT beside the other
    #: aggregates costs more than a second scan of a table just read).
    KEY_REPEATS_WITH_CHECKS = False

    def check(self, entry: Entry, rel: str, cols: list[str], also: Sequence[str] = ()) -> Checked:
        """Every per-row rule and the key's uniqueness within the input: its rows, each column outside the
        contract with its non-null values, and the values of the aggregates `also` asks for (computed in
        the same pass)."""
        table = entry.table
        missing = [c for c in table.column_names if c not in cols]
        if missing:
            raise DataError(
                f"{entry.label}: table {table.name} lacks required {noun(len(missing), 'column')} {', '.join(missing)} "
                f"(it has: {', '.join(c for c in cols if c not in _PARQUET_META)})"
            )
        extra = [c for c in cols if c not in table.column_names and c not in _PARQUET_META
                 and c not in entry.hive_keys]
        checks = row_checks(table, self.native(rel, table))
        key = q(table.key)
        repeats = [f"count({key}) - count(DISTINCT {key})"] if self.KEY_REPEATS_WITH_CHECKS else []
        aggs = ["count(*)"] + [f"count_if({cond})" for _, _, cond in checks] + [f"count({q(c)})" for c in extra] \
            + repeats + list(also)
        counts = list(self._one(f"SELECT {', '.join(aggs)} FROM {rel}"))
        rows, counts = counts[0], counts[1:]
        bad, counts = counts[:len(checks)], counts[len(checks):]
        extra_counts, counts = counts[:len(extra)], counts[len(extra):]
        repeated, also_values = (counts[0], counts[1:]) if repeats else (None, counts)
        problems = [(chk, n) for chk, n in zip(checks, bad) if n]
        if problems:
            (column, what, cond), n = problems[0]
            show = [table.key, column] if column != table.key else [table.key]
            more = f" (and {plural(len(problems) - 1, 'more problem')} in this table)" if len(problems) > 1 else ""
            raise DataError(
                f"{entry.label}: table {table.name}, column {column}: {plural(n, 'row')} where the value {what}; "
                f"first offending rows: {self.where(entry, rel, cond, show)}{more}"
            )
        # one pass counts the repeated keys; only when there are some, a second names them
        if repeated is None:
            repeated = self._one(f"SELECT count({key}) - count(DISTINCT {key}) FROM {rel}")[0]
        if repeated:
            dup = f"{key} IN (SELECT {key} FROM {rel} GROUP BY 1 HAVING count(*) > 1)"
            self.reject_if(entry, rel, dup, [table.key], f"column {table.key}: duplicate key in {{rows}}")
        return Checked(rows, dict(zip(extra, extra_counts)), tuple(also_values))

    def native(self, rel: str, table: Table) -> frozenset[str]:
        """The contract columns that rel holds with the contract's type already (see NATIVE_TYPES)."""
        types = {r[0]: r[1] for r in self.con.execute(f"DESCRIBE {rel}").fetchall()}
        return frozenset(c.name for c in table.columns if c.type in NATIVE_TYPES and types.get(c.name) == c.type)

    def reject_if(self, entry: Entry, rel: str, condition: str, show: list[str], what: str) -> None:
        """Raise a DataError naming the first rows of rel where condition holds (what: "… {rows} …", the count
        of those rows with its noun)."""
        n = self._one(f"SELECT count(*) FROM {rel} WHERE {condition}")[0]
        if n:
            raise DataError(f"{entry.label}: table {entry.table.name}, {what.format(rows=plural(n, 'row'))}; "
                            f"first offending rows: {self.where(entry, rel, condition, show)}")

    def check_references(self, entry: Entry, rel: str, present: set[str]) -> None:
        table = entry.table
        for column, parent, parent_col in table.references:
            if parent not in present:
                continue
            cond = (f"{q(column)} IS NOT NULL AND {q(column)} NOT IN "
                    f"(SELECT {q(parent_col)} FROM {self._table(parent)})")
            self.reject_if(entry, rel, cond, [table.key, column],
                           f"column {column}: {{rows}} referring to a {parent}.{parent_col} that does not exist")


def column_names(entry: Entry, where: str, written: list[str]) -> list[str]:
    """The name each written column is loaded under: the contract's name of a column it names, ignoring
    case and surrounding blanks (`CUSTOMER_ID ` is customer_id), else the name without surrounding
    blanks. Two columns that are the same name that way are an error naming both."""
    contract = {c.lower(): c for c in entry.table.column_names}
    seen: dict[str, str] = {}
    out = []
    for name in written:
        key = name.strip().lower()
        if key and key in seen:
            raise DataError(f'{where}: table {entry.table.name}: columns "{seen[key]}" and "{name}" are the same '
                            "name once case and surrounding blanks are ignored; keep one")
        seen[key] = name
        out.append(contract.get(key, name.strip()))
    return out


def parquet_columns(con: duckdb.DuckDBPyConnection, files: list[Path]) -> dict[Path, list[str]]:
    """The top-level column names of each Parquet file, as written (from the files' footers)."""
    paths = [str(f) for f in files]
    rows = con.execute("SELECT file_name, name, coalesce(num_children, 0) FROM parquet_schema($files)",
                       {"files": paths}).fetchall()
    by_file: dict[str, list[tuple[str, int]]] = {}
    for file_name, name, children in rows:
        by_file.setdefault(file_name, []).append((name, children))
    out = {}
    for f in files:
        nodes = by_file.get(str(f), [])
        names, i = [], 1  # nodes[0] is the schema's root; each column is followed by its subtree
        while i < len(nodes):
            names.append(nodes[i][0])
            i = _skip_subtree(nodes, i)
        out[f] = names
    return out


def _skip_subtree(nodes: list[tuple[str, int]], i: int) -> int:
    """The index after node i and all its descendants (a depth-first list with child counts)."""
    todo = 1
    while todo:
        todo += nodes[i][1] - 1
        i += 1
    return i


def relative_label(path: Path, source: Path) -> str:
    try:
        return path.relative_to(source).as_posix()
    except ValueError:
        return path.name


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def csv_line_numbers(path: Path, record_indexes: Iterable[int]) -> dict[int, int]:
    """Line number (1-based, header is line 1) where each 0-based data record starts."""
    wanted = set(record_indexes)
    if not wanted:
        return {}
    out: dict[int, int] = {}
    with diagnose.open_binary(path) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as fh:
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
