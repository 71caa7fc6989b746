"""What the record says of each activity: every Art. 30 and register field, from the notice and the
controller's internal evidence — never an invented value.

`FIELDS` is the catalogue: each field's key (its ropa.csv column), label, the GDPR provision or the
registers that ask for it, and the roles it applies to. `entries(policy, activity, evidence)` gives, for
one activity, each field's text and its state, one of four (SPEC §12):
- **stated** in the notice (the text cites its §);
- **documented** internally: the notice leaves it unsaid and the evidence file (policy/evidence.py)
  documents it (the text cites the document, its id and date);
- **to complete**: neither says it (`TO_COMPLETE`, with what the notice says instead);
- **not applicable**, with the reason (e.g. the Art. 27 representative of a controller established in
  the Union; legitimate-interest fields of an activity that does not rely on Art. 6(1)(f)).
`completeness(policy, evidence)` is the table field × activity of those states (the ROPA page and, through
the same function, the month's index); the internal activities of the evidence file are columns too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.words import plural
from .model import Policy

if TYPE_CHECKING:
    import pandas as pd

TO_COMPLETE = "not stated in the privacy notice — to be completed by the controller"
STATED, DOCUMENTED, INCOMPLETE, NOT_APPLICABLE = "stated", "documented", "to complete", "not applicable"
STATES = (STATED, DOCUMENTED, INCOMPLETE, NOT_APPLICABLE)
BOTH, CONTROLLER, PROCESSOR = ("controller", "processor"), ("controller",), ("processor",)


# -- statements ---------------------------------------------------------------------------------------

def stated(value: Any) -> bool:
    """True when the statement is stated in full (no part left to complete)."""
    if isinstance(value, dict):
        return "not_stated" not in value and bool(value.get("text"))
    return value not in (None, "", [])


def state_of(value: Any) -> str:
    """The state of a policy statement: stated, not applicable (with its reason) or to complete."""
    if isinstance(value, dict) and value.get("not_applicable") and "not_stated" not in value:
        return NOT_APPLICABLE
    return STATED if stated(value) else INCOMPLETE


def render(value: Any) -> str:
    """A statement as the record shows it: the stated text with its section, and the part the notice
    leaves unsaid as TO_COMPLETE with the reason in parentheses."""
    if value is None or value == "":
        return TO_COMPLETE
    if not isinstance(value, dict):
        return str(value)
    if value.get("not_applicable") and "not_stated" not in value and not value.get("text"):
        return f"not applicable: {value['not_applicable']}" + (f" ({value['notice']})" if value.get("notice") else "")
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

Cell = tuple[str, str]  # (text, state)


def complete(cell: Cell, entry: dict | None, evidence=None, said: str | None = None) -> Cell:
    """A field the notice leaves to complete, completed by the evidence entry that documents it (its
    text and source document); `said`: what the notice does say, kept before the documented part."""
    text, state = cell
    if state != INCOMPLETE or entry is None or evidence is None:
        return cell
    doc = evidence.render(entry)
    return (f"{said}; {doc}" if said else doc), (NOT_APPLICABLE if entry.get("not_applicable") else DOCUMENTED)


def statement_cell(value: Any, entry: dict | None = None, evidence=None) -> Cell:
    """A policy statement as a cell, completed by the evidence where the notice leaves it to complete."""
    said = f"{value['text']} ({value['notice']})" if isinstance(value, dict) and value.get("text") \
        and value.get("notice") else None
    return complete((render(value), state_of(value)), entry, evidence, said)


def _cell(text: str, ok: bool) -> Cell:
    return text, STATED if ok else INCOMPLETE


def controller_text(policy: Policy) -> str:
    c = policy.data["controller"]
    form = f", {c['legal_form']}" if c.get("legal_form") else ""
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
    return "; ".join(out) or "none named in the notice"


def categories_cell(policy: Policy, activity: dict, evidence=None) -> Cell:
    """Art. 30(1)(c): the categories the notice names for the activity, and which of them the purpose uses
    (`categories_per_purpose`): stated, documented, or to complete when §3 lists them for the whole service."""
    listed = categories_text(policy, activity)
    per = policy.activity_statement(activity, "categories_per_purpose") if activity["role"] == "controller" else None
    if per is None:
        return listed, STATED
    entry = evidence.activity(activity["id"], "data_categories") if evidence is not None else None
    if stated(per):
        return f"{listed}. Per purpose: {render(per)}", STATED
    if entry is not None:
        return f"{listed}. Per purpose: {evidence.render(entry)}", DOCUMENTED
    return f"{listed}. Per purpose: {render(per)}", INCOMPLETE


def special_categories(policy: Policy, activity: dict) -> tuple[str, bool]:
    cats = [policy.category(k) for k in activity["data_categories"]]
    unknown = [c for c in cats if not isinstance(c.get("special_category"), bool)]
    special = [c for c in cats if c.get("special_category") is True]
    if special:
        return "Art. 9/10 data: " + "; ".join(c["name"] for c in special), True
    if unknown:
        return "; ".join(f"{c['name']}: {render(c.get('special_category'))}" for c in unknown), False
    if not cats:
        return TO_COMPLETE + " (the notice names no category for this activity)", False
    return f"None: no declared category is an Art. 9 or Art. 10 category ({sections(c['notice'] for c in cats)})", True


def retention_rule(policy: Policy) -> str:
    r = policy.data["retention"]
    years = r["period_years"]
    return (f"Erased (gewist) {plural(years, 'year')} after the "
            f"{r.get('counted_from', 'last order')} ({r['notice']})")


def retention_text(policy: Policy, activity: dict) -> tuple[str, bool]:
    """Per data category (CNIL), grouped where the rule is the same; then data subjects whose data the
    retention section does not cover. An activity's own `retention` statement replaces both."""
    if "retention" in activity:
        return render(activity["retention"]), stated(activity["retention"])
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
    return "; ".join(parts) or TO_COMPLETE, ok and bool(parts)


