"""Load a source folder (SPEC §3) into a typed DuckDB database, incrementally (SPEC §8).

The database records every input file it was built from (`_load_inputs`: table, path, size, SHA-256,
rows). Loading into an existing database re-reads only what is new or changed:
- a snapshot table (customers, orders, uploads, marketing_sends, dsr_requests) is rebuilt whole when
  any of its files changed, and so is every table whose references point to a rebuilt one (orders,
  uploads and marketing_sends refer to customers), so every reference is checked again;
- the access log is held one table per input file (`_access_log_part_<id>`, the id derived from the
  file's path) behind the view `access_log`: a new file adds a part, a removed file drops its part, a
  changed file does both; a key may not repeat across parts;
- the monthly roll-ups (`rollups`) are recomputed for exactly the months the added and dropped parts
  touch, and the orders roll-up whenever the orders table is rebuilt;
- each table's first and last instant (`_load_tables.earliest`, `latest`) is computed when the table is
  rebuilt, taken from the parts' recorded `min_time` and `max_time` for the access log, and kept as
  recorded otherwise; the data end (`_load_info.data_end`, SPEC §10) follows from them, or from
  `source.yml`, which counts as an input: a changed one rewrites the bookkeeping, and nothing else;
- the source's entries that are not tables (`_load_ignored`) are listed again when they change.
A full load (`--full`, no database yet, or a database of another layout) runs the same steps from an
empty database, so both end with the same tables and rows.

How it writes, so that a failed or killed (`kill -9`) load leaves the database as it was:
- **in place**, for an incremental load when no one reads the database (core/locks.py: the load gets its
  lock exclusively): every step in one DuckDB transaction on the database file itself, committed only when
  every step succeeded. Nothing else is written, so the cost is that of what changed, not of the history.
  The inputs are staged in the connection's temporary catalog (a transaction writes one database only).
  DuckDB rolls back what a killed process did not commit; the commit checkpoints at once (no write-ahead
  log is left behind to replay), and a log a killed process did leave is replayed only for committed work.
- **on a copy**, when someone reads the database (a report run's snapshot, an open notebook, a
  `findings`): the work happens on a copy beside the target, which replaces it by a rename only when every
  step succeeded, so the readers keep the file they opened, unchanged; and **in a new file**, the same way,
  for a full load.
The caller may give a last step (`last_step`), run on the load's connection before the commit (or the
rename): the `load` command computes the latest month's results there (commands/load.py), so a failure
there changes nothing either.

For tests, `GDPR_ANALYTICS_LOAD_PAUSE=<step>` stops a load at a named step (`PAUSES`) until it is killed,
or for `<step>=<seconds>`: where a kill must leave the database as it was.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import duckdb

from ..core import locks, resources
from ..core.errors import DataError, GdprAnalyticsError
from ..core.files import alive
from ..core.instants import format_instant, now_text
from ..core.progress import progress
from ..sql import queries
from . import coverage, rollups
from .checks import Checker, q, typed, typed_select
from .contract import TABLES, Table
from .layout import BOOKKEEPING, INPUT_COLUMNS, LAYOUT, PART_PREFIX, info_rows
from .source import PARTITIONED, Entry, Ignored, InputFile, Source, fingerprint, input_files, meta_file, scan, units


@dataclass
class LoadResult:
    """What a load did: rows per table, how (full, incremental, up to date), and what changed."""

    counts: dict[str, int]
    mode: str
    read: list[str] = field(default_factory=list)  # snapshot entries read
    added: list[str] = field(default_factory=list)  # access log files added
    removed: list[str] = field(default_factory=list)  # access log files removed
    reason: str = ""
    data_end: str = ""  # ISO 8601 UTC, "" when no table holds an instant
    data_end_from: str = ""
    ignored: list[str] = field(default_factory=list)  # entries of the source that are not tables
    notes: list[str] = field(default_factory=list)  # other changes (source.yml, ignored entries)
    after: list[str] = field(default_factory=list)  # what the caller's last step did (last_step)
    data_sha256: str = ""  # the fingerprint of the data now loaded
    replaced_sha256: str = ""  # the fingerprint of the data the load replaced ("" when none)
    after_end: list[tuple] = field(default_factory=list)  # _load_after_end rows: instants after the data end
    absent: list[str] = field(default_factory=list)  # optional tables the source does not hold
    written: str = ""  # "in place", "on a copy" (someone read the database) or "new file"; "" when up to date

    def summary(self) -> str:
        rows = ", ".join(f"{t} {n:,}" for t, n in self.counts.items())
        after = [self._data_end()] + [self._after_end()] * bool(self.after_end) + self._absent() \
            + ([self._ignored()] if self.ignored else []) + self.after
        if self.mode == "up to date":
            return f"up to date, no file re-read ({rows}); " + "; ".join(after)
        how = f"{self.mode} load" + (f" ({self.reason})" if self.reason else "")
        done = []
        if self.read:
            done.append("read " + ", ".join(self.read))
        if self.added or self.removed:
            done.append(f"access log files: {len(self.added)} added, {len(self.removed)} removed")
        if self.written == COPY:
            done.append("written on a copy of the database, which replaced it: it was open for reading")
        return f"{how}: {'; '.join(done + self.notes + [rows] + after)}"

    def _data_end(self) -> str:
        if not self.data_end:
            return "no data end: no table holds a timestamp"
        if self.data_end_from == coverage.FROM_SOURCE_YML:
            return f"data end {self.data_end} (exported_at of source.yml)"
        return f"data end {self.data_end} (the day after the latest record instant in the data)"

    def _after_end(self) -> str:
        parts = [f"{t}.{c} {n:,} (first: {keys})" for t, c, n, keys in self.after_end]
        return "instants after the data end (not fatal, a state after a month's end is not yet true in it): " \
            + ", ".join(parts)

    def _absent(self) -> list[str]:
        out = []
        for t in self.absent:
            rules = queries.rules_requiring(t)
            out.append(f"{t} absent: " + (f"{', '.join(rules)} not assessed" if rules else "no rule reads it"))
        return out

    def _ignored(self) -> str:
        shown = ", ".join(self.ignored[:5]) + (f" and {len(self.ignored) - 5} more" if len(self.ignored) > 5 else "")
        return f"not tables, not read: {shown}"


@dataclass
class _Recorded:
    inputs: list[dict]
    extras: list[tuple]
    present: set[str]
    data: str  # the data fingerprint of the database
    spans: dict[str, tuple]  # table -> (earliest, latest) as recorded
    meta_sha256: str  # of source.yml when it was loaded ("" when there was none)
    ignored: list[Ignored]
    info: dict[str, str]
    after_end: list[tuple] = field(default_factory=list)


@dataclass
class _Meta:
    """source.yml: the file (None when the source has none) and its exported_at (UTC)."""

    file: InputFile | None
    exported: datetime | None
    gaps: list[tuple] = field(default_factory=list)  # _known_gaps rows (coverage.known_gaps)

    def files(self, files: dict[str, InputFile]) -> list[InputFile]:
        """What the data's fingerprint is made of: every input file, and source.yml."""
        return list(files.values()) + ([self.file] if self.file else [])


