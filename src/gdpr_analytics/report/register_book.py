"""register.xlsx and register.html: the register of processing activities the controller hands to the
supervisory authority (SPEC §12), after the register model of the Belgian Data Protection Authority.

`build(history, month, lang)` gives the register as it stood at the month's end (`as_of`), as one `Book`:
- **identification**: the controller, its data protection officer, the contact for data subjects, the
  representative and joint controllers (each with its state), and what the register is built from;
- **controller part** (Art. 30(1)): one row per activity as controller, the notice's (the version in
  force at the month's last instant) and the internal ones of the evidence file;
- **processor part** (Art. 30(2)): the activities as processor (PR1);
- **transfers**: one row per (processor, country outside the EEA) pair the notice declares or the evidence
  documents — legal entity, how the data is reached, transfer tool, TIA, supplementary measures;
- **change log**: per activity, declared since, each change (version, what changed) and **ended**.
An activity a later version no longer declares keeps its row in its part, from the last version that
declared it, with its end date: the first instant of the first version without it.

What it never holds: anything observed in the data (no subjects held, processors or countries seen, gaps,
findings). Those are in ropa.xlsx, the audit version. Every field cell is (text, state), the state one of
policy/register.py's four; the workbook writes "[state] text" (and a fill per state), the page a badge.
Labels (sheet names, headings, field labels, states) come from templates/register_labels.yml in English or
Dutch (`--lang`); values keep the notice's and the evidence's own words. Every workbook cell is a plain,
neutralised string (spreadsheets.cell_text); the page is rendered with autoescape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

from ..analysis.ropa import activity_dates
from ..core.errors import UsageError
from ..core.files import atomic_write
from ..core.instants import format_instant
from ..core.month import Month
from ..policy import register
from ..policy.history import changes
from ..policy.register import DOCUMENTED, INCOMPLETE, NOT_APPLICABLE, STATED, TO_COMPLETE
from .spreadsheets import _cell_text as cell_text  # the workbooks' one way to write a safe cell

LANGS = ("en", "nl")
LABELS_FILE = Path(__file__).resolve().parent / "templates" / "register_labels.yml"
HTML_FILE, XLSX_FILE = "register.html", "register.xlsx"

Cell = tuple[str, "str | None"]  # (text, state); state None: an identifier or a date, not a field

#: The register model's columns, in its order (docs/ropa-registers.md), then the status group.
CONTROLLER_COLUMNS = (
    "business_process", "process_owner", "activity_id", "activity", "purposes", "legal_basis",
    "legitimate_interests", "lia", "profiling", "data_categories", "special_categories", "data_subject_categories",
    "vulnerable_subjects", "classification", "retention", "data_combination", "source", "processors",
    "processor_contracts", "recipients", "third_country_transfers", "transfer_nature", "safeguards", "location",
    "technology", "risks", "security_measures", "dpia", "data_subject_rights", "joint_controllers",
    "status", "declared_since", "last_changed", "end_date", "replacing", "to_complete", "notice",
)
PROCESSOR_COLUMNS = (
    "business_process", "process_owner", "activity_id", "activity", "controller", "purposes", "legal_basis",
    "data_subject_categories", "data_categories", "special_categories", "vulnerable_subjects", "retention",
    "source", "processors", "processor_contracts", "third_country_transfers", "transfer_nature", "safeguards",
    "location", "technology", "security_measures", "dpia",
    "status", "declared_since", "last_changed", "end_date", "replacing", "to_complete", "notice",
)
TRANSFER_COLUMNS = ("processor", "country", "declared", "legal_entity", "access", "mechanism", "tia_reference",
                    "tia_assessed_on", "tia_review_by", "tia_scope", "supplementary_measures")
CHANGE_COLUMNS = ("activity_id", "activity", "date", "version", "change", "before", "after")
#: Cells that identify or date an activity: shown without a state.
PLAIN = {"business_process", "activity_id", "activity", "status", "declared_since", "last_changed", "end_date",
         "to_complete", "notice"}
#: Narrow columns, so that the frozen first four (business process, owner, number, name) leave room.
WIDTHS = {"business_process": 20, "process_owner": 24, "activity_id": 10, "activity": 28, "processor": 28,
          "country": 16}
#: The workbook's fill per state (light, so that the text stays readable in black and white too).
FILLS = {STATED: "E3F1E6", DOCUMENTED: "E2ECF7", INCOMPLETE: "FCE9CF", NOT_APPLICABLE: "EDEDED"}


# -- labels ----------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _all_labels() -> dict[str, dict]:
    return yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))


def labels(lang: str) -> dict[str, Any]:
    """The labels of one language (`en` or `nl`); UsageError for another."""
    if lang not in LANGS:
        raise UsageError(f"--lang must be one of {', '.join(LANGS)}, got {lang!r}")
    return _all_labels()[lang]


# -- the register ------------------------------------------------------------------------------------------

@dataclass
class Book:
    lang: str
    labels: dict[str, Any]
    title: str  # the policy's title
    as_of: str  # the month's end instant
    example: str | None  # the evidence file's name when it is marked example: true
    provenance: list[str]
    identification: list[tuple[str, Cell, str]]  # (label, cell, notice section)
    controller: list[dict[str, Cell]] = field(default_factory=list)
    processor: list[dict[str, Cell]] = field(default_factory=list)
    transfers: list[dict[str, Cell]] = field(default_factory=list)
    changes: list[dict[str, str]] = field(default_factory=list)

    def state(self, state: str | None) -> str:
        return self.labels["states"][state] if state else ""

    def show(self, cell: Cell) -> str:
        """A cell as the workbook writes it: '[state] text', or the text alone."""
        text, state = cell
        return f"[{self.state(state)}] {text}" if state else text

    def headers(self, part: str) -> list[tuple[str, str]]:
        """(column key, heading) of a part: controller, processor, transfers or changes."""
        lab = self.labels
        if part == "controller":
            return [(k, lab["columns"][k]) for k in CONTROLLER_COLUMNS]
        if part == "processor":
            return [(k, lab["processor_columns"][k] if k in lab["processor_columns"] else lab["columns"][k])
                    for k in PROCESSOR_COLUMNS]
        if part == "transfers":
            return [(k, lab["transfer_columns"][k]) for k in TRANSFER_COLUMNS]
        return [(k, lab["change_columns"][k]) for k in CHANGE_COLUMNS]


def build(history, month: Month, lang: str = "en") -> Book:
    """The register at the end of `month`: the version in force at its last instant, the versions before
    it (for the change log and the ended activities) and the controller's evidence (history.evidence)."""
    lab = labels(lang)
    policy, evidence = history.at_month_end(month), history.evidence
    as_of = format_instant(month.as_of)
    provenance = [lab["built_from"].format(policy=policy.path.name, version=policy.version, sha256=policy.sha256)]
    if evidence is not None:
        provenance.append(lab["evidence_from"].format(evidence=evidence.path.name, sha256=evidence.sha256))
    book = Book(lang=lang, labels=lab, title=str(policy.data["policy"].get("title", policy.data["policy"]["id"])),
                as_of=as_of, example=evidence.name if evidence is not None and evidence.example else None,
                provenance=provenance, identification=identification(policy, evidence, as_of, lab))
    versions = [v for v in history.versions if v.valid_from < month.as_of]
    for a in register.activities(policy, evidence):
        since, changed = activity_dates(history, month, a["id"], policy)
        status = lab["status"]["internal"] if a.get("internal") else lab["status"]["in_force"]
        if a.get("internal"):
            status += f" ({evidence.cite({'document': a['document']})})"
        _add(book, policy, a, evidence, status=status, since=since, changed=changed, end="")
    for a, last, end in ended(versions, policy):
        # dated as at its end: activity_dates reads only the versions before the instant it is given
        since, changed = activity_dates(history, SimpleNamespace(as_of=end), a["id"], last)
        _add(book, last, a, evidence, status=lab["status"]["ended"], since=since, changed=changed,
             end=format_instant(end))
    book.transfers = transfer_rows(policy, evidence)
    for row in book.transfers:
        if not row["declared"][0]:
            row["declared"] = (lab["transfer_values"]["not_in_notice"], DOCUMENTED)
        tia = row.pop("tia")
        if tia is not None:
            row["tia_scope"] = (lab["transfer_values"]["scope"].format(
                resources=", ".join(tia.get("resources") or []), actions=", ".join(tia.get("actions") or []),
                records=f"{int(tia.get('monthly_records', 0)):,}".replace(",", lab["thousands"])),
                row["tia_scope"][1])
    book.changes = change_log(history, month, policy, evidence, lab)
    return book