def _processors(policy: Policy, activity: dict) -> list[dict]:
    return [policy.processor(k) for k in activity.get("recipients") or []]


def other_recipient(policy: Policy, key: str) -> dict:
    for r in policy.data.get("other_recipients") or []:
        if r["key"] == key:
            return r
    raise KeyError(key)


def _undeclared_documented(policy: Policy, evidence) -> list[dict]:
    """Processors the evidence documents (with a contract) that the notice does not name."""
    if evidence is None:
        return []
    named = {p["key"] for p in policy.data["processors"]}
    return [p for p in evidence.data.get("processors") or [] if p["key"] not in named]


def _not_exhaustive(policy: Policy) -> bool:
    return policy.data.get("recipients_exhaustive") is False


def recipients_cell(policy: Policy, activity: dict, evidence=None) -> Cell:
    """Categories of recipients (Art. 30(1)(d)). The notice's list is not exhaustive (§5: "in particular",
    "such as"): the field stays to complete unless the evidence documents the processors."""
    procs = _processors(policy, activity)
    others = [other_recipient(policy, k) for k in activity.get("other_recipients") or []]
    if not procs and not others:
        return "none declared for this activity", STATED
    by_cat: dict[str, list[str]] = {}
    for p in procs:
        by_cat.setdefault(p.get("category", p["role"]), []).append(p["name"])
    parts = []
    if by_cat:
        parts.append("Service providers acting as subcontractors (onderaannemers): " + "; ".join(
            f"{cat}: {', '.join(names)}" for cat, names in by_cat.items()))
    if others:
        parts.append(f"{others[0]['category']}: " + ", ".join(o["name"] for o in others)
                     + f" ({sections(o['notice'] for o in others)})")
    text = ". ".join(parts)
    return _exhaustive(policy, text, evidence) if procs else (text, STATED)