@dataclass
class _Plan:
    full: bool
    reason: str = ""
    rebuild: list[str] = field(default_factory=list)  # snapshot tables, in TABLES order
    add: list[Entry] = field(default_factory=list)  # access log files to add, by path
    drop: list[dict] = field(default_factory=list)  # recorded access log parts to drop
    keep: list[dict] = field(default_factory=list)  # recorded inputs that stay as they are
    notes: list[str] = field(default_factory=list)  # source.yml or the ignored entries changed

    @property
    def nothing(self) -> bool:
        return not (self.full or self.rebuild or self.add or self.drop or self.notes)


def part_name(file: str) -> str:
    """The table holding one access log file: named after its path, so full and incremental agree."""
    return PART_PREFIX + hashlib.sha256(file.encode("utf-8")).hexdigest()[:16]


def _read_recorded(db: Path) -> tuple[_Recorded | None, str]:
    """The bookkeeping of an existing database, or (None, why it must be rebuilt whole)."""
    if not db.exists():
        return None, ""
    try:
        con = duckdb.connect(str(db), read_only=True, config=resources.current().config())
    except duckdb.Error as exc:
        raise GdprAnalyticsError(f"cannot open database {db}: {str(exc).splitlines()[0]}") from None
    try:
        info = dict(con.execute("SELECT key, value FROM _load_info").fetchall())
        if info.get("layout") != LAYOUT:
            return None, "the database has an older layout"
        cols = ", ".join(INPUT_COLUMNS)
        inputs = [dict(zip(INPUT_COLUMNS, r)) for r in con.execute(f"SELECT {cols} FROM _load_inputs").fetchall()]
        extras = con.execute("SELECT table_name, file, column_name, non_null FROM _load_extra_columns").fetchall()
        tables = con.execute("SELECT table_name, present, earliest, latest FROM _load_tables").fetchall()
        ignored = sorted((Ignored(f, n) for f, n in con.execute("SELECT file, size FROM _load_ignored").fetchall()),
                         key=lambda i: i.file)
        after_end = con.execute("SELECT * FROM _load_after_end ORDER BY table_name, column_name").fetchall()
    except duckdb.Error:
        return None, "the database lacks the loader's bookkeeping"
    finally:
        con.close()
    present = {t for t, p, _, _ in tables if p}
    spans = {t: (e, la) for t, _, e, la in tables}
    return _Recorded(inputs, extras, present, info.get("data_sha256", ""), spans, info.get("source_yml_sha256", ""),
                     ignored, info, after_end), ""


