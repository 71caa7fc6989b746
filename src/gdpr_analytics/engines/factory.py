"""The one place an engine is opened: a command opens the engine it asks for once, through `opened`,
and passes it down; nothing below the command asks which engine it is.

- `--db FILE` (DuckDB): the database, read-only; with `snapshot=True` (a report run) a hard link to it
  taken first (a copy where linking is impossible), so every month of the run reads one state of the
  data while a `load` may replace the database meanwhile; the snapshot is removed afterwards. A hard
  link is the same file: the run holds the database's reader lock (core/locks.py) from before the link
  until the snapshot is removed, so no `load` writes that file in place meanwhile (it works on a copy).
- `--source DIR` with DuckDB: the source loaded into a temporary database, removed afterwards.
- `--source DIR` with Spark: the source read in place (engines/spark/), imported only when chosen.
`reopen` is what a notebook does with the location a report ran on: a file is a database, a folder a
source that only the Spark engine reads in place.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..core import locks
from ..core.errors import UsageError
from ..core.files import alive
from .base import Engine
from .duckdb import DuckDBEngine

ENGINES = ("duckdb", "spark")
ENV_REMOTE = "SPARK_REMOTE"


def check_usage(kind: str, *, db: Path | None, source: Path | None, remote: str | None,
                results: Path | None) -> None:
    """--engine spark reads a source in place: --db (a DuckDB database) is refused, as are the Spark
    options without it."""
    if kind not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, got {kind!r}")
    if (db is None) == (source is None):
        raise UsageError("give either a database (--db) or a source folder (--source)")
    if kind == "spark":
        if db is not None:
            raise UsageError("--engine spark reads a source folder in place: give --source DIR (--db names a "
                             "database written by `gdpr-analytics load`, which only --engine duckdb reads)")
        if remote and not remote.startswith("sc://"):
            raise UsageError(f"--spark-remote must be sc://HOST:PORT, got {remote!r}")
    else:
        given = [o for o, v in (("--spark-remote", remote), ("--results", results)) if v]
        if given:
            raise UsageError(f"{' and '.join(given)}: only with --engine spark")


#: What every DuckDB database file holds at bytes 8-11.
DUCKDB_MAGIC = b"DUCK"


def check_database(db: Path) -> None:
    """--db names a database `gdpr-analytics load` wrote: not a folder, not a CSV (UsageError, exit 2)."""
    if db.is_dir():
        raise UsageError(f"--db {db} is a folder, not a database: a source folder is read with --source {db} "
                         f"(or loaded first: gdpr-analytics load --source {db} --db FILE)")
    if not db.is_file():
        raise UsageError(f"database {db} does not exist: run `gdpr-analytics load --source DIR --db {db}` first")
    with db.open("rb") as fh:
        head = fh.read(12)
    if head[8:12] != DUCKDB_MAGIC:
        raise UsageError(f"--db {db} is not a DuckDB database (--db names the file `gdpr-analytics load` writes; "
                         "a source's CSV or Parquet files are read with --source FOLDER)")


@contextmanager
def opened(kind: str = "duckdb", *, db: str | Path | None = None, source: str | Path | None = None,
           remote: str | None = None, results: str | Path | None = None, snapshot: bool = False,
           history=None, month=None) -> Iterator[Engine]:
    """The engine a command asks for, open for the block (see the module's docstring). The Spark Connect
    address goes to the environment (SPARK_REMOTE), which the report's notebook kernels inherit."""
    db = Path(db) if db is not None else None
    source = Path(source) if source is not None else None
    check_usage(kind, db=db, source=source, remote=remote, results=Path(results) if results else None)
    if kind == "spark":
        from .spark.engine import SparkEngine

        if remote:
            os.environ[ENV_REMOTE] = remote
        engine = SparkEngine(source, history, month, remote=remote, results=results)
        with engine:
            yield engine
        return
    if db is not None:
        check_database(db)
        if not snapshot:
            with DuckDBEngine(db, history=history, month=month) as engine:
                yield engine
            return
        db = db.absolute()
        with run_snapshot(db) as snap, DuckDBEngine(snap, location=db, history=history, month=month) as engine:
            yield engine
        return
    from ..ingest.load import load_to_file

    with tempfile.TemporaryDirectory(prefix="gdpr-analytics-") as tmp:
        loaded = Path(tmp) / "source.duckdb"
        load_to_file(source, loaded, show=False)
        with DuckDBEngine(loaded, history=history, month=month) as engine:
            engine.transient = True
            yield engine


def reopen(location: str | Path, history=None, month=None, results: str | Path | None = None) -> Engine:
    """What a notebook reopens: a database file (DuckDB), or a source folder (read in place by Spark, which
    starts only for a query whose answer is not stored: the month results are found by the files'
    fingerprint). The caller closes it."""
    path = Path(location).expanduser().resolve()
    if path.is_dir():
        from .spark.engine import SparkEngine

        return SparkEngine(path, history, month, results=results)
    # a report run's kernels read its snapshot: the engine is named after the database the user gave
    named = SNAPSHOT_NAME.match(path.name)
    return DuckDBEngine(path, location=path.with_name(named.group(1)) if named else None, results=results,
                        history=history, month=month)


#: `.<database name>.snapshot-<pid>`: a report run's snapshot of the database (run_snapshot).
SNAPSHOT_NAME = re.compile(r"^\.(.+)\.snapshot-\d+$")


@contextmanager
def run_snapshot(db: Path) -> Iterator[Path]:
    """A hard link to the database (a copy when linking is impossible) beside it, removed after the block,
    the database's reader lock held from before the link to the end (see the module's docstring); a log of
    committed work a killed load left beside the database (`<db>.wal`) is copied beside the snapshot, which
    replays it. Snapshots left by a killed run are removed first."""
    pattern = re.compile(rf"^\.{re.escape(db.name)}\.snapshot-(\d+)(?:\.wal)?$")
    for p in db.parent.glob(f".{db.name}.snapshot-*"):
        m = pattern.match(p.name)
        if m and not alive(int(m.group(1))):
            p.unlink(missing_ok=True)
    if not db.is_file():
        raise UsageError(f"database {db} does not exist: run `gdpr-analytics load` first")
    snap = db.with_name(f".{db.name}.snapshot-{os.getpid()}")
    wal, snap_wal = Path(f"{db}.wal"), Path(f"{snap}.wal")
    with locks.reading(db):  # no load writes the file in place while it is linked (or copied) with its log
        for p in (snap, snap_wal):
            p.unlink(missing_ok=True)
        try:
            os.link(db, snap)
        except OSError:
            shutil.copyfile(db, snap)
        if wal.exists():
            shutil.copyfile(wal, snap_wal)
        held = locks.hold_for_reading(snap)  # the same file: held shared already, granted at once
    try:
        yield snap
    finally:
        for p in (snap, snap_wal):
            p.unlink(missing_ok=True)
        held.release()