def _exhaustive(policy: Policy, text: str, evidence) -> Cell:
    """A list of processors from the notice: stated when the notice calls it exhaustive; otherwise documented
    when the evidence documents the processors (naming those the notice does not), else to complete."""
    if not _not_exhaustive(policy):
        return text, STATED
    if evidence is not None and evidence.data.get("processors"):
        extra = [evidence.render({**p["contract"], "text": p["key"]}) for p in _undeclared_documented(policy, evidence)
                 if p.get("contract")]
        more = f"; also documented internally: {'; '.join(extra)}" if extra else ""
        return f"{text}{more}", DOCUMENTED
    note = policy.data.get("recipients_note", "")
    return f"{text}. Not an exhaustive list, so the full list is to complete: {note}", INCOMPLETE


def processors_cell(policy: Policy, activity: dict, evidence=None) -> Cell:
    out = []
    for p in _processors(policy, activity):
        where = []
        if p.get("servers_in"):
            where.append(f"servers in {p['servers_in']}")
        if p.get("access_from"):
            where.append(f"accesses the data from {', '.join(p['access_from'])}")
        where_text = f", {'; '.join(where)}" if where else ""
        out.append(f"{p['name']} [{p['key']}]: {p.get('service', p['role'])}{where_text} ({p['notice']})")
    if not out:
        return "none declared for this activity", STATED
    return _exhaustive(policy, "; ".join(out), evidence)


def processors_text(policy: Policy, activity: dict) -> str:
    return processors_cell(policy, activity)[0]


def contracts_cell(policy: Policy, activity: dict, evidence=None) -> Cell:
    """Art. 28(3) contracts: each processor's, stated or documented; to complete while one is neither."""
    parts, states = [], []
    if "art28_contract" in activity:
        entry = evidence.activity(activity["id"], "processor_contracts") if evidence is not None else None
        text, state = statement_cell(activity["art28_contract"], entry, evidence)
        parts.append(f"with the controller: {text}")
        states.append(state)
    for p in _processors(policy, activity):
        c = p.get("contract")
        documented = evidence.processor(p["key"]) if evidence is not None else None
        text, state = statement_cell(c, (documented or {}).get("contract"), evidence)
        parts.append(f"{p['name']}: {text}")
        states.append(state)
    if not parts:
        return "no processor declared", STATED
    return "; ".join(parts), _worst(states)


def _worst(states: list[str]) -> str:
    """The state of a field made of parts: to complete if any part is; documented if any part is."""
    for s in (INCOMPLETE, DOCUMENTED, STATED):
        if s in states:
            return s
    return NOT_APPLICABLE if states else STATED


def _transfers(policy: Policy, activity: dict) -> list[dict]:
    mine = set(activity.get("recipients") or [])
    return [t for t in policy.data["transfers"] if mine & set(t["recipients"])]


def transfers_text(policy: Policy, activity: dict, evidence=None) -> tuple[str, str, Cell]:
    """(third countries with recipients, nature of the transfer, safeguards cell). The safeguards are
    documented when the evidence gives the transfer tool of every (processor, country) pair."""
    ts = _transfers(policy, activity)
    if not ts:
        return "none declared", "not applicable", ("not applicable: no transfer declared", NOT_APPLICABLE)
    mine = set(activity.get("recipients") or [])
    where = "; ".join(f"{t.get('country_name', t['country'])} ({t['country']}): "
                      + ", ".join(policy.processor(r)["name"] for r in t["recipients"] if r in mine)
                      + f" ({t['notice']})" for t in ts)
    nature = "; ".join(f"{t['country']}: {t['how']}" for t in ts if t.get("how")) or TO_COMPLETE
    safeguards, states = [], []
    for t in ts:
        text = render(t["safeguards"])
        ok = stated(t["safeguards"])
        if "mechanism" in t:
            text += f"; transfer tool: {render(t['mechanism'])}"
            ok = ok and stated(t["mechanism"])
        state = STATED if ok else INCOMPLETE
        if not ok and evidence is not None:
            pairs = [(r, evidence.transfer(r, t["country"])) for r in t["recipients"] if r in mine]
            if all(e is not None and e.get("mechanism") for _, e in pairs):
                said = f"{t['safeguards']['text']} ({t['safeguards']['notice']})" \
                    if isinstance(t["safeguards"], dict) and t["safeguards"].get("text") else render(t["safeguards"])
                docs = []
                for r, e in pairs:
                    tia = f"; TIA {e['tia']['reference']}, review by {e['tia']['review_by']}" if e.get("tia") else \
                        "; no transfer impact assessment documented"
                    docs.append(f"{r}: {evidence.render(e['mechanism'])}{tia}")
                text, state = f"{said}; " + "; ".join(docs), DOCUMENTED
        safeguards.append(f"{t['country']}: {text}")
        states.append(state)
    return where, nature, ("; ".join(safeguards), _worst(states))


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