def _dependents(tables: set[str]) -> set[str]:
    """The tables whose references point, directly or not, to one of `tables`."""
    out = set(tables)
    changed = True
    while changed:
        changed = False
        for t in TABLES.values():
            if t.name not in out and any(parent in out for _, parent, _ in t.references):
                out.add(t.name)
                changed = True
    return out


def _plan(src: Source, files: dict[str, InputFile], meta: InputFile | None, recorded: _Recorded | None,
          reason: str) -> _Plan:
    entries, source = src.entries, src.path
    if recorded is None:
        return _Plan(full=True, reason=reason, rebuild=[t for t in TABLES if t != PARTITIONED],
                     add=units(entries[PARTITIONED], source))
    now = {(f.table, f.file, f.sha256) for f in files.values()}
    before = {(r["table_name"], r["file"], r["sha256"]) for r in recorded.inputs}
    changed = {t for t in TABLES if t != PARTITIONED
               and {x for x in now if x[0] == t} != {x for x in before if x[0] == t}}
    rebuild = _dependents(changed) - {PARTITIONED}
    plan = _Plan(full=False, rebuild=[t for t in TABLES if t in rebuild])
    plan.drop = [r for r in recorded.inputs
                 if r["table_name"] == PARTITIONED and (PARTITIONED, r["file"], r["sha256"]) not in now]
    plan.add = [u for u in units(entries[PARTITIONED], source)
                if (PARTITIONED, _only_file(u, source), files[_only_file(u, source)].sha256) not in before]
    plan.keep = [r for r in recorded.inputs if r["table_name"] not in rebuild and r not in plan.drop]
    if meta is None and recorded.meta_sha256:
        plan.notes.append("source.yml removed")
    elif meta is not None and meta.sha256 != recorded.meta_sha256:
        plan.notes.append("source.yml " + ("changed" if recorded.meta_sha256 else "added"))
    if src.ignored != recorded.ignored:
        plan.notes.append("the entries that are not tables changed")
    return plan


