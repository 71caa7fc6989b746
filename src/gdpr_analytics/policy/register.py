"""What the record says of each activity: every Art. 30 and register field, from the policy, stated or
to complete — never an invented value.

`FIELDS` is the catalogue: each field's key (its ropa.csv column), label, the GDPR provision or the
registers that ask for it, and the roles it applies to. `entries(policy, activity)` gives, for one
activity, each field's text and whether the notice states it in full. Where the notice is silent the
text is `TO_COMPLETE` (with what the notice says instead). `completeness(policy)` is the table
activity × field: "stated" or "to complete" (shown on the ROPA page and, through the same function, on
the month's index).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..core.words import plural
from .model import Policy

TO_COMPLETE = "not stated in the privacy notice — to be completed by the controller"
STATED, INCOMPLETE, NOT_APPLICABLE = "stated", "to complete", "not applicable"
BOTH, CONTROLLER, PROCESSOR = ("controller", "processor"), ("controller",), ("processor",)


# -- statements ---------------------------------------------------------------------------------------

def stated(value: Any) -> bool:
    """True when the statement is stated in full (no part left to complete)."""
    if isinstance(value, dict):
        return "not_stated" not in value and bool(value.get("text"))
    return value not in (None, "", [])


def render(value: Any) -> str:
    """A statement as the record shows it: the stated text with its section, and the part the notice
    leaves unsaid as TO_COMPLETE with the reason in parentheses."""
    if value is None or value == "":
        return TO_COMPLETE
    if not isinstance(value, dict):
        return str(value)
    parts = []
    if value.get("text"):
        parts.append(f"{value['text']} ({value['notice']})" if value.get("notice") else str(value["text"]))
    if value.get("not_stated"):
        gap = f"{TO_COMPLETE} ({value['not_stated']})"
        parts.append(f"otherwise {gap}" if parts else gap)
    return "; ".join(parts)


def sections(notices) -> str:
    """'§2, §3' from several notice references, each section once, in order."""
    found = {x.strip() for n in notices for x in str(n).split(",") if x.strip()}
    return ", ".join(sorted(found, key=lambda x: [int(d) for d in re.findall(r"\d+", x)] or [0]))


# -- the parts of an activity ------------------------------------------------------------------------

def controller_text(policy: Policy) -> str:
    c = policy.data["controller"]
    form = f" ({c['legal_form']})" if c.get("legal_form") else ""
    vat = f"; VAT {c['vat_number']}" if c.get("vat_number") else ""
    return f"{c['name']}{form}, {c['address']}{vat} ({c['notice']})"


def dpo_text(policy: Policy) -> tuple[str, bool]:
    d = policy.data["data_protection_officer"]
    contact = render(d.get("contact")) if d.get("contact") else TO_COMPLETE
    text = f"{d.get('office', 'Data protection officer')}: {contact} ({d['notice']})"
    ok = stated(d.get("contact"))
    if "name" in d:
        text += f"; name: {render(d['name'])}"
        ok = ok and stated(d["name"])
    return text, ok


def subjects_text(policy: Policy, activity: dict) -> str:
    return "; ".join(f"{s['name']} [{s.get('fides_key', s['key'])}] ({s['notice']})"
                     for s in (policy.subject(k) for k in activity["data_subjects"]))


def categories_text(policy: Policy, activity: dict) -> str:
    out = []
    for k in activity["data_categories"]:
        c = policy.category(k)
        extra = f", {', '.join(c['account_types'])} accounts only" if c.get("account_types") else ""
        out.append(f"{c['name']} [{c['fides_key']}{extra}]")
    note = policy.data.get("activity_defaults", {}).get("data_categories_note")
    text = "; ".join(out)
    return f"{text}. {note}" if note and activity["role"] == "controller" else text


def special_categories(policy: Policy, activity: dict) -> tuple[str, bool]:
    cats = [policy.category(k) for k in activity["data_categories"]]
    unknown = [c for c in cats if not isinstance(c.get("special_category"), bool)]
    special = [c for c in cats if c.get("special_category") is True]
    if special:
        return "Art. 9/10 data: " + "; ".join(c["name"] for c in special), True
    if unknown:
        return "; ".join(f"{c['name']}: {render(c.get('special_category'))}" for c in unknown), False
    return f"None: no declared category is an Art. 9 or Art. 10 category ({sections(c['notice'] for c in cats)})", True


def retention_rule(policy: Policy) -> str:
    r = policy.data["retention"]
    years = r["period_years"]
    return (f"Erased (gewist) {years} year{'' if years == 1 else 's'} after the "
            f"{r.get('counted_from', 'last order')} ({r['notice']})")


def retention_text(policy: Policy, activity: dict) -> tuple[str, bool]:
    """Per data category (CNIL), grouped where the rule is the same; then data subjects whose data the
    retention section does not cover."""
    groups: dict[str, list[str]] = {}
    ok = True
    for k in activity["data_categories"]:
        c = policy.category(k)
        rule = c.get("retention", "section")
        text = retention_rule(policy) if rule == "section" else render(rule)
        ok = ok and (rule == "section" or stated(rule))
        groups.setdefault(text, []).append(c["name"])
    parts = [f"{', '.join(names)}: {text}" for text, names in groups.items()]
    for k in activity["data_subjects"]:
        s = policy.subject(k)
        if "retention" in s:
            parts.append(f"data of {s['name']}: {render(s['retention'])}")
            ok = ok and stated(s["retention"])
    return "; ".join(parts), ok


def _processors(policy: Policy, activity: dict) -> list[dict]:
    return [policy.processor(k) for k in activity.get("recipients") or []]


def recipients_text(policy: Policy, activity: dict) -> tuple[str, bool]:
    """Categories of recipients (Art. 30(1)(d)), with the notice's own qualifier when not exhaustive."""
    procs = _processors(policy, activity)
    if not procs:
        return "none declared for this activity", True
    by_cat: dict[str, list[str]] = {}
    for p in procs:
        by_cat.setdefault(p.get("category", p["role"]), []).append(p["name"])
    text = "Service providers acting as subcontractors (onderaannemers): " + "; ".join(
        f"{cat}: {', '.join(names)}" for cat, names in by_cat.items())
    if policy.data.get("recipients_exhaustive") is False and policy.data.get("recipients_note"):
        text += f". Not an exhaustive list — {policy.data['recipients_note']}"
    return text, True