def ended(versions, policy) -> list[tuple[dict, Any, Any]]:
    """Activities a version before the month's end declared and the month-end version does not:
    (the activity as last declared, that version's policy, the first instant of the next version)."""
    now = {a["id"] for a in policy.data["activities"]}
    out: dict[str, tuple[dict, Any, Any]] = {}
    for i, v in enumerate(versions[:-1]):
        for a in v.policy.data["activities"]:
            if a["id"] not in now:
                nxt = versions[i + 1]
                if not any(b["id"] == a["id"] for b in nxt.policy.data["activities"]):
                    out[a["id"]] = (a, v.policy, nxt.valid_from)
                else:
                    out.pop(a["id"], None)
    return list(out.values())


def _controllers(activity: dict) -> Cell:
    """Art. 30(2)(a) as the register states it: each controller and how to reach them (the audit record also
    counts them in the data; the register does not)."""
    text = str(activity.get("controller") or TO_COMPLETE)
    contact = activity.get("controller_contact")
    return (f"{text}; contact: {contact or TO_COMPLETE} ({activity['notice']})",
            STATED if activity.get("controller") and contact else INCOMPLETE)


def _add(book: Book, policy, activity: dict, evidence, *, status: str, since: str, changed: str, end: str) -> None:
    role = activity["role"]
    cells: dict[str, Cell] = dict(register.activity_cells(policy, activity, evidence))
    if role == "processor":
        cells["controller"] = _controllers(activity)
    title = policy.data["policy"].get("title", policy.data["policy"]["id"])
    cells.update({
        "business_process": (f"{title} ({policy.data['policy']['notice']})", None),
        "activity_id": (str(activity["id"]), None),
        "activity": (str(activity["name"]), None),
        "status": (status, None),
        "declared_since": (since, None),
        "last_changed": (changed, None),
        "end_date": (end, None),
        "replacing": ((TO_COMPLETE, INCOMPLETE) if end else ("", None)),
        "notice": (str(activity.get("notice", "")), None),
    })
    part = "processor" if role == "processor" else "controller"
    headers = book.headers(part)
    missing = [h for k, h in headers if k not in PLAIN and cells.get(k, ("", None))[1] == INCOMPLETE]
    cells["to_complete"] = (f"{len(missing)}: " + "; ".join(missing) if missing else "0", None)
    getattr(book, part).append({k: cells.get(k, ("", None)) for k, _ in headers})


