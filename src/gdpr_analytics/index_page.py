"""index.html: the month at a glance, for auditors. One self-contained page, no script, no code.

Every value that comes from data, the policy file, the file system or a library is escaped with
html.escape before it reaches the page (processor names, ticket ids, file names may hold markup).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import quote

import pandas as pd

SEVERITIES = ("high", "medium", "low")


def e(value: Any) -> str:
    """Escaped text for the page; missing values as an em dash."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return "&mdash;"
    return html.escape(str(value), quote=True)


def _short(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def href(relative: str) -> str:
    return html.escape(quote(relative, safe="/"), quote=True)


@dataclass
class Link:
    target: str  # relative path inside the month folder
    label: str
    description: str = ""


@dataclass
class IndexData:
    month: str
    period_start: str
    as_of: str
    generated_at: str
    parameters: dict[str, Any]
    policy: dict[str, Any]  # name, path, version, sha256
    inputs: list[dict[str, Any]]  # table, file, rows, sha256
    database: dict[str, Any]  # loaded_at, source, ...
    versions: dict[str, str]
    rules: list[dict[str, Any]]  # rule_id, title, severity, notice, gdpr (catalogue order)
    findings: pd.DataFrame  # the six SPEC columns
    not_assessed: list[dict[str, str]]  # rule_id, reason
    status_counts: dict[str, dict[str, int]]
    status_note: str
    cross_border: pd.DataFrame  # cross_border.csv columns
    transfer_countries: list[str]  # third countries the policy declares (e.g. IN)
    pages: list[Link] = field(default_factory=list)
    files: list[Link] = field(default_factory=list)


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]], cls: str = "", numeric: Iterable[int] = ()) -> str:
    """Rows are already-escaped cells."""
    numeric = set(numeric)
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "\n".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                         for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>'


def headline(data: IndexData) -> list[tuple[str, str, str]]:
    """(figure, value, explanation), all escaped."""
    out = []
    cb = data.cross_border
    total = int(cb["events"].sum()) if len(cb) else 0
    third = int(cb.loc[cb["third_country"].fillna(False).astype(bool), "events"].sum()) if len(cb) else 0
    if total:
        out.append(("Third-country access share", e(f"{third / total:.1%}"),
                    e(f"{third:,} of {total:,} access events in {data.month} came from outside the EEA")))
    else:
        out.append(("Third-country access share", "&mdash;", e(f"no access events in {data.month}")))
    for country in data.transfer_countries:
        rows = cb[cb["source_country"] == country]
        n = int(rows["events"].sum())
        by = rows.groupby("processor")["events"].sum().sort_values(ascending=False)
        detail = ", ".join(f"{_short(p)} {int(v):,}" for p, v in by.items())
        out.append((f"Access events from {e(country)}", e(f"{n:,}"),
                    e(f"by processor: {detail}" if detail else "none this month")))
    skipped = {r["rule_id"] for r in data.not_assessed}
    ret = int((data.findings["rule_id"] == "RET-001").sum())
    out.append(("Customers past retention (RET-001)", "not assessed" if "RET-001" in skipped else e(f"{ret:,}"),
                e("customers with orders, not erased, more than the retention period after their last order")))
    sev = data.findings["severity"].value_counts()
    out.append(("Findings by severity",
                " / ".join(f'<span class="sev sev-{s}">{e(int(sev.get(s, 0)))} {s}</span>' for s in SEVERITIES),
                e(f"{len(data.findings):,} findings in all; new {sum(c.get('new', 0) for c in data.status_counts.values()):,}, "
                  f"resolved since last month {sum(c.get('resolved', 0) for c in data.status_counts.values()):,}")))
    return out


def findings_rows(data: IndexData) -> list[list[str]]:
    skipped = {r["rule_id"]: r.get("reason", "") for r in data.not_assessed}
    counts = data.findings["rule_id"].value_counts()
    rules = list(data.rules)
    known = {r["rule_id"] for r in rules}
    extra = sorted(set(counts.index) | set(data.status_counts))
    for rid in extra:
        if rid not in known:
            sev = data.findings.loc[data.findings["rule_id"] == rid, "severity"]
            rules.append({"rule_id": rid, "title": "", "severity": sev.iloc[0] if len(sev) else ""})
    rows = []
    for r in rules:
        rid = r["rule_id"]
        st = data.status_counts.get(rid, {})
        sev = e(r.get("severity", ""))
        cells = [e(rid), e(r.get("title", "")), f'<span class="sev sev-{sev}">{sev}</span>']
        if rid in skipped:
            cells += ['<span class="na">not assessed</span>', "&mdash;", "&mdash;", "&mdash;",
                      e(st.get("not_reassessed", 0))]
        else:
            cells += [e(int(counts.get(rid, 0))), e(st.get("new", 0)), e(st.get("persisting", 0)),
                      e(st.get("resolved", 0)), e(st.get("not_reassessed", 0))]
        rows.append(cells)
    return rows


CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1b1b1b;
       max-width: 1100px; margin: 0 auto; padding: 16px 24px; font-size: 14px; line-height: 1.45; }
