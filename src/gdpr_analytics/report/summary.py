"""summary.json: what a month's report found, for machines (dashboards, alerting, the overview across
months). Its JSON Schema is docs/summary.schema.json; every summary is checked against it as it is written.

Per rule: severity, findings, new, persisting, resolved (and not re-assessed), assessed (with the reason
when not); totals per severity (findings, new, persisting, resolved); the policy versions used; the data
state the month was computed from.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import __version__
from ..analysis.rules import SEVERITIES
from ..core.assets import asset_dir
from ..core.files import atomic_write

SUMMARY_FILE = "summary.json"
SCHEMA_FILE = "summary.schema.json"
FORMAT = 1


def build(*, month, as_of: str, generated_at: str, rules: list[dict[str, Any]], findings, status,
          not_assessed: list[dict[str, str]], policy_versions: list[dict[str, Any]], data: dict[str, Any],
          parameters: dict[str, Any], tables: dict[str, dict[str, Any]],
          after_data_end: list[dict[str, Any]] | None = None,
          assessed_with_gaps: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """rules: the catalogue (rule_id, title, severity); findings: the six-column frame; status:
    status.Status against the month before."""
    skipped = {d["rule_id"]: d["reason"] for d in not_assessed}
    counts = findings["rule_id"].value_counts()
    per_rule = {}
    for r in rules:
        rid, st = r["rule_id"], status.counts.get(r["rule_id"], {})
        per_rule[rid] = {
            "title": r["title"], "severity": r["severity"], "assessed": rid not in skipped,
            "not_assessed_reason": skipped.get(rid),
            "findings": None if rid in skipped else int(counts.get(rid, 0)),
            "new": int(st.get("new", 0)), "persisting": int(st.get("persisting", 0)),
            "resolved": int(st.get("resolved", 0)), "not_reassessed": int(st.get("not_reassessed", 0)),
        }
    totals = {s: {k: sum(r[k] or 0 for r in per_rule.values() if r["severity"] == s)
                  for k in ("findings", "new", "persisting", "resolved")} for s in SEVERITIES}
    return {
        "format": FORMAT,
        "tool_version": __version__,
        "month": month.label,
        "as_of": as_of,
        "generated_at": generated_at,
        "compared_with": status.baseline,
        "policy_versions": [{"version": v["version"], "sha256": v["sha256"], "effective_from": v.get("effective_from")}
                            for v in policy_versions],
        "parameters": parameters,
        "data": data,
        "tables": {name: {"present": t["present"], "rows": t["rows"]} for name, t in tables.items()},
        "rules": per_rule,
        "totals": totals,
        "not_assessed": sorted(skipped),
        "assessed_with_gaps": assessed_with_gaps or [],
        "after_data_end": after_data_end or [],
    }


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads((asset_dir("docs") / SCHEMA_FILE).read_text(encoding="utf-8"))


def validate(doc: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when doc does not follow docs/summary.schema.json."""
    import jsonschema

    jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker()).validate(doc)


def write(folder: Path, doc: dict[str, Any]) -> Path:
    validate(doc)
    path = folder / SUMMARY_FILE
    with atomic_write(path) as fh:
        fh.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return path


def read(folder: Path) -> dict[str, Any] | None:
    """The month folder's summary, or None when it has none (or an unreadable one)."""
    try:
        return json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
