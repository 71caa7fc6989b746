"""Timing one command in a fresh process, with the peak memory of its whole process tree.

Every figure of the benchmark is a command started with `subprocess.Popen`. While it runs, a thread
sums the resident set size (RSS) of the process and all its descendants (psutil, every 20 ms): a
report's papermill kernels, a notebook's kernel and make's children are counted together with their
parent, and so is the JVM that pyspark starts for `--engine spark` (a child of the Python process, its
Python workers children of the JVM). Pages shared between processes (libraries) are counted once per
process, so the figure is an upper bound of what the tree holds; a process that lives less than 20 ms
may be missed. The names of the processes seen are recorded (Run.processes: e.g. whether a JVM ran).

A descendant still running once the command has exited (a JVM or kernel left behind) is waited for up
to LINGER seconds, then ended by its process id (only processes seen in this command's tree), so that
it does not weigh on the next figure; the run records it (Run.leftover).

Progress goes to stderr: on a terminal one live line (what runs, seconds so far, memory now); otherwise
one plain line per start and end, prefixed with the UTC time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

import psutil

SAMPLE_EVERY = 0.02  # seconds between two samples of the process tree's memory
LINGER = 20.0  # seconds a descendant may outlive the command before it is ended
MB = 1_000_000  # figures are in MB (10^6 bytes); the 4 GB bar is 4,000 MB


class Log:
    """Progress lines on stderr: live on a terminal, UTC-timestamped lines otherwise."""

    def __init__(self, live: bool | None = None):
        self.live = sys.stderr.isatty() if live is None else live

    def line(self, text: str) -> None:
        if self.live:
            print(f"\r\033[K{text}", file=sys.stderr, flush=True)
        else:
            stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            print(f"{stamp} {text}", file=sys.stderr, flush=True)

    def status(self, text: str) -> None:
        """A line that the next one overwrites (terminal only)."""
        if self.live:
            print(f"\r\033[K{text}", end="", file=sys.stderr, flush=True)


@dataclass
class Run:
    """One execution of a command: wall seconds, peak MB of its process tree, exit status."""

    label: str
    seconds: float
    peak_mb: float
    returncode: int
    stdout: Path
    stderr: Path
    processes: frozenset[str] = frozenset()  # names of every process seen in the tree (e.g. "java")
    leftover: tuple[str, ...] = ()  # descendants still running LINGER s after the command ended (then ended)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def output(self) -> str:
        return self.stdout.read_text(encoding="utf-8", errors="replace")

    def error(self) -> str:
        """The last non-empty line of stderr (the one-line reason of a failed command)."""
        lines = [ln.strip() for ln in self.stderr.read_text(encoding="utf-8", errors="replace").splitlines()]
        lines = [ln for ln in lines if ln]
        return lines[-1] if lines else f"exit status {self.returncode}"


class CommandFailed(Exception):
    def __init__(self, run: Run):
        super().__init__(f"{run.label}: exit status {run.returncode}: {run.error()} (log: {run.stderr})")
        self.run = run


def tree_rss(proc: psutil.Process, seen: dict[int, psutil.Process] | None = None) -> int:
    """Bytes resident in proc and all its descendants right now; `seen` collects every descendant
    (by pid) for Run.processes and the leftover check."""
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if seen is not None and p.pid not in seen:
            seen[p.pid] = p
    return total


def _name(p: psutil.Process) -> str:
    try:
        return p.name()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return "?"


def end_leftovers(descendants: list[psutil.Process], log: Log, label: str, linger: float = LINGER) -> tuple[str, ...]:
    """Wait up to `linger` s for the descendants of an ended command, then end those still running (by
    their pid: psutil checks that the pid still names the process seen). Returns "name pid" of each."""
    alive = [p for p in descendants if p.is_running()]
    if not alive:
        return ()
    _, alive = psutil.wait_procs(alive, timeout=linger)
    if not alive:
        return ()
    left = tuple(f"{_name(p)} {p.pid}" for p in alive)
    log.line(f"  {label}: ending {len(alive)} process(es) still running {linger:g} s after it ended: {', '.join(left)}")
    for p in alive:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(alive, timeout=10)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    return left


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a measured command: ours without make's variables (an outer `make bench`
    must not hand its flags or jobserver to an inner `make report`)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    env.update(extra or {})
    return env


def run(cmd: Sequence[str], *, label: str, logs: Path, log: Log, cwd: Path | None = None,
        env: dict[str, str] | None = None, check: bool = True) -> Run:
    """Run cmd in a fresh process; stdout and stderr go to files under logs/."""
    logs.mkdir(parents=True, exist_ok=True)
    slug = "".join(c if c.isalnum() else "-" for c in label).strip("-")[:80]
    out_path, err_path = logs / f"{slug}.out", logs / f"{slug}.err"
    peak = 0
    done = threading.Event()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        t0 = time.perf_counter()
        popen = subprocess.Popen([str(c) for c in cmd], cwd=cwd, env=env or clean_env(), stdout=out, stderr=err,
                                 stdin=subprocess.DEVNULL)
        proc = psutil.Process(popen.pid)
        seen: dict[int, psutil.Process] = {}
        names: dict[int, str] = {}

        def sample() -> None:
            nonlocal peak
            shown = 0.0
            while not done.is_set():
                now_bytes = tree_rss(proc, seen)
                for pid in seen.keys() - names.keys():
                    names[pid] = _name(seen[pid])
                peak = max(peak, now_bytes)
                elapsed = time.perf_counter() - t0
                if log.live and elapsed - shown >= 0.25:
                    shown = elapsed
                    log.status(f"  {label}: {elapsed:6.1f} s, {now_bytes / MB:,.0f} MB")
                done.wait(SAMPLE_EVERY)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = popen.wait()
        seconds = time.perf_counter() - t0
        done.set()
        sampler.join()
    leftover = end_leftovers([p for pid, p in seen.items() if pid != popen.pid], log, label, LINGER)
    result = Run(label, seconds, peak / MB, returncode, out_path, err_path,
                 processes=frozenset(n for n in names.values() if n != "?"), leftover=leftover)
    log.line(f"  {label}: {seconds:.2f} s, peak {result.peak_mb:,.0f} MB"
             + ("" if result.ok else f", FAILED: {result.error()}"))
    if check and not result.ok:
        raise CommandFailed(result)
    return result


def repeat(n: int, cmd: Callable[[int], Sequence[str]], *, label: str, logs: Path, log: Log,
           before: Callable[[int], None] | None = None, after: Callable[[int, Run], None] | None = None,
           **kwargs) -> list[Run]:
    """n runs of cmd(i), each in a fresh process; before(i) and after(i, run) are not timed."""
    runs = []
    for i in range(n):
        if before:
            before(i)
        r = run(cmd(i), label=f"{label} [{i + 1}/{n}]", logs=logs, log=log, **kwargs)
        if after:
            after(i, r)
        runs.append(r)
    return runs


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