def processors_text(policy: Policy, activity: dict) -> str:
    out = []
    for p in _processors(policy, activity):
        where = []
        if p.get("servers_in"):
            where.append(f"servers in {p['servers_in']}")
        if p.get("access_from"):
            where.append(f"accesses the data from {', '.join(p['access_from'])}")
        where_text = f", {'; '.join(where)}" if where else ""
        out.append(f"{p['name']} [{p['key']}] — {p.get('service', p['role'])}{where_text} ({p['notice']})")
    return "; ".join(out) or "none declared for this activity"


def contracts_text(policy: Policy, activity: dict) -> tuple[str, bool]:
    parts, ok = [], True
    if "art28_contract" in activity:
        parts.append(f"with the controller: {render(activity['art28_contract'])}")
        ok = stated(activity["art28_contract"])
    for p in _processors(policy, activity):
        c = p.get("contract")
        parts.append(f"{p['name']}: {render(c)}")
        ok = ok and stated(c)
    return "; ".join(parts) or "no processor declared", ok


def _transfers(policy: Policy, activity: dict) -> list[dict]:
    mine = set(activity.get("recipients") or [])
    return [t for t in policy.data["transfers"] if mine & set(t["recipients"])]


def transfers_text(policy: Policy, activity: dict) -> tuple[str, str, str, bool]:
    """(third countries with recipients, nature of the transfer, safeguards, safeguards stated in full)."""
    ts = _transfers(policy, activity)
    if not ts:
        return "none declared", "not applicable", "not applicable", True
    mine = set(activity.get("recipients") or [])
    where = "; ".join(f"{t.get('country_name', t['country'])} ({t['country']}): "
                      + ", ".join(policy.processor(r)["name"] for r in t["recipients"] if r in mine)
                      + f" ({t['notice']})" for t in ts)
    nature = "; ".join(f"{t['country']}: {t['how']}" for t in ts if t.get("how")) or TO_COMPLETE
    safeguards, ok = [], True
    for t in ts:
        text = render(t["safeguards"])
        if "mechanism" in t:
            text += f"; transfer tool: {render(t['mechanism'])}"
            ok = ok and stated(t["mechanism"])
        ok = ok and stated(t["safeguards"])
        safeguards.append(f"{t['country']}: {text}")
    return where, nature, "; ".join(safeguards), ok


def location_text(policy: Policy, activity: dict) -> str:
    parts = []
    for p in _processors(policy, activity):
        if p.get("servers_in"):
            parts.append(f"servers in {p['servers_in']} ({p['name']}, {p['notice']})")
    access = sorted({c for p in _processors(policy, activity) for c in p.get("access_from") or []})
    if access:
        who = ", ".join(p["name"] for p in _processors(policy, activity) if p.get("access_from"))
        parts.append(f"accessed from {', '.join(access)} by {who}")
    return "; ".join(parts) or TO_COMPLETE