# -- transfers (documentation only) ----------------------------------------------------------------------------

def transfer_rows(policy, evidence) -> list[dict[str, Any]]:
    """One row per (processor, country outside the EEA) pair the notice declares (`transfers`) or the
    evidence documents (`evidence.transfers`), from the documentation alone: each column a (text, state);
    `declared` is ("", documented) for a pair the notice does not name; `tia` is the TIA entry (or None),
    whose scope the register words in its language. analysis/transfers.py gives these rows with the month's
    evidence from the data; until the register reads them from there, this stays this small."""
    eea = set(policy.data.get("eea") or [])
    declared = {(r, t["country"]): t for t in policy.data["transfers"] for r in t["recipients"]}
    documented = {(t["processor"], t["country"]) for t in (evidence.transfers if evidence is not None else [])}
    todo: Cell = (TO_COMPLETE, INCOMPLETE)

    def doc(entry: dict | None, otherwise: Cell = todo) -> Cell:
        return (evidence.render(entry), DOCUMENTED) if entry else otherwise

    rows = []
    for proc, country in sorted(p for p in declared.keys() | documented if p[1] not in eea):
        t = declared.get((proc, country))
        e = (evidence.transfer(proc, country) if evidence is not None else None) or {}
        p = next((p for p in policy.data["processors"] if p["key"] == proc), None)
        entity = e.get("legal_entity") or ((evidence.processor(proc) or {}).get("legal_entity")
                                           if evidence is not None else None)
        mechanism = register.statement_cell(t["mechanism"]) if t and "mechanism" in t else todo
        tia = e.get("tia")
        reference = None if not tia else str(tia["reference"]) if not tia.get("document") else \
            evidence.render({"text": str(tia["reference"]), "document": tia["document"]})
        rows.append({
            "processor": (f"{p['name']} [{proc}]" if p else str(proc), None),
            "country": (f"{t.get('country_name', country)} ({country})" if t else str(country), None),
            "declared": (str(t["notice"]), STATED) if t else ("", DOCUMENTED),
            "legal_entity": doc(entity),
            "access": doc(e.get("access"), (f"{t['how']} ({t['notice']})", STATED) if t and t.get("how") else todo),
            "mechanism": doc(e.get("mechanism"), mechanism) if mechanism[1] == INCOMPLETE else mechanism,
            "tia_reference": (reference, DOCUMENTED) if tia else todo,
            "tia_assessed_on": (str(tia["assessed_on"]), DOCUMENTED) if tia else todo,
            "tia_review_by": (str(tia["review_by"]), DOCUMENTED) if tia else todo,
            "tia_scope": ("", DOCUMENTED) if tia else todo,
            "supplementary_measures": doc(e.get("supplementary_measures")),
            "tia": tia,
        })
    return rows


