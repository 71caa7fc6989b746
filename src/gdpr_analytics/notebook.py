"""What the notebooks call: one `Page` per notebook run, and one method per thing a cell shows.

A cell calls one method (one package function or one named query) and the method displays the
result. Everything shown goes through here, so that:
- every data value is HTML-escaped (tables via `DataFrame.to_html(escape=True)`, charts via
  `charts`, which escapes labels);
- no personal-data column of the contract (`contract.PERSONAL_COLUMNS`) is ever shown: tables carry
  pseudonymous identifiers only;
- a check whose optional table is absent from the source says "not assessed" instead of showing 0;
- charts use the offline renderer (plotly.js embedded in the page, no CDN).
"""

from __future__ import annotations

import html
import numbers
import platform
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import pandas as pd
from IPython.display import HTML, display

from . import __version__, charts
from .analysis import observed, ropa, rules, statistics, transfers
from .analysis.context import DEFAULT_COUNTRY, MonthContext
from .analysis.ledger import gap_sentences
from .analysis.results import MonthResults, month_results
from .core.assets import asset_dir
from .core.errors import UsageError
from .core.month import Month
from .core.parameters import Parameters
from .core.words import noun, plural
from .engines.base import Engine
from .engines.factory import reopen
from .ingest.contract import PERSONAL_COLUMNS, TABLES
from .policy import narrative, register
from .policy.adequacy import load_adequacy
from .policy.history import PolicyHistory, changes, load_history
from .policy.model import Policy
from .report.index import EVIDENCE_ID, environment
from .sql import queries

MAX_ROWS = 200
FOLD_ROWS = 25  # a table longer than this (about a screen) is folded
LIBRARIES = ("duckdb", "pandas", "plotly", "papermill", "nbconvert", "nbformat", "ipykernel", "openpyxl",
             "pyyaml", "fideslang")

_STYLE = """<style>
.ga-table { border-collapse: collapse; font-size: 0.9em; margin: 0.4em 0 1em 0; }
.ga-table th, .ga-table td { border: 1px solid #d0d7de; padding: 0.25em 0.6em; text-align: left;
  vertical-align: top; }
.ga-table th { background: #f0f4f8; }
.ga-table td.num, .ga-table th.num { text-align: right; font-variant-numeric: tabular-nums; }
.ga-note { color: #555; font-size: 0.9em; margin: 0.2em 0 1em 0; }
.ga-callout { border-left: 4px solid #b45309; background: #fffbeb; padding: 0.5em 1em; margin: 0.5em 0 1em 0; }
.ga-ok { border-left: 4px solid #15803d; background: #f0fdf4; padding: 0.5em 1em; margin: 0.5em 0 1em 0; }
</style>"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _iso(ts: Any) -> str:
    if ts is None or (not isinstance(ts, str) and pd.isna(ts)):
        return ""
    t = pd.Timestamp(ts)
    if t.tzinfo is not None:
        t = t.tz_convert("UTC").tz_localize(None)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cell(value: Any) -> Any:
    """A value as the tables show it: timestamps ISO 8601 UTC, booleans yes/no, missing as None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (pd.Timestamp, datetime)):
        return _iso(value)
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    if not isinstance(value, str) and pd.isna(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)  # sums come back as floats; 5000.0 records reads as 5000
    return value


#: Columns whose numbers are names, not quantities (an ID such as 100234, a year, a month or an hour):
#: shown as they are, neither grouped by thousands nor aligned as numbers.
_NAME_LIKE = re.compile(r"(?:^|_)(?:id|ids|year|month|day|hour|code)$", re.I)
#: What a missing value of a column says instead of an empty cell.
MISSING = {"ticket_id": "no ticket"}


def _shown(column: str, value: Any) -> dict[str, Any]:
    """One cell: its text and whether it is a number (right-aligned, thousands separated: 30,000)."""
    v = _cell(value)
    if v is None:
        return {"text": MISSING.get(column, ""), "num": False}
    if isinstance(v, numbers.Number) and not _NAME_LIKE.search(column):
        return {"text": f"{v:,}", "num": True}
    return {"text": str(v), "num": False}


