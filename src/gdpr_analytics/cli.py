"""Command line: gdpr-analytics sample | load | findings | report | policy (SPEC §6)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator, Sequence

from . import __version__, resources
from .errors import EX_TEMPFAIL, GdprAnalyticsError, Locked, UsageError
from .month import Month
from .parameters import Parameters


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {n}")
    return n


def _add_policy(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy", type=Path, default=None, metavar="FILE|DIR",
                   help="a policy file, or a folder with one file per version, each with policy.effective_from "
                        "(default policies/mystamp.yml)")


def _add_rule_parameters(p: argparse.ArgumentParser) -> None:
    defaults = Parameters()
    p.add_argument("--retention-years", type=_positive, default=None,
                   help="retention period in years (default: retention.period_years of the policy version in "
                        "force at the month's last instant, policy §7)")
    p.add_argument("--bulk-export-threshold", type=_positive, default=defaults.bulk_export_threshold,
                   help="XB-004: exports of more records than this (default %(default)s)")
    _add_policy(p)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {text}")
    return value


def _add_resources(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("resources (defaults keep a command under 4 GB; see gdpr_analytics.resources)")
    g.add_argument("--memory-limit", metavar="SIZE", help="memory DuckDB may use, e.g. 2GB (default 2GB, "
                   "or GDPR_ANALYTICS_MEMORY_LIMIT); beyond it, work spills to --temp-dir; with --engine spark "
                   "in local mode, Spark's driver memory")
    g.add_argument("--threads", type=_positive, metavar="N", help="DuckDB threads, or Spark's local[N] (default: "
                   "one per core, or GDPR_ANALYTICS_THREADS)")
    g.add_argument("--temp-dir", type=Path, metavar="DIR", help="where DuckDB (or local Spark) spills (default: "
                   "the system's temporary folder, or GDPR_ANALYTICS_TEMP_DIR)")


def _add_input(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--db", type=Path, help="a database written by `gdpr-analytics load` (--engine duckdb only)")
    g.add_argument("--source", type=Path, help="a source folder: loaded into a temporary database (duckdb), "
                                               "or read in place (spark)")
    e = p.add_argument_group("engine (README: Beyond one machine)")
    e.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help="duckdb (default): one machine; spark: Apache Spark reads --source in place "
                        "(pip install 'gdpr-analytics[spark]')")
    e.add_argument("--spark-remote", metavar="sc://HOST:PORT", default=None,
                   help="with --engine spark: a Spark Connect server (default SPARK_REMOTE; unset: local mode)")
    e.add_argument("--results", type=Path, metavar="DIR", default=None,
                   help="with --engine spark: where the month results are stored (default <source>.results "
                        "beside the source folder)")


EXIT_STATUSES = """exit status:
  0   success
  1   the command failed (one line on stderr says why; earlier months of a range stay written)
  2   bad usage (an argument that is not valid)
  3   report --fail-on high|new-high: the report was written and holds (new) high-severity findings
  75  report: another run holds the lock on --out and did not end within --wait seconds"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gdpr-analytics", description=__doc__, epilog=EXIT_STATUSES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"gdpr-analytics {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample", help="generate a realistic sample data set (defaults: the committed sample)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--customers", type=_positive, help="number of customers (default 2000)")
    p.add_argument("--events", type=_positive, help="number of access events")
    p.add_argument("--months", type=_positive, help="calendar months of access log, ending with the month of "
                   "--end (default 13)")
    p.add_argument("--end", type=_date, help="last day of data, YYYY-MM-DD (default 2026-10-31)")
    p.add_argument("--seed", type=int, help="random seed (default 42)")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    _add_resources(p)

    p = sub.add_parser("load", help="validate a source folder and load it into a DuckDB database "
                                    "(incrementally: only new or changed files are read)")
    p.add_argument("--source", type=Path, required=True)
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--full", action="store_true", help="rebuild the database from every file of the source")
    p.add_argument("--no-month-results", action="store_true",
                   help="do not end by computing the month results of the latest month the data covers "
                        "(computed once, read by findings, report and the notebooks)")
    _add_policy(p)
    _add_resources(p)

    p = sub.add_parser("findings", help="print the findings of one month (CSV or JSON) to stdout")
    _add_input(p)
    p.add_argument("--month", required=True, help="YYYY-MM")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    _add_rule_parameters(p)
    _add_resources(p)

    p = sub.add_parser("report", help="write the monthly report folder <out>/<YYYY-MM>/ (or a range of them)",
                       epilog=EXIT_STATUSES, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_input(p)
    p.add_argument("--month", required=True,
                   help="YYYY-MM, a range YYYY-MM..YYYY-MM (built in order, each against the month before), "
                        "or 'latest' for the latest complete month")
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.add_argument("--force", action="store_true",
                   help="rebuild months already built from the same data, policy, parameters and code")
    p.add_argument("--wait", type=_seconds, default=0.0, metavar="SECONDS",
                   help="wait this long for another run on the same --out to end (default 0), then exit 75")
    p.add_argument("--fail-on", choices=("never", "high", "new-high"), default="never",
                   help="exit 3 after writing a complete report that holds high-severity (or new "
                        "high-severity) findings (default never)")
    p.add_argument("--jobs", type=_positive, metavar="N",
                   help="notebooks executed at the same time (default: one per core, at most 4)")
    _add_rule_parameters(p)
    _add_resources(p)

    p = sub.add_parser("policy", help="check a policy file or folder of versions, or export it for Fides")
    actions = p.add_subparsers(dest="action", required=True)
    q = actions.add_parser("check", help="validate (structure, dates, cross-references, fideslang keys) and "
                                         "list the versions")
    _add_policy(q)
    _add_resources(q)
    q = actions.add_parser("export", help="write the policy as a fideslang manifest")
    q.add_argument("--format", choices=("fides",), required=True)
    _add_policy(q)
    q.add_argument("--out", type=Path, default=None, help="file to write (default: stdout)")
    q.add_argument("--at", type=_date, default=None,
                   help="export the version in force on this day, YYYY-MM-DD (default: the latest)")
    _add_resources(q)
    return parser


def _check_engine(args: argparse.Namespace) -> None:
    """--engine spark reads a source in place: --db (a DuckDB database) is refused, as are the Spark
    options without it. The Spark Connect address goes to the environment, for the report's kernels."""
    if args.engine == "spark":
        if args.db is not None:
            raise UsageError("--engine spark reads a source folder in place: give --source DIR (--db names a "
                             "database written by `gdpr-analytics load`, which only --engine duckdb reads)")
        if args.spark_remote:
            if not args.spark_remote.startswith("sc://"):
                raise UsageError(f"--spark-remote must be sc://HOST:PORT, got {args.spark_remote!r}")
            os.environ["SPARK_REMOTE"] = args.spark_remote
    else:
        given = [o for o, v in (("--spark-remote", args.spark_remote), ("--results", args.results)) if v]
        if given:
            raise UsageError(f"{' and '.join(given)}: only with --engine spark")


@contextmanager
def _spark(args: argparse.Namespace, history=None, month=None):
    from .spark_engine import SparkEngine

    engine = SparkEngine(args.source, history, month, remote=args.spark_remote, results=args.results)
    try:
        yield engine
    finally:
        engine.close()


@contextmanager
def _database(args: argparse.Namespace) -> Iterator[Path]:
    """The database to read: --db as given, or --source loaded into a temporary one."""
    if args.db is not None:
        yield args.db
        return
    from .load import load_to_file

    with tempfile.TemporaryDirectory(prefix="gdpr-analytics-") as tmp:
        db = Path(tmp) / "source.duckdb"
        load_to_file(args.source, db)
        yield db


def _params(args: argparse.Namespace, policy=None) -> Parameters:
    """The rule parameters: --retention-years when given, else the period of `policy` (the version in
    force at the month's last instant)."""
    years = args.retention_years if args.retention_years is not None else \
        (policy.retention_years if policy is not None else Parameters().retention_years)
    return Parameters(retention_years=years, bulk_export_threshold=args.bulk_export_threshold)


def cmd_sample(args: argparse.Namespace) -> None:
    from . import sample

    given = {k: getattr(args, k) for k in ("customers", "events", "months", "end", "seed") if getattr(args, k) is not None}
    counts = sample.generate(args.out, fmt=args.format, **given)
    print(", ".join(f"{t}: {n}" for t, n in counts.items()), file=sys.stderr)


def cmd_load(args: argparse.Namespace) -> None:
    from .load import load_to_file
    from .policy_history import load_history

    history = None if args.no_month_results else load_history(args.policy)
    result = load_to_file(args.source, args.db, full=args.full, history=history)
    print(f"loaded {args.db}: {result.summary()}", file=sys.stderr)


def cmd_findings(args: argparse.Namespace) -> None:
    from .db import connect
    from .findings_output import findings_json, write_findings_csv
    from .policy_history import load_history
    from .results import FINDINGS, month_results

    month, history = Month.parse(args.month), load_history(args.policy)
    history.check_covers(month)
    policy = history.at_month_end(month)
    params = _params(args, policy)
    _check_engine(args)
    if args.engine == "spark":
        with _spark(args, history, month) as engine:
            res = month_results(engine, month, params, policy, engine.store(), tables=[FINDINGS], history=history)
    else:
        with _database(args) as db, connect(db, history, month) as engine:
            res = month_results(engine, month, params, policy, engine.store(), tables=[FINDINGS], history=history)
    result, tables = res.findings, res.meta["tables"]
    if args.format == "csv":
        write_findings_csv(result, sys.stdout)
        for item in result.not_assessed:
            print(f"gdpr-analytics: not assessed: {item['rule_id']} ({item['reason']})", file=sys.stderr)
        for name, t in tables.items():
            if t["present"] and not t["rows"]:
                print(f"gdpr-analytics: table {name}: present, 0 rows (assessed: nothing to find)", file=sys.stderr)
    else:
        json.dump(findings_json(result, policy, history, tables=tables, data_end=res.meta["data_end"]), sys.stdout,
                  indent=2, ensure_ascii=False)
        sys.stdout.write("\n")


def _latest(db: Path | None = None, engine=None) -> Month:
    """--month latest: the last month whose as_of is on or before the data end."""
    from . import coverage
    from .db import connect

    if engine is not None:
        end = coverage.data_end(engine)
    else:
        with connect(db) as opened:
            end = coverage.data_end(opened)
    if end is None:
        raise UsageError("--month latest: the data holds no instant at all, so it covers no month")
    return coverage.last_month(end)


def cmd_report(args: argparse.Namespace) -> int:
    from . import runs
    from .policy_history import load_history

    history = load_history(args.policy)
    wanted = runs.months(args.month)
    _check_engine(args)
    common = dict(out=args.out, params_for=lambda m: _params(args, history.at_month_end(m)), policy_path=args.policy,
                  force=args.force, wait=args.wait, jobs=args.jobs or None,
                  say=lambda line: print(f"gdpr-analytics: {line}", file=sys.stderr))
    if args.engine == "spark":
        with _spark(args, history) as engine:
            done = runs.run(engine=engine, months_to_run=wanted or [_latest(engine=engine)], **common)
    else:
        with _database(args) as db:
            done = runs.run(db=db, months_to_run=wanted or [_latest(db)], **common)
    alerts = runs.alert(done, args.fail_on)
    if alerts:
        what = "high-severity" if args.fail_on == "high" else "new high-severity"
        print(f"gdpr-analytics: {what} findings in {', '.join(alerts)} (--fail-on {args.fail_on})", file=sys.stderr)
        return 3
    return 0


def cmd_policy(args: argparse.Namespace) -> None:
    from .policy_history import load_history

    history = load_history(args.policy)
    if args.action == "check":
        kind = "folder of versions" if history.folder else "one file, in force at every instant"
        print(f"policy {history.source}: valid ({kind}, {len(history.versions)} version(s))")
        for v in history.versions:
            print(f"  {v.path.name}\tversion {v.version}\t{v.in_force_text()}\tSHA-256 {v.sha256}")
        return
    from datetime import datetime

    from . import fides_export

    policy = history.at(datetime(args.at.year, args.at.month, args.at.day)) if args.at else history.latest
    text = fides_export.manifest_yaml(policy)
    if args.out is None:
        sys.stdout.write(text)
    else:
        from .output import atomic_write

        with atomic_write(args.out, "w") as fh:
            fh.write(text)
        print(f"fides manifest written: {args.out} (policy version {policy.version})", file=sys.stderr)


COMMANDS = {"sample": cmd_sample, "load": cmd_load, "findings": cmd_findings, "report": cmd_report,
            "policy": cmd_policy}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        resources.override(args.memory_limit, args.threads, args.temp_dir)
        return COMMANDS[args.command](args) or 0
    except Locked as exc:
        print(f"gdpr-analytics: {' '.join(str(exc).split())}", file=sys.stderr)
        return EX_TEMPFAIL
    except UsageError as exc:
        print(f"gdpr-analytics: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except GdprAnalyticsError as exc:
        print(f"gdpr-analytics: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gdpr-analytics: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader stopped reading (`findings … | head`): what it read is complete, nothing failed;
        # send the rest to /dev/null so that the interpreter's last flush does not complain either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