# -- identification and change log ----------------------------------------------------------------------------

def identification(policy, evidence, as_of: str, lab: dict) -> list[tuple[str, Cell, str]]:
    """The identification tab: (label, (text, state), notice section)."""
    d = policy.data
    c, dpo, contact = d["controller"], d["data_protection_officer"], d["contact"]
    cell, say = register.statement_cell, lab["identification"]
    dpo_text = register.dpo_text(policy)
    dpo_entry = ((evidence.data.get("activity_defaults") or {}).get("dpo_contact")) if evidence is not None else None
    rows = [
        ("controller_name", (str(c["name"]), STATED), c["notice"]),
        ("legal_form", cell(c.get("legal_form")), c["notice"]),
        ("enterprise_number", cell(c.get("enterprise_number")), c["notice"]),
        ("vat_number", cell(c.get("vat_number")), c["notice"]),
        ("address", cell(c.get("address")), c["notice"]),
        ("phone", cell(c.get("phone")), c["notice"]),
        ("email", cell(c.get("email")), c["notice"]),
        ("dpo", register.complete((dpo_text[0], STATED if dpo_text[1] else INCOMPLETE), dpo_entry, evidence,
                                  dpo_text[0]), dpo["notice"]),
        ("dpo_name", cell(dpo.get("name")), dpo["notice"]),
        ("dpo_phone", cell(dpo.get("phone")), dpo["notice"]),
        ("dpo_email", cell(dpo.get("email")), dpo["notice"]),
        ("dpo_part_of_staff", cell(dpo.get("part_of_staff")), dpo["notice"]),
        ("contact", cell(contact.get("name")), contact["notice"]),
        ("contact_address", cell(contact.get("address")), contact["notice"]),
        ("contact_web_form", cell(contact.get("web_form")), contact["notice"]),
        ("representative", cell(d["representative"]), str(d["representative"].get("notice", ""))
         if isinstance(d["representative"], dict) else ""),
        ("joint_controllers", cell(d["joint_controllers"]), str(d["joint_controllers"].get("notice", ""))
         if isinstance(d["joint_controllers"], dict) else ""),
        ("kept_from", (f"{d['policy'].get('title', d['policy']['id'])} — {d['policy'].get('source', '')}", None),
         d["policy"]["notice"]),
        ("policy_version", (f"{policy.version} ({policy.path.name}, SHA-256 {policy.sha256})", None), ""),
        ("evidence", ((f"{evidence.name} ({evidence.path.name}, SHA-256 {evidence.sha256})" if evidence is not None
                       else lab["none"]), None), ""),
        ("as_at", (as_of, None), ""),
    ]
    # a section beside a field the notice leaves unsaid would read as if it said it
    return [(say[key], value, "" if value[1] == INCOMPLETE else str(notice)) for key, value, notice in rows]


