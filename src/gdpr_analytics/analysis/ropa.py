"""The record of processing activities (GDPR Art. 30): declared by the policy, checked against the month.

`build` gives one row per activity of the policy version in force at the month's last instant — the
purposes as controller (Art. 30(1)) and the uploads processed for the customers as processor
(Art. 30(2)) — with every field of `register.FIELDS` (stated, or "not stated in the privacy notice —
to be completed by the controller"), the record's status and dates from the policy history, and what
the month's data shows (subjects held, processors and countries seen, gaps).
`write_csv` writes ropa.csv (one row per activity); `write_xlsx` writes ropa.xlsx after the Belgian
Data Protection Authority's register model: an identification sheet (controller, contact, data
protection officer, once), the activities as controller, the activities as processor, and the
completeness table. docs/ropa-registers.md maps every column of the model (and of the CNIL and ICO
templates, and Fides's data map) to the columns here.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from . import observed, register
from .engine import Engine
from .month import Month
from .output import atomic_write, neutralise
from .output import write_csv as _write_csv
from .policy import Policy
from .register import TO_COMPLETE, completeness, render  # noqa: F401  (completeness: for the index page)

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


def _stamp(day: date | None, policy: Policy) -> str:
    if day is not None:
        return day.isoformat()
    return render(policy.data["policy"].get("published")) if policy.data["policy"].get("published") else TO_COMPLETE


def activity_dates(history, month: Month | None, activity_id: str, policy: Policy) -> tuple[str, str]:
    """(declared since, last changed) of an activity: the effective date of the earliest version, up to
    the month's, that declares it, and of the latest in which its entry changed. A single file without
    effective_from says when it was published, or that this is to complete."""
    if history is None or not history.folder:
        d = policy.effective_from
        return _stamp(d, policy), _stamp(d, policy)
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
    return _stamp(since, policy), _stamp(changed, policy)


def build(engine: Engine, policy: Policy, month: Month,
          observation: observed.Observation | None = None, history=None) -> pd.DataFrame:
    """One row per processing activity: the declared record and what the month's data shows.
    `policy` is the version in force at the month's last instant; `history` (a PolicyHistory) dates
    each activity."""
    obs = observation or observed.observe(engine, policy, month)
    title = policy.data["policy"].get("title", policy.data["policy"]["id"])
    rows = []
    for a in policy.data["activities"]:
        cells = register.entries(policy, a, controllers_held=obs.upload_controllers, month_label=month.label)
        missing = [f.label for f in register.fields_for(a["role"]) if not cells[f.key][1]]
        since, changed = activity_dates(history, month, a["id"], policy)
        row = {key: text for key, (text, _) in cells.items()}
        row.update({
            "activity_id": a["id"],
            "activity": a["name"],
            "role": a["role"],
            "business_process": f"{title} ({policy.data['policy']['notice']})",
            "status": f"in force: declared by policy version {policy.version}",
            "policy_version": f"{policy.version} (SHA-256 {policy.sha256})",
            "declared_since": since,
            "last_changed": changed,
            "to_complete": f"{len(missing)}: " + "; ".join(missing) if missing else "0",
            "notice": a["notice"],
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


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """ropa.csv: the rows of `build`, spreadsheet-safe, replaced atomically."""
    _write_csv(df, path)


# -- ropa.xlsx --------------------------------------------------------------------------------------

IDENTIFICATION_SHEET = "Identification"
CONTROLLER_SHEET = "Controller (Art. 30(1))"
PROCESSOR_SHEET = "Processor (Art. 30(2))"
COMPLETENESS_SHEET = "Completeness"

#: The register sheets after the Belgian DPA's model (its English version): (heading, column of `build`).
#: docs/ropa-registers.md gives the model's column for each heading.
CONTROLLER_COLUMNS = [
    ("Number", "activity_id"),
    ("Processing (name)", "activity"),
    ("Name of business process", "business_process"),
    ("Owner of process", "process_owner"),
    ("Purpose of processing", "purposes"),
    ("Basis for processing", "legal_basis"),
    ("Legitimate interests", "legitimate_interests"),
    ("Type of processing (profiling, automated decisions)", "profiling"),
    ("Functional data category (fideslang key)", "data_categories"),
    ("GDPR data category (special categories, Art. 9 and 10)", "special_categories"),
    ("Data subject category", "data_subject_categories"),
    ("Vulnerable data subjects", "vulnerable_subjects"),
    ("Classification level", "classification"),
    ("Retention period, per data category", "retention"),
    ("Data combination", "data_combination"),
    ("Original source of the data", "source"),
    ("Recipient category", "recipients"),
    ("Processor(s)", "processors"),
    ("Processor contract (Art. 28)", "processor_contracts"),
    ("Third country or international organisation", "third_country_transfers"),
    ("Nature of the transfer", "transfer_nature"),
    ("Appropriate safeguards", "safeguards"),
    ("Location of the data", "location"),
    ("Technology used", "technology"),
    ("Risk and mitigation measures", "risks"),
    ("General description of the technical and organisational security measures", "security_measures"),
    ("Data protection impact assessment (DPIA)", "dpia"),
    ("Data subject rights", "data_subject_rights"),
    ("Joint controllers", "joint_controllers"),
    ("Status", "status"),
    ("Policy version", "policy_version"),
    ("Date of creation (declared since)", "declared_since"),
    ("Date of last update", "last_changed"),
    ("Fields to complete", "to_complete"),
    ("Privacy notice sections", "notice"),
]
PROCESSOR_COLUMNS = [
    ("Number", "activity_id"),
    ("Processing (name)", "activity"),
    ("Name of business process", "business_process"),
    ("Owner of process", "process_owner"),
    ("Name and contact details of each controller on whose behalf the processor acts", "controller"),
    ("Categories of processing carried out on behalf of each controller", "purposes"),
    ("Instructions and legal basis", "legal_basis"),
    ("Data subject category", "data_subject_categories"),
    ("Functional data category (fideslang key)", "data_categories"),
    ("GDPR data category (special categories, Art. 9 and 10)", "special_categories"),
    ("Vulnerable data subjects", "vulnerable_subjects"),
    ("Retention period, per data category", "retention"),
    ("Original source of the data", "source"),
    ("Sub-processor(s)", "processors"),
    ("Contracts (Art. 28): with the controller, with sub-processors", "processor_contracts"),
    ("Third country or international organisation", "third_country_transfers"),
    ("Nature of the transfer", "transfer_nature"),
    ("Appropriate safeguards", "safeguards"),
    ("Location of the data", "location"),
    ("Technology used", "technology"),
    ("General description of the technical and organisational security measures", "security_measures"),
    ("Data protection impact assessment (DPIA)", "dpia"),
    ("Status", "status"),
    ("Policy version", "policy_version"),
    ("Date of creation (declared since)", "declared_since"),
    ("Date of last update", "last_changed"),
    ("Fields to complete", "to_complete"),
    ("Privacy notice sections", "notice"),
]


def _xlsx_columns(month: Month) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    observed_cols = [
        (f"Observed {month.label}: data subjects held", "subjects_held"),
        (f"Observed {month.label}: data categories filled", "data_categories_filled"),
        (f"Observed {month.label}: processors seen", "processors_seen"),
        (f"Observed {month.label}: countries seen", "countries_seen"),
        (f"Observed {month.label}: gaps between declared and observed", "gaps"),
    ]
    return {
        CONTROLLER_SHEET: ("controller", [*CONTROLLER_COLUMNS, *observed_cols]),
        PROCESSOR_SHEET: ("processor", [*PROCESSOR_COLUMNS, *observed_cols]),
    }


def _cell_text(value) -> str:
    """A plain, spreadsheet-safe string: never a formula, no control characters openpyxl rejects."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        text = ""
    else:
        text = str(value)
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", text))


