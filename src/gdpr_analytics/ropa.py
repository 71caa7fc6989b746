"""The record of processing activities (GDPR Art. 30): declared by the policy, checked against the month.

`build` gives one row per activity of `policies/mystamp.yml` — the four purposes as controller
(Art. 30(1)) and the uploads processed for the customers as processor (Art. 30(2)) — with the declared
items and what the month's data shows (subjects held, processors and countries seen, gaps).
`write_csv` writes ropa.csv; `write_xlsx` writes ropa.xlsx in the layout of the Belgian Data
Protection Authority's register model (see `write_xlsx`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import observed
from .engine import Engine
from .month import Month
from .output import atomic_write, neutralise
from .output import write_csv as _write_csv
from .policy import Policy

DECLARED = [
    ("activity_id", "Activity"),
    ("activity", "Name"),
    ("role", "Role of bpost"),
    ("controller", "Controller"),
    ("processor", "Processor"),
    ("dpo_contact", "Data protection contact"),
    ("purposes", "Purposes"),
    ("legal_basis", "Legal basis"),
    ("data_subject_categories", "Categories of data subjects"),
    ("data_categories", "Categories of personal data (fideslang key)"),
    ("recipients", "Recipients"),
    ("third_country_transfers", "Transfers to third countries"),
    ("safeguards", "Safeguards for the transfers"),
    ("retention", "Retention"),
    ("security_measures", "Security measures"),
    ("profiling", "Profiling and automated decisions"),
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
    ("Data subjects", "data_subject_categories", "subjects_held"),
    ("Personal data", "data_categories", "data_categories_filled"),
    ("Recipients", "recipients", "processors_seen"),
    ("Transfers outside the EEA", "third_country_transfers", "countries_seen"),
    ("Safeguards", "safeguards", None),
    ("Retention", "retention", None),
    ("Security measures", "security_measures", None),
    ("Profiling", "profiling", None),
    ("Gaps", None, "gaps"),
    ("Notice sections", "notice", None),
]


def _join(items, sep="; ") -> str:
    return sep.join(str(i) for i in items if i not in (None, ""))


def _controller(policy: Policy) -> str:
    c = policy.data["controller"]
    vat = f" (VAT {c['vat_number']})" if c.get("vat_number") else ""
    return f"{c['name']}, {c['address']}{vat}"


def _contact(policy: Policy) -> str:
    c = policy.data["contact"]
    return _join([c.get("name"), c.get("address"), c.get("web_form")], ", ")


def _processors(policy: Policy) -> list[dict]:
    return [p for p in policy.data["processors"] if p.get("role") != "controller"]


def _recipients(policy: Policy) -> str:
    out = []
    for p in _processors(policy):
        where = f"; located in {p['location']}" if p.get("location") else ""
        countries = ", ".join(p["countries"])
        out.append(f"{p['name']} [{p['key']}] — {p.get('service', p['role'])}{where}; may access from {countries}")
    return "; ".join(out)


def _transfers(policy: Policy) -> tuple[str, str]:
    names = {p["key"]: p["name"] for p in policy.data["processors"]}
    transfers = policy.data["transfers"]
    if not transfers:
        return "none declared", "not applicable"
    where = "; ".join(
        f"{t.get('country_name', t['country'])} ({t['country']}): "
        + ", ".join(names.get(r, r) for r in t["recipients"]) for t in transfers)
    safeguards = "; ".join(f"{t['country']}: {t['safeguards']}" for t in transfers)
    return where, safeguards


def _retention(policy: Policy) -> str:
    r = policy.data["retention"]
    return (f"Erased {r['period_years']} years after the {r.get('counted_from', 'last order')}: "
            + ", ".join(r.get("applies_to") or []) + f" ({r['notice']})")


def _profiling(policy: Policy) -> str:
    p = policy.data["profiling"]
    yes_no = lambda v: "yes" if v else "no"  # noqa: E731
    return (f"profiling: {yes_no(p.get('profiling'))}; personalised advertising: "
            f"{yes_no(p.get('personalised_advertising'))}; automated decisions (Art. 22): "
            f"{yes_no(p.get('automated_decisions'))} ({p['notice']})")


def _subjects(policy: Policy, keys: list[str]) -> str:
    names = {s["key"]: s["name"] for s in policy.data["data_subjects"]}
    return "; ".join(names[k] for k in keys)


def _categories(policy: Policy, keys: list[str]) -> str:
    out = []
    for k in keys:
        c = policy.category(k)
        extra = f", {', '.join(c['account_types'])} accounts only" if c.get("account_types") else ""
        out.append(f"{c['name']} [{c['fides_key']}{extra}]")
    return "; ".join(out)


def _purposes(activity: dict) -> str:
    text = activity["purpose"]
    if activity.get("channels"):
        text += f" Channels: {', '.join(activity['channels'])}."
    if "personalised" in activity:
        text += f" Personalised: {'yes' if activity['personalised'] else 'no'}."
    if activity.get("objection"):
        text += f" Objection: {activity['objection']}."
    return text


def build(engine: Engine, policy: Policy, month: Month,
          observation: observed.Observation | None = None) -> pd.DataFrame:
    """One row per processing activity: the declared record and what the month's data shows."""
    obs = observation or observed.observe(engine, policy, month)
    transfers, safeguards = _transfers(policy)
    rows = []
    for a in policy.data["activities"]:
        is_processor = a["role"] == "processor"
        bpost = _controller(policy)
        rows.append({
            "activity_id": a["id"],
            "activity": a["name"],
            "role": a["role"],
            "controller": a.get("controller", "The customer") if is_processor else bpost,
            "processor": bpost if is_processor else "",
            "dpo_contact": _contact(policy),
            "purposes": _purposes(a),
            "legal_basis": "; ".join(b["basis"] for b in a["legal_bases"]),
            "data_subject_categories": _subjects(policy, a["data_subjects"]),
            "data_categories": _categories(policy, a["data_categories"]),
            "recipients": _recipients(policy),
            "third_country_transfers": transfers,
            "safeguards": safeguards,
            "retention": _retention(policy),
            "security_measures": f"{policy.data['security_measures']['text']} "
                                 f"({policy.data['security_measures']['notice']})",
            "profiling": _profiling(policy),
            "notice": a["notice"],
            "month": month.label,
            "subjects_held": observed.activity_subjects_held(obs, policy, a),
            "data_categories_filled": observed.activity_categories_filled(obs, policy, a),
            "processors_seen": observed.activity_processors_seen(obs, a["role"]),
            "countries_seen": observed.activity_countries_seen(obs, a["role"]),
            "gaps": observed.activity_gaps(obs, a["id"]),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """ropa.csv: the rows of `build`, spreadsheet-safe, replaced atomically."""
    _write_csv(df, path)


# -- ropa.xlsx --------------------------------------------------------------------------------------

#: Sheet name, the activities' role, and its columns: (heading, column of `build`).
CONTROLLER_SHEET = "Controller (Art. 30(1))"
PROCESSOR_SHEET = "Processor (Art. 30(2))"


def _xlsx_columns(month: Month) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    observed_cols = [
        (f"Observed {month.label}: data subjects held", "subjects_held"),
        (f"Observed {month.label}: data categories filled", "data_categories_filled"),
        (f"Observed {month.label}: processors seen", "processors_seen"),
        (f"Observed {month.label}: countries seen", "countries_seen"),
        (f"Observed {month.label}: gaps between declared and observed", "gaps"),
    ]
    return {
        CONTROLLER_SHEET: ("controller", [
            ("Activity", "activity_id"),
            ("Processing activity", "activity"),
            ("Name and contact details of the controller", "controller"),
            ("Name and contact details of the data protection officer", "dpo_contact"),
            ("Purposes of the processing", "purposes"),
            ("Legal basis", "legal_basis"),
            ("Categories of data subjects", "data_subject_categories"),
            ("Categories of personal data", "data_categories"),
            ("Categories of recipients", "recipients"),
            ("Transfers to third countries or international organisations", "third_country_transfers"),
            ("Appropriate safeguards for the transfers", "safeguards"),
            ("Envisaged time limits for erasure", "retention"),
            ("General description of the technical and organisational security measures",
             "security_measures"),
            ("Privacy notice sections", "notice"),
            *observed_cols,
        ]),
        PROCESSOR_SHEET: ("processor", [
            ("Activity", "activity_id"),
            ("Processing activity", "activity"),
            ("Name and contact details of the processor", "processor"),
            ("Name and contact details of the data protection officer", "dpo_contact"),
            ("Name and contact details of each controller on whose behalf the processor acts", "controller"),
            ("Categories of processing carried out on behalf of each controller", "purposes"),
            ("Categories of data subjects", "data_subject_categories"),
            ("Categories of personal data", "data_categories"),
            ("Sub-processors (recipients)", "recipients"),
            ("Transfers to third countries or international organisations", "third_country_transfers"),
            ("Appropriate safeguards for the transfers", "safeguards"),
            ("Envisaged time limits for erasure", "retention"),
            ("General description of the technical and organisational security measures",
             "security_measures"),
            ("Privacy notice sections", "notice"),
            *observed_cols,
        ]),
    }


def _cell_text(value) -> str:
    """A plain, spreadsheet-safe string: never a formula, no control characters openpyxl rejects."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        text = ""
    else:
        text = str(value)
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", text))


def write_xlsx(engine: Engine, policy: Policy, month: Month, path: str | Path,
               record: pd.DataFrame | None = None) -> None:
    """ropa.xlsx: one sheet per role of bpost, written with openpyxl via a temporary file and a rename.

    The columns follow the register model ("modèle de registre" / "modelregister") that the Belgian
    Data Protection Authority (GBA/APD) publishes, which itself follows Art. 30 GDPR:

    - sheet "Controller (Art. 30(1))": name and contact details of the controller and of the data
      protection officer (30(1)(a)); purposes (30(1)(b)); categories of data subjects and of personal
      data (30(1)(c)); categories of recipients (30(1)(d)); transfers to third countries and the
      safeguards (30(1)(e)); envisaged time limits for erasure (30(1)(f)); general description of the
      security measures (30(1)(g)). The model's optional "legal basis" column is included.
    - sheet "Processor (Art. 30(2))": name and contact details of the processor, its data protection
      officer and each controller (30(2)(a)); categories of processing carried out for each controller
      (30(2)(b)); transfers and safeguards (30(2)(c)); security measures (30(2)(d)). Data subjects,
      data categories, sub-processors and erasure are added as the model suggests.

    Both sheets end with the columns observed in the month (subjects held, categories filled,
    processors and countries seen, gaps). Every cell is a plain string, neutralised with
    `output.neutralise` so that no value is read as a formula.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    df = record if record is not None else build(engine, policy, month)
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = _cell_text(f"Record of processing activities — {policy.data['policy']['title']}")
    wb.properties.subject = _cell_text(f"Month {month.label}; policy version {policy.version}")
    wb.properties.creator = "gdpr-analytics"
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="DDE7F0")
    for sheet_name, (role, columns) in _xlsx_columns(month).items():
        ws = wb.create_sheet(sheet_name)
        for j, (heading, _) in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=j, value=_cell_text(heading))
            cell.font, cell.fill = header_font, header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        rows = df[df["role"] == role]
        for i, row in enumerate(rows.itertuples(index=False), start=2):
            values = row._asdict()
            for j, (_, col) in enumerate(columns, start=1):
                cell = ws.cell(row=i, column=j, value=_cell_text(values[col]))
                cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        for j, (_, col) in enumerate(columns, start=1):
            letter = ws.cell(row=1, column=j).column_letter
            ws.column_dimensions[letter].width = 14 if col == "activity_id" else 42
        ws.freeze_panes = "C2"
    with atomic_write(Path(path), "wb") as fh:
        wb.save(fh)