def _only_file(unit: Entry, source: Path) -> str:
    return unit.files[0].relative_to(source).as_posix()


#: What an input is staged as before its checks (raw.<name>, or temp.main.<name> in place): never the name
#: of a loaded table, which a temporary object would hide.
STAGED = "_staged_"


class _Build:
    """The steps of a load on an open read-write connection: inputs staged in the scratch database attached
    as `raw`, or with `temporary` (a load in one transaction) in the connection's temporary catalog."""

    def __init__(self, con: duckdb.DuckDBPyConnection, source: Path, files: dict[str, InputFile],
                 temporary: bool = False):
        self.con = con
        self.source = source
        self.files = files
        self.checker = Checker(con, source, temporary)
        self.inputs: list[dict] = []
        self.extras: list[tuple] = []
        self.read: list[str] = []
        self.added: list[str] = []
        self.removed: list[str] = []
        self.rebuilt: dict[str, tuple] = {}  # snapshot table rebuilt -> (earliest, latest)

    def _record(self, table: str, unit: Entry, rel: str, rows: int, extra: dict[str, int], **part) -> None:
        per_file = self._rows_per_file(unit, rel, rows)
        for f in unit.files:
            rel = f.relative_to(self.source).as_posix()
            info = self.files[rel]
            self.inputs.append({"table_name": table, "file": rel, "size": info.size, "sha256": info.sha256,
                                "rows": per_file.get(f, 0), "part": None, "min_key": None, "max_key": None,
                                "min_time": None, "max_time": None, **part})
        self.extras.extend((table, unit.label, c, n) for c, n in extra.items())

    def _rows_per_file(self, unit: Entry, rel: str, rows: int) -> dict[Path, int]:
        if len(unit.files) == 1:
            return {unit.files[0]: rows}
        return {Path(f): n for f, n in self.con.execute(f"SELECT _file, count(*) FROM {rel} GROUP BY _file").fetchall()}

    def snapshot(self, table: Table, entry: Entry | None, present: set[str]) -> None:
        """(Re)build one snapshot table from its entry, or empty when the source has none."""
        self.con.execute(f"DROP TABLE IF EXISTS main.{q(table.name)}")
        self.rebuilt[table.name] = (None, None)
        if entry is None:
            defs = ", ".join(f"{q(c.name)} {c.type}" for c in table.columns)
            self.con.execute(f"CREATE TABLE main.{q(table.name)} ({defs})")
            return
        rel, cols = self.checker.stage(entry, STAGED + table.name)
        checked = self.checker.check(entry, rel, cols)
        rows, extra = checked.rows, checked.extra
        self.checker.check_references(entry, rel, present)
        native = self.checker.native(rel, table)
        self.con.execute(f"CREATE TABLE main.{q(table.name)} AS SELECT {typed_select(table, native)} FROM {rel}")
        self.rebuilt[table.name] = self.con.execute(coverage.span_sql(table, f"main.{q(table.name)}")).fetchone()
        self._record(table.name, entry, rel, rows, extra)
        self.checker.unstage(entry, rel)
        self.read.append(entry.label)

    def add_part(self, unit: Entry, parts: list[dict]) -> dict:
        """Check one access log file and store it as its own part; return its bookkeeping row."""
        table = unit.table
        rel_name = _only_file(unit, self.source)
        name = part_name(rel_name)
        rel, cols = self.checker.stage(unit, STAGED + name)
        checked = self.checker.check(unit, rel, cols)
        rows, extra = checked.rows, checked.extra
        key, time_col = q(table.key), table.column(table.time_column)
        native = self.checker.native(rel, table)
        kmin, kmax, tmin, tmax = self.con.execute(
            f"SELECT min({key}), max({key}), min({typed(time_col, native)}), max({typed(time_col, native)}) "
            f"FROM {rel}").fetchone()
        # a key may not repeat across files: only parts whose key ranges overlap can share one
        overlapping = [p for p in parts if kmin is not None and p["min_key"] is not None
                       and p["min_key"] <= kmax and kmin <= p["max_key"]]
        for p in overlapping:
            cond = f"{key} IN (SELECT {key} FROM main.{q(p['part'])})"
            self.checker.reject_if(unit, rel, cond, [table.key],
                                   f"column {table.key}: {{rows}} whose key is also in {p['file']}")
        # rows in time order, so that a month's queries skip the row groups of other months; a file of one
        # month (a monthly partition) needs no sorting: every month query takes all of it or none
        one_month = tmin is not None and (tmin.year, tmin.month) == (tmax.year, tmax.month)
        order = "" if one_month else f" ORDER BY {q(table.time_column)}"
        self.con.execute(f"CREATE TABLE main.{q(name)} AS SELECT {typed_select(table, native)} FROM {rel}{order}")
        self._record(table.name, unit, rel, rows, extra, part=name, min_key=kmin, max_key=kmax,
                     min_time=tmin, max_time=tmax)
        self.checker.unstage(unit, rel)
        self.added.append(rel_name)
        return self.inputs[-1]

    def drop_part(self, part: dict) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS main.{q(part['part'])}")
        self.removed.append(part["file"])

    def access_log_view(self, parts: list[dict]) -> None:
        """access_log: every part, in path order (an empty typed table when there is none)."""
        table = TABLES[PARTITIONED]
        defs = ", ".join(f"{q(c.name)} {c.type}" for c in table.columns)
        self.con.execute(f"CREATE TABLE IF NOT EXISTS main._access_log_empty ({defs})")
        names = [p["part"] for p in sorted(parts, key=lambda p: p["file"])] or ["_access_log_empty"]
        body = " UNION ALL ".join(f"SELECT * FROM main.{q(n)}" for n in names)
        self.con.execute(f"CREATE OR REPLACE VIEW main.{PARTITIONED} AS {body}")

    def spans(self, inputs: list[dict], recorded: _Recorded | None) -> dict[str, tuple]:
        """Every table's (earliest, latest): the access log's from its parts, a rebuilt table's as just
        computed, any other as recorded."""
        out = {}
        for t in TABLES:
            if t == PARTITIONED:
                lo = [r["min_time"] for r in inputs if r["table_name"] == t and r["min_time"] is not None]
                hi = [r["max_time"] for r in inputs if r["table_name"] == t and r["max_time"] is not None]
                out[t] = (min(lo, default=None), max(hi, default=None))
            elif t in self.rebuilt:
                out[t] = self.rebuilt[t]
            else:
                out[t] = recorded.spans.get(t, (None, None)) if recorded else (None, None)
        return out

    @staticmethod
    def _after_end_relation(table: Table, inputs: list[dict], end: datetime) -> str | None:
        """What to search for instants after the data end: the table; for the access log, whose only instant
        is its time column, only the parts whose recorded last instant is after it (None: no part is), so the
        search does not grow with the history."""
        if table.name != PARTITIONED or [c.name for c in table.columns if c.type == "TIMESTAMP"] != [table.time_column]:
            return f"main.{q(table.name)}"
        later = sorted(r["part"] for r in inputs if r["table_name"] == table.name and r["part"]
                       and r["max_time"] is not None and r["max_time"] > end)
        if not later:
            return None
        return "(" + " UNION ALL ".join(f"SELECT * FROM main.{q(n)}" for n in later) + ")"

    def bookkeeping(self, src: Source, kept: list[dict], kept_extras: list[tuple], recorded: _Recorded | None,
                    meta: _Meta, mode: str) -> tuple[dict[str, int], tuple[str, str], list[tuple]]:
        """Write the bookkeeping tables; return (rows per table present, (data end, where from), the
        instants after the data end)."""
        entries = src.entries
        inputs = kept + self.inputs
        counts = {t: sum(int(r["rows"]) for r in inputs if r["table_name"] == t) for t in TABLES}
        spans = self.spans(inputs, recorded)
        end, end_from = coverage.data_end_of([spans[t][1] for t in TABLES], meta.exported)
        end_text = format_instant(end) if end is not None else ""
        after_end = []
        if end is not None:
            for t in TABLES.values():
                relation = self._after_end_relation(t, inputs, end) if t.name in entries else None
                if relation is not None:
                    after_end += coverage.after_end_rows(
                        t, relation, lambda sql: self.con.execute(sql, {"data_end": end}).fetchall())
        for name, rows in (
            ("_load_tables", [(t, t in entries, counts[t], *spans[t]) for t in TABLES]),
            ("_load_inputs",
             [tuple(r[c] for c in INPUT_COLUMNS) for r in sorted(inputs, key=lambda r: (r["table_name"], r["file"]))]),
            ("_load_extra_columns", sorted(kept_extras + self.extras)),
            ("_load_info", info_rows(
                loaded_at=now_text(), source=str(src.path.resolve()), engine=("duckdb_version", duckdb.__version__),
                load_mode=mode, data_sha256=fingerprint(meta.files(self.files)), data_end=end_text,
                data_end_from=end_from, source_yml_sha256=meta.file.sha256 if meta.file else "")),
            ("_load_ignored", [(i.file, i.size) for i in src.ignored]),  # by file
            ("_load_after_end", after_end),
            ("_known_gaps", meta.gaps),
        ):
            ddl = BOOKKEEPING[name]
            self.con.execute(f"CREATE OR REPLACE TABLE main.{name} ({ddl})")
            if rows:
                marks = ", ".join("?" for _ in ddl.split(","))
                self.con.executemany(f"INSERT INTO main.{name} VALUES ({marks})", rows)
        return {t: n for t, n in counts.items() if t in entries}, (end_text, end_from), after_end


