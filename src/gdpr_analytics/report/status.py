"""Finding status against the previous month's report in the same output folder.

A finding is identified by (rule_id, subject_id). Against `<out>/<previous month>/findings.csv`:
- `new`: not in the previous report;
- `persisting`: in the previous report too; `first_seen` is carried forward from the previous
  report's findings_status.csv (or is the previous month when that file is missing);
- `resolved`: in the previous report, not in this one (listed once, in the month it disappears);
- `not_reassessed`: in the previous report, but its rule could not be assessed this month (a table
  is missing), so whether it still holds is unknown: it is neither resolved nor persisting.
Without a previous report every finding is `new` and `baseline` is None: the index says so.

Findings about an event of the month (an access event, a marketing send: PERIOD_SUBJECTS) belong to
their month: they are `new` in it and are not carried into, nor `resolved` in, the next month.

The previous report is trusted as written: if it was made with other parameters or another policy
(see its manifest.json), the comparison mixes the two.

Keys are compared as written in the CSV files (text, after output.neutralise), so a subject_id
such as `00123` or `=1` matches exactly.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..analysis.rules import FINDING_COLUMNS
from ..core.csvfile import format_value
from ..core.month import Month

FINDINGS_FILE = "findings.csv"
STATUS_FILE = "findings_status.csv"
STATUS_COLUMNS = ["rule_id", "severity", "subject_type", "subject_id", "occurred_at", "status",
                  "first_seen", "last_seen"]
STATUSES = ("new", "persisting", "resolved", "not_reassessed")
#: subject types of findings about one event of the month (SPEC §5 "access event", "send")
PERIOD_SUBJECTS = frozenset({"access_event", "send"})


@dataclass
class Status:
    table: pd.DataFrame  # STATUS_COLUMNS, all text; current findings first (their order), then the rest
    baseline: str | None  # the previous month compared against, or None
    note: str  # one sentence for the index page
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # rule_id -> status -> n

    def total(self, status: str) -> int:
        return sum(c.get(status, 0) for c in self.counts.values())


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _text(value) -> str:
    v = format_value(value)
    return v if isinstance(v, str) else str(v)


def compare(findings: pd.DataFrame, month: Month, out: Path,
            not_assessed: list[str] | tuple[str, ...] = ()) -> Status:
    """The status of every finding of `month` against the report of the previous month in `out`."""
    prev = month.previous()
    prev_dir = Path(out) / prev.label
    current = [{c: _text(row[c]) for c in FINDING_COLUMNS} for _, row in findings.iterrows()]

    previous: list[dict[str, str]] | None = None
    note = ""
    if (prev_dir / FINDINGS_FILE).is_file():
        try:
            previous = _read_csv(prev_dir / FINDINGS_FILE)
            missing = [c for c in ("rule_id", "subject_id") if previous and c not in previous[0]]
            if missing:
                raise ValueError(f"no column {missing[0]}")
        except (OSError, ValueError, csv.Error) as exc:
            previous, note = None, (f"The {prev.label} report's findings.csv could not be read ({exc}); "
                                    "every finding is counted as new.")
    elif not note:
        note = f"No {prev.label} report in this folder: every finding is counted as new."

    first_seen: dict[tuple[str, str], str] = {}
    if previous is not None and (prev_dir / STATUS_FILE).is_file():
        try:
            for r in _read_csv(prev_dir / STATUS_FILE):
                if r.get("status") in ("new", "persisting") and r.get("first_seen"):
                    first_seen[(r["rule_id"], r["subject_id"])] = r["first_seen"]
        except (OSError, csv.Error, KeyError):
            first_seen = {}

    prev_keys = {(r["rule_id"], r["subject_id"]): r for r in previous or []
                 if r.get("subject_type") not in PERIOD_SUBJECTS}
    rows = []
    seen = set()
    for f in current:
        key = (f["rule_id"], f["subject_id"])
        seen.add(key)
        if key in prev_keys:
            status, first = "persisting", first_seen.get(key, prev.label)
        else:
            status, first = "new", month.label
        rows.append({**{c: f[c] for c in STATUS_COLUMNS[:5]}, "status": status, "first_seen": first,
                     "last_seen": month.label})
    skipped = set(not_assessed)
    gone = sorted((k for k in prev_keys if k not in seen), key=lambda k: k)
    for key in gone:
        r = prev_keys[key]
        status = "not_reassessed" if key[0] in skipped else "resolved"
        rows.append({"rule_id": r["rule_id"], "severity": r.get("severity", ""),
                     "subject_type": r.get("subject_type", ""), "subject_id": r["subject_id"],
                     "occurred_at": r.get("occurred_at", ""), "status": status,
                     "first_seen": first_seen.get(key, prev.label), "last_seen": prev.label})

    table = pd.DataFrame(rows, columns=STATUS_COLUMNS, dtype=object)
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        c = counts.setdefault(r["rule_id"], dict.fromkeys(STATUSES, 0))
        c[r["status"]] += 1
    if previous is not None:
        note = f"Compared with the {prev.label} report in this folder."
    return Status(table=table, baseline=prev.label if previous is not None else None, note=note,
                  counts=counts)