def change_log(history, month: Month, policy, evidence, lab: dict) -> list[dict[str, str]]:
    """Per activity, in the register's order: when it was declared (or documented), each change between
    consecutive versions before the month's end (policy/history.py changes()), and when it ended."""
    say = lab["changes"]
    versions = [v for v in history.versions if v.valid_from < month.as_of]
    rows: list[dict[str, str]] = []
    names: dict[str, str] = {}
    if history.folder:
        prev, seen = None, set()
        for v in versions:
            diff = changes(prev.policy if prev else None, v.policy)
            names.update({a["id"]: str(a["name"]) for a in v.policy.data["activities"]})
            for r in diff[diff["aspect"] == "activities"].itertuples():
                row = {"activity_id": r.item, "date": v.effective_from.isoformat(), "version": v.version,
                       "before": "", "after": ""}
                if r.change == "added":
                    row["change"] = say["declared_again"] if r.item in seen else say["declared"]
                    seen.add(r.item)
                elif r.change == "removed":
                    row.update(change=say["ended"], date=format_instant(v.valid_from))
                else:
                    row.update(change=say["changed"].format(what=r.change.removesuffix(" changed")),
                               before=r.before, after=r.after)
                rows.append(row)
            prev = v
    else:
        for a in policy.data["activities"]:
            names[a["id"]] = str(a["name"])
            rows.append({"activity_id": a["id"], "date": activity_dates(history, month, a["id"], policy)[0],
                         "version": policy.version, "change": say["declared"], "before": "", "after": ""})
    for a in register.activities(policy, evidence):
        if a.get("internal"):
            names[str(a["id"])] = str(a["name"])
            rows.append({"activity_id": str(a["id"]), "date": activity_dates(history, month, a["id"], policy)[0],
                         "version": evidence.cite({"document": a["document"]}), "change": say["documented"],
                         "before": "", "after": ""})
    order = {str(a["id"]): i for i, a in enumerate(register.activities(policy, evidence))}
    rows.sort(key=lambda r: order.get(r["activity_id"], len(order)))  # stable: each activity's rows by date
    return [{**r, "activity": names.get(r["activity_id"], "")} for r in rows]


# -- register.xlsx ------------------------------------------------------------------------------------------

def write_xlsx(book: Book, path: str | Path) -> None:
    """register.xlsx (openpyxl, via a temporary file and a rename): Identification, the controller part, the
    processor part, Transfers, Change log; the example banner first on every sheet when the evidence is an
    example; every cell a plain, neutralised string."""
    from openpyxl import Workbook

    lab = book.labels
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = cell_text(f"{lab['title']} — {book.title}")
    wb.properties.subject = cell_text(lab["as_at"].format(as_of=book.as_of))
    wb.properties.creator = "gdpr-analytics"
    idl = lab["identification"]
    ident = [[(label, None), cell, (notice, None)] for label, cell, notice in book.identification]
    ident.append([("", None), ("", None), ("", None)])
    ident += [[(lab["states"][s], s), (lab["state_help"][s], None), ("", None)] for s in register.STATES]
    _sheet(wb, book, lab["sheets"]["identification"], [idl["item"], idl["value"], idl["source"]], ident,
           widths=[44, 100, 18], freeze=1)
    for part in ("controller", "processor", "transfers"):
        headers = book.headers(part)
        rows = [[row[k] for k, _ in headers] for row in getattr(book, part)]
        widths = [WIDTHS.get(k, 28 if k in PLAIN else 48) for k, _ in headers]
        _sheet(wb, book, lab["sheets"][part], [h for _, h in headers], rows, widths=widths,
               freeze=4 if part != "transfers" else 2)
    headers = book.headers("changes")
    rows = [[(r[k], None) for k, _ in headers] for r in book.changes]
    _sheet(wb, book, lab["sheets"]["changes"], [h for _, h in headers], rows,
           widths=[12, 40, 22, 30, 30, 48, 48], freeze=2)
    with atomic_write(Path(path), "wb") as fh:
        wb.save(fh)