def frame_html(df: pd.DataFrame, *, max_rows: int = MAX_ROWS, more: str = "", fold: int = FOLD_ROWS) -> str:
    """A DataFrame as an escaped HTML table (report/templates/site/table.html.j2): numbers right-aligned
    with thousands separators, IDs, years and months as they are, a missing value empty (a missing ticket:
    "no ticket"); folded (<details>) when longer than `fold` rows so the page's evidence and charts are not
    pushed below long tables. Refuses personal-data columns."""
    personal = [c for c in df.columns if str(c) in PERSONAL_COLUMNS]
    if personal:
        raise ValueError(f"refusing to show personal-data {noun(len(personal), 'column')} "
                         f"{', '.join(map(str, personal))}")
    if df.empty:
        return '<p class="ga-note">No rows.</p>'
    shown = df.head(max_rows)
    names = [str(c) for c in shown.columns]
    rows = [[_shown(name, v) for name, v in zip(names, values)]
            for values in zip(*(shown[c].tolist() for c in shown.columns))]
    columns = [{"label": name.replace("_", " "),
                "num": any(r[k]["num"] for r in rows) and all(r[k]["num"] or not r[k]["text"] for r in rows)}
               for k, name in enumerate(names)]
    table = environment().get_template("table.html.j2").render(columns=columns, rows=rows)
    note = ""
    if len(df) > max_rows:
        note = (f'<p class="ga-note">Showing the first {max_rows} of {len(df):,} rows.'
                f'{" " + _e(more) if more else ""}</p>')
    if len(df) <= fold:
        return table + note
    return f'<details class="ga-fold"><summary>{len(df):,} rows: show the table</summary>{table}{note}</details>'


def table_states(tables: dict[str, dict[str, Any]]) -> str:
    """Each table as the month saw it: its rows, "present, 0 rows", or "absent from the source"."""
    return "; ".join(f"{name}: " + (f"{t['rows']:,} rows" if t["present"] and t["rows"] else
                                    "present, 0 rows" if t["present"] else "absent from the source")
                     for name, t in tables.items())


def callout(text: str, kind: str = "callout", title: str | None = None) -> HTML:
    head = f"<strong>{_e(title)}</strong> " if title else ""
    return HTML(f'<div class="ga-{kind}">{head}{_e(text)}</div>')


def not_assessed(reason: str) -> HTML:
    return callout(reason, title="Not assessed.")


