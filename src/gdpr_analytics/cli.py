"""Command line: gdpr-analytics sample | load | findings | report | policy.

The arguments of every command, what each error becomes (the exit status table, `exit_statuses`) and the
help text, which speaks to the person at the terminal: it names README sections, never a module or a
document outside the repository (tests/commands/test_cli.py reads every command's --help). Each command's
work is in commands/.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Sequence

from . import __version__
from .core import resources
from .core.errors import EX_TEMPFAIL, GdprAnalyticsError, Locked, UsageError, one_line
from .core.parameters import options


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
    p.add_argument("--evidence", type=Path, default=None, metavar="FILE",
                   help="the controller's internal evidence beside the notice (contracts, transfer tools, TIAs, "
                        "security measures, assessments), each entry citing its document; example: "
                        "policies/evidence.example.yml")


def _add_rule_parameters(p: argparse.ArgumentParser) -> None:
    """One option per rule parameter (core/parameters.py); not given: the policy's value or the default."""
    for name, text in options():
        p.add_argument("--" + name.replace("_", "-"), type=_positive, default=None, metavar="N", help=text)
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
    g = p.add_argument_group("resources (the defaults keep a command under 4 GB; README: Command line)")
    g.add_argument("--memory-limit", metavar="SIZE", help="memory DuckDB may use, e.g. 2GB (default 2GB, "
                   "or GDPR_ANALYTICS_MEMORY_LIMIT); beyond it, work spills to --temp-dir; with --engine spark "
                   "in local mode, Spark's driver memory")
    g.add_argument("--threads", type=_positive, metavar="N", help="DuckDB threads, or Spark's local[N] (default: "
                   "one per core, or GDPR_ANALYTICS_THREADS)")
    g.add_argument("--temp-dir", type=Path, metavar="DIR", help="where DuckDB (or local Spark) spills (default: "
                   "the system's temporary folder, or GDPR_ANALYTICS_TEMP_DIR)")


def _add_input(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--db", type=Path, metavar="FILE",
                   help="the DuckDB database `gdpr-analytics load` wrote (--engine duckdb only)")
    g.add_argument("--source", type=Path, metavar="DIR",
                   help="a source folder (the export's CSV or Parquet files): loaded into a temporary "
                        "database (duckdb), or read in place (spark)")
    e = p.add_argument_group("engine (README: Beyond one machine)")
    e.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help="duckdb (default): one machine; spark: Apache Spark reads --source in place "
                        "(pip install 'gdpr-analytics[spark]')")
    e.add_argument("--spark-remote", metavar="sc://HOST:PORT", default=None,
                   help="with --engine spark: a Spark Connect server (default SPARK_REMOTE; unset: local mode)")
    e.add_argument("--results", type=Path, metavar="DIR", default=None,
                   help="with --engine spark: where the month results are stored (default <source>.results "
                        "beside the source folder)")


def exit_statuses(*extra: str) -> str:
    """The exit statuses a command can end with, for the end of its --help (README: Command line)."""
    return "\n".join([
        "exit status:",
        "  0   success",
        "  1   the command failed (one line on stderr says why)",
        "  2   bad usage: an argument that is not valid, or a path that does not exist or is not what",
        "      the option needs",
        *extra,
    ])


REPORT_STATUSES = (
    "  3   --fail-on high|new-high|gaps: the report was written and holds (new) high-severity findings,",
    "      or a rule assessed with gaps in the logs",
    "  75  another run holds the lock on --out and did not end within --wait seconds",
    "  (for a range, a failure names the failed month; the months before it stay written)",
)

DESCRIPTION = """Monthly GDPR compliance analytics: load a source folder into a DuckDB database, then print a
month's findings or write the month's report for auditors. README.md explains each command."""