def _sheet(wb, book: Book, name: str, headings: list[str], rows: list[list[Cell]], *, widths: list[int],
           freeze: int) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(cell_text(name)[:31])
    top = Alignment(wrap_text=True, vertical="top")
    r = 1
    if book.example:
        banner = ws.cell(row=1, column=1, value=cell_text(book.labels["example_banner"].format(evidence=book.example)))
        banner.font = Font(bold=True, color="9C0006")
        banner.fill = PatternFill("solid", fgColor="FFEB9C")
        banner.alignment = top
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(2, len(headings)))
        ws.row_dimensions[1].height = 32
        r = 2
    bold, head = Font(bold=True), PatternFill("solid", fgColor="DDE7F0")
    for j, heading in enumerate(headings, start=1):
        c = ws.cell(row=r, column=j, value=cell_text(heading))
        c.font, c.fill, c.alignment = bold, head, top
    for i, values in enumerate(rows, start=r + 1):
        for j, value in enumerate(values, start=1):
            c = ws.cell(row=i, column=j, value=cell_text(book.show(value)))
            c.data_type = "s"
            c.alignment = top
            if value[1] in FILLS:
                c.fill = PatternFill("solid", fgColor=FILLS[value[1]])
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = ws.cell(row=r + 1, column=freeze + 1).coordinate  # the headings and the first columns


# -- register.html ----------------------------------------------------------------------------------------------

def render_html(book: Book) -> str:
    """register.html: the same content as register.xlsx, one table per activity and per transfer (a field,
    its state, its text), from templates/site/register.html.j2 with autoescape."""
    from .index import environment

    lab = book.labels

    def fields(part: str, row: dict[str, Cell], skip=("activity_id", "activity")) -> list[dict[str, str]]:
        return [{"label": h, "state": row[k][1] or "", "state_label": book.state(row[k][1]), "text": row[k][0]}
                for k, h in book.headers(part) if k not in skip]

    parts = []
    for part in ("controller", "processor"):
        items = [{"id": f"activity-{row['activity_id'][0]}",
                  "title": f"{row['activity_id'][0]} — {row['activity'][0]}", "fields": fields(part, row)}
                 for row in getattr(book, part)]
        parts.append({"id": part, "title": lab["sheets"][part], "items": items})
    items = [{"id": f"transfer-{row['processor'][0]}-{row['country'][0]}",
              "title": f"{row['processor'][0]} — {row['country'][0]}",
              "fields": fields("transfers", row, skip=("processor", "country"))} for row in book.transfers]
    parts.append({"id": "transfers", "title": lab["sheets"]["transfers"], "items": items})
    return environment().get_template("register.html.j2").render(
        lang=book.lang, lab=lab, book=book, parts=parts,
        identification=[{"label": label, "text": text, "state": state or "", "state_label": book.state(state),
                         "notice": notice} for label, (text, state), notice in book.identification],
        states=[{"state": s, "label": lab["states"][s], "help": lab["state_help"][s]} for s in register.STATES],
        change_headers=[h for _, h in book.headers("changes")],
        changes=[[r[k] for k in CHANGE_COLUMNS] for r in book.changes],
        banner=lab["example_banner"].format(evidence=book.example) if book.example else "",
    )


def write(book: Book, folder: Path) -> list[Path]:
    """register.xlsx and register.html in folder."""
    write_xlsx(book, folder / XLSX_FILE)
    with atomic_write(folder / HTML_FILE) as fh:
        fh.write(render_html(book))
    return [folder / XLSX_FILE, folder / HTML_FILE]