@dataclass
class Page:
    """One notebook run: the month's context (month, policy history and version in force, parameters,
    coverage), the month's stored results (`results`), and the engine on the data (read-only) for what is
    not stored (a query with other parameters)."""

    ctx: MonthContext
    results: MonthResults
    engine: Engine
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    used: list[str] = field(default_factory=list)  # the named queries this page ran, in order

    @property
    def month(self) -> Month:
        return self.ctx.month

    @property
    def params(self) -> Parameters:
        return self.ctx.params

    @property
    def policy(self) -> Policy:
        """The version in force at the month's last instant."""
        return self.ctx.policy

    @property
    def history(self) -> PolicyHistory:
        return self.ctx.history

    def _use(self, *names: str) -> None:
        self.used.extend(n for n in names if n not in self.used)

    # -- data ------------------------------------------------------------------------------------------
    @cached_property
    def present(self) -> set[str]:
        return self.results.present_tables()

    @property
    def query_params(self) -> dict[str, Any]:
        """Every parameter a named query may declare; a query binds only those it declares."""
        return self.ctx.query_parameters()

    @property
    def findings(self) -> rules.Findings:
        return self.results.findings

    @property
    def observation(self) -> observed.Observation:
        self._use(*observed.QUERIES)
        return self.results.observation

    @property
    def record(self) -> pd.DataFrame:
        return self.results.record

    def absent(self, tables: list[str]) -> list[str]:
        return [t for t in tables if t in TABLES and t not in self.present]

    def query(self, name: str, **overrides: Any) -> pd.DataFrame:
        """A named query's rows: the stored result of the month, or run now when other parameters are given."""
        self._use(name)
        params = {**self.query_params, **overrides}
        if all(self.query_params.get(k) == v for k, v in overrides.items()):
            stored = self.results.table(name)
            if stored is not None:
                return stored
        return self.engine.run(name, **params)

    def _query_or_reason(self, name: str, overrides: dict) -> tuple[pd.DataFrame | None, list[HTML]]:
        q = queries.get(name)
        late = [reason for t, reason in self.results.meta.get("uncovered", {}).items() if t in q.requires]
        if late:
            return None, [not_assessed(f"{'; '.join(late)}: the data does not cover {self.month.label} (never "
                                       "reported as zero).")]
        missing = self.absent(q.requires)
        if missing:
            return None, [not_assessed(f"The source has no {', '.join(missing)} table, so this cannot be "
                                       "assessed (an absent table is never reported as zero).")]
        notes = []
        optional = re.split(r"\(", q.meta.get("optional", ""), maxsplit=1)[0]
        gone = self.absent(re.findall(r"[a-z_]+", optional))
        if gone:
            notes.append(not_assessed(f"The source has no {', '.join(gone)} table: the figures for "
                                      f"{', '.join(gone)} are left out (shown empty), never counted as zero."))
        return self.query(name, **overrides), notes

    # -- what the cells show ---------------------------------------------------------------------------
    def header(self) -> None:
        """The first output of every page: what was run, on what, with what, and when."""
        info = self.results.load_info
        p = self.policy
        rows = [
            ("Reporting month", f"{self.month.label} (from {_iso(self.month.period_start)} to "
                                f"{_iso(self.month.as_of)}, exclusive; all times UTC)"),
            ("Evaluated as at (as_of)", _iso(self.month.as_of)),
            ("Parameters", ", ".join(f"{k} = {v}" for k, v in self.params.as_dict().items())),
            ("Policy", f"{p.data['policy'].get('title', p.data['policy']['id'])}, version {p.version} "
                       f"({p.path.name}, SHA-256 {p.sha256})"),
            *[("Policy version in force in the month", f"{v.version} ({v.path.name}, SHA-256 {v.sha256}), "
                                                        f"{v.in_force_text()}")
              for v in (self.history.in_force(self.month) if self.history and self.history.folder else [])],
            ("Database", f"{self.engine.location.name}, loaded {info.get('loaded_at', 'unknown')} "
                         f"by gdpr-analytics {info.get('tool_version', 'unknown')}")
            if self.results.meta.get("computed_by", "duckdb") == "duckdb" else
            ("Source", f"{self.engine.location.name}, {info.get('load_mode', 'read in place')} at "
                       f"{info.get('loaded_at', 'unknown')} by gdpr-analytics {info.get('tool_version', 'unknown')}"),
            ("Data", f"starts at {self.results.meta.get('data_start')} (the earliest record instant), ends at "
                     f"{self.results.meta.get('data_end')} (the data covers every month from the one holding its "
                     "start up to the one before its end)"),
            ("Assessed with gaps", ". ".join(gap_sentences(self.results.assessed_with_gaps)) + " (a rule's "
             "verdict covers only the days the logs hold)")
            if self.results.assessed_with_gaps else ("Logs", "whole: no missing or thin day in the month's access "
                                                             "log or marketing sends (the coverage ledger)"),
            ("Tables", table_states(self.results.meta.get("tables", {}))),
            ("Tool", f"gdpr-analytics {__version__}, Python {platform.python_version()}"),
            ("Libraries", ", ".join(f"{d} {_version(d)}" for d in LIBRARIES)),
            ("Generated at", _iso(self.started_at)),
        ]
        body = "".join(f'<tr><th style="text-align:left">{_e(k)}</th><td style="text-align:left">{_e(v)}</td></tr>'
                       for k, v in rows)
        inputs = pd.DataFrame(self.results.inputs, columns=["table", "file", "rows", "sha256"])
        display(HTML(
            _STYLE
            + f'<table class="ga-table">{body}</table>'
            + "<p><strong>Input files</strong> (as read by the loader; the SHA-256 identifies the exact file)</p>"
            + frame_html(inputs, max_rows=1000)
        ))

    def ledger_heatmap(self, table: str = "access_log"):
        """The month's events per member (processor or channel) per UTC day, missing and thin days marked."""
        if self.results.frames.get("coverage/ledger") is None:
            return None
        df = self.results.ledger
        return charts.ledger_heatmap(df[df["table_name"] == table], self.month.label)

    def show(self, obj: Any, *, max_rows: int = MAX_ROWS, empty: str | None = None, more: str = "") -> None:
        """Display a DataFrame (escaped table), a plotly figure (offline renderer) or a note."""
        if obj is None:
            display(callout(empty or "Nothing to show for this month.", kind="note"))
        elif isinstance(obj, pd.DataFrame):
            if obj.empty and empty:
                display(callout(empty, kind="ok"))
            else:
                display(HTML(frame_html(obj, max_rows=max_rows, more=more)))
        elif hasattr(obj, "to_plotly_json"):
            obj.show()
        else:
            display(obj)

    def show_query(self, name: str, *, max_rows: int = MAX_ROWS, empty: str | None = None,
                   columns: list[str] | None = None, **overrides: Any) -> None:
        """Run one named query and show its rows (or why it is not assessed)."""
        df, notes = self._query_or_reason(name, overrides)
        for n in notes:
            display(n)
        if df is not None:
            self.show(df[columns] if columns else df, max_rows=max_rows,
                      empty=empty or f"No rows for {self.month.label}.")

    def chart_query(self, name: str, chart: Callable[..., Any], /, *, where: dict | None = None,
                    params: dict | None = None, **kwargs: Any) -> None:
        """Run one named query (with `params` overriding the page's parameters) and draw it with a
        function of `charts` (keyword arguments go to it)."""
        df, notes = self._query_or_reason(name, params or {})
        for n in notes:
            display(n)
        if df is None:
            return
        for col, value in (where or {}).items():
            df = df[df[col] == value]
        fig = chart(df, **kwargs)
        if fig is None:
            display(callout(f"No data to chart for {self.month.label}.", kind="note"))
        else:
            fig.show()

    # -- findings --------------------------------------------------------------------------------------
    def _rules(self, prefixes: tuple[str, ...]) -> list[rules.Rule]:
        return [r for r in rules.CATALOGUE if not prefixes or r.rule_id.startswith(prefixes)]

    def rule_counts(self, *prefixes: str) -> None:
        """Findings per rule of the page (prefix such as "RET-"), "not assessed" when a table is absent."""
        reasons = {d["rule_id"]: d["reason"] for d in self.findings.not_assessed}
        n = self.findings.findings.groupby("rule_id").size()
        rows = [{
            "rule": r.rule_id, "severity": r.severity, "title": r.title,
            "findings": f"not assessed ({reasons[r.rule_id]})" if r.rule_id in reasons
            else int(n.get(r.rule_id, 0)),
        } for r in self._rules(prefixes)]
        self.show(pd.DataFrame(rows))

    def evidence(self, rule_id: str, *, max_rows: int = 100) -> None:
        """The findings of one rule: subject (pseudonymous id), when, and what was found."""
        reasons = {d["rule_id"]: d["reason"] for d in self.findings.not_assessed}
        r = rules.rule(rule_id)
        # the month's index links each rule here
        display(HTML(f'<a id="{_e(EVIDENCE_ID.format(rule_id=rule_id))}" class="ga-anchor"></a>'))
        if rule_id in reasons:
            display(not_assessed(f"{rule_id}: {reasons[rule_id]}."))
            return
        f = self.findings.findings
        rows = f[f["rule_id"] == rule_id][["subject_type", "subject_id", "occurred_at", "detail"]]
        when = re.split(r"[(:]", r.occurred_at)[0].strip()
        rows = rows.rename(columns={"occurred_at": when if 0 < len(when) <= 40 else "occurred_at"})
        self.show(rows, max_rows=max_rows, empty=f"{rule_id}: no findings in {self.month.label}.",
                  more="Every finding is in findings.csv.")

    def methodology(self, *prefixes: str) -> None:
        """What each rule of the page checks, from the rule catalogue."""
        rows = [{
            "rule": r.rule_id, "severity": r.severity, "title": r.title, "what it checks": r.answers,
            "subject": r.subject_type, "date shown": r.occurred_at, "tables": ", ".join(r.requires),
            "privacy notice": narrative.section_only(r.notice), "GDPR": r.gdpr,
        } for r in self._rules(prefixes)]
        display(HTML(frame_html(pd.DataFrame(rows), max_rows=1000)))

    def queries_used(self) -> None:
        """The named queries behind this page's tables and charts: what each answers, and why."""
        rows = []
        for name in self.used:
            q = queries.get(name)
            rows.append({"query": name, "what it answers": narrative.without_gloss(q.meta.get("answers", "")),
                         "tables": ", ".join(q.requires),
                         "privacy notice": narrative.section_only(q.meta.get("notice", "")),
                         "GDPR": q.meta.get("gdpr", ""), "note": q.meta.get("note", "")})
        display(HTML(frame_html(pd.DataFrame(rows), max_rows=1000)))

    # -- record of processing activities ---------------------------------------------------------------
    def controller(self) -> None:
        """Controller and contact as the policy declares them (Art. 30(1)(a))."""
        d = self.policy.data
        rows = [
            ("Controller", d["controller"]["name"]),
            ("Address", d["controller"]["address"]),
            ("VAT number", d["controller"].get("vat_number", "")),
            ("Data protection contact", d["contact"]["name"]),
            ("Contact address", d["contact"].get("address", "")),
            ("Web form", d["contact"].get("web_form", "")),
            ("Privacy notice sections", f"{d['controller']['notice']}; {d['contact']['notice']}"),
        ]
        self.show(pd.DataFrame(rows, columns=["item", "declared"]))

    def activity(self, activity_id: str) -> None:
        """One activity of the record: each declared item beside what the month's data shows."""
        rec = self.record
        row = rec[rec["activity_id"] == activity_id]
        if row.empty:
            raise KeyError(f"no activity {activity_id} in the policy")
        row = row.iloc[0]
        out = [{"item": label, "declared": row[d] if d else "",
                f"observed in {self.month.label}": row[o] if o else ""}
               for label, d, o in ropa.SIDE_BY_SIDE if (d and row[d]) or o]
        self.show(pd.DataFrame(out))

    def activities(self, role: str) -> None:
        """Every activity of the record with the given role (controller, processor): those of the policy in
        force, then those the controller's evidence documents; a heading with its id and name, then its
        declared items beside what the month's data shows."""
        acts = [a for a in register.activities(self.policy, self.history.evidence) if a["role"] == role]
        if not acts:
            display(callout(f"The policy declares no activity as {role}.", kind="note"))
        for a in acts:
            anchor = "activity-" + re.sub(r"[^A-Za-z0-9_-]", "-", str(a["id"]))
            internal = " (documented internally, not in the privacy notice)" if a.get("internal") else ""
            display(HTML(f'<h3 id="{_e(anchor)}">{_e(a["id"])} — {_e(a["name"])}{_e(internal)}</h3>'))
            self.activity(a["id"])

    def subjects_held(self) -> None:
        self.show(self.observation.subjects)
        if self.observation.uploads is None:
            display(not_assessed("The source has no uploads table: uploads held cannot be counted."))
        else:
            self.show(self.observation.uploads, empty="No uploads held at the end of the month.")

    def field_fill(self, columns: list[str] | None = None) -> None:
        df = self.observation.fill
        if columns:
            df = df[df["column"].isin(columns)]
        self.show(df, max_rows=1000)

    def fill_chart(self) -> None:
        self.show(charts.bar(self.observation.fill, x="column", y="fill_pct", color="account_type",
                             title="Share of customers held with each field filled, by account type (%)",
                             x_title="column", y_title="% filled").update_layout(barmode="group")
                  if len(self.observation.fill) else None)

    def processors_seen(self) -> None:
        if "access_log" not in self.present:
            display(not_assessed("The access log is absent from the source or does not cover "
                                 f"{self.month.label}: processors and countries cannot be counted."))
            return
        self.show(self.observation.seen, empty=f"No access events in {self.month.label}.")

    def extra_columns(self) -> None:
        self.show(self.observation.extras, empty="The source held no columns outside the data contract.")

    def gaps(self) -> None:
        self.show(self.observation.gaps, max_rows=1000,
                  empty="No gap found between what the policy declares and what the data shows.")

    def record_table(self) -> None:
        """ropa.csv as the report writes it."""
        self.show(self.record, max_rows=1000)

    def identification(self) -> None:
        """The identification sheet of ropa.xlsx: controller, contact and data protection officer, once."""
        self.show(ropa.identification(self.policy, self.month, self.history), max_rows=1000)

    def completeness(self) -> None:
        """Field × activity: stated in the privacy notice, documented internally, to complete, or not
        applicable; then the counts of each state."""
        ev = self.history.evidence
        counts = register.counts(self.policy, ev)
        display(callout(", ".join(f"{plural(n, 'entry', 'entries')} {state}" for state, n in counts.items())
                        + ("." if counts[register.INCOMPLETE] else
                           ": every field of every activity is stated, documented or not applicable.")))
        self.show(register.completeness(self.policy, ev), max_rows=1000)

    def data_map(self) -> None:
        """Every table of the data and marketing channel of the month, with the activities declaring it."""
        df = self.observation.data_map
        self.show(df if df is not None else None, max_rows=1000, empty="The source holds no table.")

    def policy_versions(self) -> None:
        """The policy versions in force during the month, with the instants each was in force."""
        history = self.history
        end = history.month_end_version(self.month)
        rows = [{"version": v.version, "file": v.path.name, "in force": v.in_force_text(),
                 "effective from": v.effective_from.isoformat() if v.effective_from else "not stated",
                 "judges": ("events in its period; state rules, statistics and this record (month end)"
                            if v is end else "events in its period"), "sha256": v.sha256}
                for v in history.in_force(self.month)]
        self.show(pd.DataFrame(rows))

    def policy_changes(self) -> None:
        """What changed in each version in force during the month against the version before it."""
        history = self.history
        if not history.folder:
            display(callout("One policy file, in force at every instant: no version history.", kind="note"))
            return
        for v in history.in_force(self.month):
            before = history.previous(v)
            if before is None:
                display(callout(f"Version {v.version} ({v.path.name}) is the first version of the policy: "
                                "there is no earlier version to compare with.", kind="note"))
                continue
            display(HTML(f"<p><strong>{_e(v.version)}</strong> ({_e(v.path.name)}) against "
                         f"<strong>{_e(before.version)}</strong> ({_e(before.path.name)}):</p>"))
            self.show(changes(before.policy, v.policy), empty="No change in the aspects compared.")

    def narrative(self, topic: str) -> None:
        """Sentences stating what the policy in force declares (narrative.TOPICS), escaped."""
        kwargs = {"retention_years": self.params.retention_years} if topic == "retention" else {}
        display(HTML(narrative.to_html(narrative.paragraphs(topic, self.policy, **kwargs))))

    def country_trends(self) -> None:
        """For each third country the policy declares: access per processor over the last 12 months."""
        for code in narrative.transfer_countries(self.policy) or [DEFAULT_COUNTRY]:
            self.chart_query("cross_border/stat_country_trend", charts.panels, x="month", color="processor",
                             values=["events", "actors", "customers", "records"],
                             title=f"Access from {code} by processor, last 12 months", params={"country": code})

    def country_trend_tables(self) -> None:
        for code in narrative.transfer_countries(self.policy) or [DEFAULT_COUNTRY]:
            self.show_query("cross_border/stat_country_trend", country=code)

    # -- cross-border ----------------------------------------------------------------------------------
    def cross_border(self) -> None:
        """cross_border.csv of the month (analysis.statistics.cross_border)."""
        self.show_query("cross_border/summary", max_rows=500, columns=statistics.CROSS_BORDER_COLUMNS,
                        empty=f"No access events in {self.month.label}.")

    # -- transfers outside the EEA -------------------------------------------------------------------
    def documentation_notice(self) -> None:
        """Where the internal documentation this page shows comes from, said at the page's top: a file
        marked `example: true` is said to be a fictitious example; without an evidence file, that every
        internal document reads "to complete" or "not documented"."""
        ev = self.history.evidence
        if ev is None:
            display(callout("No evidence file was given (--evidence): the transfers below show only what the "
                            "privacy notice states. The legal entity, transfer mechanism, supplementary measures "
                            "and transfer impact assessment (TIA) of each transfer read \"to complete\" (or \"not "
                            "documented\" for a transfer the notice does not declare), and rule XB-006 finds no "
                            "TIA recorded for any pair.", title="Internal documentation: none given."))
        elif ev.example:
            display(callout(f"The internal documentation shown on this page comes from {ev.path.name} "
                            f"(id {ev.name}), which is marked as a fictitious example: its contracts, mechanisms and "
                            "transfer impact assessments are not the controller's, and rule XB-006 is judged "
                            "against them only to show how it works.", title="EXAMPLE documentation."))
        else:
            display(callout(f"The internal documentation shown on this page comes from the controller's evidence "
                            f"file {ev.path.name} (id {ev.name}, SHA-256 {ev.sha256}).", kind="note",
                            title="Internal documentation."))

    def transfers(self) -> None:
        """transfers.csv of the month (analysis/transfers.py): each pair's documentation, then its figures."""
        self._use(transfers.STAT)
        df = self.results.transfers
        if df.empty:
            display(callout(f"No transfer outside the EEA is declared, documented or seen in {self.month.label}.",
                            kind="ok"))
            return
        display(HTML("<p><strong>How each transfer is documented</strong> (the notice, the evidence file, the "
                     "Commission's adequacy decisions)</p>"))
        self.show(df[transfers.DOCUMENTATION], max_rows=1000)
        display(HTML(f'<p class="ga-note">Adequacy: {_e(load_adequacy().provenance())}.</p>'))
        display(HTML(f"<p><strong>What the data shows of each transfer in {_e(self.month.label)}</strong></p>"))
        if df["seen_in_month"].isna().all():
            display(not_assessed(f"The access log does not cover {self.month.label}: the transfers' figures are "
                                 "not assessed (never reported as zero)."))
            return
        self.show(df[["processor", "country", "seen_in_month", *transfers.FIGURES]], max_rows=1000)