def security_text(policy: Policy) -> tuple[str, bool]:
    sec = policy.data["security_measures"]
    text = f"General description: {render(sec['general_description'])}"
    for item in sec.get("stated") or []:
        text += f"; stated: {render(item)}"
    return text, stated(sec["general_description"])


def profiling_text(policy: Policy) -> str:
    p = policy.data["profiling"]
    yes_no = lambda v: "yes" if v else "no"  # noqa: E731
    return (f"profiling: {yes_no(p.get('profiling'))}; personalised advertising: "
            f"{yes_no(p.get('personalised_advertising'))}; automated decisions (Art. 22): "
            f"{yes_no(p.get('automated_decisions'))} ({p['notice']})")


def purposes_text(activity: dict) -> str:
    purpose = activity["purpose"]
    text = purpose.get("text", "") if isinstance(purpose, dict) else str(purpose)
    if activity.get("channels"):
        text += f" Channels: {', '.join(activity['channels'])}."
    if "personalised" in activity:
        text += f" Personalised: {'yes' if activity['personalised'] else 'no'}."
    if activity.get("objection"):
        text += f" Objection: {activity['objection']}."
    return f"{text} ({activity['notice']})"


def legal_basis_text(activity: dict) -> tuple[str, bool]:
    stated_ = [b["basis"] for b in activity["legal_bases"] if b.get("basis")]
    gaps = [b for b in activity["legal_bases"] if not b.get("basis")]
    parts = ["; ".join(stated_) + f" ({activity['notice']})"] if stated_ else []
    parts += [render(b) for b in gaps]
    return "; ".join(parts), not gaps


def controllers_text(activity: dict, controllers_held: int | None, month_label: str) -> str:
    """Art. 30(2)(a): each controller bpost acts for (the customers), how many, and how to reach them."""
    text = str(activity.get("controller") or TO_COMPLETE)
    if controllers_held is not None:
        text += f"; {plural(controllers_held, 'customer')} with uploads held at the end of {month_label}"
    else:
        text += "; number of customers not assessed (no uploads table in the source)"
    contact = activity.get("controller_contact")
    return text + f"; contact: {contact if contact else TO_COMPLETE} ({activity['notice']})"


# -- the field catalogue -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    key: str  # the ropa.csv column
    label: str
    provision: str  # the GDPR provision, or the registers that ask for it
    roles: tuple[str, ...] = BOTH


FIELDS: tuple[Field, ...] = (
    Field("controller", "Name and contact details of the controller", "Art. 30(1)(a)", CONTROLLER),
    Field("controller", "Name and contact details of each controller on whose behalf the processor acts",
          "Art. 30(2)(a)", PROCESSOR),
    Field("processor", "Name and contact details of the processor", "Art. 30(2)(a)", PROCESSOR),
    Field("dpo_contact", "Data protection officer", "Art. 30(1)(a), 30(2)(a)"),
    Field("joint_controllers", "Joint controllers", "Art. 30(1)(a)", CONTROLLER),
    Field("representative", "Representative of the controller or processor", "Art. 30(1)(a), 30(2)(a)"),
    Field("purposes", "Purposes of the processing", "Art. 30(1)(b)", CONTROLLER),
    Field("purposes", "Categories of processing carried out on behalf of each controller", "Art. 30(2)(b)",
          PROCESSOR),
    Field("data_subject_categories", "Categories of data subjects", "Art. 30(1)(c)"),
    Field("data_categories", "Categories of personal data (fideslang key)", "Art. 30(1)(c)"),
    Field("recipients", "Categories of recipients", "Art. 30(1)(d)"),
    Field("third_country_transfers", "Transfers to third countries", "Art. 30(1)(e), 30(2)(c)"),
    Field("safeguards", "Safeguards for the transfers", "Art. 30(1)(e), 30(2)(c)"),
    Field("retention", "Time limits for erasure, per data category", "Art. 30(1)(f)"),
    Field("security_measures", "Technical and organisational security measures", "Art. 30(1)(g), 30(2)(d)"),
    Field("legal_basis", "Legal basis", "Art. 6; Belgian DPA model, ICO, Fides"),
    Field("legitimate_interests", "Legitimate interests", "Art. 6(1)(f); ICO", CONTROLLER),
    Field("special_categories", "Special categories of personal data", "Art. 9, 10; Belgian DPA model, ICO, Fides"),
    Field("source", "Source of the personal data", "Art. 14(2)(f); Belgian DPA model, ICO"),
    Field("process_owner", "Owner of the process", "Belgian DPA model, ICO"),
    Field("profiling", "Profiling and automated decisions", "Art. 22; Belgian DPA model, ICO, Fides"),
    Field("processors", "Processors (sub-processors for PR1)", "Art. 28; Belgian DPA model, CNIL"),
    Field("processor_contracts", "Contracts with processors", "Art. 28(3); Belgian DPA model, ICO, CNIL"),
    Field("dpia", "Data protection impact assessment", "Art. 35; Belgian DPA model, ICO, Fides"),
    Field("data_subject_rights", "Data subject rights", "Art. 12–22; Belgian DPA model, ICO"),
    Field("location", "Location of the personal data", "ICO"),
    Field("technology", "Technology used", "Belgian DPA model"),
    Field("vulnerable_subjects", "Vulnerable data subjects", "Belgian DPA model"),
    Field("data_combination", "Combination with other data", "Belgian DPA model"),
    Field("classification", "Classification level", "Belgian DPA model"),
    Field("risks", "Risks and mitigation measures", "Art. 32, 35; Belgian DPA model"),
)