def _command_parser(sub, name: str, help_text: str, *extra_statuses: str) -> argparse.ArgumentParser:
    description = textwrap.fill(help_text[:1].upper() + help_text[1:] + ".", width=100)
    return sub.add_parser(name, help=help_text, description=description, epilog=exit_statuses(*extra_statuses),
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gdpr-analytics", description=DESCRIPTION,
                                     epilog=exit_statuses(*REPORT_STATUSES),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"gdpr-analytics {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = _command_parser(sub, "sample", "generate a realistic sample data set (defaults: the committed sample)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="the folder to write the source files into (created if need be)")
    p.add_argument("--customers", type=_positive, metavar="N", help="number of customers (default 2000)")
    p.add_argument("--events", type=_positive, metavar="N", help="number of access events (default 30000)")
    p.add_argument("--months", type=_positive, metavar="N",
                   help="calendar months of access log, ending with the month of --end (default 13)")
    p.add_argument("--end", type=_date, metavar="YYYY-MM-DD", help="last day of data, YYYY-MM-DD (default 2026-10-31)")
    p.add_argument("--seed", type=int, metavar="N", help="random seed (default 42)")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv",
                   help="the files' format (default csv)")
    _add_resources(p)

    p = _command_parser(sub, "load", "validate a source folder and load it into a DuckDB database "
                                     "(incrementally: only new or changed files are read)")
    p.add_argument("--source", type=Path, required=True, metavar="DIR",
                   help="the source folder: one file or folder per table of the data contract (README: Input data)")
    p.add_argument("--db", type=Path, required=True, metavar="FILE",
                   help="the DuckDB database to create or bring up to date (a failed load leaves it as it was)")
    p.add_argument("--full", action="store_true", help="rebuild the database from every file of the source")
    p.add_argument("--no-month-results", action="store_true",
                   help="do not end by computing the month results of the latest month the data covers "
                        "(computed once, read by findings, report and the notebooks)")
    _add_policy(p)
    _add_resources(p)

    p = _command_parser(sub, "findings", "print the findings of one month (CSV or JSON) to stdout")
    _add_input(p)
    p.add_argument("--month", required=True, help="YYYY-MM, or 'latest' for the last month the data covers")
    p.add_argument("--format", choices=("csv", "json"), default="csv",
                   help="csv: the findings, as findings.csv of the report (default); json: the findings with "
                        "the rules not assessed, the tables, the data end and the policy versions")
    _add_rule_parameters(p)
    _add_resources(p)

    p = _command_parser(sub, "report", "write the monthly report folder <out>/<YYYY-MM>/ (or a range of them)",
                        *REPORT_STATUSES)
    _add_input(p)
    p.add_argument("--month", required=True,
                   help="YYYY-MM, a range YYYY-MM..YYYY-MM (built in order, each against the month before), "
                        "or 'latest' for the latest complete month")
    p.add_argument("--out", type=Path, default=Path("reports"), metavar="DIR",
                   help="the report folder: one <YYYY-MM>/ per month and index.html over every month "
                        "(default reports)")
    p.add_argument("--force", action="store_true",
                   help="rebuild months already built from the same data, policy, parameters and code")
    p.add_argument("--wait", type=_seconds, default=0.0, metavar="SECONDS",
                   help="wait this long for another run on the same --out to end (default 0), then exit 75")
    p.add_argument("--fail-on", choices=("never", "high", "new-high", "gaps"), default="never",
                   help="exit 3 after writing a complete report that holds high-severity (or new "
                        "high-severity) findings, or (gaps) a rule assessed on a log with missing or thin "
                        "days (default never)")
    p.add_argument("--jobs", type=_positive, metavar="N",
                   help="notebooks executed at the same time (default: one per core, at most 4)")
    p.add_argument("--lang", choices=("en", "nl"), default="en",
                   help="the language of the labels of register.xlsx and register.html (default en); the "
                        "values keep the words of the notice and of the evidence")
    _add_rule_parameters(p)
    _add_resources(p)

    p = _command_parser(sub, "access-pack", "answer access requests (GDPR Art. 15): one owner-only folder per "
                                            "subject with the data held, the Art. 15 information and every "
                                            "consultation of their data")
    _add_input(p)
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--subject", action="append", metavar="ID",
                     help="a data subject's pseudonymous customer_id (repeat for several)")
    who.add_argument("--requests", metavar="YYYY-MM",
                     help="one pack for every access request open at that month's end, named by the request")
    p.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="the pack covers everything before that day's first instant, UTC (default: the data end)")
    p.add_argument("--out", type=Path, required=True,
                   help="the folder the packs are written to, one sub-folder each (never inside a report folder)")
    p.add_argument("--with-actors", action="store_true",
                   help="include the staff members' IDs in the consultations (withheld by default, C-579/21)")
    _add_policy(p)
    _add_resources(p)

    p = _command_parser(sub, "policy", "check a policy file or folder of versions, or export it for Fides")
    actions = p.add_subparsers(dest="action", required=True)
    q = _command_parser(actions, "check", "validate a policy (structure, dates, cross-references, fideslang "
                                          "keys) and list its versions")
    _add_policy(q)
    q = _command_parser(actions, "export", "write the policy as a fideslang manifest")
    q.add_argument("--format", choices=("fides",), required=True,
                   help="fides: a fideslang manifest (organization, system, privacy declarations), validated "
                        "with fideslang's own models")
    _add_policy(q)
    q.add_argument("--out", type=Path, default=None, metavar="FILE", help="file to write (default: stdout)")
    q.add_argument("--at", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="export the version in force on this day, YYYY-MM-DD (default: the latest)")
    return parser


def _command(name: str):
    """The command's module, imported only when it runs: `findings` need not import the report's stack."""
    if name == "findings":
        from .commands import findings as command
    elif name == "report":
        from .commands import report as command
    elif name == "load":
        from .commands import load as command
    elif name == "policy":
        from .commands import policy as command
    elif name == "access-pack":
        from .commands import access_pack as command
    else:
        from .commands import sample as command
    return command


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        # policy check|export open no database: they take no resource options
        resources.override(getattr(args, "memory_limit", None), getattr(args, "threads", None),
                           getattr(args, "temp_dir", None))
        return _command(args.command).run(args) or 0
    except Locked as exc:
        print(f"gdpr-analytics: {one_line(exc)}", file=sys.stderr)
        return EX_TEMPFAIL
    except UsageError as exc:
        print(f"gdpr-analytics: error: {one_line(exc)}", file=sys.stderr)
        return 2
    except GdprAnalyticsError as exc:
        print(f"gdpr-analytics: error: {one_line(exc)}", file=sys.stderr)
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
