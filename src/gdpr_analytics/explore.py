"""Ad-hoc questions for analysts (notebooks/explore.ipynb, not part of the report).

`connect` opens the database read-only with the policy tables registered (its `.con` is what jupysql's
`%sql` talks to); `load_sql` loads jupysql's magics without the notes it prints about its configuration; `subject` gathers everything about one pseudonymous data subject: the facts the rules
use, the month's findings about the subject or about its events, sends and requests, and every access
event, marketing send and data-subject request (named queries of queries/explore/). Tables show
pseudonymous identifiers only; the notebook helpers refuse personal-data columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .analysis.context import MonthContext
from .analysis.results import month_results
from .core.month import Month
from .engines.base import Engine
from .engines.duckdb import DuckDBEngine
from .policy.history import load_history


def connect(db_path: str | Path, policy_path: str | Path | None = None) -> Engine:
    """The database, read-only, in UTC, with the policy tables (policy_processor, …) registered: a
    policy file, or a folder of versions (the latest version's tables, every version's `_at` tables)."""
    return DuckDBEngine(Path(db_path).expanduser().resolve(), history=load_history(policy_path))


def load_sql(displaylimit: int = 20) -> None:
    """Load jupysql's %sql and %%sql magics into this notebook, with the settings given here: `displaylimit`
    rows shown, and no "Running query in …" line before every result.

    jupysql reports on its configuration files each time it loads (no setting turns this off): a tip and
    "Did not find user configurations in …/pyproject.toml" when it finds a pyproject.toml without a
    [tool.jupysql.SqlMagic] section (this checkout's, whenever the notebook runs inside it), or "Loading
    configurations from …" and a table of the settings when it finds one, each naming a local path. Its
    loading output is therefore captured and dropped; an error still raises, and a user's
    ~/.jupysql/config still applies."""
    from IPython import get_ipython
    from IPython.utils.capture import capture_output

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("load_sql runs inside a notebook (or IPython)")
    with capture_output(stdout=True, stderr=False, display=True):
        shell.run_line_magic("load_ext", "sql")
    shell.run_line_magic("config", f"SqlMagic.displaylimit = {int(displaylimit)}")
    shell.run_line_magic("config", "SqlMagic.displaycon = False")


@dataclass
class Subject:
    """Everything the data says about one data subject; None where the table is absent."""

    customer_id: str
    month: Month
    timeline: pd.DataFrame
    findings: pd.DataFrame
    access: pd.DataFrame | None
    sends: pd.DataFrame | None
    requests: pd.DataFrame | None


def subject(engine: Engine, customer_id: str, month: str, policy_path: str | Path | None = None,
            **parameters) -> Subject:
    """One subject's facts, the month's findings about it (read from the month results), and every access
    event, send and request about it."""
    present = engine.present_tables()

    def run(name: str, table: str) -> pd.DataFrame | None:
        return engine.run(name, customer_id=customer_id) if table in present else None

    m = Month.parse(month)
    history = load_history(policy_path)
    ctx = MonthContext.build(engine, m, history, **parameters)
    engine.register_policy(history, m)  # the month-end version's tables, as the explore queries need
    res = month_results(engine, ctx)
    access, sends, requests = (run("explore/subject_access", "access_log"), run("explore/subject_sends", "marketing_sends"),
                               run("explore/subject_requests", "dsr_requests"))
    mine = {customer_id}
    for df, key in ((access, "event_id"), (sends, "send_id"), (requests, "request_id")):
        if df is not None:
            mine.update(df[key].tolist())
    found = res.findings.findings
    return Subject(customer_id=customer_id, month=m, timeline=engine.run("explore/subject_timeline", customer_id=customer_id),
                   findings=found[found["subject_id"].isin(mine)].reset_index(drop=True),
                   access=access, sends=sends, requests=requests)


def access_pack(engine: Engine, customer_id: str, as_of: str | None = None, policy_path: str | Path | None = None,
                evidence_path: str | Path | None = None):
    """The Art. 15 pack of one subject as `gdpr-analytics access-pack` builds it (analysis/access.py, the same
    code): as at `as_of` (YYYY-MM-DD, that day's first instant; default the data end)."""
    from datetime import datetime

    from .analysis.access import build_packs
    from .analysis.context import Coverage

    history = load_history(policy_path, evidence_path)
    at = Coverage.of(engine).data_end if as_of is None else datetime.fromisoformat(as_of)
    return build_packs(engine, history, [customer_id], at)[customer_id]


def show_access_pack(engine: Engine, customer_id: str, as_of: str | None = None,
                     policy_path: str | Path | None = None):
    """Display the pack's Art. 15 answer without the personal values: the activities, the processors that
    reached the data, the retention, and every consultation and table operation (pseudonymous IDs only). The
    rows held, with the personal values, are written only by the command, into the subject's own pack."""
    from IPython.display import HTML, display

    from .notebook import frame_html

    pack = access_pack(engine, customer_id, as_of, policy_path)
    a = pack.art15
    held = ", ".join(f"{t}: {len(rows)}" for t, rows in pack.held.items())
    display(HTML(f"<p>{a['confirmation']} Rows held at {pack.as_of}: {held}. Due for erasure: "
                 f"{a['retention']['due_for_erasure_at'] or 'no order held'}.</p>".replace("<", "&lt;")
                 .replace("&lt;p>", "<p>").replace("&lt;/p>", "</p>")))
    sections = [
        ("Activities their rows fall under (Art. 15(1)(a))",
         pd.DataFrame([{"activity": p["activity"], "name": p["name"], "tables": ", ".join(p["tables"]),
                        "legal basis": p["legal_basis"]["text"]} for p in a["purposes"]])),
        ("Processors that reached their data (Art. 15(1)(c))", pd.DataFrame(a["recipients"])),
        ("Consultations (layer 2)", pd.DataFrame(pack.consultations)),
        ("Operations on whole tables while they held the data (counted per month in the pack)",
         pd.DataFrame([{k: v for k, v in g.items() if k != "by_month"} for g in pack.table_operations])),
    ]
    for title, df in sections:
        display(HTML(f"<h4>{title}</h4>"))
        display(HTML(frame_html(df, max_rows=100)))
    return pack


def show_subject(engine: Engine, customer_id: str, month: str, policy_path: str | Path | None = None) -> Subject:
    """Display `subject(...)` as escaped tables (the explore notebook's helper)."""
    from IPython.display import HTML, display

    from .notebook import frame_html, not_assessed

    s = subject(engine, customer_id, month, policy_path)
    sections = [
        ("The subject (facts the rules use)", s.timeline),
        (f"Findings of {s.month.label} about the subject, its access events, sends and requests", s.findings),
        ("Access events about the subject (all months)", s.access),
        ("Marketing sends to the subject (all months)", s.sends),
        ("Data-subject requests of the subject (all months)", s.requests),
    ]
    for title, df in sections:
        display(HTML(f"<h4>{title}</h4>"))
        if df is None:
            display(not_assessed("The source has no such table."))
        else:
            display(HTML(frame_html(df, max_rows=100)))
    return s
