"""The findings of a month as CSV (findings.csv, `findings --format csv`) and JSON.

From the frame just computed (`findings_csv`, `findings_json`), or straight from the stored month
(`stored_findings_csv`, `stored_findings_json`: the same text, read without pandas, which the `findings`
command spares itself when the month was computed before)."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from .. import __version__
from ..analysis.context import MonthContext
from ..analysis.results import FINDINGS, StoredMonth
from ..analysis.store import read_rows
from ..core.csvfile import csv_text, parquet_csv_text
from ..core.instants import format_instant
from ..core.month import Month
from ..core.parameters import Parameters

if TYPE_CHECKING:
    from ..analysis.rules import Findings


def findings_csv(result: Findings) -> str:
    """The exact text of findings.csv: the six SPEC §6 columns, sorted by rule_id, subject_id."""
    return csv_text(result.findings)


def write_findings_csv(result: Findings, fh: IO[str]) -> None:
    fh.write(findings_csv(result))


def stored_findings_csv(stored: StoredMonth, con=None) -> str:
    """`findings_csv` of the stored month's findings, formatted from their Parquet file (through the frame
    only for a column that way does not format as the frame's writer does); `con`: a DuckDB connection to
    read with (closed here; Engine.reader)."""
    text = parquet_csv_text(stored.frame_file(FINDINGS), con)
    if text is None:
        from ..analysis.store import read

        text = csv_text(read(stored.folder, [FINDINGS])[1][FINDINGS])
    return text


def findings_json(result: Findings, ctx: MonthContext, tables: dict[str, Any] | None = None,
                  data_end: str | None = None, data_start: str | None = None,
                  after_data_end: list[dict] | None = None, assessed_with_gaps: list[dict] | None = None
                  ) -> dict[str, Any]:
    """The findings as JSON: `policy` the version in force at the month's last instant, `policy_versions`
    every version the month was judged by; `tables`: every table, present or not, with its rows (a present
    table with 0 rows says so); `after_data_end`: instants after the data end per table and column;
    `assessed_with_gaps`: the rules judged on a log with missing or thin days (analysis/ledger.py)."""
    import pandas as pd

    from ..core.csvfile import format_value

    rows = [{k: (format_value(v) if k == "occurred_at" else (None if pd.isna(v) else v))
             for k, v in rec.items()} for rec in result.findings.to_dict("records")]
    return _document(result.month, result.params, result.not_assessed, rows, ctx, tables, data_end, data_start,
                     after_data_end, assessed_with_gaps)


def stored_findings_json(stored: StoredMonth, ctx: MonthContext, con=None) -> dict[str, Any]:
    """`findings_json` of the stored month, from its meta.json and the findings' Parquet file (`con` as for
    stored_findings_csv)."""
    columns, values = read_rows(stored.folder, FINDINGS, con)
    names = [c for c, _ in columns]
    rows = [{k: (("" if v is None else format_instant(v)) if k == "occurred_at" else v) for k, v in zip(names, r)}
            for r in values]
    meta = stored.meta
    return _document(ctx.month, ctx.params, [dict(d) for d in meta["not_assessed"]], rows, ctx, meta["tables"],
                     meta["data_end"], meta.get("data_start"), meta.get("after_data_end", []),
                     [dict(g) for g in meta.get("assessed_with_gaps", [])])


def _document(month: Month, params: Parameters, not_assessed: list[dict], rows: list[dict], ctx: MonthContext,
              tables: dict[str, Any] | None, data_end: str | None, data_start: str | None,
              after_data_end: list[dict] | None, assessed_with_gaps: list[dict] | None) -> dict[str, Any]:
    policy = ctx.policy
    return {
        "month": month.label,
        "period_start": format_instant(month.period_start),
        "as_of": format_instant(month.as_of),
        "parameters": params.as_dict(),
        "policy": {"path": str(policy.path), "version": policy.version, "sha256": policy.sha256},
        "policy_versions": ctx.policy_versions(),
        "tool_version": __version__,
        "data_start": data_start,
        "data_end": data_end,
        "after_data_end": after_data_end or [],
        "tables": tables or {},
        "not_assessed": not_assessed,
        "assessed_with_gaps": assessed_with_gaps or [],
        "findings": rows,
    }
