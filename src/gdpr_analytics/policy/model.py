"""The declared policy (policies/mystamp.yml): load, validate, and give the rows of the tables the rules read.

One file is one version of the policy. `policy_history` reads a file or a folder of versions; this
module knows one version. Validation reports every problem of a file at once (`PolicyInvalid.problems`),
each naming the entry ("activities[0] (P1): unknown data category 'shoe_size'").

A *statement* is how the file records something a register must say: a plain value, or a mapping
{text, notice} for what the notice states, and/or {not_stated: "…"} for what it leaves unsaid (see the
head of policies/mystamp.yml).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .assets import default_policy_path
from .contract import ACCESS_LOG
from .errors import PolicyError

REQUIRED_SECTIONS = (
    "policy", "controller", "contact", "data_protection_officer", "representative", "joint_controllers",
    "data_categories", "data_subjects", "activity_defaults", "activities", "profiling", "processors",
    "transfers", "retention", "security_measures", "eea",
)
RESOURCES = ACCESS_LOG.column("resource").allowed
ACTIONS = ACCESS_LOG.column("action").allowed
#: Bounds of "in force at every instant" in the time-bounded policy tables (TIMESTAMP range of DuckDB).
ALWAYS_FROM = datetime(1, 1, 1)
ALWAYS_TO = datetime(9999, 12, 31)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Fields of an activity that are statements, taken from activity_defaults when the activity has none.
ACTIVITY_STATEMENTS = ("source", "technology", "data_subject_rights", "process_owner", "dpia",
                       "vulnerable_subjects", "data_combination", "classification", "risks")


class PolicyInvalid(PolicyError):
    """A policy file that does not validate; `problems` lists every problem found."""

    def __init__(self, path: Path, problems: list[str]):
        self.path, self.problems = path, problems
        more = f" (and {len(problems) - 1} more problem(s): gdpr-analytics policy check lists them)" \
            if len(problems) > 1 else ""
        super().__init__(f"policy {path}: {problems[0]}{more}")


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
        return _as_date(self.data["policy"].get("effective_from"))

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
        """The rows of the tables the state rules and statistics read (see engine.POLICY_TABLES):
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
        """Every policy table (engine.POLICY_TABLES) for one file, in force at every instant."""
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


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"must be a date YYYY-MM-DD, got {value!r}")


