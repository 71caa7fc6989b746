"""Validation of one policy version: every problem of a file at once, each naming its entry
("activities[0] (P1): unknown data category 'shoe_size'").

The checks are small named functions over the parsed YAML, run in order by `problems` (fideslang's
validators are the model): `check_sections`, `check_identity` (controller, contact, DPO, representative,
joint controllers), `check_retention_and_profiling`, `check_taxonomy` (fideslang keys and the policy's
extensions), `check_categories`, `check_subjects`, `check_defaults`, `check_processors`,
`check_activities`, `check_transfers`, `check_security`. Each appends to one `Problems` and returns what
the later checks need (the keys declared so far).

A *statement* is how the file records something a register must say: a plain value, or a mapping
{text, notice} for what the notice states, and/or {not_stated: "…"} for what it leaves unsaid.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..core.errors import PolicyError
from ..core.words import noun, plural
from ..ingest.contract import ACCESS_LOG, TABLES

REQUIRED_SECTIONS = (
    "policy", "controller", "contact", "data_protection_officer", "representative", "joint_controllers",
    "data_categories", "data_subjects", "activity_defaults", "activities", "profiling", "processors",
    "transfers", "retention", "security_measures", "eea",
)
RESOURCES = ACCESS_LOG.column("resource").allowed
DATA_TABLES = tuple(TABLES)
ACTIONS = ACCESS_LOG.column("action").allowed
#: Fields of an activity that are statements, taken from activity_defaults when the activity has none.
ACTIVITY_STATEMENTS = ("source", "technology", "data_subject_rights", "process_owner", "dpia",
                       "vulnerable_subjects", "data_combination", "classification", "risks",
                       "categories_per_purpose", "lia", "joint_controllers", "retention")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PolicyInvalid(PolicyError):
    """A policy file that does not validate; `problems` lists every problem found."""

    def __init__(self, path: Path, problems: list[str]):
        self.path, self.problems = path, problems
        more = f" (and {plural(len(problems) - 1, 'more problem')}: gdpr-analytics policy check lists them)" \
            if len(problems) > 1 else ""
        super().__init__(f"policy {path}: {problems[0]}{more}")


def as_date(value: Any) -> date | None:
    """A date given as YYYY-MM-DD (YAML may already have read it as a date); None when not given."""
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


# -- fideslang's taxonomy ---------------------------------------------------------------------------

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


# -- the problems of one file -----------------------------------------------------------------------

class Problems:
    """Collects the problems of one file, each naming its entry."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def fail(self, where: str, what: str) -> None:
        self.found.append(f"{where}: {what}")

    def need(self, entry: Any, where: str, *keys: str) -> bool:
        """The entry is a mapping with every key given a value."""
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
        """A plain value, or {text, notice} and/or {not_stated}, or {not_applicable: why}."""
        if isinstance(value, (str, int, float, bool)) and value not in ("",):
            return
        if not isinstance(value, dict):
            self.fail(where, "must be a value, {text, notice} or {not_stated: …}")
            return
        unknown = set(value) - {"text", "notice", "not_stated", "not_applicable"}
        if unknown:
            self.fail(where, f"unknown {noun(len(unknown), 'key')} {', '.join(sorted(unknown))} "
                             "(a statement has text, notice, "
                             "not_stated, not_applicable)")
        if "text" not in value and "not_stated" not in value and "not_applicable" not in value:
            self.fail(where, "needs 'text' (what the notice states), 'not_stated' (what it leaves unsaid) or "
                             "'not_applicable' (why the field does not apply)")
        if "text" in value and not str(value.get("notice") or "").startswith("§"):
            self.fail(where, "a stated 'text' needs the 'notice' section (§) that states it")
        for key in ("text", "not_stated", "not_applicable"):
            if key in value and not (isinstance(value[key], str) and value[key].strip()):
                self.fail(where, f"'{key}' must be non-empty text")

    def statements(self, entry: Any, where: str, keys) -> None:
        """Each of keys that the mapping holds is a statement."""
        if isinstance(entry, dict):
            for key in keys:
                if key in entry:
                    self.statement(entry[key], f"{where}.{key}")


def _name(entry: Any, key: str) -> str:
    return str(entry.get(key, "?")) if isinstance(entry, dict) else "?"


def check_sections(data: dict, p: Problems) -> bool:
    """Every required section is there (the other checks run only then)."""
    for section in REQUIRED_SECTIONS:
        if section not in data:
            p.fail(section, "section missing")
    return all(s in data for s in REQUIRED_SECTIONS)