def _months(parts: list[dict]) -> set[datetime]:
    out: set[datetime] = set()
    for p in parts:
        if p["min_time"] is not None:
            out.update(rollups.months_between(p["min_time"], p["max_time"]))
    return out


def _apply(con: duckdb.DuckDBPyConnection, plan: _Plan, src: Source, files: dict[str, InputFile], meta: _Meta,
           recorded: _Recorded | None, show: bool | None, temporary: bool = False) -> LoadResult:
    source, entries = src.path, src.entries
    build = _Build(con, source, files, temporary)
    kept_extras = [] if recorded is None else [
        e for e in recorded.extras
        if e[0] not in plan.rebuild and e[1] not in {p["file"] for p in plan.drop}]
    parts = [r for r in plan.keep if r["table_name"] == PARTITIONED]
    added: list[dict] = []
    steps = len(plan.rebuild) + len(plan.drop) + len(plan.add) + 2
    with progress(show=show, total=steps, desc="load", unit="step") as bar:
        for name in TABLES:
            if name == PARTITIONED:
                for part in plan.drop:
                    bar.set_postfix_str(f"removing {part['file']}")
                    build.drop_part(part)
                    bar.update()
                for unit in sorted(plan.add, key=lambda u: _only_file(u, source)):
                    bar.set_postfix_str(f"reading {_only_file(unit, source)}")
                    added.append(build.add_part(unit, parts + added))
                    bar.update()
                if plan.full or plan.add or plan.drop:
                    build.access_log_view(parts + added)
            elif name in plan.rebuild:
                bar.set_postfix_str(f"reading {entries[name].label if name in entries else name}")
                build.snapshot(TABLES[name], entries.get(name), set(entries))
                bar.update()
        pause("roll-ups")
        bar.set_postfix_str("roll-ups")
        if plan.full:
            rollups.create(con)
        rollups.refresh(con, _months(plan.drop) | _months(added))
        rollups.rebuild_snapshot(con, None if plan.full else plan.rebuild)
        bar.update()
        pause("bookkeeping")
        bar.set_postfix_str("bookkeeping")
        mode = "full" if plan.full else "incremental"
        counts, (end, end_from), after_end = build.bookkeeping(src, plan.keep, kept_extras, recorded, meta, mode)
        bar.update()
    return LoadResult(counts, mode, build.read, build.added, build.removed, plan.reason, end, end_from,
                      [i.file for i in src.ignored], [] if plan.full else plan.notes, after_end=after_end,
                      absent=_absent(entries))


