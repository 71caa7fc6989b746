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
  findings     the scan floor (floor.py), then `findings` cold (no stored month results) and warm
  pandas       RET-001, XB-002, DSR-001 through the package and in pandas (three_rules.py), same answers
  report       `gdpr-analytics report` (cold: no stored results, fresh out folder), per notebook from
               its manifest.json
  run_all      Run All of notebooks/02_retention.ipynb in a running kernel (run_all.py)
  make_report  `make report` on the bundled sample in a fresh copy of the repository

Prints one table (figure, median, peak, bar, goal, ratio, verdict against issue 7's targets in
targets.py) and writes it as JSON (--out). Exit status 1 when a step failed; with --strict, 3 when a
bar was missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
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
                                                             "ratio": self.ratio, "speedup": self.speedup},
                                               all(self.checks.values()))
            else:
                self.verdict = "✗" if self.status == "failed" else "–"
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
    cold = b.repeat("findings cold", cmd, before=lambda i: benchdata.remove(store))
    stored = store.exists()
    warm = b.repeat("findings warm", cmd)
    same = cold[-1].stdout.read_bytes() == warm[-1].stdout.read_bytes()
    for row_id, runs, label in (("findings_cold", cold, "cold: no stored month results"),
                                ("findings_warm", warm, "warm: month results stored")):
        row = from_runs(row_id, f"findings {b.month} ({label})", runs, target=row_id,
                        checks={"cold and warm output identical": same, f"month results stored in {store.name}": stored})
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
# When `findings` and `report` take `--engine spark` (SPEC §9), write step_spark: time
# `findings --engine spark` (and `report --engine spark`) on b.db / b.source for b.month exactly as
# step_findings and step_report do, check that findings.csv is byte-identical to DuckDB's, add rows
# "spark_findings" / "spark_report" with `ratio` = Spark / DuckDB, register it in STEPS below and give it
# a target in targets.TARGETS if the Spark issue sets one.

#: (step, function, the table rows that carry its bars: shown failed or skipped when the step is)
STEPS: list[tuple[str, Callable[[Bench], None], tuple[str, ...]]] = [
    ("generation", step_generation, ("generation",)),
    ("load", step_load, ("load_full",)),
    ("append", step_append, ("append",)),
    ("findings", step_findings, ("findings_cold", "findings_warm")),
    ("pandas", step_pandas, ("pandas",)),
    ("report", step_report, ("report",)),
    ("run_all", step_run_all, ("run_all",)),
    ("make_report", step_make_report, ("make_report",)),
    # ("spark", step_spark, ("spark_findings", "spark_report")),
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
                 f"pandas / ours {r.speedup:.1f}×" if r.speedup is not None else "")
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
           f"month {s['month']}; median of {s['reps']} run(s), each a fresh process; "
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
                b.add(Row(row_id, f"{row_id} ({name} step)", status=status if status != "ok" else "failed",
                          target=row_id, note=note or "the step did not produce this row"))
        b.log.line(f"== {name}: {status}, {time.perf_counter() - t0:.1f} s" + (f": {note}" if note else ""))
        if name == "generation" and status == "failed":
            break

    info = {"schema": SCHEMA, "started_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
            "scale": {"customers": args.customers, "events": args.events, "months": args.months, "month": b.month,
                      "reps": args.reps},
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
