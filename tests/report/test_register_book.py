"""register.xlsx and register.html (report/register_book.py): the register handed to the authority.

Every activity (the notice's P1–P6 and PR1, the evidence's I1 and I2), an activity a later version drops
kept as ended with its end date, no observation from the data, the example banner, Dutch labels, hostile
values neutralised and escaped, and the workbook opened by LibreOffice. Expectations are worked by hand
from policies/mystamp.yml and policies/evidence.example.yml.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from sources import write_source

from gdpr_analytics.analysis.context import MonthContext
from gdpr_analytics.analysis.ropa import OBSERVED
from gdpr_analytics.core.assets import asset_dir, default_policy_path
from gdpr_analytics.core.errors import UsageError
from gdpr_analytics.core.month import Month
from gdpr_analytics.engines.factory import opened
from gdpr_analytics.policy.history import load_history
from gdpr_analytics.report import register_book
from gdpr_analytics.report.build import run_report

EXAMPLE = asset_dir("policies") / "evidence.example.yml"
OCT = Month.parse("2026-10")
SHEETS_EN = ["Identification", "Controller (Art. 30(1))", "Processor (Art. 30(2))", "Transfers", "Change log"]
SHEETS_NL = ["Identificatie", "Verantwoordelijke (art. 30(1))", "Verwerker (art. 30(2))", "Doorgiften", "Wijzigingen"]
BANNER = "EXAMPLE — the internal documentation in this register comes from mystamp-internal-example"


def _written(book, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    register_book.write(book, folder)
    return folder


def _sheets(path: Path) -> dict[str, list[list]]:
    from openpyxl import load_workbook

    return {ws.title: [[c.value for c in r] for r in ws.iter_rows()] for ws in load_workbook(path).worksheets}


def _table(rows: list[list]) -> list[dict]:
    """The rows of a sheet as dicts by heading (the banner row, when there is one, skipped)."""
    if rows and rows[0][0] and str(rows[0][0]).startswith(("EXAMPLE", "VOORBEELD")):
        rows = rows[1:]
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:]]


def _texts(path: Path) -> list[str]:
    return [str(v) for rows in _sheets(path).values() for r in rows for v in r if v is not None]


def _evidence(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "evidence.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _policy(mutate) -> dict:
    data = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    mutate(data)
    return data


# -- every activity, in the model's sheets ------------------------------------------------------------------

def test_every_activity_of_the_notice_and_of_the_evidence_has_its_row(tmp_path):
    folder = _written(register_book.build(load_history(None, EXAMPLE), OCT), tmp_path / "ev")
    sheets = _sheets(folder / "register.xlsx")
    assert list(sheets) == SHEETS_EN
    controller = _table(sheets["Controller (Art. 30(1))"])
    assert [r["Number"] for r in controller] == ["P1", "P2", "P3", "P4", "P5", "P6", "I1", "I2"]
    assert [r["Number"] for r in _table(sheets["Processor (Art. 30(2))"])] == ["PR1"]
    p5 = next(r for r in controller if r["Number"] == "P5")
    assert p5["Processing (name)"] == "Handling rights requests, objections and complaints"
    # §3 states no legal basis for P5; the evidence documents Art. 6(1)(c)
    assert p5["Basis for processing"].startswith("[documented internally] EXAMPLE Art. 6(1)(c) GDPR")
    i1 = next(r for r in controller if r["Number"] == "I1")
    assert i1["Status"].startswith("documented internally (EXAMPLE information security policy")
    assert i1["Purpose of processing"].startswith("[documented internally] EXAMPLE security of processing")
    # the model's column order: business process first, then the processing's number and name
    head = sheets["Controller (Art. 30(1))"][1]
    assert head[:5] == ["Name of business process", "Owner of process", "Number", "Processing (name)",
                        "Purpose of processing"]
    assert head[-8:] == ["Joint controllers (Art. 26)", "Status", "Date of creation (declared since)",
                         "Date of last update", "End date of processing", "Replacing processing",
                         "Fields to complete", "Privacy notice sections"]

    folder = _written(register_book.build(load_history(), OCT), tmp_path / "plain")
    controller = _table(_sheets(folder / "register.xlsx")["Controller (Art. 30(1))"])
    assert [r["Number"] for r in controller] == ["P1", "P2", "P3", "P4", "P5", "P6"]
    p5 = next(r for r in controller if r["Number"] == "P5")
    assert p5["Basis for processing"].startswith("[to complete] not stated in the privacy notice")
    # one file without effective_from, no evidence: the creation date is to complete (the notice's date is
    # not in the copy encoded), never invented
    assert p5["Date of creation (declared since)"].startswith("not stated in the privacy notice")
    assert p5["End date of processing"] in ("", None)


def test_fields_to_complete_counts_the_cells_of_the_row(tmp_path):
    book = register_book.build(load_history(), OCT)
    p1 = next(r for r in book.controller if r["activity_id"][0] == "P1")
    missing = [h for k, h in book.headers("controller") if p1[k][1] == "to complete"]
    assert p1["to_complete"][0] == f"{len(missing)}: " + "; ".join(missing)
    assert "Owner of process" in missing and "Number" not in missing
    book = register_book.build(load_history(None, EXAMPLE), OCT)
    p1 = next(r for r in book.controller if r["activity_id"][0] == "P1")
    assert p1["to_complete"][0] == "0"  # the example documents every field the notice leaves unsaid


# -- history: declared, changed, ended ---------------------------------------------------------------------

@pytest.fixture
def two_versions(tmp_path) -> Path:
    """v1 from 2026-01-01 (the notice as it is); v2 from 2026-06-01 drops P3 and rewords P1's purpose."""
    folder = tmp_path / "versions"
    folder.mkdir()

    def v2(d):
        d["activities"] = [a for a in d["activities"] if a["id"] != "P3"]
        d["activities"][0]["purpose"] = "Deliver the stamps."

    for name, day, mutate in (("v1", "2026-01-01", None), ("v2", "2026-06-01", v2)):
        data = _policy(mutate or (lambda d: None))
        data["policy"].update(version=name, effective_from=day)
        (folder / f"{name}.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                            encoding="utf-8")
    return folder


def test_an_activity_a_later_version_drops_keeps_its_row_with_its_end_date(two_versions, tmp_path):
    history = load_history(two_versions)
    folder = _written(register_book.build(history, OCT), tmp_path / "oct")
    sheets = _sheets(folder / "register.xlsx")
    controller = {r["Number"]: r for r in _table(sheets["Controller (Art. 30(1))"])}
    assert list(controller) == ["P1", "P2", "P4", "P5", "P6", "P3"]  # v2's activities, then the ended one
    p3 = controller["P3"]
    assert p3["Status"] == "ended"
    assert p3["End date of processing"] == "2026-06-01T00:00:00Z"  # the first instant of v2
    assert (p3["Date of creation (declared since)"], p3["Date of last update"]) == ("2026-01-01", "2026-01-01")
    assert p3["Purpose of processing"].startswith("[stated in the notice] Improve the MyStamp website")
    assert p3["Replacing processing"].startswith("[to complete]")
    p1 = controller["P1"]
    assert (p1["Status"], p1["End date of processing"]) == ("in force", None)
    assert (p1["Date of creation (declared since)"], p1["Date of last update"]) == ("2026-01-01", "2026-06-01")

    log = [(r["Number"], r["Date"], r["Policy version"], r["Change"]) for r in _table(sheets["Change log"])]
    assert [x for x in log if x[0] in ("P1", "P3")] == [
        ("P1", "2026-01-01", "v1", "declared"),
        ("P1", "2026-06-01", "v2", "changed: purpose"),
        ("P3", "2026-01-01", "v1", "declared"),
        ("P3", "2026-06-01T00:00:00Z", "v2", "ended"),
    ]
    change = next(r for r in _table(sheets["Change log"]) if r["Change"] == "changed: purpose")
    assert change["Before"].startswith("Deliver the MyStamp and MyStamp Pro services") and change["After"] == \
        "Deliver the stamps."
    html = (folder / "register.html").read_text(encoding="utf-8")
    assert 'id="activity-P3"' in html and "2026-06-01T00:00:00Z" in html

    # May, the last month v1 is in force at its end: P3 in force, nothing ended, nothing changed
    may = register_book.build(history, Month.parse("2026-05"))
    assert [r["activity_id"][0] for r in may.controller] == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert {r["status"][0] for r in may.controller} == {"in force"}
    assert {r["end_date"][0] for r in may.controller} == {""}
    assert {r["change"] for r in may.changes} == {"declared"}


def test_an_activity_dropped_and_declared_again_is_in_force(two_versions):
    data = yaml.safe_load((two_versions / "v1.yml").read_text(encoding="utf-8"))
    data["policy"].update(version="v3", effective_from="2026-09-01")
    (two_versions / "v3.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    book = register_book.build(load_history(two_versions), OCT)
    p3 = next(r for r in book.controller if r["activity_id"][0] == "P3")
    assert (p3["status"][0], p3["end_date"][0], p3["declared_since"][0]) == ("in force", "", "2026-09-01")
    assert [(r["date"], r["change"]) for r in book.changes if r["activity_id"] == "P3"] == [
        ("2026-01-01", "declared"), ("2026-06-01T00:00:00Z", "ended"), ("2026-09-01", "declared again")]


# -- transfers ---------------------------------------------------------------------------------------------------

def test_transfers_one_row_per_declared_or_documented_pair_outside_the_eea(tmp_path):
    rows = register_book.build(load_history(), OCT).transfers
    assert [(r["processor"][0], r["country"][0]) for r in rows] == [
        ("Infosys [infosys]", "India (IN)"), ("Tata Consultancy Services (TCS) [tcs]", "India (IN)")]
    infosys = rows[0]
    assert infosys["declared"] == ("§5, §6", "stated")
    assert infosys["access"][1] == "stated" and infosys["access"][0].endswith("(§5, §6)")
    for key in ("legal_entity", "mechanism", "tia_reference", "tia_review_by", "supplementary_measures"):
        assert infosys[key][1] == "to complete", key
    assert "Art. 46" in infosys["mechanism"][0]  # what the notice says instead

    def more(d):  # wipro from India, documented only; a transfer to Ireland is inside the EEA
        d["transfers"].append({"processor": "wipro", "country": "IN",
                               "access": {"text": "EXAMPLE remote access", "document": "EX-DPA-WIP"}})
        d["transfers"].append({"processor": "aws", "country": "IE",
                               "access": {"text": "EXAMPLE hosting", "document": "EX-DPA-AWS"}})

    book = register_book.build(load_history(None, _evidence(tmp_path, more)), OCT)
    pairs = [(r["processor"][0], r["country"][0]) for r in book.transfers]
    assert pairs == [("Infosys [infosys]", "India (IN)"), ("Tata Consultancy Services (TCS) [tcs]", "India (IN)"),
                     ("wipro", "IN")]
    infosys, wipro = book.transfers[0], book.transfers[2]
    assert infosys["mechanism"][1] == "documented" and "module 3" in infosys["mechanism"][0]
    assert infosys["tia_reference"][0].startswith("EX-TIA-INF [documented internally: EXAMPLE transfer impact")
    assert (infosys["tia_assessed_on"][0], infosys["tia_review_by"][0]) == ("2025-07-01", "2026-07-01")
    assert infosys["tia_scope"][0] == "infrastructure; actions: read, write, delete; up to 50,000 records a month"
    assert wipro["declared"] == ("not in the privacy notice (documented internally only)", "documented")
    assert wipro["legal_entity"][0].startswith("EXAMPLE Wipro Limited")  # from its contract entry
    assert wipro["tia_reference"][1] == "to complete"


# -- what the register never holds: observations ---------------------------------------------------------

@pytest.fixture(scope="module")
def wipro_db(tmp_path_factory) -> Path:
    """October 2026: TCS and, undeclared, Wipro reading customers from India."""
    from gdpr_analytics.ingest.load import load_to_file

    base = tmp_path_factory.mktemp("register-src")
    events = [{"event_id": f"E{i}", "occurred_at": f"2026-10-{d:02d}T10:00:00", "processor": p,
               "source_country": "IN", "resource": "customers"}
              for i, (d, p) in enumerate(((1, "tcs"), (2, "wipro"), (3, "tcs"), (30, "wipro")))]
    src = write_source(base / "src", exported_at="2026-11-01T00:00:00Z", customers=[{"customer_id": "C1"}],
                       orders=[{"customer_id": "C1", "ordered_at": "2026-10-01T09:00:00"}], access_log=events)
    db = base / "db.duckdb"
    load_to_file(src, db, show=False)
    return db


def _report(db: Path, out: Path, evidence=None, lang: str = "en") -> Path:
    history = load_history(None, evidence)
    with opened(db=db) as engine:
        return run_report(engine, MonthContext.build(engine, OCT, history), out=out, notebooks=[], show=False,
                          lang=lang)


OBSERVED_WORDS = [label for _, label in OBSERVED] + ["Observed 20", "seen in the month", "held at the end of"]
FINDING = re.compile(r"\b(RET|XB|MKT|DSR|MIN)-\d{3}\b")


def test_no_observation_from_the_data_reaches_the_register(wipro_db, tmp_path):
    folder = _report(wipro_db, tmp_path / "plain")
    ropa = " ".join(_texts(folder / "ropa.xlsx"))
    # the audit version shows what the month's data holds: the check below could fail
    assert "wipro" in ropa.lower() and "Observed 2026-10: processors seen" in ropa
    for name in ("register.xlsx", "register.html"):
        text = " ".join(_texts(folder / name)) if name.endswith("xlsx") else \
            (folder / name).read_text(encoding="utf-8")
        assert "wipro" not in text.lower(), name  # seen in the data, named by no document
        assert [w for w in OBSERVED_WORDS if w.lower() in text.lower()] == [], name
        assert not FINDING.search(text), name

    # documented by the evidence (its contract), Wipro is in the register, as documented
    folder = _report(wipro_db, tmp_path / "evidence", evidence=EXAMPLE)
    controller = _table(_sheets(folder / "register.xlsx")["Controller (Art. 30(1))"])
    p1 = next(r for r in controller if r["Number"] == "P1")
    assert "wipro" in p1["Recipient category"] and p1["Recipient category"].startswith("[documented internally]")
    html = (folder / "register.html").read_text(encoding="utf-8")
    assert "wipro" in html and [w for w in OBSERVED_WORDS if w.lower() in html.lower()] == []


def test_the_report_writes_the_register_links_it_and_lists_it(wipro_db, tmp_path):
    folder = _report(wipro_db, tmp_path / "nl", lang="nl")
    assert list(_sheets(folder / "register.xlsx")) == SHEETS_NL
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert {"register.xlsx", "register.html"} <= {o["name"] for o in manifest["outputs"]}
    assert manifest["lang"] == "nl"
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert 'href="register.html"' in index and 'href="register.xlsx"' in index
    assert '<html lang="nl">' in (folder / "register.html").read_text(encoding="utf-8")
    # the language is part of what a month is built from: English is not "up to date" with a Dutch folder
    from gdpr_analytics.report.build import build_key

    with opened(db=wipro_db) as engine:
        ctx = MonthContext.build(engine, OCT, load_history())
        assert build_key(engine, ctx, tmp_path / "nl", "nl") != build_key(engine, ctx, tmp_path / "nl", "en")
        assert build_key(engine, ctx, tmp_path / "nl", "nl") == manifest["build_key"]


# -- the example banner -------------------------------------------------------------------------------------------

def test_the_example_banner_tops_every_sheet_and_the_page_only_with_an_example_file(tmp_path):
    folder = _written(register_book.build(load_history(None, EXAMPLE), OCT), tmp_path / "example")
    for name, rows in _sheets(folder / "register.xlsx").items():
        assert rows[0][0].startswith(BANNER), name
    html = (folder / "register.html").read_text(encoding="utf-8")
    assert html.index('class="example-banner"') < html.index("<h1>")

    real = _evidence(tmp_path, lambda d: d["evidence"].update(example=False))
    for case, history in (("none", load_history()), ("real", load_history(None, real))):
        folder = _written(register_book.build(history, OCT), tmp_path / case)
        sheets = _sheets(folder / "register.xlsx")
        assert [rows[0][0] for rows in sheets.values()] == ["Item", "Name of business process",
                                                            "Name of business process", "Processor (recipient)",
                                                            "Number"], case
        assert "EXAMPLE —" not in (folder / "register.html").read_text(encoding="utf-8"), case


# -- languages --------------------------------------------------------------------------------------------------------

def test_dutch_labels_and_the_notices_own_values(tmp_path):
    en = _written(register_book.build(load_history(None, EXAMPLE), OCT, "en"), tmp_path / "en")
    nl = _written(register_book.build(load_history(None, EXAMPLE), OCT, "nl"), tmp_path / "nl")
    sheets = _sheets(nl / "register.xlsx")
    assert list(sheets) == SHEETS_NL
    assert sheets["Identificatie"][0][0].startswith("VOORBEELD — de interne documentatie")
    p1_nl = next(r for r in _table(sheets["Verantwoordelijke (art. 30(1))"]) if r["Nummer"] == "P1")
    p1_en = next(r for r in _table(_sheets(en / "register.xlsx")["Controller (Art. 30(1))"]) if r["Number"] == "P1")
    assert p1_nl["Verwerking (naam)"] == p1_en["Processing (name)"] == "Deliver MyStamp and MyStamp Pro"
    assert p1_nl["Doel van de verwerking"] == p1_en["Purpose of processing"].replace(
        "[stated in the notice]", "[vermeld in de privacyverklaring]")
    assert p1_nl["Status"] == "van kracht"
    html = (nl / "register.html").read_text(encoding="utf-8")
    assert '<html lang="nl">' in html and "<h1>Register van de verwerkingsactiviteiten</h1>" in html
    assert "aan te vullen" in html and "Processing (name)" not in html


def test_both_languages_label_the_same_things():
    def keys(d, prefix=""):
        return {f"{prefix}{k}" for k in d} | {x for k, v in d.items() if isinstance(v, dict)
                                             for x in keys(v, f"{prefix}{k}.")}
    en, nl = register_book.labels("en"), register_book.labels("nl")
    assert keys(en) == keys(nl)
    assert set(en["columns"]) == set(register_book.CONTROLLER_COLUMNS) | (
        set(register_book.PROCESSOR_COLUMNS) - set(en["processor_columns"]))
    with pytest.raises(UsageError, match="--lang must be one of en, nl"):
        register_book.labels("fr")


def test_the_command_takes_lang_en_or_nl_only(capsys):
    from gdpr_analytics import cli

    parse = cli.build_parser().parse_args
    assert parse(["report", "--db", "x.duckdb", "--month", "2026-10"]).lang == "en"
    assert parse(["report", "--db", "x.duckdb", "--month", "2026-10", "--lang", "nl"]).lang == "nl"
    with pytest.raises(SystemExit) as exc:
        parse(["report", "--db", "x.duckdb", "--month", "2026-10", "--lang", "fr"])
    assert exc.value.code == 2 and "invalid choice: 'fr'" in capsys.readouterr().err


# -- hostile values ---------------------------------------------------------------------------------------------------

def test_hostile_values_are_neutralised_in_the_workbook_and_escaped_in_the_page(tmp_path):
    def policy(d):
        d["controller"]["name"] = '=HYPERLINK("http://evil.example","click")'
        d["activities"][0]["name"] = "<script>alert(1)</script>"
        d["activities"][1]["name"] = "+cmd|' /C calc'!A0"

    path = tmp_path / "hostile.yml"
    path.write_text(yaml.safe_dump(_policy(policy), allow_unicode=True, sort_keys=False), encoding="utf-8")

    def evidence(d):
        d["activities"]["P1"]["process_owner"] = {"text": "=cmd|' /C calc'!A0", "document": "EX-REG-01"}
        d["internal_activities"][0]["name"] = '<img src=x onerror="alert(2)">'

    folder = _written(register_book.build(load_history(path, _evidence(tmp_path, evidence)), OCT), tmp_path / "out")
    from openpyxl import load_workbook

    cells = [c for ws in load_workbook(folder / "register.xlsx").worksheets for r in ws.iter_rows() for c in r
             if c.value is not None]
    assert cells and all(c.data_type == "s" for c in cells)
    texts = [c.value for c in cells]
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert '[stated in the notice] =HYPERLINK("http://evil.example","click")' in texts  # after its state: text
    assert "'+cmd|' /C calc'!A0" in texts  # P2's name
    assert any("=cmd|' /C calc'!A0" in t for t in texts)  # P1's owner, after its state: text, not a formula
    html = (folder / "register.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=" in html


# -- LibreOffice ----------------------------------------------------------------------------------------------------

def test_libreoffice_opens_the_register(soffice, tmp_path):
    folder = _written(register_book.build(load_history(None, EXAMPLE), OCT), tmp_path / "out")
    run = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                          "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(folder / "register.xlsx")],
                         capture_output=True, text=True, timeout=180)
    pdf = tmp_path / "pdf" / "register.pdf"
    assert run.returncode == 0 and pdf.is_file(), run.stdout + run.stderr  # soffice exits 0 on a file it cannot load
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 5  # a page per sheet at least
