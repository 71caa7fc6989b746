"""`gdpr-analytics findings`: one month's findings on stdout (CSV or JSON), read from the month results
(computed once and stored; the report and the notebooks read the same)."""

from __future__ import annotations

import argparse
import json
import sys

from ..analysis.context import Coverage, MonthContext
from ..analysis.ledger import gap_lines
from ..analysis.results import FINDINGS, month_results
from ..core.month import Month
from ..engines.factory import opened
from ..policy.history import load_history
from ..report.findings import findings_json, write_findings_csv
from .options import engine_options, parameters


def run(args: argparse.Namespace) -> None:
    latest = args.month.strip().lower() == "latest"
    month, history = None if latest else Month.parse(args.month), load_history(args.policy, args.evidence)
    with opened(**engine_options(args)) as engine:
        if latest:
            month = Coverage.of(engine).last_month()
        ctx = MonthContext.build(engine, month, history, **parameters(args))
        res = month_results(engine, ctx, tables=[FINDINGS])
    result, tables = res.findings, res.meta["tables"]
    if args.format == "csv":
        write_findings_csv(result, sys.stdout)
        for item in result.not_assessed:
            print(f"gdpr-analytics: not assessed: {item['rule_id']} ({item['reason']})", file=sys.stderr)
        for line in gap_lines(res.assessed_with_gaps):
            print(f"gdpr-analytics: {line}", file=sys.stderr)
        for name, t in tables.items():
            if t["present"] and not t["rows"]:
                print(f"gdpr-analytics: table {name}: present, 0 rows (assessed: nothing to find)", file=sys.stderr)
    else:
        json.dump(findings_json(result, ctx, tables=tables, data_end=res.meta["data_end"],
                                data_start=res.meta.get("data_start"), after_data_end=res.meta.get("after_data_end", []),
                                assessed_with_gaps=res.assessed_with_gaps), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
