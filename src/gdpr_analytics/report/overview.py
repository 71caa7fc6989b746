"""`<out>/index.html`: every month folder of an output folder, with its findings per severity, new and
resolved, a link to its index, and the trends across months (findings per rule; high-severity findings,
new and persisting). Read from each month's summary.json; rewritten atomically after every run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__, charts
from ..analysis.rules import SEVERITIES
from ..core.files import atomic_write
from . import summary
from .index import Link, environment
from .pages import plotly_js

INDEX = "index.html"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def month_rows(out: Path) -> list[dict[str, Any]]:
    """One row per month folder (newest first), from its summary.json when it has one."""
    rows = []
    for folder in sorted((p for p in out.iterdir() if p.is_dir() and _MONTH.match(p.name)), reverse=True):
        if not (folder / "index.html").is_file():
            continue
        doc = summary.read(folder)
        row = {"month": folder.name, "href": Link(f"{folder.name}/index.html", folder.name).href, "summary": doc}
        if doc:
            t = doc["totals"]
            row.update(high=t["high"]["findings"], medium=t["medium"]["findings"], low=t["low"]["findings"],
                       new=sum(t[s]["new"] for s in SEVERITIES), resolved=sum(t[s]["resolved"] for s in SEVERITIES),
                       high_new=t["high"]["new"], high_persisting=t["high"]["persisting"],
                       not_assessed=doc["not_assessed"], compared_with=doc["compared_with"],
                       with_gaps=sorted({g["rule_id"] for g in doc.get("assessed_with_gaps", [])}))
        rows.append(row)
    return rows


def _figure_parts(fig) -> dict[str, Any]:
    doc = json.loads(fig.to_json())
    return {"data": doc.get("data", []), "layout": doc.get("layout", {})}


def _charts(rows: list[dict[str, Any]], rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    done = [r for r in reversed(rows) if r["summary"]]  # oldest first
    if not done:
        return []
    per_rule = pd.DataFrame([{"month": r["month"], "rule": rule, "findings": v["findings"]}
                             for r in done for rule, v in r["summary"]["rules"].items()])
    high = pd.DataFrame([{"month": r["month"], "status": status, "findings": r[f"high_{status}"]}
                         for r in done for status in ("new", "persisting")])
    out = []
    fig = charts.lines(per_rule, x="month", color="rule", value="findings", title="Findings per rule",
                       y_title="findings")
    if fig is not None:
        out.append({"id": "chart-rules", "title": "Findings per rule, month by month", **_figure_parts(fig)})
    fig = charts.bar(high, x="month", y="findings", color="status", title="High-severity findings",
                     y_title="findings")
    if fig is not None:
        out.append({"id": "chart-high", "title": "High-severity findings open at each month's end: new and "
                    "persisting", **_figure_parts(fig)})
    return out


def render(out: Path) -> str:
    rows = month_rows(out)
    seen: dict[str, str] = {}
    for r in rows:
        for rule, v in (r["summary"] or {}).get("rules", {}).items():
            seen.setdefault(rule, v["severity"])
    order = {s: i for i, s in enumerate(SEVERITIES)}
    rules = [{"rule_id": rule, "severity": sev,
              "counts": [(r["summary"]["rules"].get(rule, {}).get("findings") if r["summary"] else None) for r in rows]}
             for rule, sev in sorted(seen.items(), key=lambda kv: (order.get(kv[1], 9), kv[0]))]
    latest = next((r for r in rows if r["summary"]), None)
    headline = None
    if latest:
        headline = {"high": latest["high"],
                    "text": f"Latest month {latest['month']}: {latest['high']:,} high-severity findings "
                            f"({latest['high_new']:,} new), {latest['resolved']:,} resolved since "
                            f"{latest['compared_with'] or 'the month before (no report of it here)'}."}
    chart_list = _charts(rows, rules)
    return environment().get_template("overview.html.j2").render(
        months=rows, rules=rules, charts=chart_list, headline=headline,
        plotly_js=plotly_js() if chart_list else "", tool_version=__version__)


def write(out: Path) -> Path:
    """Rewrite <out>/index.html (atomically) from the month folders it holds; left untouched when
    nothing it shows changed (a run that found every month up to date changes no file)."""
    path = Path(out) / INDEX
    text = render(Path(out))
    try:
        if path.read_text(encoding="utf-8") == text:
            return path
    except OSError:
        pass
    with atomic_write(path) as fh:
        fh.write(text)
    return path
