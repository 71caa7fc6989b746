"""The findings of a month as CSV (findings.csv, `findings --format csv`) and JSON."""

from __future__ import annotations

from typing import IO, Any

import pandas as pd

from .. import __version__
from ..analysis.context import MonthContext
from ..analysis.rules import Findings
from ..core.csvfile import csv_text, format_value
from ..core.instants import format_instant


def findings_csv(result: Findings) -> str:
    """The exact text of findings.csv: the six SPEC §6 columns, sorted by rule_id, subject_id."""
    return csv_text(result.findings)


def write_findings_csv(result: Findings, fh: IO[str]) -> None:
    fh.write(findings_csv(result))


def findings_json(result: Findings, ctx: MonthContext, tables: dict[str, Any] | None = None,
                  data_end: str | None = None, data_start: str | None = None,
                  after_data_end: list[dict] | None = None, assessed_with_gaps: list[dict] | None = None
                  ) -> dict[str, Any]:
    """The findings as JSON: `policy` the version in force at the month's last instant, `policy_versions`
    every version the month was judged by; `tables`: every table, present or not, with its rows (a present
    table with 0 rows says so); `after_data_end`: instants after the data end per table and column;
    `assessed_with_gaps`: the rules judged on a log with missing or thin days (analysis/ledger.py)."""
    policy = ctx.policy
    rows = [{k: (format_value(v) if k == "occurred_at" else (None if pd.isna(v) else v))
             for k, v in rec.items()} for rec in result.findings.to_dict("records")]
    return {
        "month": result.month.label,
        "period_start": format_instant(result.month.period_start),
        "as_of": format_instant(result.month.as_of),
        "parameters": result.params.as_dict(),
        "policy": {"path": str(policy.path), "version": policy.version, "sha256": policy.sha256},
        "policy_versions": ctx.policy_versions(),
        "tool_version": __version__,
        "data_start": data_start,
        "data_end": data_end,
        "after_data_end": after_data_end or [],
        "tables": tables or {},
        "not_assessed": result.not_assessed,
        "assessed_with_gaps": assessed_with_gaps or [],
        "findings": rows,
    }
