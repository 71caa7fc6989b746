"""The controller's internal evidence (SPEC §12): what it documents and the privacy notice does not say.

The policy file is what the notice states; an evidence file (`--evidence FILE`) is what the controller
documents internally: Art. 28 contracts, the transfer tool and transfer impact assessment (TIA) of each
transfer, supplementary measures, Art. 32 security measures, legitimate-interest assessments, DPIAs,
process owners, creation dates, and activities the notice does not describe. Every entry names its
source document (`document: <id>` of the `documents` list, each with a title and a date), and may carry
an owner and a review date. The record then shows each Art. 30 field as stated in the notice (§),
documented internally (document, date), to complete, or not applicable (why): policy/register.py.

An *entry* is a mapping: `{text: …, document: ID}` (documented), or `{not_applicable: "why"}` (optionally
with a document). A file with `evidence.example: true` holds fictitious values: every page and sheet
built with it says so at its top.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from ..core.errors import PolicyError, UsageError
from ..core.words import noun
from ..sql.portable import BLANKS
from .validation import ACTIONS, RESOURCES, as_date

#: The activity fields an evidence file may document (policy/register.py FIELDS keys).
ACTIVITY_FIELDS = (
    "process_owner", "dpia", "lia", "purposes", "dpo_contact", "data_categories", "security_measures", "vulnerable_subjects",
    "data_combination", "classification", "risks", "source", "technology", "legal_basis", "created_on",
    "joint_controllers", "processor_contracts", "safeguards", "retention", "special_categories", "location",
)
ENTRY_KEYS = {"text", "document", "owner", "review_by", "not_applicable"}


class EvidenceInvalid(PolicyError):
    """An evidence file that does not validate; `problems` lists every problem found."""

    def __init__(self, path: Path, problems: list[str]):
        self.path, self.problems = path, problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"evidence {path}: {problems[0]}{more}")


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def transfer_key(processor: Any, country: Any) -> tuple[str, str]:
    """A transfer's (processor, country) as the rules compare them: the processor in lower case without
    surrounding Unicode blanks (as XB-001 reads the access log), the country in capitals."""
    return str(processor).strip(BLANKS).lower(), str(country).strip(BLANKS).upper()


@dataclass(frozen=True)
class Evidence:
    path: Path
    sha256: str
    data: dict[str, Any]

    @property
    def example(self) -> bool:
        return bool(self.data["evidence"].get("example"))

    @property
    def name(self) -> str:
        return str(self.data["evidence"].get("id") or self.path.name)

    def describe(self) -> dict[str, Any]:
        return {"file": self.path.name, "id": self.name, "example": self.example, "sha256": self.sha256}

    # -- documents ------------------------------------------------------------------------------------
    def document(self, doc_id: str) -> dict[str, Any]:
        for d in self.data.get("documents") or []:
            if str(d["id"]) == str(doc_id):
                return d
        raise KeyError(doc_id)

    def cite(self, entry: dict) -> str:
        """'documented: <title> (<id>, <date>)' for an entry, with its owner and review date when given."""
        doc = self.document(entry["document"])
        extra = [f"owner {entry['owner']}"] if entry.get("owner") else []
        if entry.get("review_by"):
            extra.append(f"review by {as_date(entry['review_by']).isoformat()}")
        tail = f"; {', '.join(extra)}" if extra else ""
        return f"{doc['title']} ({doc['id']}, {as_date(doc['date']).isoformat()}{tail})"

    def render(self, entry: dict) -> str:
        """An entry as the record shows it: the documented text and its source document."""
        if entry.get("not_applicable"):
            return f"not applicable: {entry['not_applicable']}" + \
                (f" ({self.cite(entry)})" if entry.get("document") else "")
        return f"{entry['text']} [documented internally: {self.cite(entry)}]"

    # -- what it documents ----------------------------------------------------------------------------
    def activity(self, activity_id: str, field: str) -> dict | None:
        """The entry documenting field of an activity (its own, else the file's activity_defaults)."""
        own = (self.data.get("activities") or {}).get(activity_id) or {}
        if field in own:
            return own[field]
        return (self.data.get("activity_defaults") or {}).get(field)

    def processor(self, key: str) -> dict | None:
        for p in self.data.get("processors") or []:
            if p["key"] == key:
                return p
        return None

    def transfer(self, processor: str, country: str) -> dict | None:
        """The transfer entry of a (processor, country) pair, compared as the rules compare them."""
        key = transfer_key(processor, country)
        for t in self.data.get("transfers") or []:
            if transfer_key(t["processor"], t["country"]) == key:
                return t
        return None

    @property
    def transfers(self) -> list[dict]:
        return list(self.data.get("transfers") or [])

    @property
    def security_measures(self) -> list[dict]:
        return list(self.data.get("security_measures") or [])

    @property
    def internal_activities(self) -> list[dict]:
        """Activities the controller documents that the notice does not describe."""
        return list(self.data.get("internal_activities") or [])

    def tables(self) -> dict[str, list[tuple]]:
        """Rows of the evidence tables the rules read (engines.base.POLICY_TABLES): evidence_tia(processor,
        country, reference, review_by, monthly_records) and evidence_tia_scope(processor, country, resource,
        action), one row per TIA of the transfers."""
        tia, scope = [], []
        for t in self.transfers:
            a = t.get("tia")
            if not a:
                continue
            tia.append((t["processor"], t["country"], str(a["reference"]), _midnight(as_date(a["review_by"])),
                        int(a["monthly_records"])))
            scope.extend((t["processor"], t["country"], r, act) for r in a["resources"] for act in a["actions"])
        return {"evidence_tia": tia, "evidence_tia_scope": scope}


EMPTY_TABLES = {"evidence_tia": [], "evidence_tia_scope": []}


# -- validation ---------------------------------------------------------------------------------------

def _problems(data: Any) -> list[str]:
    out: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("evidence"), dict):
        return ["the file must be a mapping with an `evidence:` section (id, controller, example)"]
    docs = data.get("documents") or []
    ids = set()
    for i, d in enumerate(docs):
        where = f"documents[{i}]"
        if not isinstance(d, dict) or not d.get("id") or not d.get("title"):
            out.append(f"{where}: every document has an id and a title")
            continue
        ids.add(str(d["id"]))
        for key in ("date", "review_by"):
            if key in d or key == "date":
                try:
                    if as_date(d.get(key)) is None:
                        raise ValueError("must be a date YYYY-MM-DD")
                except ValueError as exc:
                    out.append(f"{where} ({d['id']}): {key} {exc}")

    def entry(where: str, e: Any) -> None:
        if not isinstance(e, dict):
            out.append(f"{where}: an entry is a mapping {{text, document}} or {{not_applicable}}, got {e!r}")
            return
        unknown = set(e) - ENTRY_KEYS
        if unknown:
            out.append(f"{where}: unknown {noun(len(unknown), 'key')} {', '.join(sorted(unknown))}; an entry has "
                       + ", ".join(sorted(ENTRY_KEYS)))
        if not e.get("not_applicable"):
            if not e.get("text"):
                out.append(f"{where}: an entry states its text (or why it is not_applicable)")
            if not e.get("document"):
                out.append(f"{where}: every entry names its source document (document: <id of documents>)")
        if e.get("document") and str(e["document"]) not in ids:
            out.append(f"{where}: document {e['document']!r} is not in documents")
        if "review_by" in e:
            try:
                as_date(e["review_by"])
            except ValueError as exc:
                out.append(f"{where}: review_by {exc}")

    for key, fields in (("activity_defaults", data.get("activity_defaults") or {}),
                        *(((f"activities.{a}", f) for a, f in (data.get("activities") or {}).items()))):
        if not isinstance(fields, dict):
            out.append(f"{key}: a mapping of field: entry")
            continue
        for f, e in fields.items():
            if f not in ACTIVITY_FIELDS:
                out.append(f"{key}.{f}: not a field an evidence file documents ({', '.join(ACTIVITY_FIELDS)})")
            else:
                entry(f"{key}.{f}", e)
    for i, p in enumerate(data.get("processors") or []):
        where = f"processors[{i}]"
        if not isinstance(p, dict) or not p.get("key"):
            out.append(f"{where}: every processor names its key (as in the policy)")
            continue
        for f in ("legal_entity", "contract", "scope"):
            if f in p:
                entry(f"{where} ({p['key']}).{f}", p[f])
    for i, m in enumerate(data.get("security_measures") or []):
        entry(f"security_measures[{i}]", m)
    pairs: set[tuple[str, str]] = set()
    for i, t in enumerate(data.get("transfers") or []):
        where = f"transfers[{i}]"
        if not isinstance(t, dict) or not t.get("processor") or not t.get("country"):
            out.append(f"{where}: a transfer names its processor and country")
            continue
        where = f"{where} ({t['processor']}|{t['country']})"
        pair = transfer_key(t["processor"], t["country"])
        if pair in pairs:
            out.append(f"{where}: the pair {pair[0]}|{pair[1]} is listed twice (one entry, one TIA per pair)")
        pairs.add(pair)
        for f in ("legal_entity", "access", "mechanism", "supplementary_measures"):
            if f in t:
                entry(f"{where}.{f}", t[f])
        tia = t.get("tia")
        if tia is None:
            continue
        if not isinstance(tia, dict):
            out.append(f"{where}.tia: a mapping {{reference, assessed_on, review_by, resources, actions, "
                       "monthly_records}}")
            continue
        for f in ("reference", "assessed_on", "review_by", "resources", "actions", "monthly_records"):
            if f not in tia:
                out.append(f"{where}.tia: {f} missing")
        for f in ("assessed_on", "review_by"):
            try:
                if f in tia and as_date(tia[f]) is None:
                    raise ValueError("must be a date YYYY-MM-DD")
            except ValueError as exc:
                out.append(f"{where}.tia.{f}: {exc}")
        for f, allowed in (("resources", RESOURCES), ("actions", ACTIONS)):
            values = tia.get(f)
            if f in tia and (not isinstance(values, list) or any(v not in allowed for v in values)):
                out.append(f"{where}.tia.{f}: a list of {', '.join(allowed)}, got {values!r}")
        n = tia.get("monthly_records")
        if "monthly_records" in tia and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
            out.append(f"{where}.tia.monthly_records: a whole number >= 0, got {n!r}")
        if tia.get("document") and str(tia["document"]) not in ids:
            out.append(f"{where}.tia: document {tia['document']!r} is not in documents")
    for i, a in enumerate(data.get("internal_activities") or []):
        where = f"internal_activities[{i}]"
        if not isinstance(a, dict) or not a.get("id") or not a.get("name") or not a.get("document"):
            out.append(f"{where}: an internal activity has an id, a name and its source document")
        elif str(a["document"]) not in ids:
            out.append(f"{where} ({a['id']}): document {a['document']!r} is not in documents")
    return out


def load_evidence(path: str | Path | None) -> Evidence | None:
    """The evidence file at path (None: no evidence); EvidenceInvalid naming every problem."""
    if path is None:
        return None
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"evidence {path}: is a folder; --evidence takes one YAML file")
    if not path.exists():
        raise UsageError(f"evidence {path}: no such file (policies/evidence.example.yml shows one)")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"evidence {path}: cannot read: {exc.strerror}") from None
    try:
        data = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise PolicyError(f"evidence {path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    problems = _problems(data)
    if problems:
        raise EvidenceInvalid(path, problems)
    return Evidence(path=path.resolve(), sha256=hashlib.sha256(raw).hexdigest(), data=data)
