"""The record of processing activities (GDPR Art. 30): declared by the policy, checked against the month.

`build` gives one row per activity of the policy version in force at the month's last instant — the
purposes as controller (Art. 30(1)) and the uploads processed for the customers as processor
(Art. 30(2)) — with every field of `register.FIELDS` (stated, or "not stated in the privacy notice —
to be completed by the controller"), the record's status and dates from the policy history, and what
the month's data shows (subjects held, processors and countries seen, gaps); `identification` gives the
register's identification sheet. The report writes them as ropa.csv and ropa.xlsx (report/spreadsheets.py,
after the Belgian Data Protection Authority's register model); docs/ropa-registers.md maps every column
of the model (and of the CNIL and ICO templates, and Fides's data map) to the columns here.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ..core.month import Month
from ..policy import register
from ..policy.model import Policy
from ..policy.register import TO_COMPLETE, render
from . import observed
from .context import MonthContext

DECLARED = [
    ("activity_id", "Activity"),
    ("activity", "Name"),
    ("role", "Role of bpost"),
    ("business_process", "Business process"),
    ("process_owner", "Owner of the process"),
    ("controller", "Controller"),
    ("processor", "Processor"),
    ("dpo_contact", "Data protection officer"),
    ("joint_controllers", "Joint controllers"),
    ("representative", "Representative"),
    ("purposes", "Purposes"),
    ("legal_basis", "Legal basis"),
    ("legitimate_interests", "Legitimate interests"),
    ("lia", "Legitimate-interest assessment"),
    ("profiling", "Profiling and automated decisions"),
    ("data_subject_categories", "Categories of data subjects"),
    ("vulnerable_subjects", "Vulnerable data subjects"),
    ("data_categories", "Categories of personal data (fideslang key)"),
    ("special_categories", "Special categories of personal data"),
    ("classification", "Classification level"),
    ("retention", "Retention per data category"),
    ("data_combination", "Combination with other data"),
    ("source", "Source of the data"),
    ("recipients", "Categories of recipients"),
    ("processors", "Processors"),
    ("processor_contracts", "Contracts with processors (Art. 28)"),
    ("third_country_transfers", "Transfers to third countries"),
    ("transfer_nature", "Nature of the transfers"),
    ("safeguards", "Safeguards for the transfers"),
    ("location", "Location of the data"),
    ("technology", "Technology used"),
    ("risks", "Risks and mitigation measures"),
    ("security_measures", "Security measures"),
    ("dpia", "Data protection impact assessment"),
    ("data_subject_rights", "Data subject rights"),
    ("status", "Status"),
    ("policy_version", "Policy version (SHA-256)"),
    ("declared_since", "Declared since"),
    ("last_changed", "Last changed"),
    ("to_complete", "Fields to complete"),
    ("notice", "Privacy notice sections"),
]
OBSERVED = [
    ("month", "Month observed"),
    ("subjects_held", "Data subjects held at the end of the month"),
    ("data_categories_filled", "Data categories filled"),
    ("processors_seen", "Processors seen in the month"),
    ("countries_seen", "Countries seen in the month"),
    ("gaps", "Gaps between declared and observed"),
]
COLUMNS = [c for c, _ in DECLARED + OBSERVED]
LABELS = dict(DECLARED + OBSERVED)

#: Pairs shown side by side in the notebook: (label, declared column, observed column or None).
SIDE_BY_SIDE = [
    ("Role", "role", None),
    ("Controller", "controller", None),
    ("Processor", "processor", None),
    ("Purposes", "purposes", None),
    ("Legal basis", "legal_basis", None),
    ("Legitimate interests", "legitimate_interests", None),
    ("Legitimate-interest assessment", "lia", None),
    ("Data subjects", "data_subject_categories", "subjects_held"),
    ("Personal data", "data_categories", "data_categories_filled"),
    ("Special categories", "special_categories", None),
    ("Source of the data", "source", None),
    ("Recipients", "recipients", "processors_seen"),
    ("Processors", "processors", None),
    ("Contracts with processors", "processor_contracts", None),
    ("Transfers outside the EEA", "third_country_transfers", "countries_seen"),
    ("Nature of the transfers", "transfer_nature", None),
    ("Safeguards", "safeguards", None),
    ("Retention per data category", "retention", None),
    ("Security measures", "security_measures", None),
    ("Profiling", "profiling", None),
    ("Data protection impact assessment", "dpia", None),
    ("Owner of the process", "process_owner", None),
    ("Status", "status", None),
    ("Declared since", "declared_since", None),
    ("Last changed", "last_changed", None),
    ("Gaps", None, "gaps"),
    ("Notice sections", "notice", None),
]


def _stamp(day: date | None, policy: Policy, created: str | None = None) -> str:
    if day is not None:
        return day.isoformat()
    if created:
        return created
    return render(policy.data["policy"].get("published")) if policy.data["policy"].get("published") else TO_COMPLETE


def _created(history, activity_id: str) -> str | None:
    """The creation date the evidence documents for an activity (`created_on`), citing its document."""
    ev = getattr(history, "evidence", None)
    entry = ev.activity(activity_id, "created_on") if ev is not None else None
    return ev.render(entry) if entry is not None else None


def activity_dates(history, month: Month | None, activity_id: str, policy: Policy) -> tuple[str, str]:
    """(declared since, last changed) of an activity: the effective date of the earliest version, up to
    the month's, that declares it, and of the latest in which its entry changed. A single file without
    effective_from takes the creation date the evidence documents, or says when it was published, or that
    this is to complete."""
    if history is None or not history.folder:
        d = policy.effective_from
        created = _created(history, activity_id)
        return _stamp(d, policy, created), _stamp(d, policy, created)
    versions = [v for v in history.versions if month is None or v.valid_from < month.as_of]
    since = changed = None
    before = None
    for v in versions:
        entry = next((a for a in v.policy.data["activities"] if a["id"] == activity_id), None)
        if entry is None:
            since = changed = before = None
            continue
        if since is None:
            since = changed = v.effective_from
        elif entry != before:
            changed = v.effective_from
        before = entry
    created = _created(history, activity_id)
    return _stamp(since, policy, created), _stamp(changed, policy, created)


def build(ctx: MonthContext, obs: observed.Observation) -> pd.DataFrame:
    """One row per processing activity: the declared record (the version in force at the month's last
    instant, each activity dated from the policy history) and what the month's data shows."""
    policy, month, history = ctx.policy, ctx.month, ctx.history
    title = policy.data["policy"].get("title", policy.data["policy"]["id"])
    evidence = history.evidence if history is not None else None
    rows = []
    for a in register.activities(policy, evidence):
        cells = register.activity_cells(policy, a, evidence, controllers_held=obs.upload_controllers,
                                        month_label=month.label)
        missing = [f.label for f in register.fields_for(a["role"]) if cells[f.key][1] == register.INCOMPLETE]
        since, changed = activity_dates(history, month, a["id"], policy)
        row = {key: text for key, (text, _) in cells.items()}
        row.update({
            "activity_id": a["id"],
            "activity": a["name"],
            "role": a["role"],
            "business_process": f"{title} ({policy.data['policy']['notice']})",
            "status": f"in force: declared by policy version {policy.version}" if not a.get("internal") else
            f"in force: documented internally ({evidence.cite({'document': a['document']})})",
            "policy_version": f"{policy.version} (SHA-256 {policy.sha256})",
            "declared_since": since,
            "last_changed": changed,
            "to_complete": f"{len(missing)}: " + "; ".join(missing) if missing else "0",
            "notice": a.get("notice", "not in the notice"),
            "month": month.label,
            "subjects_held": observed.activity_subjects_held(obs, policy, a),
            "data_categories_filled": observed.activity_categories_filled(obs, policy, a),
            "processors_seen": observed.activity_processors_seen(obs, a["role"]),
            "countries_seen": observed.activity_countries_seen(obs, a["role"]),
            "gaps": observed.activity_gaps(obs, a["id"]),
        })
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def identification(policy: Policy, month: Month | None = None, history=None) -> pd.DataFrame:
    """The identification sheet of the Belgian DPA's model: controller, contact and data protection
    officer once (item, value, notice section), then the record itself (policy, versions, month)."""
    d = policy.data
    c, dpo, contact = d["controller"], d["data_protection_officer"], d["contact"]
    rows = [
        ("Controller (Dutch/French name)", c["name"], c["notice"]),
        ("Legal form", c.get("legal_form", TO_COMPLETE), c["notice"]),
        ("Enterprise number (KBO/BCE)", render(c.get("enterprise_number")), c["notice"]),
        ("VAT number", c.get("vat_number", TO_COMPLETE), c["notice"]),
        ("Address", c["address"], c["notice"]),
        ("General telephone number", render(c.get("phone")), ""),
        ("General e-mail address", render(c.get("email")), ""),
        ("Data protection officer", dpo.get("office", TO_COMPLETE), dpo["notice"]),
        ("Data protection officer: contact", render(dpo.get("contact")), dpo["notice"]),
        ("Data protection officer: name", render(dpo.get("name")), ""),
        ("Data protection officer: telephone", render(dpo.get("phone")), ""),
        ("Data protection officer: e-mail", render(dpo.get("email")), ""),
        ("Data protection officer: part of staff", render(dpo.get("part_of_staff")), ""),
        ("Contact for data subjects (rights, objections)", contact["name"], contact["notice"]),
        ("Contact address", contact.get("address", TO_COMPLETE), contact["notice"]),
        ("Contact web form", contact.get("web_form", TO_COMPLETE), contact["notice"]),
        ("Representative (Art. 27)", render(d["representative"]), ""),
        ("Joint controllers (Art. 26)", render(d["joint_controllers"]), ""),
        ("Record kept from", f"{d['policy'].get('title', d['policy']['id'])} — {d['policy'].get('source', '')}",
         d["policy"]["notice"]),
        ("Policy version at the end of the month", f"{policy.version} ({policy.path.name}, SHA-256 {policy.sha256})",
         ""),
    ]
    if month is not None:
        rows.append(("Month observed", month.label, ""))
    if history is not None and month is not None:
        for v in history.in_force(month):
            rows.append(("Policy version in force during the month",
                         f"{v.version} ({v.path.name}, SHA-256 {v.sha256}), {v.in_force_text()}", ""))
    return pd.DataFrame(rows, columns=["item", "value", "notice"])