def check_identity(data: dict, p: Problems) -> None:
    """policy (id, version, notice, effective_from), controller, contact, DPO, representative, joint controllers."""
    if p.need(data["policy"], "policy", "id", "version", "notice"):
        try:
            as_date(data["policy"].get("effective_from"))
        except ValueError as exc:
            p.fail("policy.effective_from", str(exc))
    for section in ("controller", "contact", "data_protection_officer", "profiling", "retention"):
        p.need(data[section], section, "notice")
    p.need(data["controller"], "controller", "name", "address")
    p.statements(data["controller"], "controller", ("phone", "email", "enterprise_number"))
    p.statements(data["data_protection_officer"], "data_protection_officer",
                 ("name", "email", "phone", "part_of_staff", "contact"))
    p.statement(data["representative"], "representative")
    p.statement(data["joint_controllers"], "joint_controllers")
    p.statements(data["policy"], "policy", ("published",))


def check_retention_and_profiling(data: dict, p: Problems) -> None:
    years = data["retention"].get("period_years") if isinstance(data["retention"], dict) else None
    if not isinstance(years, int) or isinstance(years, bool) or years < 1:
        p.fail("retention", "period_years must be a whole number >= 1")
    if isinstance(data["profiling"], dict):
        for key in ("profiling", "personalised_advertising", "automated_decisions"):
            if not isinstance(data["profiling"].get(key), bool):
                p.fail("profiling", f"'{key}' must be true or false")


def check_taxonomy(data: dict, p: Problems) -> tuple[set[str], set[str]]:
    """The policy's extensions of fideslang's taxonomy; returns (known data categories, known subjects)."""
    fides = fides_defaults()
    known = set(fides["data_category"])
    for i, ext in enumerate(data.get("taxonomy_extensions") or []):
        where = f"taxonomy_extensions[{i}] ({_name(ext, 'fides_key')})"
        if not p.need(ext, where, "fides_key", "parent_key", "name", "notice"):
            continue
        if ext["parent_key"] not in known:
            p.fail(where, f"parent_key {ext['parent_key']!r} is not a fideslang data category")
        elif not ext["fides_key"].startswith(ext["parent_key"] + "."):
            p.fail(where, "fides_key must extend its parent_key")
        known.add(ext["fides_key"])
    subjects = set(fides["data_subject"])
    for i, ext in enumerate(data.get("data_subject_extensions") or []):
        where = f"data_subject_extensions[{i}] ({_name(ext, 'fides_key')})"
        if p.need(ext, where, "fides_key", "name", "notice"):
            if not re.match(r"^[a-zA-Z0-9_.<>-]+$", ext["fides_key"]):
                p.fail(where, f"fides_key {ext['fides_key']!r} is not a valid fides key")
            subjects.add(ext["fides_key"])
    return known, subjects


def check_categories(data: dict, p: Problems, known: set[str]) -> set[str]:
    """Each data category: its fideslang key, special category and retention statements; returns the keys."""
    keys = set()
    for i, cat in enumerate(data["data_categories"] or []):
        where = f"data_categories[{i}] ({_name(cat, 'key')})"
        if not p.need(cat, where, "key", "name", "fides_key", "columns", "notice"):
            continue
        if cat["fides_key"] not in known:
            p.fail(where, f"fides_key {cat['fides_key']!r} is neither in fideslang's default "
                          "taxonomy nor declared under taxonomy_extensions")
        if "special_category" in cat and not isinstance(cat["special_category"], bool):
            p.statement(cat["special_category"], f"{where}.special_category")
        if "retention" in cat and cat["retention"] != "section":
            p.statement(cat["retention"], f"{where}.retention")
        keys.add(cat["key"])
    return keys


def check_subjects(data: dict, p: Problems, known: set[str]) -> set[str]:
    """Each data subject: its fideslang key and retention statement; returns the keys."""
    keys = set()
    for i, subj in enumerate(data["data_subjects"] or []):
        where = f"data_subjects[{i}] ({_name(subj, 'key')})"
        if not p.need(subj, where, "key", "name", "notice"):
            continue
        if "fides_key" in subj and subj["fides_key"] not in known:
            p.fail(where, f"fides_key {subj['fides_key']!r} is neither a fideslang data subject nor declared "
                          "under data_subject_extensions")
        p.statements(subj, where, ("retention",))
        keys.add(subj["key"])
    return keys


def check_defaults(data: dict, p: Problems) -> None:
    if not isinstance(data["activity_defaults"], dict):
        p.fail("activity_defaults", "must be a mapping")
        return
    p.statements(data["activity_defaults"], "activity_defaults", ACTIVITY_STATEMENTS)


