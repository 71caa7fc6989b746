"""`gdpr-analytics policy export --format fides`: the policy as a fideslang manifest.

One organization (the controller, its data protection contact), one system (the MyStamp service)
with one privacy declaration per activity of the record: its fideslang data use, data categories and
data subjects, legal basis, retention, recipients; the taxonomy extensions the policy declares
(data categories, data subjects); third-country transfers, the DPO and the security practices on the
system. Fides fields the notice leaves unstated are left out (fideslang's defaults then apply) and are
listed in the system's `meta.to_complete`, never filled with an invented value: an undetermined special
category is not exported as `false`. What fideslang cannot express in one declaration is kept as the record
has it: an activity with two legal bases becomes one declaration per basis (fideslang holds one basis per
declaration); processors are not third parties (`third_parties` names only recipients that are not
processors, e.g. P4's advertising platforms) and are listed in `meta.processors`. With the controller's
evidence, the documented transfer tools and security measures fill their system fields, citing their
documents. The manifest is validated with fideslang's own pydantic models (`Taxonomy`) before it is written.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..core.errors import PolicyError
from . import register
from .model import Policy

ORGANIZATION_KEY = "bpost"


def _key(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-." else "_" for ch in text.lower()).strip("_")


def _subject_keys(policy: Policy, activity: dict) -> list[str]:
    out: list[str] = []
    for k in activity["data_subjects"]:
        key = policy.subject(k).get("fides_key", k)
        if key not in out:
            out.append(key)
    return out


#: fideslang's legal bases by the Art. 6(1) point a basis of the record cites.
LEGAL_BASES = {"a": "Consent", "b": "Contract", "c": "Legal obligations", "d": "Vital interests",
               "e": "Public interest", "f": "Legitimate interests"}


def legal_bases(activity: dict) -> list[str]:
    """fideslang's legal bases of an activity, in the record's order: one per Art. 6(1) point its stated
    bases cite (`fides_legal_basis` when none does)."""
    out: list[str] = []
    for b in activity["legal_bases"]:
        for point in re.findall(r"6\(1\)\(([a-f])\)", b.get("basis", "")):
            if LEGAL_BASES[point] not in out:
                out.append(LEGAL_BASES[point])
    if not out and activity.get("fides_legal_basis"):
        out.append(activity["fides_legal_basis"])
    return out


def declarations(policy: Policy, activity: dict, evidence=None) -> list[dict[str, Any]]:
    """The activity's privacy declarations: one per legal basis (one without a basis when none is stated)."""
    cells = register.entries(policy, activity, evidence)
    special = [policy.category(k).get("special_category") for k in activity["data_categories"]]
    others = [register.other_recipient(policy, k)["name"] for k in activity.get("other_recipients") or []]
    decl: dict[str, Any] = {
        "name": f"{activity['id']} — {activity['name']}",
        "data_use": activity["fides_data_use"],
        "data_categories": [policy.category(k)["fides_key"] for k in activity["data_categories"]],
        "data_subjects": _subject_keys(policy, activity),
        "retention_period": cells["retention"][0],
        "data_shared_with_third_parties": bool(others),
        "third_parties": "; ".join(others) if others else None,
        "shared_categories": [policy.category(k)["fides_key"] for k in activity["data_categories"]] if others else [],
    }
    if all(isinstance(s, bool) for s in special):
        decl["processes_special_category_data"] = any(special)
    decl = {k: v for k, v in decl.items() if v is not None}
    bases = legal_bases(activity)
    if len(bases) <= 1:
        return [{**decl, **({"legal_basis_for_processing": bases[0]} if bases else {})}]
    return [{**decl, "name": f"{decl['name']} ({basis})", "legal_basis_for_processing": basis} for basis in bases]


def declaration(policy: Policy, activity: dict) -> dict[str, Any]:
    """The activity's first privacy declaration."""
    return declarations(policy, activity)[0]


def to_complete(policy: Policy) -> list[str]:
    """Fides fields the notice does not state, left at fideslang's defaults."""
    d = policy.data
    out = []
    if register.state_of(d["joint_controllers"]) == register.INCOMPLETE:
        out.append("system.joint_controller_info: " + register.render(d["joint_controllers"]))
    for a in d["activities"]:
        if register.state_of(a.get("joint_controllers")) == register.INCOMPLETE and "joint_controllers" in a:
            out.append(f"system.joint_controller_info ({a['id']}): " + register.render(a["joint_controllers"]))
    if not register.stated(d["security_measures"]["general_description"]):
        out.append("system.data_security_practices (general description): "
                   + register.render(d["security_measures"]["general_description"]))
    mechanisms = [t for t in d["transfers"] if "mechanism" in t and not register.stated(t["mechanism"])]
    if mechanisms:
        out.append("system.legal_basis_for_transfers: " + register.render(mechanisms[0]["mechanism"]))
    dpia = d.get("activity_defaults", {}).get("dpia")
    if dpia is not None and not register.stated(dpia):
        out.append("system.requires_data_protection_assessments, system.dpa_location: " + register.render(dpia))
    owner = d.get("activity_defaults", {}).get("process_owner")
    if owner is not None and not register.stated(owner):
        out.append("system.administrating_department: " + register.render(owner))
    for a in d["activities"]:
        for k in a["data_categories"]:
            sc = policy.category(k).get("special_category")
            if not isinstance(sc, bool):
                out.append(f"privacy_declarations[{a['id']}].processes_special_category_data: {register.render(sc)}")
        gaps = [b for b in a["legal_bases"] if not b.get("basis")]
        if gaps:
            out.append(f"privacy_declarations[{a['id']}].legal_basis_for_processing: {register.render(gaps[0])}")
        elif not legal_bases(a):
            out.append(f"privacy_declarations[{a['id']}].legal_basis_for_processing: the legal basis is "
                       "determined by the customer as controller")
    return out


