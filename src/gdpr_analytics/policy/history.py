"""Policy history (SPEC §7): a policy file in force at every instant, or a folder of versions.

A folder holds one file per version (`*.yml`, `*.yaml`), each the whole policy with
`policy.effective_from: "YYYY-MM-DD"`: in force from that day's first instant (UTC) until the next
version's. `load_history` rejects, naming the files: a folder with no version, a file that does not
parse or validate, a version without effective_from, two versions of one date, versions of different
policies. A month that starts before the earliest version is refused (`check_covers`): the suite does
not know what was in force then.

For a month: event rules judge each event by the version in force at its time (the `_at` tables of
`tables`); state rules, statistics and the ROPA use the version in force at the month's last instant
(`at_month_end`). `in_force(month)` gives every version in force during [period_start, as_of) with its
SHA-256, for manifests and the month-results store; `changes(old, new)` says what changed between two
versions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.assets import default_policy_path
from ..core.errors import PolicyError
from ..core.instants import format_instant as _iso
from ..core.instants import naive_utc as _instant
from .evidence import EMPTY_TABLES, Evidence, EvidenceInvalid, load_evidence
from .model import ALWAYS_FROM, ALWAYS_TO, Policy, parse, read
from .validation import PolicyInvalid

if TYPE_CHECKING:
    import pandas as pd

SUFFIXES = (".yml", ".yaml")
CHANGE_COLUMNS = ["aspect", "item", "change", "before", "after"]


@dataclass(frozen=True)
class Version:
    """One version and the instants it is in force: [valid_from, valid_to), naive UTC."""

    policy: Policy
    valid_from: datetime
    valid_to: datetime

    @property
    def sha256(self) -> str:
        return self.policy.sha256

    @property
    def path(self) -> Path:
        return self.policy.path

    @property
    def version(self) -> str:
        return self.policy.version

    @property
    def effective_from(self) -> date | None:
        return self.policy.effective_from

    def in_force_text(self) -> str:
        start = "always" if self.valid_from == ALWAYS_FROM else f"from {_iso(self.valid_from)}"
        end = "" if self.valid_to == ALWAYS_TO else f" until {_iso(self.valid_to)} (exclusive)"
        return start + end

    def describe(self) -> dict[str, Any]:
        """Name, version, dates and SHA-256, as manifests and pages record them."""
        return {
            "path": str(self.path), "file": self.path.name, "version": self.version,
            "effective_from": self.effective_from.isoformat() if self.effective_from else None,
            "valid_from": None if self.valid_from == ALWAYS_FROM else _iso(self.valid_from),
            "valid_to": None if self.valid_to == ALWAYS_TO else _iso(self.valid_to),
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class PolicyHistory:
    """The versions of a policy, oldest first; `folder` is False for a single file."""

    source: Path
    versions: tuple[Version, ...]
    folder: bool = False
    evidence: Evidence | None = None  # the controller's internal evidence (--evidence), SPEC §12

    @classmethod
    def single(cls, policy: Policy) -> "PolicyHistory":
        return cls(policy.path, (Version(policy, ALWAYS_FROM, ALWAYS_TO),), folder=False)

    def with_evidence(self, evidence: Evidence | None) -> "PolicyHistory":
        """This history read with the controller's evidence; EvidenceInvalid when it documents an activity
        no version of the policy declares (nor the evidence itself, as an internal activity)."""
        if evidence is None:
            return replace(self, evidence=None)
        known = {a["id"] for v in self.versions for a in v.policy.data["activities"]}
        known |= {str(a["id"]) for a in evidence.internal_activities}
        unknown = sorted(set(evidence.data.get("activities") or {}) - known)
        if unknown:
            raise EvidenceInvalid(evidence.path, [f"activities.{a}: no version of the policy declares activity "
                                                  f"{a} (declared: {', '.join(sorted(known))})" for a in unknown])
        return replace(self, evidence=evidence)

    @property
    def latest(self) -> Policy:
        return self.versions[-1].policy

    def version_at(self, instant: datetime) -> Version:
        """The version in force at instant; PolicyError when none is (before the earliest version)."""
        instant = _instant(instant)
        for v in self.versions:
            if v.valid_from <= instant < v.valid_to:
                return v
        first = self.versions[0]
        raise PolicyError(f"policy {self.source}: no version in force at {_iso(instant)}: the earliest, "
                          f"{first.path.name}, takes effect on {first.effective_from}")

    def at(self, instant: datetime) -> Policy:
        return self.version_at(instant).policy

    def check_covers(self, month) -> None:
        """A month must lie wholly within the history: every event of it has a version to judge it."""
        self.version_at(month.period_start)

    def month_end_version(self, month) -> Version:
        """The version in force at the month's last instant (the last one starting before as_of)."""
        return self.version_at(month.as_of - timedelta(microseconds=1))

    def at_month_end(self, month) -> Policy:
        return self.month_end_version(month).policy

    def in_force(self, month) -> list[Version]:
        """Every version in force during [period_start, as_of), oldest first."""
        return [v for v in self.versions if v.valid_from < month.as_of and v.valid_to > month.period_start]

    def previous(self, version: Version) -> Version | None:
        i = self.versions.index(version)
        return self.versions[i - 1] if i else None

    def used(self, month) -> list[dict[str, Any]]:
        """The versions a month's outputs were judged by: each with its dates, SHA-256 and its role."""
        self.check_covers(month)
        end = self.month_end_version(month)
        out = []
        for v in self.in_force(month):
            role = ["events in force " + v.in_force_text()]
            if v is end:
                role.insert(0, "month end: state rules, statistics and the ROPA")
            out.append({**v.describe(), "used_for": "; ".join(role)})
        return out

    def tables(self, month=None) -> dict[str, list[tuple]]:
        """Every policy table (engines.base.POLICY_TABLES): the month-end version's (the latest version when
        month is None), and every version in its `_at` tables with the instants it is in force."""
        end = self.at_month_end(month) if month is not None else self.latest
        out: dict[str, list[tuple]] = dict(end.policy_tables())
        for v in self.versions:
            for table, rows in v.policy.tables_at(v.valid_from, v.valid_to).items():
                out.setdefault(table, []).extend(rows)
        out.update(self.evidence.tables() if self.evidence is not None else EMPTY_TABLES)
        return out


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def load_history(path: str | Path | None = None, evidence: str | Path | None = None) -> PolicyHistory:
    """A policy file (in force at every instant) or a folder of versions, read with the controller's
    evidence file when one is given; PolicyError naming the files."""
    history = _load_history(path)
    return history.with_evidence(load_evidence(evidence)) if evidence is not None else history