def _absent(entries) -> list[str]:
    return [t.name for t in TABLES.values() if not t.required and t.name not in entries]


def _leftovers(db: Path) -> None:
    """Remove what a killed load left beside the database (its temporary copy and scratch files)."""
    pattern = re.compile(rf"^\.{re.escape(db.name)}\.(?:tmp|scratch)-(\d+)(?:\.wal)?$")
    for p in db.parent.glob(f".{db.name}.*"):
        m = pattern.match(p.name)
        if m and (int(m.group(1)) == os.getpid() or not alive(int(m.group(1)))):
            p.unlink(missing_ok=True)


#: How a load wrote the database (LoadResult.written; see the module's docstring).
IN_PLACE, COPY, NEW_FILE = "in place", "on a copy", "new file"

#: The caller's last step (see the module's docstring): given the load's connection, whose catalog is the
#: loaded database (before the commit or the rename; read-only when the load found nothing to do), and the
#: load's result, it returns a line for the load's summary ("" for none). What it creates, it creates as
#: temporary objects: a transaction writes one database only, and those end with the connection.
LastStep = Callable[[duckdb.DuckDBPyConnection, LoadResult], str]

#: The named steps a test may stop a load at (ENV_PAUSE): every input read and checked (and the new
#: parts written, uncommitted), before the roll-ups; before the bookkeeping; before the caller's last step;
#: before the commit (or the rename); after it.
PAUSES = ("roll-ups", "bookkeeping", "last-step", "commit", "committed")
ENV_PAUSE = "GDPR_ANALYTICS_LOAD_PAUSE"


