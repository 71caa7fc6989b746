"""index.html of a month's report: the verdict first, then findings by severity and rule (each linked to
its evidence on its page), key figures, pages, files, the analysts' notebooks apart, and provenance last.

Rendered from the Jinja2 templates in templates/site/ with autoescape on: Python passes plain values
(processor names, ticket ids, file names may hold markup: they are escaped by the template), never HTML.
No local absolute path reaches the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from ..analysis.ledger import gap_sentences
from ..analysis.rules import SEVERITIES
from ..core.words import plural
from ..policy.register import DOCUMENTED, INCOMPLETE, NOT_APPLICABLE, STATED, STATES

#: The id of the element holding a rule's evidence on its page (notebook.Page.evidence writes it; the
#: index links to it, and pages.evidence_ids finds it in an exported page).
EVIDENCE_ID = "evidence-{rule_id}"

TEMPLATES = Path(__file__).resolve().parent / "templates" / "site"


@dataclass
class Link:
    target: str  # relative path inside the month folder, with an optional #fragment
    label: str
    description: str = ""

    @property
    def href(self) -> str:
        path, _, fragment = self.target.partition("#")
        return quote(path, safe="/") + (f"#{quote(fragment, safe='-_.')}" if fragment else "")


@dataclass
class IndexData:
    month: str
    previous_month: str
    period_start: str
    as_of: str
    generated_at: str
    parameters: dict[str, Any]
    policy: dict[str, Any]  # name, version, sha256
    inputs: list[dict[str, Any]]  # table, file, rows, sha256
    loaded_at: str
    versions: dict[str, str]
    rules: list[dict[str, Any]]  # rule_id, title, severity (catalogue order)
    findings: pd.DataFrame  # the six SPEC columns
    not_assessed: list[dict[str, str]]  # rule_id, reason
    status_counts: dict[str, dict[str, int]]
    status_note: str
    baseline: str | None  # the previous month compared against, or None
    cross_border: pd.DataFrame | None  # cross_border.csv columns; None: the access log does not cover the month
    transfer_countries: list[str]  # third countries the policy declares (e.g. IN)
    policy_versions: list[dict[str, Any]] = field(default_factory=list)  # MonthContext.policy_versions()
    completeness: pd.DataFrame | None = None  # register.completeness: field x activity
    data_map: pd.DataFrame | None = None  # register.data_map: the data's tables and channels, declared
    controller_evidence: dict | None = None  # policy.evidence.Evidence.describe(): file, id, example, sha256
    uncovered: dict[str, str] = field(default_factory=dict)  # event table -> why it does not cover the month
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # coverage.table_states
    data_end: str = ""
    data_start: str = ""
    after_data_end: list[dict[str, Any]] = field(default_factory=list)  # coverage: instants after the data end
    assessed_with_gaps: list[dict[str, Any]] = field(default_factory=list)  # ledger.assessed_with_gaps
    known_gaps: list[dict[str, Any]] = field(default_factory=list)  # the gaps source.yml declares
    ignored: list[dict[str, Any]] = field(default_factory=list)  # entries of the source that are not tables
    evidence: dict[str, str] = field(default_factory=dict)  # rule_id -> page#anchor
    pages: list[Link] = field(default_factory=list)
    files: list[Link] = field(default_factory=list)
    notebooks: list[Link] = field(default_factory=list)


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda n: "—" if n is None else f"{int(n):,}"
    env.filters["plural"] = plural
    return env


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def rule_rows(data: IndexData) -> list[dict[str, Any]]:
    """Every rule of the catalogue (and any rule found but not in it), by severity then rule id."""
    skipped = {r["rule_id"]: r.get("reason", "") for r in data.not_assessed}
    counts = data.findings["rule_id"].value_counts()
    known = {r["rule_id"]: r for r in data.rules}
    for rid in sorted(set(counts.index) | set(data.status_counts)):
        if rid not in known:
            sev = data.findings.loc[data.findings["rule_id"] == rid, "severity"]
            known[rid] = {"rule_id": rid, "title": "", "severity": sev.iloc[0] if len(sev) else ""}
    order = {s: i for i, s in enumerate(SEVERITIES)}
    rows = []
    for r in sorted(known.values(), key=lambda r: (order.get(r["severity"], len(order)), r["rule_id"])):
        rid, st = r["rule_id"], data.status_counts.get(r["rule_id"], {})
        rows.append({
            "rule_id": rid, "title": r.get("title", ""), "severity": r["severity"], "assessed": rid not in skipped,
            "reason": skipped.get(rid, ""), "findings": int(counts.get(rid, 0)), "new": st.get("new", 0),
            "persisting": st.get("persisting", 0), "resolved": st.get("resolved", 0),
            "not_reassessed": st.get("not_reassessed", 0),
            "href": Link(data.evidence[rid], rid).href if rid in data.evidence else None,
        })
    return rows


def verdict(data: IndexData, rows: list[dict[str, Any]]) -> list[str]:
    """The page's first paragraph, sentence by sentence: high-severity findings, new and resolved,
    the other severities, and what could not be assessed and why."""
    assessed = [r for r in rows if r["assessed"]]
    by_sev = {s: [r for r in assessed if r["severity"] == s] for s in SEVERITIES}
    high = sum(r["findings"] for r in by_sev["high"])
    high_rules = [r["rule_id"] for r in by_sev["high"] if r["findings"]]
    new_high = sum(r["new"] for r in by_sev["high"])
    resolved = sum(r["resolved"] for r in rows)
    out = []
    if high:
        out.append(f"{data.month}: {_plural(high, 'high-severity finding')} under {_plural(len(high_rules), 'rule')} "
                   f"({', '.join(high_rules)}).")
    else:
        out.append(f"{data.month}: no high-severity finding.")
    if data.baseline:
        out.append(f"Against {data.baseline}: {_plural(new_high, 'new high-severity finding')}, "
                   f"{_plural(sum(r['new'] for r in rows), 'new finding')} in all, "
                   f"{_plural(resolved, 'finding')} resolved.")
    else:
        out.append(f"No {data.previous_month} report in this folder: every finding counts as new.")
    others = [f"{_plural(sum(r['findings'] for r in by_sev[s]), s + '-severity finding')}" for s in SEVERITIES[1:]]
    out.append(f"Also {' and '.join(others)}.")
    empty = [name for name, t in data.tables.items() if t["present"] and not t["rows"]]
    if empty:
        out.append(f"Present with 0 rows, and assessed (nothing in them to find): {', '.join(empty)}.")
    skipped = [r for r in rows if not r["assessed"]]
    if skipped:
        out.append("Not assessed: " + "; ".join(f"{r['rule_id']} ({r['reason']})" for r in skipped)
                   + ". A rule not assessed is not evidence that nothing was found.")
    if data.assessed_with_gaps:
        out.append("Assessed with gaps: " + ". ".join(gap_sentences(data.assessed_with_gaps))
                   + ". A rule's verdict covers only the days the logs hold: a clean result is not evidence for "
                     "the days they miss.")
    elif not skipped:
        out.append("Every rule was assessed.")
    return out


def figures(data: IndexData) -> list[dict[str, Any]]:
    out = []
    cb = data.cross_border
    if cb is None:
        why = data.uncovered.get("access_log", "the access log does not cover the month")
        out.append({"label": "Third-country access share", "value": "not assessed", "explanation": why})
    else:
        out += _access_figures(data, cb)
    skipped = {r["rule_id"] for r in data.not_assessed}
    ret = int((data.findings["rule_id"] == "RET-001").sum())
    out.append({"label": "Customers past retention (RET-001)",
                "value": "not assessed" if "RET-001" in skipped else f"{ret:,}",
                "explanation": "customers with orders, not erased, more than the retention period after their "
                               "last order"})
    sev = data.findings["severity"].value_counts()
    out.append({"label": "Findings by severity", "severities": [(s, int(sev.get(s, 0))) for s in SEVERITIES],
                "explanation": f"{len(data.findings):,} findings in all"})
    return out


def _access_figures(data: IndexData, cb: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    total = int(cb["events"].sum()) if len(cb) else 0
    third = int(cb.loc[cb["third_country"].fillna(False).astype(bool), "events"].sum()) if len(cb) else 0
    if total:
        out.append({"label": "Third-country access share", "value": f"{third / total:.1%}",
                    "explanation": f"{third:,} of {total:,} access events in {data.month} came from outside the EEA"})
    else:
        out.append({"label": "Third-country access share", "value": "—",
                    "explanation": f"no access events in {data.month}"})
    for country in data.transfer_countries:
        rows = cb[cb["source_country"] == country]
        by = rows.groupby("processor")["events"].sum().sort_values(ascending=False)
        detail = ", ".join(f"{p if len(p) <= 40 else p[:39] + '…'} {int(v):,}" for p, v in by.items())
        out.append({"label": f"Access events from {country}", "value": f"{int(rows['events'].sum()):,}",
                    "explanation": f"by processor: {detail}" if detail else "none this month"})
    return out


def completeness(data: IndexData) -> dict[str, Any] | None:
    """The Art. 30 record's completeness: a sentence and the field x activity table, as plain values."""
    df = data.completeness
    if df is None:
        return None
    activities = list(df.columns[2:])
    cells = df[activities]
    n = {s: int((cells == s).sum().sum()) for s in STATES}
    total = sum(n.values())
    todo = n[INCOMPLETE]
    fields = int((cells == INCOMPLETE).any(axis=1).sum())
    states = (f"of {total:,} entries (activity × Art. 30 field), {n[STATED]:,} are stated in the privacy notice, "
              f"{n[DOCUMENTED]:,} documented internally by the controller, {n[NOT_APPLICABLE]:,} not applicable and "
              f"{todo:,} to complete")
    summary = (f"Every Art. 30 field of every activity is stated, documented or not applicable: {states}."
               if not todo else f"Not complete: {states} (in {plural(fields, 'field')} of {len(df)}).")
    unmapped = [] if data.data_map is None else \
        [f"{r['kind']} {r['item']}" for r in data.data_map.to_dict("records") if r["state"] == INCOMPLETE]
    if unmapped:
        summary += (f" The data holds {plural(len(unmapped), 'table or channel', 'tables or channels')} no activity "
                    f"declares ({', '.join(unmapped)}): to complete.")
    return {"summary": summary, "activities": activities, "rows": df.to_dict("records"),
            "columns": list(df.columns[:2]), "complete": not todo and not unmapped}


def render(data: IndexData) -> str:
    rows = rule_rows(data)
    return environment().get_template("month_index.html.j2").render(
        month=data.month, period_start=data.period_start, as_of=data.as_of, generated_at=data.generated_at,
        parameters=data.parameters, policy=data.policy, inputs=data.inputs, loaded_at=data.loaded_at,
        versions=data.versions, tool_version=data.versions.get("gdpr-analytics", ""),
        verdict=verdict(data, rows), has_high=any(r["severity"] == "high" and r["findings"] for r in rows),
        rules=rows, figures=figures(data), status_note=data.status_note,
        pages=data.pages, files=data.files, notebooks=data.notebooks, completeness=completeness(data),
        controller_evidence=data.controller_evidence,
        policy_versions=data.policy_versions, data_end=data.data_end, ignored=data.ignored,
        data_start=data.data_start, after_data_end=data.after_data_end, known_gaps=data.known_gaps,
        tables=[{"name": name, "state": state} for name, state in _table_states(data.tables)],
    )


def _table_states(tables: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    return [(name, f"{t['rows']:,} rows" if t["present"] and t["rows"] else
             "present, 0 rows" if t["present"] else "absent from the source") for name, t in tables.items()]