def security_cell(policy: Policy, evidence=None) -> Cell:
    """Art. 32 measures (30(1)(g)): the notice's general description, else the measures documented."""
    sec = policy.data["security_measures"]
    stated_items = [render(i) for i in sec.get("stated") or []]
    if stated(sec["general_description"]):
        return "; ".join([render(sec["general_description"]), *stated_items]), STATED
    if evidence is not None and evidence.security_measures:
        return "; ".join([*stated_items, *(evidence.render(m) for m in evidence.security_measures)]), DOCUMENTED
    return "; ".join([f"General description: {render(sec['general_description'])}", *stated_items]), INCOMPLETE


def security_text(policy: Policy) -> tuple[str, bool]:
    text, state = security_cell(policy)
    return text, state == STATED


def profiling_text(policy: Policy) -> str:
    p = policy.data["profiling"]
    yes_no = lambda v: "yes" if v else "no"  # noqa: E731
    return (f"profiling: {yes_no(p.get('profiling'))}; personalised advertising: "
            f"{yes_no(p.get('personalised_advertising'))}; automated decisions (Art. 22): "
            f"{yes_no(p.get('automated_decisions'))} ({p['notice']})")


def purposes_cell(activity: dict, evidence=None) -> Cell:
    purpose = activity["purpose"]
    if isinstance(purpose, dict):
        entry = evidence.activity(activity["id"], "purposes") if evidence is not None else None
        return statement_cell(purpose, entry, evidence)
    text = str(purpose)
    if activity.get("channels"):
        text += f" Channels: {', '.join(activity['channels'])}."
    if "personalised" in activity:
        text += f" Personalised: {'yes' if activity['personalised'] else 'no'}."
    if activity.get("objection"):
        text += f" Objection: {activity['objection']}."
    return f"{text} ({activity['notice']})", STATED


def purposes_text(activity: dict) -> str:
    return purposes_cell(activity)[0]


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
    Field("lia", "Legitimate-interest assessment", "Art. 6(1)(f), 5(2); ICO", CONTROLLER),
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
#: Fields documented by a plain statement of the activity (or activity_defaults), completed by the evidence.
_STATEMENTS = ("source", "process_owner", "dpia", "data_subject_rights", "technology", "vulnerable_subjects",
               "data_combination", "classification", "risks")


def _relies_on_f(activity: dict, evidence=None) -> bool | None:
    """Whether the activity relies on Art. 6(1)(f): True or False, or None when its legal basis is to complete."""
    bases = [b.get("basis", "") for b in activity["legal_bases"]]
    if any("6(1)(f)" in b for b in bases):
        return True
    if all(bases):
        return False
    entry = evidence.activity(activity["id"], "legal_basis") if evidence is not None else None
    return None if entry is None else "6(1)(f)" in str(entry.get("text", ""))