def pause(step: str) -> None:
    """For tests: stop here when GDPR_ANALYTICS_LOAD_PAUSE names the step (`<step>` until killed,
    `<step>=<seconds>` for that long), saying so on stderr."""
    name, _, seconds = os.environ.get(ENV_PAUSE, "").partition("=")
    if name != step:
        return
    print(f"gdpr-analytics: load paused at {step} (pid {os.getpid()})", file=sys.stderr, flush=True)
    deadline = time.monotonic() + float(seconds) if seconds else None
    while deadline is None or time.monotonic() < deadline:
        time.sleep(0.02)


def load_to_file(source: str | Path, db: str | Path, show: bool | None = None, full: bool = False,
                 last_step: LastStep | None = None) -> LoadResult:
    """Load source into the database file db (incrementally when it exists, unless full): in place, in one
    transaction, when no one reads it, else on a copy (or a new file) that replaces it; committed (or
    renamed) only if the whole load, and `last_step`, succeeded. When nothing changed, db is left as it is
    and `last_step` runs on a read-only connection to it."""
    source, db = Path(source), Path(db)
    src = scan(source)
    files = input_files(src.entries, source)
    meta = _Meta(meta_file(src), coverage.exported_at(src.meta) if src.meta else None,
                 coverage.known_gaps(src.meta) if src.meta else [])
    with locks.writing(db) as held:
        recorded, reason = (None, "--full") if full else _read_recorded(db)
        plan = _plan(src, files, meta.file, recorded, reason or ("no database yet" if not db.exists() else ""))
        data = fingerprint(meta.files(files))
        if plan.nothing:
            counts = {t: sum(int(r["rows"]) for r in recorded.inputs if r["table_name"] == t) for t in src.entries}
            result = LoadResult(counts, "up to date", data_end=recorded.info.get("data_end", ""),
                                data_end_from=recorded.info.get("data_end_from", ""),
                                ignored=[i.file for i in src.ignored], data_sha256=data, replaced_sha256=recorded.data,
                                after_end=recorded.after_end, absent=_absent(src.entries))
            if last_step is not None:
                held.share()  # it only reads: readers need not wait for it
                con = duckdb.connect(str(db), read_only=True, config=resources.current().config())
                try:
                    con.execute("SET TimeZone = 'UTC'")
                    _last_step(last_step, con, result)
                finally:
                    con.close()
            return result
        db.parent.mkdir(parents=True, exist_ok=True)
        _leftovers(db)
        try:
            result = None
            if held.exclusive and not plan.full:
                result = _in_place(db, plan, src, files, meta, recorded, show, last_step, data)
            if result is None:
                result = _replace(db, plan, src, files, meta, recorded, show, last_step, data)
        except duckdb.Error as exc:
            raise DataError(f"load of {source} failed: {str(exc).splitlines()[0]}") from exc
    return result


