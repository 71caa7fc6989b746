"""The declared policy (policies/mystamp.yml): load, validate, and give the rows of the tables the rules read."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .assets import default_policy_path
from .contract import ACCESS_LOG
from .errors import PolicyError

REQUIRED_SECTIONS = (
    "policy", "controller", "contact", "data_categories", "data_subjects", "activities",
    "profiling", "processors", "transfers", "retention", "security_measures", "eea",
)
RESOURCES = ACCESS_LOG.column("resource").allowed
ACTIONS = ACCESS_LOG.column("action").allowed


@dataclass(frozen=True)
class Policy:
    path: Path
    sha256: str
    data: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.data["policy"]["version"])

    @property
    def eea(self) -> list[str]:
        return list(self.data["eea"])

    @property
    def retention_years(self) -> int:
        return int(self.data["retention"]["period_years"])

    def processor_countries(self) -> list[tuple[str, str]]:
        out = []
        for p in self.data["processors"]:
            for c in p["countries"]:
                for country in (self.eea if c == "EEA" else [c]):
                    out.append((p["key"], country))
        return out

    def processor_scope(self) -> list[tuple[str, str]]:
        """(processor, resource, action) triples, wildcards expanded over the contract's values."""
        out = []
        for p in self.data["processors"]:
            for entry in p["scope"]:
                resources = RESOURCES if entry["resource"] == "*" else [entry["resource"]]
                actions = ACTIONS if "*" in entry["actions"] else entry["actions"]
                out.extend((p["key"], r, a) for r in resources for a in actions)
        return out

    def policy_tables(self) -> dict[str, list[tuple]]:
        """The rows of the tables the rule queries read (see engine.POLICY_TABLES):
        policy_processor(processor, role), policy_processor_country(processor, country),
        policy_processor_scope(processor, resource, action), policy_eea(country)."""
        return {
            "policy_processor": [(p["key"], p["role"]) for p in self.data["processors"]],
            "policy_processor_country": self.processor_countries(),
            "policy_processor_scope": self.processor_scope(),
            "policy_eea": [(c,) for c in self.eea],
        }

    def category(self, key: str) -> dict[str, Any]:
        for c in self.data["data_categories"]:
            if c["key"] == key:
                return c
        raise KeyError(key)


def _fail(path: Path, where: str, what: str) -> PolicyError:
    return PolicyError(f"policy {path}: {where}: {what}")


def _need(path: Path, entry: dict, where: str, *keys: str) -> None:
    if not isinstance(entry, dict):
        raise _fail(path, where, "must be a mapping")
    for key in keys:
        if key not in entry or entry[key] in (None, "", []):
            raise _fail(path, where, f"missing '{key}'")


@lru_cache(maxsize=1)
def _fides_keys() -> frozenset[str]:
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    return frozenset(c.fides_key for c in DEFAULT_TAXONOMY.data_category)


def validate(path: Path, data: Any) -> None:
    if not isinstance(data, dict):
        raise _fail(path, "top level", "must be a mapping")
    for section in REQUIRED_SECTIONS:
        if section not in data:
            raise _fail(path, section, "section missing")
    _need(path, data["policy"], "policy", "id", "version", "notice")
    for section in ("controller", "contact", "profiling", "retention", "security_measures"):
        _need(path, data[section], section, "notice")
    _need(path, data["controller"], "controller", "name", "address")
    years = data["retention"].get("period_years")
    if not isinstance(years, int) or years < 1:
        raise _fail(path, "retention", "period_years must be a whole number >= 1")

    known = set(_fides_keys())
    for i, ext in enumerate(data.get("taxonomy_extensions") or []):
        where = f"taxonomy_extensions[{i}] ({ext.get('fides_key', '?') if isinstance(ext, dict) else '?'})"
        _need(path, ext, where, "fides_key", "parent_key", "name", "notice")
        if ext["parent_key"] not in known:
            raise _fail(path, where, f"parent_key {ext['parent_key']!r} is not a fideslang data category")
        if not ext["fides_key"].startswith(ext["parent_key"] + "."):
            raise _fail(path, where, "fides_key must extend its parent_key")
        known.add(ext["fides_key"])

    categories = set()
    for i, cat in enumerate(data["data_categories"]):
        where = f"data_categories[{i}] ({cat.get('key', '?') if isinstance(cat, dict) else '?'})"
        _need(path, cat, where, "key", "name", "fides_key", "columns", "notice")
        if cat["fides_key"] not in known:
            raise _fail(path, where, f"fides_key {cat['fides_key']!r} is neither in fideslang's default "
                                     "taxonomy nor declared under taxonomy_extensions")
        categories.add(cat["key"])
    subjects = set()
    for i, subj in enumerate(data["data_subjects"]):
        where = f"data_subjects[{i}] ({subj.get('key', '?') if isinstance(subj, dict) else '?'})"
        _need(path, subj, where, "key", "name", "notice")
        subjects.add(subj["key"])
    for i, act in enumerate(data["activities"]):
        where = f"activities[{i}] ({act.get('id', '?') if isinstance(act, dict) else '?'})"
        _need(path, act, where, "id", "role", "name", "purpose", "legal_bases", "data_subjects",
              "data_categories", "notice")
        if act["role"] not in ("controller", "processor"):
            raise _fail(path, where, f"role must be controller or processor, got {act['role']!r}")
        for key in act["data_categories"]:
            if key not in categories:
                raise _fail(path, where, f"unknown data category {key!r}")
        for key in act["data_subjects"]:
            if key not in subjects:
                raise _fail(path, where, f"unknown data subject {key!r}")
    eea = data["eea"]
    if not isinstance(eea, list) or not all(isinstance(c, str) and len(c) == 2 for c in eea):
        raise _fail(path, "eea", "must be a list of ISO 3166-1 alpha-2 codes")
    keys = set()
    for i, proc in enumerate(data["processors"]):
        where = f"processors[{i}] ({proc.get('key', '?') if isinstance(proc, dict) else '?'})"
        _need(path, proc, where, "key", "name", "role", "countries", "scope", "notice")
        for c in proc["countries"]:
            if c != "EEA" and not (isinstance(c, str) and len(c) == 2):
                raise _fail(path, where, f"country {c!r} is neither EEA nor an ISO alpha-2 code")
        for j, entry in enumerate(proc["scope"]):
            _need(path, entry, f"{where}.scope[{j}]", "resource", "actions")
            if entry["resource"] != "*" and entry["resource"] not in RESOURCES:
                raise _fail(path, f"{where}.scope[{j}]", f"unknown resource {entry['resource']!r}")
            for a in entry["actions"]:
                if a != "*" and a not in ACTIONS:
                    raise _fail(path, f"{where}.scope[{j}]", f"unknown action {a!r}")
        keys.add(proc["key"])
    for i, tr in enumerate(data["transfers"]):
        where = f"transfers[{i}] ({tr.get('country', '?') if isinstance(tr, dict) else '?'})"
        _need(path, tr, where, "country", "recipients", "safeguards", "notice")
        for r in tr["recipients"]:
            if r not in keys:
                raise _fail(path, where, f"recipient {r!r} is not a declared processor")


def load_policy(path: str | Path | None = None) -> Policy:
    path = Path(path) if path else default_policy_path()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"policy {path}: cannot read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy {path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    validate(path, data)
    return Policy(path=path.resolve(), sha256=hashlib.sha256(raw).hexdigest(), data=data)