def entries(policy: Policy, activity: dict, evidence=None, *, controllers_held: int | None = None,
            month_label: str = "") -> dict[str, Cell]:
    """Each field of the record for one activity: (text, state), the state one of STATES."""
    is_processor = activity["role"] == "processor"
    d = policy.data
    ev = (lambda f: evidence.activity(activity["id"], f)) if evidence is not None else (lambda f: None)  # noqa: E731
    out: dict[str, Cell] = {}
    if is_processor:
        out["controller"] = _cell(controllers_text(activity, controllers_held, month_label),
                                  bool(activity.get("controller") and activity.get("controller_contact")))
        out["processor"] = (controller_text(policy), STATED)
    else:
        out["controller"] = (controller_text(policy), STATED)
        out["processor"] = ("", STATED)
    out["dpo_contact"] = complete(_cell(*dpo_text(policy)), ev("dpo_contact"), evidence, dpo_text(policy)[0])
    out["joint_controllers"] = statement_cell(activity.get("joint_controllers", d["joint_controllers"]),
                                              ev("joint_controllers"), evidence)
    out["representative"] = statement_cell(d["representative"])
    out["purposes"] = purposes_cell(activity, evidence)
    out["data_subject_categories"] = (subjects_text(policy, activity), STATED)
    out["data_categories"] = categories_cell(policy, activity, evidence)
    out["recipients"] = recipients_cell(policy, activity, evidence)
    where, nature, safeguards = transfers_text(policy, activity, evidence)
    out["third_country_transfers"] = (where, STATED)
    out["transfer_nature"] = (nature, STATED)
    out["safeguards"] = safeguards
    retention, ok = retention_text(policy, activity)
    out["retention"] = complete(_cell(retention, ok), ev("retention"), evidence)
    out["security_measures"] = complete(security_cell(policy, evidence), ev("security_measures"), evidence)
    basis, ok = legal_basis_text(activity)
    out["legal_basis"] = complete(_cell(basis, ok), ev("legal_basis"), evidence,
                                  "; ".join(b["basis"] for b in activity["legal_bases"] if b.get("basis")) or None)
    relies = _relies_on_f(activity, evidence)
    li = activity.get("legitimate_interests")
    if relies is False:
        why = "the activity does not rely on Art. 6(1)(f)"
        out["legitimate_interests"] = (f"not applicable: {why}", NOT_APPLICABLE)
        out["lia"] = (f"not applicable: {why}", NOT_APPLICABLE)
    elif relies is None:
        out["legitimate_interests"] = (f"{TO_COMPLETE} (the legal basis is still to complete)", INCOMPLETE)
        out["lia"] = (f"{TO_COMPLETE} (the legal basis is still to complete)", INCOMPLETE)
    else:
        out["legitimate_interests"] = (f"{li} ({activity['notice']})", STATED) if li else (TO_COMPLETE, INCOMPLETE)
        out["lia"] = statement_cell(policy.activity_statement(activity, "lia"), ev("lia"), evidence)
    out["special_categories"] = complete(_cell(*special_categories(policy, activity)), ev("special_categories"),
                                         evidence)
    out["profiling"] = (profiling_text(policy), STATED)
    out["processors"] = processors_cell(policy, activity, evidence)
    out["processor_contracts"] = contracts_cell(policy, activity, evidence)
    location = location_text(policy, activity)
    out["location"] = complete(_cell(location, location != TO_COMPLETE), ev("location"), evidence)
    for key in _STATEMENTS:
        out[key] = statement_cell(policy.activity_statement(activity, key), ev(key), evidence)
    return out


def internal_entries(policy: Policy, activity: dict, evidence) -> dict[str, Cell]:
    """The fields of an activity the evidence documents and the notice does not describe: what the entry
    gives is documented (citing its document), the controller and DPO come from the notice, the rest from
    the evidence's defaults, else to complete."""
    entry = {"document": activity["document"]}
    out: dict[str, Cell] = {key: (TO_COMPLETE, INCOMPLETE) for f in FIELDS for key in [f.key]}
    out["controller"] = (controller_text(policy), STATED)
    out["processor"] = ("", STATED)
    out["dpo_contact"] = complete(_cell(*dpo_text(policy)), evidence.activity(activity["id"], "dpo_contact"),
                                  evidence, dpo_text(policy)[0])
    out["representative"] = statement_cell(policy.data["representative"])
    out["joint_controllers"] = statement_cell(policy.data["joint_controllers"])
    out["profiling"] = (profiling_text(policy), STATED)
    out["security_measures"] = security_cell(policy, evidence)
    named = {"purposes": "purpose", "legal_basis": "legal_basis", "data_subject_categories": "data_subjects",
             "data_categories": "data_categories", "retention": "retention", "recipients": "recipients",
             "processors": "processors", "third_country_transfers": "transfers", "location": "location"}
    for key in [f.key for f in FIELDS]:
        if key in ("controller", "processor", "representative", "profiling"):
            continue
        given = activity.get(named.get(key, key))
        if given not in (None, ""):
            text = ", ".join(given) if isinstance(given, list) else str(given)
            out[key] = evidence.render({**entry, "text": text}), DOCUMENTED
            continue
        documented = evidence.activity(activity["id"], key)
        if documented is not None:
            out[key] = evidence.render(documented), (NOT_APPLICABLE if documented.get("not_applicable")
                                                    else DOCUMENTED)
    basis = str(activity.get("legal_basis", ""))
    if basis and "6(1)(f)" not in basis:
        for key in ("legitimate_interests", "lia"):
            if out[key][1] == INCOMPLETE:
                out[key] = ("not applicable: the activity does not rely on Art. 6(1)(f)", NOT_APPLICABLE)
    out["transfer_nature"] = (out["third_country_transfers"][0], out["third_country_transfers"][1])
    return out