h1 { color: #1f3b57; margin-bottom: 0; } h2 { color: #1f3b57; border-bottom: 1px solid #dde3e8; padding-bottom: 2px; }
.subtitle { color: #555; margin-top: 4px; }
table { border-collapse: collapse; margin: 8px 0 16px 0; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { background: #f4f6f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; }
.figure { border: 1px solid #d0d7de; border-radius: 4px; padding: 8px 12px; min-width: 220px; flex: 1 1 220px; }
.figure .label { font-size: 12px; color: #555; } .figure .value { font-size: 22px; font-weight: 600; }
.figure .value .sev { font-size: 16px; white-space: nowrap; }
.figure .expl { font-size: 12px; color: #555; }
.sev { font-weight: 600; } .sev-high { color: #b00020; } .sev-medium { color: #a15c00; } .sev-low { color: #2f6f3e; }
.na { color: #777; font-style: italic; }
code { font-size: 12px; } code.hash { word-break: break-all; }
.meta th { white-space: nowrap; background: none; border: none; padding: 2px 12px 2px 0; }
.meta td { border: none; padding: 2px 0; }
.note { background: #f4f6f8; border-left: 3px solid #1f3b57; padding: 6px 10px; }
footer { border-top: 1px solid #ccc; margin-top: 24px; font-size: 11px; color: #555; }
@page { size: A4; margin: 15mm 12mm; }
@media print { body { max-width: none; padding: 0; font-size: 10pt; } a { color: inherit; text-decoration: none; }
  thead { display: table-header-group; } tr, .figure { page-break-inside: avoid; break-inside: avoid; }
  h2 { page-break-after: avoid; break-after: avoid; } table { width: 100%; } }
"""


def render(data: IndexData) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        f"<title>GDPR compliance report {e(data.month)} &mdash; MyStamp</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>GDPR compliance report &mdash; {e(data.month)}</h1>",
        f'<p class="subtitle">{e(data.policy.get("name", ""))}: records of processing, retention, cross-border access, '
        "marketing and data-subject requests, evaluated as the data stood at the end of the month.</p>",
        '<table class="meta">',
        f"<tr><th>Reporting month</th><td>{e(data.month)}: from {e(data.period_start)} to {e(data.as_of)} (exclusive), UTC</td></tr>",
        f"<tr><th>Data as of</th><td>{e(data.as_of)}</td></tr>",
        "<tr><th>Parameters</th><td>" + ", ".join(f"<code>{e(k)} = {e(v)}</code>" for k, v in data.parameters.items()) + "</td></tr>",
        f"<tr><th>Policy</th><td><code>{e(data.policy.get('path'))}</code>, version <code>{e(data.policy.get('version'))}</code>,"
        f" SHA-256 <code class=\"hash\">{e(data.policy.get('sha256'))}</code></td></tr>",
        f"<tr><th>Data loaded</th><td>{e(data.database.get('loaded_at'))}"
        + (f" from <code>{e(data.database.get('source'))}</code>" if data.database.get("source") else "") + "</td></tr>",
        f"<tr><th>Generated</th><td>{e(data.generated_at)}</td></tr>",
        "<tr><th>Versions</th><td>" + ", ".join(f"{e(k)} {e(v)}" for k, v in data.versions.items()) + "</td></tr>",
        "</table>",
        "</header>",
        "<main>",
        '<h2 id="figures">Key figures</h2>',
        '<div class="figures">',
    ]
    for label, value, expl in headline(data):
        parts.append(f'<div class="figure"><div class="label">{label}</div><div class="value">{value}</div>'
                     f'<div class="expl">{expl}</div></div>')
    parts.append("</div>")

    parts.append('<h2 id="pages">Pages</h2>')
    parts.append("<ul>" + "".join(
        f'<li><a href="{href(p.target)}">{e(p.label)}</a>' + (f" &mdash; {e(p.description)}" if p.description else "") + "</li>"
        for p in data.pages) + "</ul>")

    parts.append('<h2 id="findings">Findings by rule</h2>')
    parts.append(f'<p class="note">{e(data.status_note)} New: not in last month\'s report; persisting: '
                 "also in last month's report (first month seen in findings_status.csv); resolved: in last month's "
                 "report, no longer found; not re-assessed: last month's finding whose rule could not be assessed "
                 "this month.</p>")
    parts.append(_table(
        ["rule", "what it checks", "severity", "findings", "new", "persisting", "resolved", "not re-assessed"],
        findings_rows(data), cls="findings", numeric=(3, 4, 5, 6, 7)))

    parts.append('<h2 id="not-assessed">Rules not assessed</h2>')
    if data.not_assessed:
        titles = {r["rule_id"]: r.get("title", "") for r in data.rules}
        parts.append("<p>These rules need data the source did not contain; they are <strong>not</strong> "
                     "evidence that nothing was found.</p>")
        parts.append(_table(["rule", "what it checks", "reason"],
                            [[e(r["rule_id"]), e(titles.get(r["rule_id"], "")), e(r.get("reason", ""))]
                             for r in data.not_assessed]))
    else:
        parts.append("<p>Every rule was assessed.</p>")

    parts.append('<h2 id="files">Files</h2>')
    parts.append("<ul>" + "".join(
        f'<li><a href="{href(f.target)}"><code>{e(f.label)}</code></a>' + (f" &mdash; {e(f.description)}" if f.description else "") + "</li>"
        for f in data.files) + "</ul>")

    parts.append('<h2 id="inputs">Inputs</h2>')
    parts.append(_table(["table", "file", "rows", "SHA-256"],
                        [[e(i.get("table")), e(i.get("file")), e(f"{int(i.get('rows', 0)):,}"),
                          f'<code class="hash">{e(i.get("sha256"))}</code>'] for i in data.inputs],
                        numeric=(2,)))
    parts += [
        "</main>",
        f"<footer>gdpr-analytics {e(data.versions.get('gdpr-analytics', ''))} &middot; generated {e(data.generated_at)} "
        "&middot; the SHA-256 of every file of this folder is in manifest.json.</footer>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)