def _sheet(wb, name: str, headings: list[str], rows: list[list], widths: list[int] | None = None) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = wb.create_sheet(name)
    font, fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F0")
    for j, heading in enumerate(headings, start=1):
        cell = ws.cell(row=1, column=j, value=_cell_text(heading))
        cell.font, cell.fill = font, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, values in enumerate(rows, start=2):
        for j, value in enumerate(values, start=1):
            cell = ws.cell(row=i, column=j, value=_cell_text(value))
            cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for j in range(1, len(headings) + 1):
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = (widths or [])[j - 1] \
            if widths and j <= len(widths) else 42
    ws.freeze_panes = "C2" if len(headings) > 3 else "B2"


def write_xlsx(engine: Engine, policy: Policy, month: Month, path: str | Path,
               record: pd.DataFrame | None = None, history=None) -> None:
    """ropa.xlsx, after the register model of the Belgian Data Protection Authority (GBA/APD), written
    with openpyxl via a temporary file and a rename:

    - "Identification": the model's identification tab — controller (name, enterprise number, address,
      telephone, e-mail), data protection officer, contact for data subjects, representative, joint
      controllers — once, and the policy version(s) the record is built from;
    - "Controller (Art. 30(1))": one row per activity as controller, in the model's column groups
      (business process, identification of the processing, data and data subjects, processors,
      transfers, security, rights, status);
    - "Processor (Art. 30(2))": the activities as processor (each controller, categories of processing,
      sub-processors, transfers, security);
    - "Completeness": activity × field, stated or to complete.

    Both register sheets end with the columns observed in the month. Every cell is a plain string,
    neutralised with `output.neutralise` so that no value is read as a formula.
    """
    from openpyxl import Workbook

    df = record if record is not None else build(engine, policy, month, history=history)
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = _cell_text(f"Record of processing activities — {policy.data['policy']['title']}")
    wb.properties.subject = _cell_text(f"Month {month.label}; policy version {policy.version}")
    wb.properties.creator = "gdpr-analytics"
    ident = identification(policy, month, history)
    _sheet(wb, IDENTIFICATION_SHEET, ["Item", "Value", "Privacy notice section"],
           ident.values.tolist(), widths=[44, 90, 16])
    for sheet_name, (role, columns) in _xlsx_columns(month).items():
        rows = df[df["role"] == role]
        values = [[r[col] for _, col in columns] for r in rows.to_dict("records")]
        _sheet(wb, sheet_name, [h for h, _ in columns], values,
               widths=[14 if col == "activity_id" else 42 for _, col in columns])
    comp = register.completeness(policy)
    _sheet(wb, COMPLETENESS_SHEET, list(comp.columns), comp.values.tolist(),
           widths=[60, 36] + [14] * (len(comp.columns) - 2))
    with atomic_write(Path(path), "wb") as fh:
        wb.save(fh)