def fields_for(role: str) -> list[Field]:
    return [f for f in FIELDS if role in f.roles]


def activities(policy: Policy, evidence=None) -> list[dict]:
    """The activities of the record: the notice's, then the internal activities the evidence documents
    (role controller, `internal: True`)."""
    out = list(policy.data["activities"])
    if evidence is not None:
        out += [{**a, "role": "controller", "internal": True} for a in evidence.internal_activities]
    return out


def activity_cells(policy: Policy, activity: dict, evidence=None, **kw) -> dict[str, Cell]:
    if activity.get("internal"):
        return internal_entries(policy, activity, evidence)
    return entries(policy, activity, evidence, **kw)


def completeness(policy: Policy, evidence=None) -> pd.DataFrame:
    """Field × activity: one row per field of the catalogue (label, provision), one column per activity,
    each cell one of STATES (a field of the other role: not applicable)."""
    acts = activities(policy, evidence)
    cells = {a["id"]: activity_cells(policy, a, evidence, controllers_held=0) for a in acts}
    rows = []
    for f in FIELDS:
        row = {"field": f.label, "GDPR / register": f.provision}
        for a in acts:
            row[a["id"]] = cells[a["id"]][f.key][1] if a["role"] in f.roles else NOT_APPLICABLE
        rows.append(row)
    import pandas as pd  # the register's text needs no pandas: an access pack reads it without

    return pd.DataFrame(rows, columns=["field", "GDPR / register", *[a["id"] for a in acts]])


def counts(policy: Policy, evidence=None) -> dict[str, int]:
    """How many (activity, field) cells of the completeness table are in each state."""
    df = completeness(policy, evidence)
    values = df.iloc[:, 2:].to_numpy().ravel().tolist()
    return {s: values.count(s) for s in STATES}


def to_complete(policy: Policy, evidence=None) -> int:
    """How many (activity, field) cells of the completeness table are still to complete."""
    return counts(policy, evidence)[INCOMPLETE]


# -- the data of the source, declared ------------------------------------------------------------------

DATA_MAP_COLUMNS = ["kind", "item", "declared_by", "state"]


def data_map(policy: Policy, evidence, tables: list[str], channels: list[str]) -> pd.DataFrame:
    """Every table of the data and every marketing channel seen, with the activities that declare it: the
    notice's (`tables`, `channels` of an activity: stated), the evidence's internal activities
    (documented), or none (to complete: an observation on the ROPA page)."""
    acts = activities(policy, evidence)
    rows = []
    for kind, items, key in (("table", tables, "tables"), ("marketing channel", channels, "channels")):
        for item in sorted(items):
            notice = [a["id"] for a in acts if not a.get("internal") and item in (a.get(key) or [])]
            internal = [str(a["id"]) for a in acts if a.get("internal") and item in (a.get(key) or [])]
            state = STATED if notice else DOCUMENTED if internal else INCOMPLETE
            rows.append({"kind": kind, "item": item, "declared_by": ", ".join(notice + internal) or TO_COMPLETE,
                         "state": state})
    import pandas as pd

    return pd.DataFrame(rows, columns=DATA_MAP_COLUMNS)