def _load_history(path: str | Path | None = None) -> PolicyHistory:
    path = Path(path) if path else default_policy_path()
    if not path.exists():
        raise PolicyError(f"policy {path}: no such file or folder")
    if not path.is_dir():
        return PolicyHistory.single(parse(path, read(path)))

    files = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file()
                   and not p.name.startswith("."))
    if not files:
        raise PolicyError(f"policy {path}: the folder holds no policy version (no *.yml or *.yaml file)")
    problems: list[str] = []
    policies: list[Policy] = []
    for f in files:
        try:
            p = parse(f, read(f))
        except PolicyInvalid as exc:
            problems.extend(f"{f.name}: {x}" for x in exc.problems)
            continue
        except PolicyError as exc:
            problems.append(f"{f.name}: {str(exc).split(': ', 1)[1] if ': ' in str(exc) else exc}")
            continue
        if p.effective_from is None:
            problems.append(f"{f.name}: policy.effective_from missing: every version in a policy folder says "
                            "from which day it is in force (\"YYYY-MM-DD\")")
            continue
        policies.append(p)
    by_date: dict[date, list[Policy]] = {}
    for p in policies:
        by_date.setdefault(p.effective_from, []).append(p)
    for d, same in sorted(by_date.items()):
        if len(same) > 1:
            problems.append(f"{' and '.join(p.path.name for p in same)}: two versions take effect on the same "
                            f"day, {d.isoformat()}")
    ids = sorted({str(p.data["policy"]["id"]) for p in policies})
    if len(ids) > 1:
        problems.append("the folder mixes versions of different policies (policy.id " + ", ".join(ids) + ")")
    by_version: dict[str, list[Policy]] = {}
    for p in policies:
        by_version.setdefault(p.version, []).append(p)
    for v, same in sorted(by_version.items()):
        if len(same) > 1:
            problems.append(f"{' and '.join(p.path.name for p in same)}: two files call themselves version {v}")
    if problems:
        raise PolicyInvalid(path, problems)
    policies.sort(key=lambda p: p.effective_from)
    versions = []
    for i, p in enumerate(policies):
        end = _midnight(policies[i + 1].effective_from) if i + 1 < len(policies) else ALWAYS_TO
        versions.append(Version(p, _midnight(p.effective_from), end))
    return PolicyHistory(path.resolve(), tuple(versions), folder=True)


