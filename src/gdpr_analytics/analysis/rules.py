"""The rule catalogue of SPEC §5 and its evaluation for one reporting month.

Each rule is a named query under queries/ whose header carries `rule`, `severity`, `subject`,
`title`, `requires`, `notice` and `gdpr`; the catalogue is read from those headers, so a rule is
added by adding a query file. `evaluate` runs once per month inside the month results (results.py),
which the `findings` command, the report and the notebooks read, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

import pandas as pd

from ..core.month import Month
from ..core.parameters import Parameters
from ..engines.base import Engine
from ..sql import queries
from .context import MonthContext

FINDING_COLUMNS = ["rule_id", "severity", "subject_type", "subject_id", "occurred_at", "detail"]
SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class Rule:
    rule_id: str
    severity: str
    subject_type: str
    title: str
    query: str
    requires: tuple[str, ...]
    notice: str
    gdpr: str
    answers: str
    occurred_at: str


@lru_cache(maxsize=1)
def catalogue() -> tuple[Rule, ...]:
    rules = []
    for q in queries.all_queries().values():
        if "rule" not in q.meta:
            continue
        m = q.meta
        rules.append(Rule(
            rule_id=m["rule"], severity=m["severity"], subject_type=m["subject"], title=m["title"],
            query=q.name, requires=tuple(q.requires), notice=m["notice"], gdpr=m["gdpr"],
            answers=m["answers"], occurred_at=m.get("occurred_at", ""),
        ))
    return tuple(sorted(rules, key=lambda r: r.rule_id))


CATALOGUE = catalogue()


def rule(rule_id: str) -> Rule:
    for r in CATALOGUE:
        if r.rule_id == rule_id:
            return r
    raise KeyError(f"no rule {rule_id!r}; the rules are {', '.join(r.rule_id for r in CATALOGUE)}")


@dataclass
class Findings:
    month: Month
    params: Parameters
    findings: pd.DataFrame
    not_assessed: list[dict] = field(default_factory=list)

    def counts(self) -> pd.DataFrame:
        """Findings per rule (every rule of the catalogue, 0 where none; None where not assessed)."""
        n = self.findings.groupby("rule_id").size()
        skipped = {d["rule_id"] for d in self.not_assessed}
        return pd.DataFrame([
            {"rule_id": r.rule_id, "severity": r.severity, "title": r.title,
             "findings": None if r.rule_id in skipped else int(n.get(r.rule_id, 0)),
             "assessed": r.rule_id not in skipped}
            for r in CATALOGUE
        ])


def evaluate(engine: Engine, ctx: MonthContext, rule_ids: Sequence[str] | None = None) -> Findings:
    """Every rule of the catalogue for the month (or only `rule_ids`). A rule needing a table absent from
    the source, or an event table that does not cover the month (the context's `uncovered`), is not
    assessed."""
    present = engine.present_tables()
    uncovered = ctx.uncovered
    bound = ctx.query_parameters()
    frames, not_assessed = [], []
    for r in CATALOGUE if rule_ids is None else [rule(i) for i in rule_ids]:
        absent = [t for t in r.requires if t not in present]
        if absent:
            not_assessed.append({"rule_id": r.rule_id,
                                 "reason": f"table {', '.join(absent)} absent from the source"})
            continue
        late = [uncovered[t] for t in r.requires if t in uncovered]
        if late:
            not_assessed.append({"rule_id": r.rule_id, "reason": "; ".join(late)})
            continue
        df = engine.run(r.query, **bound)
        df.insert(0, "rule_id", r.rule_id)
        df.insert(1, "severity", r.severity)
        df.insert(2, "subject_type", r.subject_type)
        frames.append(df[FINDING_COLUMNS])
    frames = [f for f in frames if len(f)]
    if frames:
        out = pd.concat(frames, ignore_index=True)
    else:
        out = pd.DataFrame({c: pd.Series(dtype="object") for c in FINDING_COLUMNS})
    out = out.sort_values(["rule_id", "subject_id", "occurred_at"], kind="mergesort").reset_index(drop=True)
    return Findings(month=ctx.month, params=ctx.params, findings=out, not_assessed=not_assessed)