def manifest(policy: Policy, evidence=None) -> dict[str, Any]:
    d = policy.data
    c, contact = d["controller"], d["contact"]
    dpo_text, _ = register.dpo_text(policy)
    security, _ = register.security_cell(policy, evidence)
    roles = sorted({"Controller" if a["role"] == "controller" else "Processor" for a in d["activities"]})
    transfers = [{"country": t["country"], "recipients": t["recipients"],
                  "safeguards": register.render(t["safeguards"]),
                  "mechanism": register.render(t.get("mechanism")) if "mechanism" in t else None}
                 for t in d["transfers"]]
    system = {
        "fides_key": _key(d["policy"]["id"]),
        "organization_fides_key": ORGANIZATION_KEY,
        "name": d["policy"].get("title", d["policy"]["id"]),
        "description": f"{d['policy'].get('source', '')}, policy version {policy.version} "
                       f"(SHA-256 {policy.sha256})",
        "system_type": "Service",
        "privacy_declarations": [x for a in d["activities"] for x in declarations(policy, a, evidence)],
        "responsibility": roles,
        "legal_name": c["name"],
        "legal_address": c["address"],
        "dpo": dpo_text,
        "data_security_practices": security,
        "does_international_transfers": bool(d["transfers"]),
        "uses_profiling": bool(d["profiling"].get("profiling")),
        "processes_personal_data": True,
        "meta": {
            "policy_version": policy.version,
            "policy_sha256": policy.sha256,
            "third_country_transfers": transfers,
            "recipients_exhaustive": d.get("recipients_exhaustive", True),
            "processors": [{"key": p["key"], "name": p["name"], "role": p["role"], "service": p.get("service", ""),
                            "countries": p["countries"]} for p in d["processors"]],
            "to_complete": to_complete(policy),
        },
    }
    if d["policy"].get("general_privacy_policy"):
        system["privacy_policy"] = d["policy"]["general_privacy_policy"]
    organization = {
        "fides_key": ORGANIZATION_KEY,
        "name": c["name"],
        "description": f"{c.get('legal_form', '')}, VAT {c.get('vat_number', '')}".strip(", "),
        "controller": {"name": c["name"], "address": c["address"]},
        "data_protection_officer": {"name": f"{contact['name']} (web form: {contact.get('web_form', '')})",
                                    "address": contact.get("address", "")},
    }
    out: dict[str, Any] = {"organization": [organization]}
    cats = [{"fides_key": e["fides_key"], "organization_fides_key": ORGANIZATION_KEY, "name": e["name"],
             "description": f"{e['name']} (privacy notice {e['notice']})", "parent_key": e["parent_key"],
             "is_default": False} for e in d.get("taxonomy_extensions") or []]
    if cats:
        out["data_category"] = cats
    subjects = [{"fides_key": e["fides_key"], "organization_fides_key": ORGANIZATION_KEY, "name": e["name"],
                 "description": e.get("description", e["name"]), "is_default": False}
                for e in d.get("data_subject_extensions") or []]
    if subjects:
        out["data_subject"] = subjects
    out["system"] = [system]
    return out


def validate(doc: dict[str, Any]) -> Any:
    """Parse the manifest with fideslang's models; PolicyError with fideslang's message otherwise."""
    from fideslang.models import Taxonomy

    try:
        return Taxonomy.model_validate(doc)
    except Exception as exc:  # pydantic.ValidationError, fideslang's own validation errors
        raise PolicyError(f"fides export: fideslang rejects the manifest: {' '.join(str(exc).split())[:400]}") from None


def manifest_yaml(policy: Policy, evidence=None) -> str:
    doc = manifest(policy, evidence)
    validate(doc)
    header = (f"# fideslang manifest of {policy.data['policy'].get('title', '')}, policy version {policy.version}\n"
              f"# written by gdpr-analytics policy export --format fides from {policy.path.name} "
              f"(SHA-256 {policy.sha256})\n")
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