# -- what changed between two versions -------------------------------------------------------------

def _by(items, key) -> dict[str, dict]:
    return {str(i[key]): i for i in items or []}


def _countries(p: Policy) -> dict[str, set[str]]:
    return {proc["key"]: set(proc["countries"]) for proc in p.data["processors"]}


def changes(old: Policy | None, new: Policy) -> pd.DataFrame:
    """What changed from old to new: activities, data categories, data subjects, processors, countries,
    scope, transfers, retention and profiling; one row per change (aspect, item, change, before, after).
    With no old version every item is 'added'."""
    import pandas as pd  # the record's page only: reading a policy needs no pandas

    rows: list[dict] = []

    def add(aspect, item, change, before="", after=""):
        rows.append({"aspect": aspect, "item": item, "change": change, "before": before, "after": after})

    def keyed(aspect, key, section, fields):
        before = _by(old.data[section], key) if old else {}
        after = _by(new.data[section], key)
        for k in after.keys() - before.keys():
            add(aspect, k, "added", after=str(after[k].get("name", "")))
        for k in before.keys() - after.keys():
            add(aspect, k, "removed", before=str(before[k].get("name", "")))
        for k in sorted(after.keys() & before.keys()):
            for f in fields:
                if before[k].get(f) != after[k].get(f):
                    add(aspect, k, f"{f} changed", _text(before[k].get(f)), _text(after[k].get(f)))

    keyed("activities", "id", "activities",
          ("name", "role", "purpose", "legal_bases", "data_subjects", "data_categories", "recipients"))
    keyed("data categories", "key", "data_categories", ("name", "fides_key", "columns", "optional", "account_types"))
    keyed("data subjects", "key", "data_subjects", ("name", "fides_key", "account_types"))
    keyed("processors", "key", "processors", ("name", "role", "service"))

    before_c = _countries(old) if old else {}
    for proc, now in _countries(new).items():
        was = before_c.get(proc, set())
        if now != was:
            add("countries", proc, "may access from", ", ".join(sorted(was)), ", ".join(sorted(now)))
    for proc in before_c.keys() - _countries(new).keys():
        add("countries", proc, "may access from", ", ".join(sorted(before_c[proc])), "")

    scope_old = {(p, f"{r}:{a}") for p, r, a in old.processor_scope()} if old else set()
    scope_new = {(p, f"{r}:{a}") for p, r, a in new.processor_scope()}
    for proc in sorted({p for p, _ in scope_old | scope_new}):
        gained = sorted(s for p, s in scope_new - scope_old if p == proc)
        lost = sorted(s for p, s in scope_old - scope_new if p == proc)
        if gained:
            add("scope", proc, "allowed", "", ", ".join(gained))
        if lost:
            add("scope", proc, "no longer allowed", ", ".join(lost), "")

    keyed("transfers", "country", "transfers", ("recipients", "safeguards", "mechanism"))
    for f in ("period_years", "counted_from", "applies_to"):
        was = old.data["retention"].get(f) if old else None
        now = new.data["retention"].get(f)
        if was != now:
            add("retention", f, "changed" if old else "added", _text(was), _text(now))
    for f in ("profiling", "personalised_advertising", "automated_decisions"):
        was = old.data["profiling"].get(f) if old else None
        now = new.data["profiling"].get(f)
        if was != now:
            add("profiling", f, "changed" if old else "added", _text(was), _text(now))
    df = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    order = {a: i for i, a in enumerate(["activities", "data categories", "data subjects", "processors",
                                         "countries", "scope", "transfers", "retention", "profiling"])}
    if len(df):
        df = df.sort_values(["aspect", "item", "change"], key=lambda s: s.map(order) if s.name == "aspect" else s,
                            kind="mergesort").reset_index(drop=True)
    return df


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value)
