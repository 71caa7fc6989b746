"""The findings of a month as CSV (findings.csv, `findings --format csv`) and JSON."""

from __future__ import annotations

from typing import IO, Any

import pandas as pd

from . import __version__
from .output import csv_text, format_value
from .policy import Policy
from .rules import Findings


def findings_csv(result: Findings) -> str:
    """The exact text of findings.csv: the six SPEC §6 columns, sorted by rule_id, subject_id."""
    return csv_text(result.findings)


def write_findings_csv(result: Findings, fh: IO[str]) -> None:
    fh.write(findings_csv(result))


def findings_json(result: Findings, policy: Policy, history=None, tables: dict[str, Any] | None = None,
                  data_end: str | None = None) -> dict[str, Any]:
    """The findings as JSON; `policy` is the version in force at the month's last instant, and
    `policy_versions` names every version the month was judged by (policy_history.PolicyHistory.used);
    `tables`: every table, present or not, with its rows (a present table with 0 rows says so)."""
    rows = [{k: (format_value(v) if k == "occurred_at" else (None if pd.isna(v) else v))
             for k, v in rec.items()} for rec in result.findings.to_dict("records")]
    return {
        "month": result.month.label,
        "period_start": result.month.period_start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "as_of": result.month.as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "parameters": result.params.as_dict(),
        "policy": {"path": str(policy.path), "version": policy.version, "sha256": policy.sha256},
        "policy_versions": history.used(result.month) if history is not None else [
            {"path": str(policy.path), "file": policy.path.name, "version": policy.version,
             "sha256": policy.sha256}],
        "tool_version": __version__,
        "data_end": data_end,
        "tables": tables or {},
        "not_assessed": result.not_assessed,
        "findings": rows,
    }