def found_path(name: str, given: str | Path) -> Path:
    """A notebook's path parameter: absolute as given; relative, from the working folder if something is
    there, else from the notebooks' folder; neither: an error naming both paths tried."""
    path = Path(given).expanduser()
    if path.is_absolute():
        if not path.exists():
            raise UsageError(f"{name} {str(given)!r}: nothing at {path} ({ADVICE.get(name, '')})")
        return path.resolve()
    tried = [Path.cwd() / path, asset_dir("notebooks") / path]
    for candidate in tried:
        if candidate.exists():
            return candidate.resolve()
    raise UsageError(f"{name} {str(given)!r}: nothing at {tried[0]} (from the working folder) nor at {tried[1]} "
                     f"(from the notebooks' folder); {ADVICE.get(name, 'give an absolute path')}")


ADVICE = {"db_path": "give the database `gdpr-analytics load` wrote (make report writes build/sample.duckdb)",
          "policy_path": "give a policy file or a folder of policy versions",
          "evidence_path": "give the controller's evidence file (policies/evidence.example.yml shows one)"}


def open_page(month: str, db_path: str | Path, policy_path: str | Path | None = None,
              retention_years: int | None = None, bulk_export_threshold: int | None = None,
              results_path: str | Path | None = None, evidence_path: str | Path | None = None,
              **parameters: Any) -> Page:
    """The month's results for the parameters cell: read from the store beside the data (or
    `results_path`), computed and stored first if need be (in memory only if the store is read-only).
    db_path: a database written by `load`, or the source folder a report run with --engine spark read in
    place (its stored results are found by the files' fingerprint; Spark starts only for a query whose
    answer is not stored); a relative path is taken from the working folder, or else from the notebooks'
    folder (so the committed `../build/sample.duckdb` works with papermill run from anywhere).
    policy_path: a policy file or a folder of versions; evidence_path: the controller's evidence file. Every rule parameter (core/parameters.py) may be
    given; None: the policy's value (the retention period of the version in force at the month's last
    instant) or the default."""
    charts.use_offline_renderer()
    m = Month.parse(month)
    history = load_history(found_path("policy_path", policy_path) if policy_path else None,
                           found_path("evidence_path", evidence_path) if evidence_path else None)
    engine = reopen(found_path("db_path", db_path), history, m, results=results_path)
    ctx = MonthContext.build(engine, m, history, read_data=False, retention_years=retention_years,
                             bulk_export_threshold=bulk_export_threshold, **parameters)
    res = month_results(engine, ctx)
    ev = history.evidence
    if ev is not None and ev.example:
        display(callout(f"The controller's internal evidence read for this page ({ev.path.name}) is marked as a "
                        "fictitious example: the contracts, assessments and measures it documents are not real.",
                        kind="note", title="Example documentation."))
    return Page(ctx=ctx, results=res, engine=engine)