# -- validation -------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _fideslang_keys() -> dict[str, list[str]]:
    """fideslang's default taxonomy keys and legal bases. Importing fideslang builds its pydantic models
    (0.15 s, every command): the keys are kept in the user's cache folder, one file per fideslang
    version, and read from there afterwards (fideslang itself when the folder cannot be written)."""
    from importlib.metadata import version

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gdpr-analytics" / \
        f"fideslang-{version('fideslang')}.json"
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY as T
    from fideslang.models import LegalBasisForProcessingEnum

    keys = {"data_category": sorted(c.fides_key for c in T.data_category),
            "data_use": sorted(u.fides_key for u in T.data_use),
            "data_subject": sorted(s.fides_key for s in T.data_subject),
            "legal_basis": [e.value for e in LegalBasisForProcessingEnum]}
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}")
        tmp.write_text(json.dumps(keys), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:
        pass
    return keys


def fides_defaults() -> dict[str, frozenset[str]]:
    """The fides keys of fideslang's default taxonomy: data categories, data uses, data subjects."""
    keys = _fideslang_keys()
    return {k: frozenset(keys[k]) for k in ("data_category", "data_use", "data_subject")}


def fides_legal_bases() -> tuple[str, ...]:
    return tuple(_fideslang_keys()["legal_basis"])


class _Check:
    """Collects the problems of one file."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    def need(self, entry: Any, where: str, *keys: str) -> bool:
        if not isinstance(entry, dict):
            self.fail(where, "must be a mapping")
            return False
        ok = True
        for key in keys:
            if key not in entry or entry[key] in (None, "", []):
                self.fail(where, f"missing '{key}'")
                ok = False
        return ok

    def statement(self, value: Any, where: str) -> None:
        """A plain value, or {text, notice} and/or {not_stated}."""
        if isinstance(value, (str, int, float, bool)) and value not in ("",):
            return
        if not isinstance(value, dict):
            self.fail(where, "must be a value, {text, notice} or {not_stated: …}")
            return
        unknown = set(value) - {"text", "notice", "not_stated"}
        if unknown:
            self.fail(where, f"unknown key(s) {', '.join(sorted(unknown))} (a statement has text, notice, "
                             "not_stated)")
        if "text" not in value and "not_stated" not in value:
            self.fail(where, "needs 'text' (what the notice states) or 'not_stated' (what it leaves unsaid)")
        if "text" in value and not str(value.get("notice") or "").startswith("§"):
            self.fail(where, "a stated 'text' needs the 'notice' section (§) that states it")
        for key in ("text", "not_stated"):
            if key in value and not (isinstance(value[key], str) and value[key].strip()):
                self.fail(where, f"'{key}' must be non-empty text")


def _name(entry: Any, key: str) -> str:
    return str(entry.get(key, "?")) if isinstance(entry, dict) else "?"


def problems(data: Any) -> list[str]:
    """Every problem of one policy version (structure, dates, cross-references, fideslang keys)."""
    c = _Check()
    if not isinstance(data, dict):
        return ["top level: must be a mapping"]
    missing = [s for s in REQUIRED_SECTIONS if s not in data]
    for section in missing:
        c.fail(section, "section missing")
    if missing:
        return c.problems

    if c.need(data["policy"], "policy", "id", "version", "notice"):
        try:
            _as_date(data["policy"].get("effective_from"))
        except ValueError as exc:
            c.fail("policy.effective_from", str(exc))
    for section in ("controller", "contact", "data_protection_officer", "profiling", "retention"):
        c.need(data[section], section, "notice")
    c.need(data["controller"], "controller", "name", "address")
    for key in ("phone", "email", "enterprise_number"):
        if isinstance(data["controller"], dict) and key in data["controller"]:
            c.statement(data["controller"][key], f"controller.{key}")
    if isinstance(data["data_protection_officer"], dict):
        for key in ("name", "email", "phone", "part_of_staff", "contact"):
            if key in data["data_protection_officer"]:
                c.statement(data["data_protection_officer"][key], f"data_protection_officer.{key}")
    c.statement(data["representative"], "representative")
    c.statement(data["joint_controllers"], "joint_controllers")
    if isinstance(data["policy"], dict) and "published" in data["policy"]:
        c.statement(data["policy"]["published"], "policy.published")
    years = data["retention"].get("period_years") if isinstance(data["retention"], dict) else None
    if not isinstance(years, int) or isinstance(years, bool) or years < 1:
        c.fail("retention", "period_years must be a whole number >= 1")
    if isinstance(data["profiling"], dict):
        for key in ("profiling", "personalised_advertising", "automated_decisions"):
            if not isinstance(data["profiling"].get(key), bool):
                c.fail("profiling", f"'{key}' must be true or false")

    fides = fides_defaults()
    known = set(fides["data_category"])
    for i, ext in enumerate(data.get("taxonomy_extensions") or []):
        where = f"taxonomy_extensions[{i}] ({_name(ext, 'fides_key')})"
        if not c.need(ext, where, "fides_key", "parent_key", "name", "notice"):
            continue
        if ext["parent_key"] not in known:
            c.fail(where, f"parent_key {ext['parent_key']!r} is not a fideslang data category")
        elif not ext["fides_key"].startswith(ext["parent_key"] + "."):
            c.fail(where, "fides_key must extend its parent_key")
        known.add(ext["fides_key"])
    known_subjects = set(fides["data_subject"])
    for i, ext in enumerate(data.get("data_subject_extensions") or []):
        where = f"data_subject_extensions[{i}] ({_name(ext, 'fides_key')})"
        if c.need(ext, where, "fides_key", "name", "notice"):
            if not re.match(r"^[a-zA-Z0-9_.<>-]+$", ext["fides_key"]):
                c.fail(where, f"fides_key {ext['fides_key']!r} is not a valid fides key")
            known_subjects.add(ext["fides_key"])

    categories = set()
    for i, cat in enumerate(data["data_categories"] or []):
        where = f"data_categories[{i}] ({_name(cat, 'key')})"
        if not c.need(cat, where, "key", "name", "fides_key", "columns", "notice"):
            continue
        if cat["fides_key"] not in known:
            c.fail(where, f"fides_key {cat['fides_key']!r} is neither in fideslang's default "
                          "taxonomy nor declared under taxonomy_extensions")
        if "special_category" in cat and not isinstance(cat["special_category"], bool):
            c.statement(cat["special_category"], f"{where}.special_category")
        if "retention" in cat and cat["retention"] != "section":
            c.statement(cat["retention"], f"{where}.retention")
        categories.add(cat["key"])
    subjects = set()
    for i, subj in enumerate(data["data_subjects"] or []):
        where = f"data_subjects[{i}] ({_name(subj, 'key')})"
        if not c.need(subj, where, "key", "name", "notice"):
            continue
        if "fides_key" in subj and subj["fides_key"] not in known_subjects:
            c.fail(where, f"fides_key {subj['fides_key']!r} is neither a fideslang data subject nor declared "
                          "under data_subject_extensions")
        if "retention" in subj:
            c.statement(subj["retention"], f"{where}.retention")
        subjects.add(subj["key"])

    defaults = data["activity_defaults"]
    if not isinstance(defaults, dict):
        c.fail("activity_defaults", "must be a mapping")
        defaults = {}
    for key in ACTIVITY_STATEMENTS:
        if key in defaults:
            c.statement(defaults[key], f"activity_defaults.{key}")

    eea = data["eea"]
    if not isinstance(eea, list) or not all(isinstance(x, str) and len(x) == 2 for x in eea):
        c.fail("eea", "must be a list of ISO 3166-1 alpha-2 codes")
    keys = set()
    for i, proc in enumerate(data["processors"] or []):
        where = f"processors[{i}] ({_name(proc, 'key')})"
        if not c.need(proc, where, "key", "name", "role", "countries", "scope", "notice"):
            continue
        if proc["key"] in keys:
            c.fail(where, f"processor key {proc['key']!r} is declared twice")
        for code in list(proc["countries"]) + list(proc.get("access_from") or []):
            if code != "EEA" and not (isinstance(code, str) and len(code) == 2 and code.isupper()):
                c.fail(where, f"country {code!r} is neither EEA nor an ISO alpha-2 code")
        for j, entry in enumerate(proc["scope"]):
            if not c.need(entry, f"{where}.scope[{j}]", "resource", "actions"):
                continue
            if entry["resource"] != "*" and entry["resource"] not in RESOURCES:
                c.fail(f"{where}.scope[{j}]", f"unknown resource {entry['resource']!r}")
            for a in entry["actions"]:
                if a != "*" and a not in ACTIONS:
                    c.fail(f"{where}.scope[{j}]", f"unknown action {a!r}")
        if "contract" in proc:
            c.statement(proc["contract"], f"{where}.contract")
        keys.add(proc["key"])

    ids = set()
    for i, act in enumerate(data["activities"] or []):
        where = f"activities[{i}] ({_name(act, 'id')})"
        if not c.need(act, where, "id", "role", "name", "purpose", "legal_bases", "data_subjects",
                      "data_categories", "notice"):
            continue
        if act["id"] in ids:
            c.fail(where, f"activity id {act['id']!r} is declared twice")
        ids.add(act["id"])
        if act["role"] not in ("controller", "processor"):
            c.fail(where, f"role must be controller or processor, got {act['role']!r}")
        for key in act["data_categories"]:
            if key not in categories:
                c.fail(where, f"unknown data category {key!r}")
        for key in act["data_subjects"]:
            if key not in subjects:
                c.fail(where, f"unknown data subject {key!r}")
        for key in act.get("recipients") or []:
            if key not in keys:
                c.fail(where, f"recipient {key!r} is not a declared processor")
        for j, basis in enumerate(act["legal_bases"]):
            c.need(basis, f"{where}.legal_bases[{j}]", "basis")
        if "fides_data_use" in act and act["fides_data_use"] not in fides["data_use"]:
            c.fail(where, f"fides_data_use {act['fides_data_use']!r} is not a fideslang data use")
        if "fides_legal_basis" in act and act["fides_legal_basis"] not in fides_legal_bases():
            c.fail(where, f"fides_legal_basis {act['fides_legal_basis']!r} is not one of fideslang's: "
                          + ", ".join(fides_legal_bases()))
        for key in (*ACTIVITY_STATEMENTS, "art28_contract"):
            if key in act:
                c.statement(act[key], f"{where}.{key}")

    for i, tr in enumerate(data["transfers"] or []):
        where = f"transfers[{i}] ({_name(tr, 'country')})"
        if not c.need(tr, where, "country", "recipients", "safeguards", "notice"):
            continue
        c.statement(tr["safeguards"], f"{where}.safeguards")
        if "mechanism" in tr:
            c.statement(tr["mechanism"], f"{where}.mechanism")
        for r in tr["recipients"]:
            if r not in keys:
                c.fail(where, f"recipient {r!r} is not a declared processor")

    sec = data["security_measures"]
    if c.need(sec, "security_measures", "general_description"):
        c.statement(sec["general_description"], "security_measures.general_description")
        for j, item in enumerate(sec.get("stated") or []):
            c.statement(item, f"security_measures.stated[{j}]")
    return c.problems


def validate(path: Path, data: Any) -> None:
    found = problems(data)
    if found:
        raise PolicyInvalid(path, found)


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
    """One policy file (for a folder of versions, see policy_history.load_history)."""
    path = Path(path) if path else default_policy_path()
    if path.is_dir():
        raise PolicyError(f"policy {path}: is a folder of versions; this needs one file "
                          "(policy_history.load_history reads folders)")
    return parse(path, read(path))