def entries(policy: Policy, activity: dict, *, controllers_held: int | None = None,
            month_label: str = "") -> dict[str, tuple[str, bool]]:
    """Each field of the record for one activity: (text, stated in full)."""
    is_processor = activity["role"] == "processor"
    d = policy.data
    out: dict[str, tuple[str, bool]] = {}
    if is_processor:
        out["controller"] = (controllers_text(activity, controllers_held, month_label),
                             bool(activity.get("controller") and activity.get("controller_contact")))
        out["processor"] = (controller_text(policy), True)
    else:
        out["controller"] = (controller_text(policy), True)
        out["processor"] = ("", True)
    out["dpo_contact"] = dpo_text(policy)
    out["joint_controllers"] = (render(d["joint_controllers"]), stated(d["joint_controllers"]))
    out["representative"] = (render(d["representative"]), stated(d["representative"]))
    out["purposes"] = (purposes_text(activity), True)
    out["data_subject_categories"] = (subjects_text(policy, activity), True)
    out["data_categories"] = (categories_text(policy, activity), True)
    out["recipients"] = recipients_text(policy, activity)
    where, nature, safeguards, safe_ok = transfers_text(policy, activity)
    out["third_country_transfers"] = (where, True)
    out["transfer_nature"] = (nature, True)
    out["safeguards"] = (safeguards, safe_ok)
    out["retention"] = retention_text(policy, activity)
    out["security_measures"] = security_text(policy)
    out["legal_basis"] = legal_basis_text(activity)
    li = activity.get("legitimate_interests")
    uses_f = any("6(1)(f)" in b.get("basis", "") for b in activity["legal_bases"])
    out["legitimate_interests"] = ((f"{li} ({activity['notice']})", True) if li else
                                   ((TO_COMPLETE, False) if uses_f else ("not relied on", True)))
    out["special_categories"] = special_categories(policy, activity)
    out["profiling"] = (profiling_text(policy), True)
    out["processors"] = (processors_text(policy, activity), True)
    out["processor_contracts"] = contracts_text(policy, activity)
    out["location"] = (location_text(policy, activity), location_text(policy, activity) != TO_COMPLETE)
    for key in ("source", "process_owner", "dpia", "data_subject_rights", "technology", "vulnerable_subjects",
                "data_combination", "classification", "risks"):
        value = policy.activity_statement(activity, key)
        out[key] = (render(value), stated(value))
    return out


def fields_for(role: str) -> list[Field]:
    return [f for f in FIELDS if role in f.roles]


def completeness(policy: Policy) -> pd.DataFrame:
    """Activity × field: one row per field of the catalogue (label, provision), one column per activity,
    each cell "stated", "to complete" or "not applicable" (a field of the other role)."""
    acts = policy.data["activities"]
    cells = {a["id"]: entries(policy, a, controllers_held=0) for a in acts}
    rows = []
    for f in FIELDS:
        row = {"field": f.label, "GDPR / register": f.provision}
        for a in acts:
            if a["role"] not in f.roles:
                row[a["id"]] = NOT_APPLICABLE
            else:
                row[a["id"]] = STATED if cells[a["id"]][f.key][1] else INCOMPLETE
        rows.append(row)
    return pd.DataFrame(rows, columns=["field", "GDPR / register", *[a["id"] for a in acts]])


def to_complete(policy: Policy) -> int:
    """How many (activity, field) cells of the completeness table are still to complete."""
    df = completeness(policy)
    return int((df.iloc[:, 2:] == INCOMPLETE).sum().sum())
