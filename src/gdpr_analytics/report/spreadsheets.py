"""ropa.xlsx: the Art. 30 record as a workbook after the register model of the Belgian Data Protection
Authority (GBA/APD): an identification sheet (controller, contact, data protection officer, once), the
activities as controller, the activities as processor, and the completeness table. Every cell is a plain,
spreadsheet-safe string. docs/ropa-registers.md gives the model's column for each heading.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analysis.context import MonthContext
from ..analysis.ropa import identification
from ..core.csvfile import neutralise
from ..core.files import atomic_write
from ..core.month import Month
from ..policy import register

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
    ("Processors", "processors"),
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
    ("Sub-processors", "processors"),
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


def _sheet(wb, name: str, headings: list[str], rows: list[list], widths: list[int] | None = None,
           banner: str | None = None) -> None:
    """One sheet: a heading row and the rows; `banner`, when given, is a first row of its own (e.g. that the
    controller's evidence is a fictitious example)."""
    from openpyxl.styles import Alignment, Font, PatternFill

    ws = wb.create_sheet(name)
    top = 1
    if banner:
        ws.cell(row=1, column=1, value=_cell_text(banner)).font = Font(bold=True, color="9C0006")
        top = 2
    font, fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F0")
    for j, heading in enumerate(headings, start=1):
        cell = ws.cell(row=top, column=j, value=_cell_text(heading))
        cell.font, cell.fill = font, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, values in enumerate(rows, start=top + 1):
        for j, value in enumerate(values, start=1):
            cell = ws.cell(row=i, column=j, value=_cell_text(value))
            cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for j in range(1, len(headings) + 1):
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = (widths or [])[j - 1] \
            if widths and j <= len(widths) else 42
    ws.freeze_panes = f"C{top + 1}" if len(headings) > 3 else f"B{top + 1}"


def example_banner(evidence) -> str | None:
    """The line every sheet built with an evidence file marked `example: true` starts with."""
    if evidence is None or not evidence.example:
        return None
    return (f"EXAMPLE DOCUMENTATION: the controller's internal evidence read for this register ({evidence.path.name}) "
            "is marked as a fictitious example; the contracts, assessments and measures it documents are not real.")


def write_ropa_xlsx(ctx: MonthContext, record: pd.DataFrame, path: str | Path) -> None:
    """ropa.xlsx, after the register model of the Belgian Data Protection Authority (GBA/APD), written
    with openpyxl via a temporary file and a rename:

    - "Identification": the model's identification tab — controller (name, enterprise number, address,
      telephone, e-mail), data protection officer, contact for data subjects, representative, joint
      controllers — once, and the policy versions the record is built from;
    - "Controller (Art. 30(1))": one row per activity as controller, in the model's column groups
      (business process, identification of the processing, data and data subjects, processors,
      transfers, security, rights, status);
    - "Processor (Art. 30(2))": the activities as processor (each controller, categories of processing,
      sub-processors, transfers, security);
    - "Completeness": activity × field, stated or to complete.

    Both register sheets end with the columns observed in the month. Every cell is a plain string,
    neutralised (core.csvfile.neutralise) so that no value is read as a formula.
    """
    from openpyxl import Workbook

    policy, month, df = ctx.policy, ctx.month, record
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = _cell_text(f"Record of processing activities — {policy.data['policy']['title']}")
    wb.properties.subject = _cell_text(f"Month {month.label}; policy version {policy.version}")
    wb.properties.creator = "gdpr-analytics"
    ev = ctx.history.evidence
    banner = example_banner(ev)
    ident = identification(policy, month, ctx.history)
    _sheet(wb, IDENTIFICATION_SHEET, ["Item", "Value", "Privacy notice section"],
           ident.values.tolist(), widths=[44, 90, 16], banner=banner)
    for sheet_name, (role, columns) in _xlsx_columns(month).items():
        rows = df[df["role"] == role]
        values = [[r[col] for _, col in columns] for r in rows.to_dict("records")]
        _sheet(wb, sheet_name, [h for h, _ in columns], values,
               widths=[14 if col == "activity_id" else 42 for _, col in columns], banner=banner)
    comp = register.completeness(policy, ev)
    _sheet(wb, COMPLETENESS_SHEET, list(comp.columns), comp.values.tolist(),
           widths=[60, 36] + [14] * (len(comp.columns) - 2), banner=banner)
    with atomic_write(Path(path), "wb") as fh:
        wb.save(fh)