def _in_place(db: Path, plan: _Plan, src: Source, files: dict[str, InputFile], meta: _Meta, recorded: _Recorded,
              show: bool | None, last_step: LastStep | None, data: str) -> LoadResult | None:
    """The load as one transaction on db itself (None: DuckDB will not open the file for writing, as when a
    process that does not take core.locks' lock has it open; it is loaded on a copy instead, which says
    what is wrong if anything is). The commit checkpoints at once (no threshold), so what it wrote is in
    the file, not in a log left to replay."""
    try:
        con = duckdb.connect(str(db), config={**resources.current().config(), "checkpoint_threshold": "0b"})
    except duckdb.Error:
        return None
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("BEGIN TRANSACTION")
        result = _apply(con, plan, src, files, meta, recorded, show, temporary=True)
        result.written = IN_PLACE
        result.data_sha256, result.replaced_sha256 = data, recorded.data
        pause("last-step")
        _last_step(last_step, con, result)
        pause("commit")
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
        pause("committed")
    finally:
        con.close()  # rolls back what was not committed
    return result


def _replace(db: Path, plan: _Plan, src: Source, files: dict[str, InputFile], meta: _Meta,
             recorded: _Recorded | None, show: bool | None, last_step: LastStep | None, data: str) -> LoadResult:
    """The load on a copy of db (a new file for a full load) beside it, which replaces db by a rename."""
    tmp = db.with_name(f".{db.name}.tmp-{os.getpid()}")
    scratch = db.with_name(f".{db.name}.scratch-{os.getpid()}")
    wal = Path(f"{db}.wal")
    try:
        if not plan.full:
            shutil.copyfile(db, tmp)
            if wal.exists():  # work a killed load committed but did not write into the file: replayed in the copy
                shutil.copyfile(wal, f"{tmp}.wal")
        con = duckdb.connect(str(tmp), config=resources.current().config())
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute("ATTACH $path AS raw", {"path": str(scratch)})
            result = _apply(con, plan, src, files, meta, recorded, show)
            con.execute("DETACH raw")
            result.written = NEW_FILE if plan.full else COPY
            result.data_sha256, result.replaced_sha256 = data, recorded.data if recorded else ""
            pause("last-step")
            _last_step(last_step, con, result)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        pause("commit")
        os.replace(tmp, db)
        wal.unlink(missing_ok=True)  # a stale log of the replaced file must not replay
        pause("committed")
        return result
    finally:
        _leftovers(db)


def _last_step(last_step: LastStep | None, con: duckdb.DuckDBPyConnection, result: LoadResult) -> None:
    if last_step is not None:
        line = last_step(con, result)
        if line:
            result.after.append(line)
