"""The coverage ledger of days: is each log whole for the month? (a rule assessed on a log that stopped
for two days would otherwise look as clean as ever).

`load` keeps the events per UTC day (ingest/rollups.py: `_rollup_access_day` per processor,
`_rollup_send_day` per marketing channel); both engines answer queries/coverage/ledger_days.sql from them.
Here each day of the month is judged, for every processor and the access log as a whole, and for every
channel of the marketing sends, against the *expected* count: the median of the same weekday's events in
the four weeks before (only weeks on or after the table's first day count; a day without events counts 0):

- **missing**: no event on the day, while the expected count is at least MIN_EXPECTED (10);
- **thin**: fewer than THIN_SHARE (20%) of the expected count, the expected count being at least 10;
- **declared**: a day in a gap source.yml declares (`known_gaps`), shown with its reason, not suspect;
- **ok**: anything else (a quiet weekend after quiet weekends is not flagged; nor is a member whose
  expected count is below 10).

A rule that reads a table with a missing or thin day in the month is *assessed with gaps*
(`assessed_with_gaps`): its verdict holds only for the days the log holds.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ..ingest.coverage import LEDGER_MEMBERS
from .context import MonthContext

if TYPE_CHECKING:  # gap_lines, which `findings` calls on stored results, needs no pandas
    import pandas as pd

MIN_EXPECTED = 10
THIN_SHARE = 0.2
WEEKS = 4
SUSPECT = ("missing", "thin")
#: The member of the access log as a whole.
WHOLE = "(all)"
LEDGER_COLUMNS = ["table_name", "member", "day", "events", "expected", "state", "reason"]


def judge(events: int, expected: float | None) -> str:
    """The state of a day that no declared gap covers."""
    if expected is None or expected < MIN_EXPECTED:
        return "ok"
    if events == 0:
        return "missing"
    if events < THIN_SHARE * expected:
        return "thin"
    return "ok"


def month_ledger(engine, ctx: MonthContext) -> pd.DataFrame:
    """Every day of the month for every member of the followed tables that cover it (LEDGER_COLUMNS)."""
    from statistics import median

    import pandas as pd

    month = ctx.month
    first_day, end_day = month.period_start.date(), month.as_of.date()
    window = first_day - timedelta(days=7 * WEEKS)
    counts = engine.run("coverage/ledger_days", window_start=pd.Timestamp(window).to_pydatetime(),
                        as_of=month.as_of)
    gaps = engine.known_gaps()
    present = engine.present_tables()
    rows: list[dict[str, Any]] = []
    for table in LEDGER_MEMBERS:
        cov = ctx.coverage.tables.get(table) if ctx.coverage else None
        if table not in present or table in ctx.uncovered or cov is None or cov.earliest is None:
            continue
        start = cov.earliest.date()
        mine = counts[counts["table_name"] == table]
        by: dict[tuple[str, date], int] = {}
        for m, d, n in zip(mine["member"], mine["day"], mine["events"]):
            key = "" if m is None or m != m else str(m)
            by[(key, pd.Timestamp(d).date())] = by.get((key, pd.Timestamp(d).date()), 0) + int(n)
        members = sorted({m for m, _ in by})
        if table == "access_log":
            for (m, d), n in list(by.items()):
                by[(WHOLE, d)] = by.get((WHOLE, d), 0) + n
            members = [WHOLE] + members
        day = first_day
        while day < end_day:
            for member in members:
                events = by.get((member, day), 0)
                before = [by.get((member, day - timedelta(days=7 * k)), 0) for k in range(1, WEEKS + 1)
                          if day - timedelta(days=7 * k) >= start]
                expected = float(median(before)) if before else None
                declared = [g for g in gaps if g["table"] == table and g["from"] <= day <= g["to"]
                            and (g["member"] is None or g["member"] == member)]
                state = "declared" if declared else judge(events, expected)
                rows.append({"table_name": table, "member": member, "day": pd.Timestamp(day), "events": events,
                             "expected": expected, "state": state,
                             "reason": declared[0]["reason"] if declared else None})
            day += timedelta(days=1)
    out = pd.DataFrame(rows, columns=LEDGER_COLUMNS)
    out["events"] = out["events"].astype("int64")
    out["expected"] = out["expected"].astype("float64")
    out["day"] = pd.to_datetime(out["day"]).astype("datetime64[us]")
    return out


def assessed_with_gaps(ledger: pd.DataFrame, not_assessed: list[dict]) -> list[dict]:
    """[{rule_id, table, days: [{day, processor | channel, state, events, expected}]}] for every assessed
    rule that reads a table with a missing or thin day in the month (by rule, then table)."""
    from .rules import CATALOGUE

    skipped = {d["rule_id"] for d in not_assessed}
    suspect = ledger[ledger["state"].isin(SUSPECT)]
    out = []
    for rule in CATALOGUE:
        if rule.rule_id in skipped:
            continue
        for table in rule.requires:
            days = suspect[suspect["table_name"] == table]
            if days.empty or table not in LEDGER_MEMBERS:
                continue
            out.append({"rule_id": rule.rule_id, "table": table, "days": day_list(days)})
    return out


def day_list(days: pd.DataFrame) -> list[dict]:
    """The suspect days as the outputs list them: by day, then member."""
    import pandas as pd

    out = []
    for r in days.sort_values(["day", "member"]).itertuples():
        who = LEDGER_MEMBERS[r.table_name]
        out.append({"day": pd.Timestamp(r.day).strftime("%Y-%m-%d"),
                    who: None if r.member == WHOLE else r.member, "state": r.state, "events": int(r.events),
                    "expected": None if pd.isna(r.expected) else float(r.expected)})
    return out


def _day_text(table: str, d: dict) -> str:
    label = d.get(LEDGER_MEMBERS[table]) or f"{table} as a whole"
    return f"{d['day']} {label} {d['state']} ({d['events']} events, expected {d['expected']:g})"


def gap_sentences(gaps: list[dict]) -> list[str]:
    """One sentence per table whose gaps touch assessed rules (the index's verdict, the page header):
    the rules, then the days once."""
    by_table: dict[str, tuple[list[str], list[dict]]] = {}
    for g in gaps:
        rules, days = by_table.setdefault(g["table"], ([], g["days"]))
        rules.append(g["rule_id"])
    return [f"{', '.join(rules)} on the {table.replace('_', ' ')}, which misses or holds too few events on: "
            + "; ".join(_day_text(table, d) for d in days) for table, (rules, days) in by_table.items()]


def gap_lines(gaps: list[dict]) -> list[str]:
    """One line per rule assessed with gaps (stderr of findings, the index)."""
    by_rule: dict[str, list[str]] = {}
    for g in gaps:
        by_rule.setdefault(g["rule_id"], []).extend(_day_text(g["table"], d) for d in g["days"])
    return [f"{rule} assessed with gaps: {'; '.join(days)}" for rule, days in by_rule.items()]
