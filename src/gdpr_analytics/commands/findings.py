"""`gdpr-analytics findings`: one month's findings on stdout (CSV or JSON), read from the month results
(computed once and stored; the report and the notebooks read the same).

A month stored already (by `load`, or an earlier command) is printed straight from its files: neither
pandas nor the analysis that computes a month is imported (analysis/results.py). A month not stored yet
is computed and stored first, then printed the same way (from memory when the store cannot be written)."""

from __future__ import annotations

import argparse
import json
import sys

from ..analysis.context import Coverage, MonthContext
from ..analysis.ledger import gap_lines
from ..analysis.results import stored_month
from ..core.month import Month
from ..engines.factory import opened
from ..policy.history import load_history
from ..report.findings import stored_findings_csv, stored_findings_json
from .options import engine_options, parameters


def run(args: argparse.Namespace) -> None:
    latest = args.month.strip().lower() == "latest"
    month, history = None if latest else Month.parse(args.month), load_history(args.policy, args.evidence)
    with opened(**engine_options(args)) as engine:
        if latest:
            month = Coverage.of(engine).last_month()
        ctx = MonthContext.build(engine, month, history, **parameters(args))
        stored = stored_month(engine, ctx)
        if stored is None:
            from ..analysis.results import FINDINGS, month_results  # computing needs the analysis, pandas

            computed = month_results(engine, ctx, tables=[FINDINGS])
            stored = stored_month(engine, ctx)
        if stored is not None:
            meta, gaps = stored.meta, stored.meta.get("assessed_with_gaps", [])
            if args.format == "csv":
                sys.stdout.write(stored_findings_csv(stored, engine.reader()))
            else:
                _json(stored_findings_json(stored, ctx, engine.reader()))
    if stored is None:  # the store cannot be written (a read-only folder): the results computed in memory
        from ..report.findings import findings_csv, findings_json

        meta, gaps = computed.meta, computed.assessed_with_gaps
        if args.format == "csv":
            sys.stdout.write(findings_csv(computed.findings))
        else:
            _json(findings_json(computed.findings, ctx, tables=meta["tables"], data_end=meta["data_end"],
                                data_start=meta.get("data_start"), after_data_end=meta.get("after_data_end", []),
                                assessed_with_gaps=gaps))
    if args.format == "csv":
        for item in meta["not_assessed"]:
            print(f"gdpr-analytics: not assessed: {item['rule_id']} ({item['reason']})", file=sys.stderr)
        for line in gap_lines(gaps):
            print(f"gdpr-analytics: {line}", file=sys.stderr)
        for name, t in meta["tables"].items():
            if t["present"] and not t["rows"]:
                print(f"gdpr-analytics: table {name}: present, 0 rows (assessed: nothing to find)", file=sys.stderr)


def _json(doc: dict) -> None:
    json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
