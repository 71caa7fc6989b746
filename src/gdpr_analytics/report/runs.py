"""One run of the report over one or more months, as a scheduler starts it (SPEC §6).

- **One engine**: the command opens its engine once (engines/factory.py) and builds each month's context
  once (analysis/context.py) before anything is written: a month the data or the policy does not reach is
  refused with no folder, lock or overview touched. With `--db`, the engine reads a snapshot of the
  database taken when the command started (a hard link), so every month of the run reads one state of the
  data while a `load` may replace the database meanwhile; the manifest names the state (the data
  fingerprint and when it was loaded). With the Spark engine (a source read in place), the state is the
  source's files as listed and hashed at the start; the export must not change during the run.
- **Lock**: one run at a time per output folder — an OS file lock on `<out>/.lock`, released by the
  operating system when the process ends, however it ends. A second run waits up to `wait` seconds, then
  fails with `Locked` (exit status 75) naming the process that holds it.
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
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from ..analysis.context import MonthContext
from ..core.errors import Locked, UsageError
from ..core.instants import now_text
from ..core.month import Month
from ..engines.base import Engine
from . import overview, summary
from .build import build_key, run_report, up_to_date

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
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "started_at": now_text(),
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


def run(engine: Engine, contexts: list[MonthContext], *, out: Path, force: bool = False, wait: float = 0.0,
        show: bool | None = None, jobs: int | None = None, notebooks=None,
        say: Callable[[str], None] | None = None, lang: str = "en") -> list[MonthRun]:
    """Build every month of `contexts` in order, on the command's engine, under the folder's lock; `lang`:
    the language of the register's labels."""
    out = Path(out).absolute()
    done: list[MonthRun] = []
    with locked(out, wait):
        try:
            for ctx in contexts:
                m = ctx.month
                key = build_key(engine, ctx, out, lang)
                folder = out / m.label
                if not force and up_to_date(folder, key):
                    if say:
                        say(f"report {m.label}: up to date (built from the same data, policy, parameters "
                            "and code), left as it is")
                    done.append(MonthRun(m, folder, False, summary.read(folder) or {}))
                    continue
                folder = run_report(engine, ctx, out=out, show=show, jobs=jobs, key=key, notebooks=notebooks,
                                    lang=lang)
                done.append(MonthRun(m, folder, True, summary.read(folder) or {}))
                if say:
                    say(f"report {m.label} written: {folder}")
        finally:
            overview.write(out)
    return done


def alert(done: list[MonthRun], fail_on: str) -> list[str]:
    """The months of this run, built now or already up to date, that hold what `--fail-on` alerts on
    (high, or new-high findings, or a rule assessed with gaps): each judged on its summary.json, so an
    unchanged month alerts as it did when it was built."""
    if fail_on == "never":
        return []
    if fail_on == "gaps":
        return [r.month.label for r in done if r.summary.get("assessed_with_gaps")]
    field = "findings" if fail_on == "high" else "new"
    return [r.month.label for r in done if r.summary.get("totals", {}).get("high", {}).get(field, 0)]


def verdict(r: MonthRun) -> str:
    """One line on a month of the run: its high-severity findings (new among them), all findings, the rules
    not assessed or assessed with gaps, and the index to open."""
    doc, index = r.summary, r.folder / "index.html"
    if not doc:
        return f"{r.month.label}: no summary.json (built by an earlier version); open {index}"
    totals = doc.get("totals", {})
    high, new = totals.get("high", {}).get("findings", 0), totals.get("high", {}).get("new", 0)
    every = sum(t.get("findings", 0) for t in totals.values())
    parts = [f"{high:,} high-severity finding{'s' * (high != 1)} ({new:,} new)", f"{every:,} in all"]
    if doc.get("not_assessed"):
        parts.append(f"not assessed: {', '.join(doc['not_assessed'])}")
    gaps = sorted({g["rule_id"] for g in doc.get("assessed_with_gaps", [])})
    if gaps:
        parts.append(f"assessed with gaps: {', '.join(gaps)}")
    return f"{r.month.label}: {'; '.join(parts)}; open {index}"