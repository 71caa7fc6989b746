"""One run of the report over one or more months, as a scheduler starts it (SPEC §6).

- **Lock**: one run at a time per output folder — an OS file lock on `<out>/.lock`, released by the
  operating system when the process ends, however it ends. A second run waits up to `wait` seconds, then
  fails with `Locked` (exit status 75) naming the process that holds it.
- **One state of the data**: the database is hard-linked (copied where a link is impossible) at the start
  of the run, and every month of the run is built from that snapshot; a `load` meanwhile replaces the
  database by a rename and leaves the snapshot as it was. The manifest names the state (the data
  fingerprint and when it was loaded).
  With the Spark engine (a source read in place, no database), the state is the source's files as listed
  and hashed at the start; the export must not change during the run.
- **Months in order**: `A..B` builds every month from A to B, each compared with the month before it in
  the same folder (just built). A month whose folder was built from the same data, policy, parameters,
  code and previous month, with its files intact, is left as it is and said to be up to date (unless
  `force`). If a month fails, the months before it stay written and the error names it.
- **Across months**: `<out>/index.html` is rewritten after the run (overview.py), whatever happened.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import sys
import time
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from . import coverage, overview, report, summary
from . import db as dbmod
from .errors import Locked, UsageError
from .month import Month
from .parameters import Parameters
from .progress import stamp

LOCK_FILE = ".lock"
_RANGE = re.compile(r"^(\d{4}-\d{2})\.\.(\d{4}-\d{2})$")


@dataclass
class MonthRun:
    month: Month
    folder: Path
    built: bool  # False: left as it was, up to date
    summary: dict[str, Any]


def months(text: str) -> list[Month] | None:
    """`YYYY-MM` or `YYYY-MM..YYYY-MM` (None for `latest`, which needs the data)."""
    if text == "latest":
        return None
    m = _RANGE.match(text.strip())
    if not m:
        return [Month.parse(text)]
    first, last = Month.parse(m.group(1)), Month.parse(m.group(2))
    if (last.year, last.month) < (first.year, first.month):
        raise UsageError(f"--month {text}: the range ends before it starts")
    out = [first]
    while out[-1] != last:
        out.append(out[-1].next())
    return out


@contextmanager
def locked(out: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold `<out>/.lock` (flock) for the block; wait up to `wait` seconds for another run to end."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + max(0.0, wait)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Locked(f"another report run is writing {out} ({_holder(path)}); waited {wait:g} s "
                                 "(--wait SECONDS to wait longer)") from None
                time.sleep(min(0.2, left))
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "started_at": stamp(),
                                  "command": " ".join(sys.argv)}).encode("utf-8"), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(path: Path) -> str:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return f"process {doc['pid']}, started {doc['started_at']}: {doc['command']}"
    except (OSError, ValueError, KeyError):
        return "a process whose details are not recorded"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def snapshot(db: Path) -> Iterator[Path]:
    """A hard link to the database (a copy when linking is impossible), removed after the block."""
    pattern = re.compile(rf"^\.{re.escape(db.name)}\.snapshot-(\d+)$")
    for p in db.parent.glob(f".{db.name}.snapshot-*"):  # left by a run that was killed
        m = pattern.match(p.name)
        if m and not _alive(int(m.group(1))):
            p.unlink(missing_ok=True)
    snap = db.with_name(f".{db.name}.snapshot-{os.getpid()}")
    snap.unlink(missing_ok=True)
    if not db.is_file():
        raise UsageError(f"database {db} does not exist: run `gdpr-analytics load` first")
    try:
        os.link(db, snap)
    except OSError:
        shutil.copyfile(db, snap)
    try:
        yield snap
    finally:
        snap.unlink(missing_ok=True)


def run(*, db: Path | None = None, months_to_run: list[Month], out: Path, params_for: Callable[[Month], Parameters],
        policy_path: str | Path | None, force: bool = False, wait: float = 0.0, show: bool | None = None,
        jobs: int | None = None, notebooks=None, say: Callable[[str], None] | None = None,
        engine=None) -> list[MonthRun]:
    """Build every month in order under the folder's lock, from one snapshot of the database (or with
    `engine`, an open engine on a source read in place: the Spark engine)."""
    from .policy_history import load_history

    out = Path(out).absolute()
    history = load_history(policy_path)
    for m in months_to_run:
        history.check_covers(m)
    # a month the data does not reach is refused before anything is written (no folder, lock or overview)
    with (dbmod.connect(Path(db)) if engine is None else nullcontext(engine)) as first:
        for m in months_to_run:
            coverage.check_month(first, m)
    done: list[MonthRun] = []
    with locked(out, wait):
        try:
            with ExitStack() as stack:
                if engine is None:
                    db = Path(db).absolute()
                    snap = stack.enter_context(snapshot(db))
                    with dbmod.connect(snap) as opened:  # every month must be one the data reaches
                        for m in months_to_run:
                            coverage.check_month(opened, m)
                else:
                    snap = None
                    for m in months_to_run:
                        coverage.check_month(engine, m)
                for m in months_to_run:
                    params = params_for(m)
                    key = report.build_key(snap, m, params, history, out, engine=engine)
                    folder = out / m.label
                    if not force and report.up_to_date(folder, key):
                        if say:
                            say(f"report {m.label}: up to date (built from the same data, policy, parameters "
                                "and code), left as it is")
                        done.append(MonthRun(m, folder, False, summary.read(folder) or {}))
                        continue
                    folder = report.run_report(db=snap, month=m, out=out, params=params, policy_path=policy_path,
                                               show=show, jobs=jobs, origin=db if engine is None else None,
                                               key=key, notebooks=notebooks, engine=engine)
                    done.append(MonthRun(m, folder, True, summary.read(folder) or {}))
                    if say:
                        say(f"report {m.label} written: {folder}")
        finally:
            overview.write(out)
    return done


def alert(done: list[MonthRun], fail_on: str) -> list[str]:
    """The months built in this run that hold what `--fail-on` alerts on (high, or new-high findings)."""
    if fail_on == "never":
        return []
    field = "findings" if fail_on == "high" else "new"
    return [r.month.label for r in done if r.built and r.summary.get("totals", {}).get("high", {}).get(field, 0)]
