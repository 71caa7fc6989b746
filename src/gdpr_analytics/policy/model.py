"""One version of the declared policy (policies/mystamp.yml): parsed, validated (validation.py), and the
rows of the policy tables the rules read.

One file is one version of the policy; history.py reads a file or a folder of versions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from ..core.assets import default_policy_path
from ..core.errors import PolicyError
from .validation import ACTIONS, RESOURCES, as_date, validate

#: Bounds of "in force at every instant" in the time-bounded policy tables (TIMESTAMP range of DuckDB).
ALWAYS_FROM = datetime(1, 1, 1)
ALWAYS_TO = datetime(9999, 12, 31)


@dataclass(frozen=True)
class Policy:
    path: Path
    sha256: str
    data: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.data["policy"]["version"])

    @property
    def effective_from(self) -> date | None:
        """policy.effective_from: the first day (00:00 UTC) the version is in force; None when not given."""
        return as_date(self.data["policy"].get("effective_from"))

    @property
    def eea(self) -> list[str]:
        return list(self.data["eea"])

    @property
    def retention_years(self) -> int:
        return int(self.data["retention"]["period_years"])

    @property
    def personalised_advertising(self) -> bool:
        return bool(self.data["profiling"].get("personalised_advertising"))

    def processor_countries(self) -> list[tuple[str, str]]:
        out = []
        for p in self.data["processors"]:
            for c in p["countries"]:
                for country in (self.eea if c == "EEA" else [c]):
                    out.append((p["key"], country))
        return out

    def processor_scope(self) -> list[tuple[str, str, str]]:
        """(processor, resource, action) triples, wildcards expanded over the contract's values."""
        out = []
        for p in self.data["processors"]:
            for entry in p["scope"]:
                resources = RESOURCES if entry["resource"] == "*" else [entry["resource"]]
                actions = ACTIONS if "*" in entry["actions"] else entry["actions"]
                out.extend((p["key"], r, a) for r in resources for a in actions)
        return out

    def policy_tables(self) -> dict[str, list[tuple]]:
        """The rows of the tables the state rules and statistics read (see engines.base.POLICY_TABLES):
        policy_processor(processor, role), policy_processor_country(processor, country),
        policy_processor_scope(processor, resource, action), policy_eea(country)."""
        return {
            "policy_processor": [(p["key"], p["role"]) for p in self.data["processors"]],
            "policy_processor_country": self.processor_countries(),
            "policy_processor_scope": self.processor_scope(),
            "policy_eea": [(c,) for c in self.eea],
        }

    def tables_at(self, valid_from: datetime, valid_to: datetime) -> dict[str, list[tuple]]:
        """The rows of the time-bounded tables the event rules read, for this version in force over
        [valid_from, valid_to): the tables of `policy_tables` with the version first and the two bounds
        last on each row, and policy_version_at(version, sha256, valid_from, valid_to,
        personalised_advertising)."""
        out = {f"{name}_at": [(self.version, *row, valid_from, valid_to) for row in rows]
               for name, rows in self.policy_tables().items()}
        out["policy_version_at"] = [(self.version, self.sha256, valid_from, valid_to,
                                     self.personalised_advertising)]
        return out

    def tables(self, month=None) -> dict[str, list[tuple]]:
        """Every policy table (engines.base.POLICY_TABLES) for one file, in force at every instant."""
        return {**self.policy_tables(), **self.tables_at(ALWAYS_FROM, ALWAYS_TO)}

    def category(self, key: str) -> dict[str, Any]:
        for c in self.data["data_categories"]:
            if c["key"] == key:
                return c
        raise KeyError(f"no data category {key!r}; the policy declares "
                       + ", ".join(c["key"] for c in self.data["data_categories"]))

    def subject(self, key: str) -> dict[str, Any]:
        for s in self.data["data_subjects"]:
            if s["key"] == key:
                return s
        raise KeyError(f"no data subject {key!r}; the policy declares "
                       + ", ".join(s["key"] for s in self.data["data_subjects"]))

    def processor(self, key: str) -> dict[str, Any]:
        for p in self.data["processors"]:
            if p["key"] == key:
                return p
        raise KeyError(f"no processor {key!r}; the policy declares "
                       + ", ".join(p["key"] for p in self.data["processors"]))

    def activity(self, activity_id: str) -> dict[str, Any]:
        for a in self.data["activities"]:
            if a["id"] == activity_id:
                return a
        raise KeyError(f"no activity {activity_id!r}; the policy declares "
                       + ", ".join(a["id"] for a in self.data["activities"]))

    def activity_statement(self, activity: dict, field: str) -> Any:
        """An activity's statement for field, or the one of activity_defaults."""
        if field in activity:
            return activity[field]
        return (self.data.get("activity_defaults") or {}).get(field)


def parse(path: Path, raw: bytes) -> Policy:
    """One policy version from its bytes; PolicyError naming the file when it does not parse or validate."""
    try:
        data = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml when present
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy {path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    validate(path, data)
    return Policy(path=path.resolve(), sha256=hashlib.sha256(raw).hexdigest(), data=data)


def read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"policy {path}: cannot read: {exc.strerror}") from None


def load_policy(path: str | Path | None = None) -> Policy:
    """One policy file (for a folder of versions, see history.load_history)."""
    path = Path(path) if path else default_policy_path()
    if path.is_dir():
        raise PolicyError(f"policy {path}: is a folder of versions; this needs one file "
                          "(policy.history.load_history reads folders)")
    return parse(path, read(path))
