"""Issue 7's benchmark in one run: `make bench` (1M customers / 50M access events / 24 months).

    .venv/bin/python benchmarks/run.py                                   # the full size (see README)
    .venv/bin/python benchmarks/run.py --customers 20000 --events 1000000 --months 24
    .venv/bin/python benchmarks/run.py --customers 300 --events 3000 --months 2 --reps 1   # smoke

Every figure is a whole command in a fresh process, repeated --reps times (median of the wall time;
the peak memory is the largest of the runs, summed over the process and all its children: see
measure.py). Steps, in order:

  generation   `gdpr-analytics sample --format parquet` (data reused while the generator is unchanged)
  load         full load of the whole source
  append       the newest month added to a database of the older months (incremental `load`);
               `findings` on the result must be byte-identical to `findings` on the full load
  findings     the scan floor (floor.py), then `findings` as `load` leaves it (the load computed the latest
               month's results; the bar) and cold (stored results removed: the whole month computed)
  pandas       RET-001, XB-002, DSR-001 through the package and in pandas (three_rules.py), same answers
  report       `gdpr-analytics report` (cold: no stored results, fresh out folder), per notebook from
               its manifest.json
  run_all      Run All of notebooks/02_retention.ipynb in a running kernel (run_all.py)
  make_report  `make report` on the bundled sample in a fresh copy of the repository
  spark        `findings --engine spark` (pyspark local mode, reading the Parquet source in place): cold
               (a fresh --results folder: JVM start, reading and checking the source, the month's rules)
               and warm (stored results: no Spark), beside "DuckDB from the source" (full load + findings
               cold); --spark-reps runs each (default: --reps, at most 3). No bar: measured and shown
  spark_report `report --engine spark`, cold, beside DuckDB's full load + report
  When pyspark or Java is missing the Spark rows say "not measured" and why; the other rows are measured.

Prints one table (figure, median, peak, bar, goal, ratio, verdict against issue 7's targets in
targets.py) and writes it as JSON (--out). Exit status 1 when a step failed; with --strict, 3 when a
bar was missed or a check did not hold.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: import the modules beside it
import benchdata  # noqa: E402
import measure  # noqa: E402
import targets  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.prefix) / "bin"  # this environment's scripts: gdpr-analytics, python
CLI = BIN / "gdpr-analytics"
PYTHON = BIN / "python"
#: Where `findings` and `report` store a month's results, beside the database (issue 7, item 2).
#: Removed before every cold run. Change here if the store moves.
RESULTS_STORE = "{db}.results"
RUN_ALL_NOTEBOOK = "notebooks/02_retention.ipynb"
SPARK_MAX_REPS = 3  # default runs per Spark figure: --reps, but at most this (a cold run takes minutes)
DEFAULT_SIZE = {"customers": 1_000_000, "events": 50_000_000, "months": 24}
SCHEMA = 1


def results_store(db: Path) -> Path:
    return Path(RESULTS_STORE.format(db=db))


@dataclass
class Row:
    """One line of the table; `target` names an entry of targets.TARGETS (None: no bar)."""

    id: str
    figure: str
    seconds: float | None = None
    peak_mb: float | None = None
    runs: list[dict] = field(default_factory=list)
    target: str | None = None
    ratio: float | None = None  # to the scan floor (lower is better)
    speedup: float | None = None  # pandas time / our time (higher is better)
    rate: float | None = None  # packs per second (higher is better)
    vs_duckdb: float | None = None  # Spark time / DuckDB time of `vs_what` (no bar: shown only)
    vs_what: str = ""
    checks: dict[str, bool] = field(default_factory=dict)
    status: str = "ok"  # ok | failed | skipped
    note: str = ""
    sub: bool = False  # a detail of the row above
    bar: str = ""
    goal: str = ""
    verdict: str = ""

    def finish(self) -> "Row":
        if self.target in targets.TARGETS:
            t = targets.TARGETS[self.target]
            self.bar, self.goal = targets.describe(t.bar), targets.describe(t.goal)
            if self.status == "ok":
                self.verdict = targets.verdict(self.target, {"seconds": self.seconds, "peak_mb": self.peak_mb,
                                                             "ratio": self.ratio, "speedup": self.speedup,
                                                             "rate": self.rate},
                                               all(self.checks.values()))
            else:
                self.verdict = "✗" if self.status == "failed" else "–"
        elif self.status == "ok" and not all(self.checks.values()):
            self.verdict = "✗"  # no bar, but a check did not hold (e.g. Spark's findings differ from DuckDB's)
        return self


def from_runs(row_id: str, figure: str, runs: list[measure.Run], **kw) -> Row:
    return Row(row_id, figure, seconds=measure.median([r.seconds for r in runs]),
               peak_mb=max(r.peak_mb for r in runs),
               runs=[{"seconds": round(r.seconds, 3), "peak_mb": round(r.peak_mb, 1)} for r in runs], **kw)


class StepSkipped(Exception):
    pass


class Bench:
    """One benchmark run: its arguments, folders, rows and checks."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.log = measure.Log()
        self.root = Path(args.data or os.environ.get("GDPR_BENCH_DATA") or REPO / "build" / "bench").absolute()
        self.work = self.root / "work"  # databases, outputs and logs of this run (replaced by the next)
        self.logs = self.work / "logs"
        self.db = self.work / "full.duckdb"
        self.source: Path | None = None
        self.month: str | None = args.month
        self.rows: list[Row] = []
        self.data: dict = {}
        self.findings_csv: Path | None = None  # DuckDB's `findings` output (step_findings), for Spark's check
        self.spark_reps = args.spark_reps or min(args.reps, SPARK_MAX_REPS)
        self._spark_why: list[str | None] = []
        self.figures: dict[str, str] = {}  # row id -> figure, for the row of a step that fails before adding it

    def repeat(self, label: str, cmd: Callable[[int], list], **kw) -> list[measure.Run]:
        return measure.repeat(self.args.reps, cmd, label=label, logs=self.logs, log=self.log, **kw)

    def once(self, label: str, cmd: list, **kw) -> measure.Run:
        return measure.run(cmd, label=label, logs=self.logs, log=self.log, **kw)

    def add(self, row: Row) -> Row:
        self.rows.append(row.finish())
        return row

    def need_db(self) -> None:
        if not self.db.is_file():
            raise StepSkipped("no database: the full load did not run")

    def row(self, row_id: str) -> Row | None:
        """The measured row row_id, if it was measured."""
        found = [r for r in self.rows if r.id == row_id and r.status == "ok" and r.seconds is not None]
        return found[0] if found else None

    def spark_why(self) -> str | None:
        """Why the Spark rows cannot be measured here (None: they can), asked once per run."""
        if not self._spark_why:
            self._spark_why.append(spark_unavailable())
        return self._spark_why[0]