def check_processors(data: dict, p: Problems) -> set[str]:
    """The EEA list, and each processor: countries, scope (resources and actions of the access log),
    contract; returns the processor keys."""
    eea = data["eea"]
    if not isinstance(eea, list) or not all(isinstance(x, str) and len(x) == 2 for x in eea):
        p.fail("eea", "must be a list of ISO 3166-1 alpha-2 codes")
    keys: set[str] = set()
    for i, proc in enumerate(data["processors"] or []):
        where = f"processors[{i}] ({_name(proc, 'key')})"
        if not p.need(proc, where, "key", "name", "role", "countries", "scope", "notice"):
            continue
        if proc["key"] in keys:
            p.fail(where, f"processor key {proc['key']!r} is declared twice")
        for code in list(proc["countries"]) + list(proc.get("access_from") or []):
            if code != "EEA" and not (isinstance(code, str) and len(code) == 2 and code.isupper()):
                p.fail(where, f"country {code!r} is neither EEA nor an ISO alpha-2 code")
        for j, entry in enumerate(proc["scope"]):
            if not p.need(entry, f"{where}.scope[{j}]", "resource", "actions"):
                continue
            if entry["resource"] != "*" and entry["resource"] not in RESOURCES:
                p.fail(f"{where}.scope[{j}]", f"unknown resource {entry['resource']!r}")
            for a in entry["actions"]:
                if a != "*" and a not in ACTIONS:
                    p.fail(f"{where}.scope[{j}]", f"unknown action {a!r}")
        p.statements(proc, where, ("contract",))
        keys.add(proc["key"])
    return keys


def check_activities(data: dict, p: Problems, categories: set[str], subjects: set[str], processors: set[str]) -> None:
    """Each activity: role, categories, subjects, recipients, legal bases, fideslang use and basis, statements."""
    fides = fides_defaults()
    ids = set()
    for i, act in enumerate(data["activities"] or []):
        where = f"activities[{i}] ({_name(act, 'id')})"
        if not p.need(act, where, "id", "role", "name", "purpose", "legal_bases", "data_subjects", "notice"):
            continue
        if not isinstance(act.get("data_categories"), list):
            p.fail(where, "data_categories must be a list of data category keys (empty when the notice names none)")
            continue
        if act["id"] in ids:
            p.fail(where, f"activity id {act['id']!r} is declared twice")
        ids.add(act["id"])
        if act["role"] not in ("controller", "processor"):
            p.fail(where, f"role must be controller or processor, got {act['role']!r}")
        for key in act["data_categories"]:
            if key not in categories:
                p.fail(where, f"unknown data category {key!r}")
        for key in act["data_subjects"]:
            if key not in subjects:
                p.fail(where, f"unknown data subject {key!r}")
        for key in act.get("recipients") or []:
            if key not in processors:
                p.fail(where, f"recipient {key!r} is not a declared processor")
        others = {r.get("key") for r in data.get("other_recipients") or [] if isinstance(r, dict)}
        for key in act.get("other_recipients") or []:
            if key not in others:
                p.fail(where, f"other recipient {key!r} is not declared under other_recipients")
        for t in act.get("tables") or []:
            if t not in DATA_TABLES:
                p.fail(where, f"table {t!r} is not a table of the input data ({', '.join(DATA_TABLES)})")
        for j, basis in enumerate(act["legal_bases"]):
            if not (isinstance(basis, dict) and basis.get("not_stated")):
                p.need(basis, f"{where}.legal_bases[{j}]", "basis")
        p.statement(act["purpose"], f"{where}.purpose")
        if "fides_data_use" in act and act["fides_data_use"] not in fides["data_use"]:
            p.fail(where, f"fides_data_use {act['fides_data_use']!r} is not a fideslang data use")
        if "fides_legal_basis" in act and act["fides_legal_basis"] not in fides_legal_bases():
            p.fail(where, f"fides_legal_basis {act['fides_legal_basis']!r} is not one of fideslang's: "
                          + ", ".join(fides_legal_bases()))
        p.statements(act, where, (*ACTIVITY_STATEMENTS, "art28_contract"))


def check_transfers(data: dict, p: Problems, processors: set[str]) -> None:
    for i, tr in enumerate(data["transfers"] or []):
        where = f"transfers[{i}] ({_name(tr, 'country')})"
        if not p.need(tr, where, "country", "recipients", "safeguards", "notice"):
            continue
        p.statements(tr, where, ("safeguards", "mechanism"))
        for r in tr["recipients"]:
            if r not in processors:
                p.fail(where, f"recipient {r!r} is not a declared processor")


def check_security(data: dict, p: Problems) -> None:
    sec = data["security_measures"]
    if p.need(sec, "security_measures", "general_description"):
        p.statement(sec["general_description"], "security_measures.general_description")
        for j, item in enumerate(sec.get("stated") or []):
            p.statement(item, f"security_measures.stated[{j}]")


def problems(data: Any) -> list[str]:
    """Every problem of one policy version (structure, dates, cross-references, fideslang keys)."""
    if not isinstance(data, dict):
        return ["top level: must be a mapping"]
    p = Problems()
    if not check_sections(data, p):
        return p.found
    check_identity(data, p)
    check_retention_and_profiling(data, p)
    known_categories, known_subjects = check_taxonomy(data, p)
    categories = check_categories(data, p, known_categories)
    subjects = check_subjects(data, p, known_subjects)
    check_defaults(data, p)
    processors = check_processors(data, p)
    check_activities(data, p, categories, subjects, processors)
    check_transfers(data, p, processors)
    check_security(data, p)
    return p.found


def validate(path: Path, data: Any) -> None:
    found = problems(data)
    if found:
        raise PolicyInvalid(path, found)