# -- the steps ----------------------------------------------------------------------------------------

def step_generation(b: Bench) -> None:
    a = b.args
    size = f"{a.customers:,} customers / {a.events:,} events / {a.months} months"
    src = benchdata.source_dir(b.root, a.customers, a.events, a.months)
    reused = benchdata.is_complete(src)

    def cmd(out: Path) -> list:
        return [CLI, "sample", "--out", out, "--customers", a.customers, "--events", a.events,
                "--months", a.months, "--format", "parquet"]

    scratch = b.work / "sample-scratch"
    runs = []
    if not reused:
        benchdata.remove(src)
        runs.append(b.once(f"generation {size} [1/{a.reps}]", cmd(src)))
        benchdata.write_stamp(src, {"key": benchdata.generator_key(a.customers, a.events, a.months),
                                   "customers": a.customers, "events": a.events, "months": a.months,
                                   "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                   "seconds": runs[0].seconds})
    total = a.reps if not reused else (0 if "generation" in a.skip else 1)
    while len(runs) < total:
        benchdata.remove(scratch)
        runs.append(b.once(f"generation {size} (scratch) [{len(runs) + 1}/{total}]", cmd(scratch)))
        benchdata.remove(scratch)
    b.source = src
    b.data = {"folder": str(src), "key": benchdata.generator_key(a.customers, a.events, a.months), "reused": reused}
    if not b.month:
        b.month = benchdata.month_of(benchdata.partitions(src)[-1])
    if not runs:
        b.add(Row("generation", "generation (data reused, not measured)", status="skipped", target="generation",
                  note=f"{size}: data {src.name} reused and --skip generation"))
        return
    note = (f"{size}: data {src.name} reused, generation run once into a scratch folder" if reused else
            f"{size}: generated {src.name}" + ("" if len(runs) == 1 else ", further runs into a scratch folder"))
    figure = "generation (data reused: measured once)" if reused else "generation"
    b.add(from_runs("generation", figure, runs, target="generation", note=note))


def step_load(b: Bench) -> None:
    def before(i: int) -> None:
        for p in (b.db, b.db.with_name(b.db.name + ".wal"), results_store(b.db)):
            benchdata.remove(p)

    runs = b.repeat("full load", lambda i: [CLI, "load", "--source", b.source, "--db", b.db, "--full"],
                    before=before)
    b.add(from_runs("load_full", "full load (load --full)", runs, target="load_full", note="into a new database file"))


def findings_text(b: Bench, db: Path, label: str) -> bytes:
    """`findings --month` of db, computed afresh (its results store removed first)."""
    benchdata.remove(results_store(db))
    return b.once(label, [CLI, "findings", "--db", db, "--month", b.month]).stdout.read_bytes()


def step_append(b: Bench) -> None:
    b.need_db()
    first_src = b.work / "source-older-months"
    newest, link = benchdata.source_without_newest(b.source, first_src)
    base, db = b.work / "older-months.duckdb", b.work / "append.duckdb"
    benchdata.remove(base)
    b.once(f"setup: load all but the newest month ({benchdata.month_of(newest)})",
           [CLI, "load", "--source", first_src, "--db", base])

    def before(i: int) -> None:
        benchdata.copy_database(base, db)
        benchdata.remove(results_store(db))
        benchdata.link_tree(newest, link)

    runs = b.repeat(f"append {benchdata.month_of(newest)}",
                    lambda i: [CLI, "load", "--source", first_src, "--db", db],
                    before=before, after=lambda i, r: benchdata.remove(link))
    appended = findings_text(b, db, "check: findings after the append")
    same = appended == findings_text(b, b.db, "check: findings after a full load")
    b.add(from_runs("append", f"append the newest month ({benchdata.month_of(newest)}, incremental load)", runs,
                    target="append", checks={"findings identical to a full load": same},
                    note="findings after the append " + ("byte-identical to" if same else "DIFFER from")
                    + " findings after a full load"))


def step_findings(b: Bench) -> None:
    b.need_db()
    floor = b.repeat("scan floor", lambda i: [PYTHON, HERE / "floor.py", "--db", b.db, "--month", b.month])
    floor_s = measure.median([r.seconds for r in floor])
    b.add(from_runs("floor", f"scan floor: the rules' columns for {b.month} (floor.py)", floor,
                    note="one Python + DuckDB process reading every value of the columns the rules read"))
    store = results_store(b.db)
    cmd = lambda i: [CLI, "findings", "--db", b.db, "--month", b.month]  # noqa: E731
    # as a scheduler runs it: `load` (here up to date: no file re-read) ends by computing the latest
    # month's results; `findings` then reads them
    benchdata.remove(store)
    b.once("setup: load (up to date; computes the latest month's results)",
           [CLI, "load", "--source", b.source, "--db", b.db])
    stored = (store.is_dir() and any(store.glob(f"*/{b.month}/*/meta.json")))
    after_load = b.repeat("findings after load", cmd)
    cold = b.repeat("findings cold", cmd, before=lambda i: benchdata.remove(store))
    b.findings_csv = cold[-1].stdout
    same = cold[-1].stdout.read_bytes() == after_load[-1].stdout.read_bytes()
    checks = {"output identical to a cold computation": same,
              f"the load stored the month results of {b.month} in {store.name}": stored}
    for row_id, runs, label, note in (
            ("findings", after_load, "after `load`: month results stored by the load",
             "the state a load leaves: `load` ends by computing the latest month the data covers"),
            ("findings_cold", cold, "cold: stored results removed, computed now",
             "what a month or parameters nothing has computed yet costs (the whole month: rules, statistics, "
             "record); no bar: once per (data, policy, parameters, code)")):
        row = from_runs(row_id, f"findings {b.month} ({label})", runs, target=row_id, checks=checks, note=note)
        row.ratio = row.seconds / floor_s
        b.add(row)


def step_pandas(b: Bench) -> None:
    b.need_db()
    outs = {side: b.work / f"three-rules-{side}.csv" for side in ("package", "pandas")}
    runs = {side: b.repeat(f"three rules, {side}", lambda i, s=side: [
        PYTHON, HERE / "three_rules.py", "--side", s, "--db", b.db, "--month", b.month, "--out", outs[s]])
        for side in outs}
    same = outs["package"].read_bytes() == outs["pandas"].read_bytes()
    per_rule = json.loads(runs["package"][-1].output())["per_rule"]
    inner = {side: measure.median([json.loads(r.output())["seconds"] for r in runs[side]]) for side in runs}
    ours = b.add(from_runs("three_rules_package", "RET-001, XB-002, DSR-001 through the package (DuckDB)",
                           runs["package"], note=f"findings per rule: {per_rule}; whole process shown, "
                           f"reading and computing {inner['package']:.2f} s"))
    peer = from_runs("pandas", "the same three rules in pandas", runs["pandas"], target="pandas",
                     checks={"same (rule_id, subject_id, occurred_at)": same},
                     note=("same answers" if same else f"ANSWERS DIFFER: compare {outs['package']} and {outs['pandas']}")
                     + f"; whole process shown, reading and computing {inner['pandas']:.2f} s; the ratio is of "
                     f"reading and computing (whole processes: {ours.seconds:.2f} s and the time shown)")
    peer.speedup = inner["pandas"] / inner["package"]
    b.add(peer)


def notebook_times(manifest: dict) -> dict[str, dict[str, float]]:
    """{notebook stem: {"execute": s, "export": s}} from a report's manifest.json: the `notebooks`
    entries (duration_s, or any key naming execution or export) where they say, else the `timings`
    steps 'executing X.ipynb' / 'exporting X.html'. Unknown keys are ignored."""
    out: dict[str, dict[str, float]] = {}
    for t in manifest.get("timings", []):
        m = re.match(r"(executing|exporting)\s+(\S+?)\.(ipynb|html)\b", str(t.get("step", "")))
        if m and isinstance(t.get("seconds"), (int, float)):
            out.setdefault(m.group(2), {})["execute" if m.group(1) == "executing" else "export"] = t["seconds"]
    for n in manifest.get("notebooks", []):
        stem = Path(str(n.get("notebook") or n.get("page") or "")).stem
        for key, value in n.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not stem:
                continue
            if "export" in key:
                out.setdefault(stem, {})["export"] = value
            elif key in ("duration_s", "execute_s", "execution_s", "executed_s"):
                out.setdefault(stem, {})["execute"] = value
    return out


def step_report(b: Bench) -> None:
    b.need_db()
    outs = [b.work / f"report-{i + 1}" for i in range(b.args.reps)]
    per_run: list[dict] = []

    def before(i: int) -> None:
        benchdata.remove(results_store(b.db))
        benchdata.remove(outs[i])

    def after(i: int, run: measure.Run) -> None:
        manifest = json.loads((outs[i] / b.month / "manifest.json").read_text(encoding="utf-8"))
        per_run.append(notebook_times(manifest))

    runs = b.repeat("report", lambda i: [CLI, "report", "--db", b.db, "--month", b.month, "--out", outs[i]],
                    before=before, after=after)
    b.add(from_runs("report", f"full report {b.month}", runs, target="report",
                    note="cold: no stored month results, a fresh --out folder each run; "
                         "per notebook below: execution and export as the report's manifest.json records them"))
    for stem in sorted({s for times in per_run for s in times}):
        for what in ("execute", "export"):
            values = [t[stem][what] for t in per_run if what in t.get(stem, {})]
            if values:
                b.add(Row(f"report:{stem}:{what}", f"  {what} {stem}", seconds=measure.median(values),
                          runs=[{"seconds": v} for v in values], sub=True))


def step_run_all(b: Bench) -> None:
    b.need_db()
    stored = results_store(b.db).exists()
    runs = b.repeat("Run All", lambda i: [PYTHON, HERE / "run_all.py", "--notebook", REPO / RUN_ALL_NOTEBOOK,
                                         "--db", b.db, "--month", b.month])
    inside = [json.loads(r.output()) for r in runs]
    name = Path(RUN_ALL_NOTEBOOK).stem
    row = Row("run_all", f"Run All of {name} (kernel already running)",
              seconds=measure.median([x["cells_s"] for x in inside]), peak_mb=max(r.peak_mb for r in runs),
              runs=[{"seconds": x["cells_s"], "process_seconds": round(r.seconds, 3), "peak_mb": round(r.peak_mb, 1)}
                    for x, r in zip(inside, runs)], target="run_all",
              note="nbclient, cells only; peak includes the kernel; "
                   + ("after the report stored the month results" if stored else "no stored month results found"))
    b.add(row)
    b.add(Row("kernel_start", "  kernel start (not part of Run All)",
              seconds=measure.median([x["kernel_start_s"] for x in inside]),
              runs=[{"seconds": x["kernel_start_s"]} for x in inside], sub=True))


def step_make_report(b: Bench) -> None:
    copy = b.work / "fresh-clone"
    runs = b.repeat("make report on the sample",
                    lambda i: ["make", "-s", "-C", copy, "-o", "install", "report", f"BIN={BIN}"],
                    before=lambda i: benchdata.repo_copy(copy))
    pages = sorted(copy.glob("reports/*/index.html"))
    b.add(from_runs("make_report", "make report on the bundled sample (fresh copy, cold)", runs,
                    target="make_report", checks={"report written": bool(pages)},
                    note="tracked files copied, no build/ or reports/; this .venv (make -o install BIN=…)"))


# -- Spark local vs DuckDB ----------------------------------------------------------------------------
# `findings --engine spark` and `report --engine spark` read b.source in place (no database) with pyspark in
# local mode. Each cold run gets a fresh --results folder (stored month results are keyed by the data's
# fingerprint: with them a run does not start Spark) and a fresh --temp-dir (spark.local.dir and the JVM's
# log). No bar (targets.TARGETS has none): the rows are measured and shown, with the ratio to DuckDB.

def spark_unavailable() -> str | None:
    """Why `--engine spark` cannot run here (None when it can): pyspark not installed in this environment,
    no Java, or a Java older than pyspark 4 needs (17)."""
    if importlib.util.find_spec("pyspark") is None:
        return f"pyspark is not installed in {sys.prefix} (pip install 'gdpr-analytics[spark]')"
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        return ("Java is not installed (" + (f"JAVA_HOME={home} has no bin/java" if home else "no java on PATH")
                + "; Spark's local mode needs Java 17 or later, e.g. openjdk-17-jre-headless)")
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{java} -version failed: {exc}"
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if out.returncode != 0 or not m:
        return f"{java} -version failed (exit status {out.returncode})"
    major = int(m.group(1)) if m.group(1) != "1" else int(m.group(2) or 0)  # "1.8.0" is Java 8
    if major < 17:
        return f"{java} is Java {major}: pyspark 4 needs Java 17 or later"
    return None


def spark_threads() -> int:
    """N of the engine's local[N]: the resources' threads (GDPR_ANALYTICS_THREADS, else one per core)."""
    try:
        from gdpr_analytics.core import resources

        return resources.current().threads
    except Exception:  # noqa: BLE001 - an older package or a bad setting: the engine's own default
        return os.cpu_count() or 1


def spark_env() -> dict[str, str]:
    """The measured command's environment without SPARK_REMOTE: the rows are of local mode."""
    env = measure.clean_env()
    env.pop("SPARK_REMOTE", None)
    return env


def spark_cmd(b: Bench, command: str, results: Path, temp: Path, *extra) -> list:
    return [CLI, command, "--engine", "spark", "--source", b.source, "--month", b.month,
            "--results", results, "--temp-dir", temp, *extra]


def spark_not_measured(b: Bench, rows: list[tuple[str, str]], why: str) -> None:
    for row_id, figure in rows:
        b.add(Row(row_id, figure, status="skipped", note=f"not measured: {why}"))
    raise StepSkipped(f"Spark rows not measured: {why}")


def _jvm(runs: list[measure.Run]) -> list[bool]:
    return ["java" in r.processes for r in runs]


def step_spark(b: Bench) -> None:
    label = f"spark local[{spark_threads()}]"
    cold_id, warm_id = "spark_findings_cold", "spark_findings_warm"
    figures = [(cold_id, f"findings {b.month}, {label}, cold: from the source, no stored results"),
               (warm_id, f"findings {b.month}, {label}, warm: stored results, Spark not started")]
    b.figures.update(figures)
    why = b.spark_why() or (None if b.source else "no source: the generation did not run")
    if why:
        spark_not_measured(b, figures, why)
    # DuckDB's way from the same source: a full load, then findings on the database (the medians above)
    load, duck_after = b.row("load_full"), b.row("findings")
    duck = None
    if load and duck_after:
        duck = b.add(Row("duckdb_from_source", f"DuckDB from the source: full load + findings {b.month}",
                         seconds=load.seconds + duck_after.seconds, peak_mb=max(load.peak_mb, duck_after.peak_mb),
                         note="the medians of 'full load' (which computes the month's results) and 'findings' "
                              "after it added (two processes, one after the other: the peak is the larger)"))
    if b.findings_csv is None and b.db.is_file():
        benchdata.remove(results_store(b.db))
        b.findings_csv = b.once("check: DuckDB findings", [CLI, "findings", "--db", b.db, "--month", b.month]).stdout
    results, temp = b.work / "spark-results", b.work / "spark-temp"

    def fresh(i: int) -> None:
        benchdata.remove(results)
        benchdata.remove(temp)

    env = spark_env()
    cmd = lambda i: spark_cmd(b, "findings", results, temp)  # noqa: E731
    cold = measure.repeat(b.spark_reps, cmd, label="spark findings cold", logs=b.logs, log=b.log, before=fresh, env=env)
    stored = results.is_dir() and any(results.iterdir())
    warm = measure.repeat(b.spark_reps, cmd, label="spark findings warm", logs=b.logs, log=b.log, env=env)
    out = cold[-1].stdout.read_bytes()
    same_warm = out == warm[-1].stdout.read_bytes()
    checks = {"cold and warm output identical": same_warm, f"month results stored in {results.name}": stored}
    vs_duck = ""
    if b.findings_csv is not None:
        same = out == b.findings_csv.read_bytes()
        checks["findings identical to DuckDB's"] = same
        vs_duck = ("findings byte-identical to DuckDB's" if same else
                   f"findings DIFFER from DuckDB's: compare {cold[-1].stdout} and {b.findings_csv}") + "; "
    memory = spark_memory()
    row = from_runs(cold_id, figures[0][1], cold,
                    checks={**checks, "a JVM ran (in the peak)": all(_jvm(cold))},
                    note=vs_duck + f"whole process: JVM start, reading and checking the Parquet source in place, "
                    f"the month's rules; a fresh --results and --temp-dir each run; {memory}; peak includes the "
                    "JVM and its Python workers" + ("" if duck else "; no DuckDB comparison: load or findings "
                                                    "not measured"))
    if duck:
        row.vs_duckdb, row.vs_what = row.seconds / duck.seconds, "DuckDB load+findings"
    b.add(row)
    row = from_runs(warm_id, figures[1][1], warm, checks={**checks, "no JVM started": not any(_jvm(warm))},
                    note="the same command again: the stored month results (keyed by the data's fingerprint, "
                         "the source's files hashed) are read without starting Spark"
                    + ("" if not any(_jvm(warm)) else "; a JVM STARTED: the stored results were not used"))
    if duck_after:
        row.vs_duckdb, row.vs_what = row.seconds / duck_after.seconds, "DuckDB findings after load"
    b.add(row)


def spark_memory() -> str:
    """What bounds the JVM: spark.driver.memory from the resources' memory limit (spark_engine.local_session)."""
    try:
        from gdpr_analytics.core import resources

        limit = resources.current().memory_limit
    except Exception:  # noqa: BLE001
        return "spark.driver.memory from --memory-limit"
    return f"spark.driver.memory {limit.lower().replace('ib', '').replace('b', '')} (--memory-limit {limit})"


def step_spark_report(b: Bench) -> None:
    label = f"spark local[{spark_threads()}]"
    figure = f"full report {b.month}, {label}, cold"
    b.figures["spark_report"] = figure
    why = b.spark_why() or (None if b.source else "no source: the generation did not run")
    if why:
        spark_not_measured(b, [("spark_report", figure)], why)
    outs = [b.work / f"spark-report-{i + 1}" for i in range(b.spark_reps)]
    results, temp = b.work / "spark-report-results", b.work / "spark-temp"

    def before(i: int) -> None:
        for p in (results, temp, outs[i]):
            benchdata.remove(p)

    runs = measure.repeat(b.spark_reps, lambda i: spark_cmd(b, "report", results, temp, "--out", outs[i]),
                          label="spark report", logs=b.logs, log=b.log, before=before, env=spark_env())
    mine = outs[-1] / b.month / "findings.csv"
    theirs = b.work / "report-1" / b.month / "findings.csv"  # DuckDB's report (step_report), else its findings
    theirs = theirs if theirs.is_file() else b.findings_csv
    checks = {"report written": (outs[-1] / b.month / "index.html").is_file()}
    note = ""
    if theirs is not None and mine.is_file():
        checks["findings.csv identical to DuckDB's"] = mine.read_bytes() == theirs.read_bytes()
        note = ("findings.csv byte-identical to DuckDB's" if checks["findings.csv identical to DuckDB's"] else
                f"findings.csv DIFFERS from DuckDB's: compare {mine} and {theirs}") + "; "
    row = from_runs("spark_report", figure, runs, checks=checks,
                    note=note + "from the source in place: a fresh --results, --temp-dir and --out each run; "
                    "peak includes the JVM, its Python workers and the notebooks' kernels")
    load, duck = b.row("load_full"), b.row("report")
    if load and duck:
        row.vs_duckdb, row.vs_what = row.seconds / (load.seconds + duck.seconds), "DuckDB load+report"
    b.add(row)


#: (step, function, the table rows that carry its bars: shown failed or skipped when the step is)
def step_access(b: Bench) -> None:
    """Art. 15 access packs after `load`: one subject (the one with the most consultations, the worst case),
    and every access request open at the month's end (one pass over the log for all of them)."""
    b.need_db()
    from gdpr_analytics.engines.duckdb import DuckDBEngine

    with DuckDBEngine(b.db) as engine:
        row = engine.query("SELECT customer_id, count(*) AS n FROM access_log WHERE customer_id IS NOT NULL "
                           "GROUP BY customer_id ORDER BY n DESC, customer_id LIMIT 1")
    if row.empty:
        raise StepSkipped("no access event names a customer")
    subject = str(row["customer_id"].iloc[0])
    one_out, all_out = b.work / "packs-one", b.work / "packs-requests"
    one = b.repeat("access pack, one subject", lambda i: [CLI, "access-pack", "--db", b.db, "--subject", subject,
                                                          "--out", one_out],
                   before=lambda i: benchdata.remove(one_out))
    b.add(from_runs("access_one", f"access-pack --subject {subject} (most consultations)", one,
                    target="access_one", note="whole process after `load`: the subject's rows, Art. 15 "
                    "information, every consultation and table operation, written owner-only"))
    runs = b.repeat("access packs, open requests", lambda i: [CLI, "access-pack", "--db", b.db, "--requests",
                                                              b.month, "--out", all_out],
                    before=lambda i: benchdata.remove(all_out))
    packs = len([p for p in all_out.iterdir() if p.is_dir() and not p.name.startswith(".")]) if all_out.is_dir() else 0
    row = from_runs("access_requests", f"access-pack --requests {b.month} ({packs} packs)", runs,
                    target="access_requests",
                    note="packs per second after the first: (packs - 1) / (this time - one pack's time)"
                    + ("" if packs >= 2 else "; fewer than 2 open access requests at this size: no rate"))
    one_s = measure.median([r.seconds for r in one])
    if packs >= 2 and row.seconds > one_s:
        row.rate = (packs - 1) / (row.seconds - one_s)
    elif packs >= 2:
        row.rate = float("inf")
    b.add(row)


STEPS: list[tuple[str, Callable[[Bench], None], tuple[str, ...]]] = [
    ("generation", step_generation, ("generation",)),
    ("load", step_load, ("load_full",)),
    ("append", step_append, ("append",)),
    ("findings", step_findings, ("findings", "findings_cold")),
    ("pandas", step_pandas, ("pandas",)),
    ("report", step_report, ("report",)),
    ("run_all", step_run_all, ("run_all",)),
    ("make_report", step_make_report, ("make_report",)),
    ("access", step_access, ("access_one", "access_requests")),
    ("spark", step_spark, ("spark_findings_cold", "spark_findings_warm")),
    ("spark_report", step_spark_report, ("spark_report",)),
]


# -- output -------------------------------------------------------------------------------------------

def machine() -> dict:
    return {"cores": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "platform": platform.platform(), "python": platform.python_version()}


def _num(value: float | None, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def table(b: Bench, info: dict) -> str:
    head = ("figure", "median s", "peak MB", "bar", "goal", "ratio", "verdict")
    lines = []
    for r in b.rows:
        ratio = (f"{r.ratio:.2f}× floor" if r.ratio is not None else
                 f"pandas / ours {r.speedup:.1f}×" if r.speedup is not None else
                 f"spark / {r.vs_what} {r.vs_duckdb:.1f}×" if r.vs_duckdb is not None else "")
        seconds = {"failed": "FAILED", "skipped": "skipped"}.get(r.status, _num(r.seconds, ".2f"))
        lines.append((r.figure, seconds, _num(r.peak_mb, ",.0f"), r.bar, r.goal, ratio, r.verdict))
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]
    right = {1, 2}

    def fmt(cells) -> str:
        padded = (c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
        return "  ".join(padded).rstrip()

    m, s = info["machine"], info["scale"]
    out = [f"gdpr-analytics benchmark, {info['finished_at']}: {m['cores']} cores, {m['ram_gb']} GiB RAM, "
           f"{m['platform']}, Python {m['python']}",
           f"scale: {s['customers']:,} customers / {s['events']:,} access events / {s['months']} months; "
           f"month {s['month']}; median of {s['reps']} run(s) (Spark rows: {s['spark_reps']}), each a fresh process; "
           "peak MB = largest summed RSS of the process and its children (MB = 10^6 bytes)",
           "", fmt(head), fmt(["-" * w for w in widths]), *map(fmt, lines), ""]
    out += [f"{r.figure.strip()}: {r.note}" for r in b.rows if r.note]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--customers", type=int, default=DEFAULT_SIZE["customers"])
    ap.add_argument("--events", type=int, default=DEFAULT_SIZE["events"])
    ap.add_argument("--months", type=int, default=DEFAULT_SIZE["months"])
    ap.add_argument("--month", help="month to report (default: the newest partition of the access log)")
    ap.add_argument("--reps", type=int, default=3, help="runs per figure (default 3; the median is shown)")
    ap.add_argument("--spark-reps", type=int, default=None,
                    help=f"runs per Spark figure (default: --reps, at most {SPARK_MAX_REPS}; a cold run takes minutes "
                    "at the full size)")
    ap.add_argument("--data", type=Path, help="data folder (default $GDPR_BENCH_DATA, else build/bench)")
    ap.add_argument("--out", type=Path, default=REPO / "build" / "bench" / "results.json", help="results JSON")
    ap.add_argument("--skip", default="", help=f"comma-separated steps to leave out: {', '.join(s[0] for s in STEPS)} "
                    "(generation: only when the data is reused)")
    ap.add_argument("--strict", action="store_true", help="exit 3 when a bar is missed")
    args = ap.parse_args(argv)
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    names = [s[0] for s in STEPS]
    if args.skip - set(names):
        ap.error(f"--skip: unknown step(s) {', '.join(sorted(args.skip - set(names)))}; steps are {', '.join(names)}")
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    if args.spark_reps is not None and args.spark_reps < 1:
        ap.error("--spark-reps must be at least 1")

    b = Bench(args)
    started = datetime.now(timezone.utc)
    benchdata.remove(b.work)
    b.work.mkdir(parents=True)
    failed = False
    for name, step, row_ids in STEPS:
        t0 = time.perf_counter()
        status, note = "ok", ""
        b.log.line(f"== {name}")
        try:
            if name in args.skip and name != "generation":
                raise StepSkipped("left out (--skip)")
            step(b)
        except StepSkipped as exc:
            status, note = "skipped", str(exc)
        except (Exception, SystemExit) as exc:  # a failed step is a row of the table; the others still run
            failed = True
            status, note = "failed", " ".join(f"{type(exc).__name__}: {exc}".split())[:400]
        done = {r.id for r in b.rows}
        for row_id in row_ids:  # every bar has its row, measured or not
            if row_id not in done:
                b.add(Row(row_id, b.figures.get(row_id, f"{row_id} ({name} step)"),
                          status=status if status != "ok" else "failed",
                          target=row_id, note=note or "the step did not produce this row"))
        b.log.line(f"== {name}: {status}, {time.perf_counter() - t0:.1f} s" + (f": {note}" if note else ""))
        if name == "generation" and status == "failed":
            break

    info = {"schema": SCHEMA, "started_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
            "scale": {"customers": args.customers, "events": args.events, "months": args.months, "month": b.month,
                      "reps": args.reps, "spark_reps": b.spark_reps},
            "memory": "summed RSS of the process and all its descendants, sampled every 20 ms (psutil); "
                      "peak_mb is the largest over the runs, MB = 10^6 bytes",
            "data": b.data, "work": str(b.work),
            "targets": {k: {"bar": t.bar, "goal": t.goal} for k, t in targets.TARGETS.items()}}
    text = table(b, info)
    print(text)
    result = {**info, "rows": [asdict(r) for r in b.rows],
              "checks": {f"{r.id}: {name}": ok for r in b.rows for name, ok in r.checks.items()},
              "table": text}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    b.log.line(f"results written to {args.out}")
    if failed:
        return 1
    if args.strict and any(r.verdict in ("✗", "?") for r in b.rows):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
