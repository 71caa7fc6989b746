"""The `report` command: papermill execution, auditor HTML, index.html, manifest.json, finding status.

Most tests run `report.build.run_report` (tests/sources.py's make_report) on a tiny hand-made source (tests/sources.py) with the fixture
notebook tests/fixtures/report_ok.ipynb (or no notebook at all, where only the tables matter), so they
do not depend on the report notebooks; the last tests run on the real sample and notebooks when
those exist (conftest's `sample_report`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import markupsafe
import pandas as pd
import pytest
from sources import context, make_report, write_source

from gdpr_analytics.core.errors import GdprAnalyticsError, UsageError
from gdpr_analytics.core.month import Month
from gdpr_analytics.policy import register
from gdpr_analytics.report import build as report
from gdpr_analytics.report import manifest, status
from gdpr_analytics.report import notebooks as kernels
from gdpr_analytics.report import pages as html_export

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OK_NB = FIXTURES / "report_ok.ipynb"
FAILING_NB = FIXTURES / "report_fails.ipynb"
SPEC_FILES = ["index.html", "findings.csv", "cross_border.csv", "transfers.csv", "ropa.csv", "ropa.xlsx",
              "register.xlsx", "manifest.json"]
FINDINGS_HEADER = "rule_id,severity,subject_type,subject_id,occurred_at,detail"
EVIL = '<img src=x onerror="window.__pwned=1">'


def _source(folder: Path) -> Path:
    """Customers whose RET-001 status changes month by month (as_of = first day of the next month):
    C0 last order 2023-07-10 -> finding from 2026-08 on; C1 2023-09-15 -> from 2026-09;
    C2 2023-09-20, erased 2026-10-05 -> a finding in 2026-09 only; C3 2023-10-10 -> from 2026-10.
    Access events: one per month from India by tcs, one by an undeclared processor named like markup."""
    customers = [{"customer_id": "C0"}, {"customer_id": "C1"},
                 {"customer_id": "C2", "erased_at": "2026-10-05T00:00:00"}, {"customer_id": "C3"}]
    orders = [{"customer_id": c, "ordered_at": t} for c, t in
              (("C0", "2023-07-10T09:00:00"), ("C1", "2023-09-15T09:00:00"), ("C2", "2023-09-20T09:00:00"),
               ("C3", "2023-10-10T09:00:00"))]
    events = []
    for m in ("08", "09", "10"):
        events += [
            {"event_id": f"E{m}a", "occurred_at": f"2026-{m}-03T10:00:00", "processor": "tcs",
             "source_country": "IN", "resource": "orders", "action": "read"},
            {"event_id": f"E{m}b", "occurred_at": f"2026-{m}-04T10:00:00", "processor": "bpost",
             "source_country": "BE"},
            {"event_id": f"E{m}c", "occurred_at": f"2026-{m}-05T10:00:00", "processor": EVIL,
             "source_country": "IN", "resource": "infrastructure", "action": "admin"},
        ]
    events.append({"event_id": "E10z", "occurred_at": "2026-10-31T23:00:00", "processor": "bpost",
                   "source_country": "BE"})
    return write_source(folder, customers=customers, orders=orders, access_log=events)


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory) -> Path:
    from gdpr_analytics.ingest.load import load_to_file

    base = tmp_path_factory.mktemp("tiny")
    db = base / "tiny.duckdb"
    load_to_file(_source(base / "src"), db, show=False)
    return db


@pytest.fixture(scope="module")
def fixture_report(tiny_db, tmp_path_factory) -> Path:
    """The report of 2026-10 on the tiny source, with the fixture notebook."""
    out = tmp_path_factory.mktemp("fixture-report")
    return make_report(Month.parse("2026-10"), db=tiny_db, out=out, notebooks=[OK_NB], show=False)


@pytest.mark.slow
def test_notebooks_run_at_the_same_time_and_leave_our_working_folder_alone(tiny_db, tmp_path):
    notebooks = []
    for i in (1, 2):
        nb = tmp_path / f"{i:02d}_copy.ipynb"
        shutil.copy(OK_NB, nb)
        notebooks.append(nb)
    before = os.getcwd()
    folder = make_report(Month.parse("2026-10"), db=tiny_db, out=tmp_path / "out", notebooks=notebooks,
                               show=False, jobs=2)
    assert os.getcwd() == before
    assert sorted(p.name for p in folder.glob("*.html")) == ["01_copy.html", "02_copy.html", "index.html",
                                                             "register.html"]
    timings = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["timings"]
    runs = {t["step"]: (t["start_s"], t["start_s"] + t["seconds"]) for t in timings if t["step"].startswith("executing")}
    (a0, a1), (b0, b1) = runs["executing 01_copy.ipynb"], runs["executing 02_copy.ipynb"]
    assert a0 < b1 and b0 < a1  # the first two ran at the same time


@pytest.mark.slow
def test_a_successful_run_prints_only_its_steps(tiny_db, tmp_path):
    """Off a terminal: one timestamped line per step and the folder written; nothing from the kernels
    (their own log goes to kernel.log, and they are shut down without an interrupt: test_kernel.py)."""
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    for i in range(1, 3):  # two notebooks: the two kernels run at the same time, as the report's four do
        shutil.copy(OK_NB, notebooks / f"{i:02d}_copy.ipynb")
    code = ("import sys\nfrom pathlib import Path\nfrom gdpr_analytics import cli\nfrom gdpr_analytics.report import notebooks as report\n"
            f"report.default_notebooks = lambda: sorted(Path({str(notebooks)!r}).glob('*.ipynb'))\n"
            "sys.exit(cli.main(sys.argv[1:]))")
    run = subprocess.run([sys.executable, "-c", code, "report", "--db", str(tiny_db), "--month", "2026-10",
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    step = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ report 2026-10: (computing the month's results|reading the month's results \(stored\)|"
                      r"executing 0[12]_copy.ipynb|exporting 0[12]_copy.html|writing index.html and manifest.json|"
                      r"publishing)$")
    assert [line for line in lines[:-2] if not step.match(line)] == []
    folder = tmp_path / "out" / "2026-10"
    assert lines[-2] == f"gdpr-analytics: report 2026-10 written: {folder}"
    # the verdict ends every run: the month's high-severity findings, new among them, and the page to open
    assert re.fullmatch(r"gdpr-analytics: 2026-10: \d+ high-severity findings? \(\d+ new\); \d+ in all.*; open "
                        + re.escape(str(folder / "index.html")), lines[-1]), lines[-1]
    assert run.stdout == ""


class _Elements(HTMLParser):
    """Every element's tag and classes, outside script text."""

    def __init__(self):
        super().__init__()
        self.classes: set[str] = set()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        self.classes.update((a.get("class") or "").split())


def _elements(text: str) -> _Elements:
    p = _Elements()
    p.feed(text)
    return p


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- the month folder ---------------------------------------------------------------------------


@pytest.mark.slow
def test_month_folder_has_every_spec_file(fixture_report):
    assert fixture_report.name == "2026-10"
    for name in SPEC_FILES + ["findings_status.csv", "report_ok.html", "notebooks/report_ok.ipynb"]:
        assert (fixture_report / name).is_file(), name
    leftovers = [p.name for p in fixture_report.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == [], f"staging or old folders left behind: {leftovers}"
    assert (fixture_report / "findings.csv").read_text(encoding="utf-8").splitlines()[0] == FINDINGS_HEADER


@pytest.mark.slow
def test_notebook_ran_in_this_interpreter_with_real_types(fixture_report):
    kernels.check_kernel()
    nb = json.loads((fixture_report / "notebooks" / "report_ok.ipynb").read_text(encoding="utf-8"))
    text = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert f"kernel-python: {sys.executable}" in text
    assert "kernel-cwd: report_ok\n" in text  # its own working folder (which receives kernel.log), not ours
    assert ("parameter-types: [('bulk_export_threshold', 'int'), ('db_path', 'str'), ('month', 'str'), "
            "('policy_path', 'str'), ('retention_years', 'int')]") in text
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and 'month = "2026-10"' in "".join(injected[0]["source"])
    assert nb["metadata"]["papermill"]["parameters"]["retention_years"] == 3


@pytest.mark.slow
def test_auditor_page_shows_no_code(fixture_report):
    text = (fixture_report / "report_ok.html").read_text(encoding="utf-8")
    el = _elements(text)
    shown = el.classes & {"jp-InputArea", "jp-InputPrompt", "jp-OutputPrompt", "jp-CodeMirrorEditor",
                          "jp-InputArea-editor", "highlight"}
    assert not shown, f"code or prompts shown: {shown}"
    for code in ("pio.renderers.default", "duckdb.connect(", "PARAMETER_TYPES =", 'db_path = "', "import warnings"):
        assert code not in text, f"code {code!r} is in the auditor page"
    assert "FIXTURE-STDERR-NOISE" not in text, "stderr (warnings) reached the auditor page"
    assert "Access events by country" in text and "kernel-python" in text  # narrative and outputs stay


@pytest.mark.slow
def test_auditor_page_loads_only_its_folder_s_plotly_js(fixture_report):
    text = (fixture_report / "report_ok.html").read_text(encoding="utf-8")
    assert html_export.external_references(text) == []
    # the folder's one plotly.js, loaded by relative path; none embedded in the page
    assert html_export.plotly_js_copies(text) == 0 and html_export.uses_plotly_file(text)
    assert (fixture_report / html_export.PLOTLY_FILE).read_text(encoding="utf-8") == html_export.plotly_js()
    assert "Plotly.newPlot" in text and "FIXTURE-CHART events by country" in text
    el = _elements(text)
    srcs = [a.get("src") for t, a in el.tags if t == "script" and a.get("src")]
    assert srcs == [html_export.PLOTLY_FILE], f"scripts loaded from files or hosts: {srcs}"  # beside the page
    assert not [a for t, a in el.tags if t == "link" and a.get("href")], "external stylesheet"
    assert "require.min.js" not in text and "mathjax" not in " ".join(srcs).lower()
    # the external markdown link is kept as text with its address, not as a link
    assert 'data-url="https://eur-lex.europa.eu/eli/reg/2016/679/oj"' in text
    # header block and table of contents
    assert "gdpr-header" in el.classes and "gdpr-toc" in el.classes
    toc = re.findall(r'<li class="gdpr-toc-\d"><a href="#([^"]+)">', text)
    assert toc == ["Access-events-by-country", "Chart", "Run-details"]
    for anchor in toc:
        assert f'id="{anchor}"' in text
    assert "@page { size: A4" in text and "@media print" in text


@pytest.mark.slow
def test_findings_csv_equals_the_findings_command(fixture_report, tiny_db, capsys):
    from sources import connect

    from gdpr_analytics.analysis.rules import evaluate
    from gdpr_analytics.cli import main
    from gdpr_analytics.core.csvfile import csv_text

    written = (fixture_report / "findings.csv").read_bytes()
    con = connect(tiny_db)
    try:
        expected = csv_text(evaluate(con, context(con, "2026-10")).findings)
    finally:
        con.close()
    assert written == expected.encode("utf-8")
    assert main(["findings", "--db", str(tiny_db), "--month", "2026-10", "--format", "csv"]) == 0
    assert capsys.readouterr().out.encode("utf-8") == written


@pytest.mark.slow
def test_manifest_hashes_match_every_file(fixture_report, tiny_db):
    m = json.loads((fixture_report / "manifest.json").read_text(encoding="utf-8"))
    assert manifest.verify(fixture_report) == []
    names = {o["name"] for o in m["outputs"]}
    on_disk = {p.relative_to(fixture_report).as_posix() for p in fixture_report.rglob("*") if p.is_file()}
    assert names == on_disk - {"manifest.json"}
    assert "notebooks/report_ok.ipynb" in names and "index.html" in names
    for o in m["outputs"]:
        assert o["sha256"] == hashlib.sha256((fixture_report / o["name"]).read_bytes()).hexdigest()
        assert o["bytes"] == (fixture_report / o["name"]).stat().st_size
    assert m["month"] == "2026-10" and m["period_start"] == "2026-10-01T00:00:00Z" and m["as_of"] == "2026-11-01T00:00:00Z"
    assert m["parameters"] == {"retention_years": 3, "bulk_export_threshold": 1000}
    assert set(m["policy"]) == {"file", "version", "sha256"} and len(m["policy"]["sha256"]) == 64
    # every policy version used, with its SHA-256 (one file: the one version, in force at every instant)
    assert [(v["version"], v["sha256"], v["valid_from"], v["valid_to"]) for v in m["policy_versions"]] == [
        (m["policy"]["version"], m["policy"]["sha256"], None, None)]
    assert m["policy_versions"][0]["used_for"].startswith("month end: state rules, statistics and the ROPA")
    assert {i["name"] for i in m["inputs"]} == {"customers.csv", "orders.csv", "access_log.csv"}
    assert all(len(i["sha256"]) == 64 and i["rows"] > 0 for i in m["inputs"])
    for lib in ("duckdb", "pandas", "plotly", "papermill", "nbconvert", "python", "gdpr-analytics"):
        assert m["versions"][lib]
    assert m["started_at"] <= m["finished_at"]


@pytest.mark.slow
def test_index_page(fixture_report):
    text = (fixture_report / "index.html").read_text(encoding="utf-8")
    el = _elements(text)
    assert not [t for t, _ in el.tags if t == "script"], "index.html needs no script"
    assert html_export.external_references(text) == []
    hrefs = [a["href"] for t, a in el.tags if t == "a" and a.get("href")]
    for target in hrefs:
        assert not target.startswith(("http:", "https:", "/")), target
        if not target.startswith("#"):
            assert (fixture_report / target).is_file(), f"index links to missing {target}"
    for name in SPEC_FILES[1:] + ["findings_status.csv", "report_ok.html", "notebooks/report_ok.ipynb"]:
        assert name in hrefs, f"index.html does not link {name}"
    # headline: 4 of 10 events from outside the EEA; RET-001 count; severities
    assert "Third-country access share" in text and "50.0%" in text  # 2 of 4 October events from IN
    assert re.search(r"Customers past retention \(RET-001\)</div><div class=\"value\">3<", text)
    # the undeclared processor's name is shown escaped, never as markup
    assert EVIL not in text and str(markupsafe.escape(EVIL)) in text
    # the verdict comes first; not assessed rules are named with the reason, not shown as zero
    assert text.index('id="verdict"') < text.index('id="findings"') < text.index('id="provenance"')
    verdict = re.search(r'<section id="verdict".*?</section>', text, re.S).group(0)
    assert "2026-10: 4 high-severity findings under 2 rules (RET-001, XB-001)." in verdict  # C0, C1, C3; E10c
    assert "Not assessed: DSR-001 (table dsr_requests absent from the source); MKT-001" in verdict
    # the analysts' notebooks are listed apart from the auditor files; no local absolute path
    files = text[text.index('id="files"'):text.index('id="analysts"')]
    assert ".ipynb" not in files and "notebooks/report_ok.ipynb" in text[text.index('id="analysts"'):]
    assert str(fixture_report.parent) not in text and "/tmp/" not in text
    # the Art. 30 record's completeness: a sentence, then the field x activity table (P1-P4, PR1)
    section = text[text.index('id="completeness"'):text.index('id="files"')]
    # counts per state of the policy alone (tests/policy/test_register.py works them out cell by cell)
    assert ("Not complete: of 224 entries (activity × Art. 30 field), 84 are stated in the privacy notice, 0 "
            "documented internally by the controller, 36 not applicable and 104 to complete (in 21 fields of 32)."
            ) in section
    table = section[section.index("<table"):section.index("</table>")]
    assert table.count("<tr>") == 1 + len(register.FIELDS) and "<th>PR1</th>" in table


@pytest.mark.slow
def test_transfers_csv_counts_the_month_s_events_from_outside_the_eea(fixture_report):
    """transfers.csv of the tiny source, by hand: in October tcs read orders from IN once (E10a) and the
    processor named like markup administered infrastructure from IN once (E10c); bpost's events are from
    BE; infosys|IN is declared (§5, §6) and not seen. Every event carries the default actor A1, 1 record,
    ticket CHG1 and no customer."""
    with (fixture_report / "transfers.csv").open(encoding="utf-8", newline="") as fh:
        rows = {(r["processor"], r["country"]): r for r in csv.DictReader(fh)}
    figures = ("seen_in_month", "events", "actors", "customers", "records", "resources_actions", "with_ticket",
               "ticket_pct", "bulk_exports", "out_of_scope", "first_seen", "last_seen")
    assert sorted(rows) == [(EVIL, "IN"), ("infosys", "IN"), ("tcs", "IN")]
    assert [rows[("tcs", "IN")][c] for c in figures] == [
        "true", "1", "1", "0", "1", "orders read", "1", "100.0", "0", "0", "2026-10-03T10:00:00Z",
        "2026-10-03T10:00:00Z"]
    # an undeclared processor: its scope is not judged (XB-003 does not judge it), so out_of_scope is empty
    assert [rows[(EVIL, "IN")][c] for c in figures] == [
        "true", "1", "1", "0", "1", "infrastructure admin", "1", "100.0", "0", "", "2026-10-05T10:00:00Z",
        "2026-10-05T10:00:00Z"]
    assert [rows[("infosys", "IN")][c] for c in figures] == [
        "false", "0", "0", "0", "0", "", "0", "", "0", "0", "", ""]
    assert rows[("tcs", "IN")]["tia_reference"] == "to complete"  # no evidence file
    assert rows[(EVIL, "IN")]["tia_reference"] == "not documented"
    index = (fixture_report / "index.html").read_text(encoding="utf-8")
    assert 'href="transfers.csv"' in index
    listed = {o["name"] for o in json.loads((fixture_report / "manifest.json").read_text(encoding="utf-8"))["outputs"]}
    assert "transfers.csv" in listed


# -- failure ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_failure_names_notebook_and_cell_and_keeps_the_earlier_report(fixture_report, tiny_db):
    out = fixture_report.parent
    before = _snapshot(fixture_report)
    with pytest.raises(GdprAnalyticsError) as err:
        make_report(Month.parse("2026-10"), db=tiny_db, out=out, notebooks=[FAILING_NB], show=False)
    message = str(err.value)
    print("error:", message)
    assert "\n" not in message
    assert "report_fails.ipynb" in message and "In [4]" in message
    assert "ValueError: FIXTURE-FAILURE for 2026-10" in message
    assert _snapshot(fixture_report) == before, "the earlier report changed"
    assert sorted(p.name for p in out.iterdir()) == ["2026-10", "index.html"], "staging folder left behind"


def test_failure_before_any_notebook_leaves_nothing(tiny_db, tmp_path):
    with pytest.raises(UsageError):
        make_report(Month.parse("2026-10"), db=tiny_db, out=tmp_path,
                          notebooks=[tmp_path / "missing.ipynb"])
    with pytest.raises(GdprAnalyticsError):
        make_report(Month.parse("2026-10"), db=tmp_path / "no.duckdb", out=tmp_path, notebooks=[])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_cli_reports_a_failure_on_one_line(tiny_db, tmp_path, capsys, monkeypatch):
    from gdpr_analytics import cli

    monkeypatch.setattr(kernels, "default_notebooks", lambda: [FAILING_NB])
    rc = cli.main(["report", "--db", str(tiny_db), "--month", "2026-10", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    # not on a terminal: one timestamped line per step, then the one-line reason
    assert rc == 1 and err[-1].startswith("gdpr-analytics: error: report 2026-10 not written: "), err
    assert "report_fails.ipynb" in err[-1] and "In [4]" in err[-1]
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ report 2026-10: ", line) for line in err[:-1]), err
    # no month folder, no staging folder: only the run's lock and the overview (with no month)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "index.html"]


def test_recover_after_a_killed_run(tmp_path):
    dead = 2 ** 22 + 12345  # above the default pid_max: never a live process
    (tmp_path / f".staging-2026-10-{dead}").mkdir()
    (tmp_path / f".staging-2026-10-{dead}" / "x").write_text("partial")
    (tmp_path / f".old-2026-10-{dead}").mkdir()
    (tmp_path / f".old-2026-10-{dead}" / "index.html").write_text("the earlier report")
    (tmp_path / f".staging-2026-09-{dead}").mkdir()  # another month: not ours to touch
    report._recover(tmp_path, Month.parse("2026-10"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".staging-2026-09-{dead}", "2026-10"]
    assert (tmp_path / "2026-10" / "index.html").read_text() == "the earlier report"


# -- status across months -----------------------------------------------------------------------


def _status_rows(folder: Path) -> dict[tuple[str, str], dict[str, str]]:
    with (folder / status.STATUS_FILE).open(encoding="utf-8", newline="") as fh:
        return {(r["rule_id"], r["subject_id"]): r for r in csv.DictReader(fh)}


def test_status_over_three_monthly_reports(tiny_db, tmp_path):
    """Reports of Aug, Sep and Oct in one folder (no notebooks: only the tables matter here)."""
    for m in ("2026-08", "2026-09", "2026-10"):
        make_report(m, db=tiny_db, out=tmp_path, notebooks=[], show=False)
    aug, sep, oct_ = (_status_rows(tmp_path / m) for m in ("2026-08", "2026-09", "2026-10"))
    assert {k: (r["status"], r["first_seen"]) for k, r in aug.items() if k[0] == "RET-001"} == {
        ("RET-001", "C0"): ("new", "2026-08")}
    assert {k: (r["status"], r["first_seen"]) for k, r in sep.items() if k[0] == "RET-001"} == {
        ("RET-001", "C0"): ("persisting", "2026-08"), ("RET-001", "C1"): ("new", "2026-09"),
        ("RET-001", "C2"): ("new", "2026-09")}
    assert {k: (r["status"], r["first_seen"], r["last_seen"]) for k, r in oct_.items() if k[0] == "RET-001"} == {
        ("RET-001", "C0"): ("persisting", "2026-08", "2026-10"),  # carried forward through September
        ("RET-001", "C1"): ("persisting", "2026-09", "2026-10"),
        ("RET-001", "C3"): ("new", "2026-10", "2026-10"),
        ("RET-001", "C2"): ("resolved", "2026-09", "2026-09")}  # erased on 2026-10-05
    # findings about access events belong to their month: new in it, never resolved the month after
    assert oct_[("XB-001", "E10c")]["status"] == "new" and ("XB-001", "E09c") not in oct_
    # findings.csv keeps exactly the six columns; the status file has the same current rows first
    findings = (tmp_path / "2026-10" / "findings.csv").read_text(encoding="utf-8").splitlines()
    assert findings[0] == FINDINGS_HEADER
    # (read as CSV: XB-006's subject, processor|country, holds the markup-like processor name, quoted)
    assert [k for k, r in oct_.items() if r["status"] in ("new", "persisting")] == [
        (r[0], r[3]) for r in csv.reader(findings[1:])]
    index = (tmp_path / "2026-10" / "index.html").read_text(encoding="utf-8")
    row = re.search(r"<tr><td><span class=\"sev sev-high\">high</span></td><td>RET-001</td>.*?</tr>", index, re.S).group(0)
    cells = re.findall(r'<td class="num">(.*?)</td>', row)
    assert cells == ["3", "1", "2", "1", "0"], row  # findings, new, persisting, resolved, not re-assessed
    assert "Compared with the 2026-09 report" in index
    m = json.loads((tmp_path / "2026-10" / "manifest.json").read_text(encoding="utf-8"))
    assert m["status_baseline"] == "2026-09"
    assert json.loads((tmp_path / "2026-08" / "manifest.json").read_text())["status_baseline"] is None


def _findings(*rows) -> pd.DataFrame:
    return pd.DataFrame([dict(zip(status.FINDING_COLUMNS, r)) for r in rows], columns=status.FINDING_COLUMNS)


def test_status_compare_by_hand(tmp_path):
    prev = tmp_path / "2026-09"
    prev.mkdir()
    (prev / "findings.csv").write_text(
        FINDINGS_HEADER + "\n"
        "DSR-001,high,request,R1,2026-08-02T00:00:00Z,x\n"
        "MKT-001,high,send,S1,2026-09-02T00:00:00Z,x\n"
        "RET-001,high,customer,'=1,2026-01-01T00:00:00Z,x\n"
        "RET-001,high,customer,00123,2026-01-01T00:00:00Z,x\n"
        "RET-003,low,customer,C9,2026-01-01T00:00:00Z,x\n", encoding="utf-8")
    (prev / "findings_status.csv").write_text(
        ",".join(status.STATUS_COLUMNS) + "\n"
        "RET-001,high,customer,00123,2026-01-01T00:00:00Z,persisting,2026-03,2026-09\n", encoding="utf-8")
    now = _findings(("RET-001", "high", "customer", "00123", pd.Timestamp("2026-01-01"), "x"),
                    ("RET-001", "high", "customer", "=1", pd.Timestamp("2026-01-01"), "x"),
                    ("XB-005", "low", "access_event", "E1", pd.Timestamp("2026-10-01"), "x"))
    st = status.compare(now, Month.parse("2026-10"), tmp_path, not_assessed=["DSR-001"])
    got = {(r.rule_id, r.subject_id): (r.status, r.first_seen) for r in st.table.itertuples()}
    assert got == {
        ("RET-001", "00123"): ("persisting", "2026-03"),  # first_seen carried from the status file
        ("RET-001", "'=1"): ("persisting", "2026-09"),  # neutralised in both files: still the same key
        ("XB-005", "E1"): ("new", "2026-10"),
        ("RET-003", "C9"): ("resolved", "2026-09"),
        ("DSR-001", "R1"): ("not_reassessed", "2026-09"),  # its rule was not assessed this month
    }  # MKT-001 S1 was about a send of September: not carried into October at all
    assert st.baseline == "2026-09" and st.total("resolved") == 1 and st.total("not_reassessed") == 1
    assert list(st.table.columns) == status.STATUS_COLUMNS


def test_status_without_previous_report(tmp_path):
    st = status.compare(_findings(("RET-001", "high", "customer", "C1", pd.Timestamp("2026-01-01"), "x")),
                        Month.parse("2026-01"), tmp_path)
    assert st.baseline is None and "No 2025-12 report" in st.note
    assert st.table[["status", "first_seen"]].values.tolist() == [["new", "2026-01"]]


# -- other behaviour ----------------------------------------------------------------------------


def test_source_mode_loads_into_a_temporary_database_and_removes_it(tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    src = _source(tmp_path / "src")
    folder = make_report(Month.parse("2026-10"), source=src, out=tmp_path / "out", notebooks=[],
                               show=False)
    assert (folder / "findings.csv").is_file()
    assert list(scratch.iterdir()) == [], "temporary database left behind"
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    # by name, not by path: the source folder's name, and the data by the loader's fingerprint of its files
    assert m["database"]["file"] is None and m["database"]["source"] == src.name == "src"
    assert len(m["database"]["data_sha256"]) == 64 and str(tmp_path) not in json.dumps(m)


def test_the_manifest_names_files_not_paths(tiny_db, tmp_path):
    """manifest.json goes to auditors: the database, its source and the policy by name, with their SHA-256."""
    folder = make_report(Month.parse("2026-10"), db=tiny_db, out=tmp_path / "out", notebooks=[], show=False)
    text = (folder / "manifest.json").read_text(encoding="utf-8")
    m = json.loads(text)
    assert (m["database"]["file"], m["database"]["source"]) == ("tiny.duckdb", "src")
    assert (m["policy"]["file"], len(m["policy"]["sha256"])) == ("mystamp.yml", 64)
    assert all("path" not in v and v["file"] == "mystamp.yml" for v in m["policy_versions"])
    for local in (str(tiny_db.parent), str(tmp_path), str(Path(__file__).resolve().parents[2])):
        assert local not in text


def test_rerun_replaces_the_month_atomically(tiny_db, tmp_path):
    first = make_report(Month.parse("2026-10"), db=tiny_db, out=tmp_path, notebooks=[])
    (first / "stale.txt").write_text("from an older run")
    second = make_report(Month.parse("2026-10"), db=tiny_db, out=tmp_path, notebooks=[])
    assert second == first and not (second / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-10", "index.html"]  # and the overview
    assert manifest.verify(second) == []


def test_every_value_in_index_is_escaped(tiny_db, tmp_path):
    from gdpr_analytics.core.assets import default_policy_path

    policy = tmp_path / "policy.yml"
    text = default_policy_path().read_text(encoding="utf-8")
    policy.write_text(re.sub(r'(?m)^  version: .*$', '  version: "<script>window.__pwned=1</script>"', text, count=1),
                      encoding="utf-8")
    folder = make_report(Month.parse("2026-10"), db=tiny_db, out=tmp_path / "out",
                               policy_path=policy, notebooks=[])
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in index
    assert "<script" not in index and EVIL not in index
    assert json.loads((folder / "manifest.json").read_text())["policy"]["version"] == "<script>window.__pwned=1</script>"


def _other_group() -> int | None:
    """A group id the test may give a folder: any as root, else one of our groups besides the primary."""
    if os.geteuid() == 0:
        return 54321
    others = [g for g in os.getgroups() if g != os.getegid()]
    return others[0] if others else None


def test_a_setgid_report_folder_hands_its_group_read_access(tiny_db, tmp_path):
    """The deploy recipe's report folder (2750, group gdpr-auditors) under the service's UMask=0027: every
    file and folder of the report, the month's and the overview, belongs to the folder's group, which may
    read them and nobody else; folders keep the setgid bit."""
    group = _other_group()
    if group is None:
        pytest.skip("no second group to give the report folder")
    out = tmp_path / "reports"
    out.mkdir()
    os.chown(out, -1, group)
    os.chmod(out, 0o2750)
    old = os.umask(0o027)
    try:
        make_report(Month.parse("2026-10"), db=tiny_db, out=out, notebooks=[OK_NB], show=False)
    finally:
        os.umask(old)
    paths = sorted(out.rglob("*"))
    assert {p.relative_to(out).as_posix() for p in paths} >= {"index.html", "2026-10", "2026-10/index.html",
                                                             "2026-10/notebooks", "2026-10/manifest.json"}
    wrong = [(p.relative_to(out).as_posix(), p.stat().st_gid, oct(p.stat().st_mode & 0o7777)) for p in paths
             if p.stat().st_gid != group
             or (p.stat().st_mode & 0o7777) != (0o2750 if p.is_dir() else 0o640)]
    assert wrong == []


# -- the exporter on its own --------------------------------------------------------------------


def test_finalize_drops_external_fetches_and_keeps_script_text():
    bundle_like = 'var a = \'<a href="https://plotly.com/">x</a>\'; var s = "<script src=https://x>";'
    page = ("<html><head><script src=\"https://cdn.example.org/require.js\"></script>"
            "<link rel=\"stylesheet\" href=\"//fonts.example.com/x.css\">"
            f"<script>{bundle_like}</script></head><body><!--gdpr-toc-->"
            "<h2 id=\"One\">One<a class=\"anchor-link\" href=\"#One\">¶</a></h2>"
            "<p><a href=\"https://eur-lex.europa.eu/x\">GDPR</a> <a href=\"javascript:alert(1)\">js</a>"
            "<a href=\"#One\">local</a> <img src=\"data:image/png;base64,AA==\"><iframe src=\"https://e.org\">x</iframe></p>"
            "<h3 id=\"Two\">Two &amp; more</h3>"
            "<h2 id=\"X-%E2%80%94-Y\">X — Y<a class=\"anchor-link\" href=\"#X-%E2%80%94-Y\">¶</a></h2></body></html>")
    out = html_export.finalize(page)
    assert html_export.external_references(out) == []
    assert bundle_like in out, "text inside <script> must be left exactly as it was"
    assert "cdn.example.org" not in out and "fonts.example.com" not in out and "iframe" not in out
    assert '<a class="external-link" data-url="https://eur-lex.europa.eu/x">GDPR</a>' in out
    assert 'data-url="javascript:alert(1)"' in out and 'href="javascript' not in out
    toc = out[out.index('<nav class="gdpr-toc"'):out.index("</nav>")]
    assert re.sub(r"\s+", "", toc.split("<ol>", 1)[1]) == (
        '<liclass="gdpr-toc-2"><ahref="#One">One</a><ul><liclass="gdpr-toc-3"><ahref="#Two">Two&amp;more</a>'
        '</li></ul></li><liclass="gdpr-toc-2"><ahref="#X-%E2%80%94-Y">X—Y</a></li></ol>')
    # a percent-encoded heading id is decoded, so that the (encoded) links to it land in a browser
    assert '<h2 id="X-—-Y">' in out and 'href="#X-%E2%80%94-Y">¶' in out
    assert 'src="data:image/png;base64,AA=="' in out


def test_export_renders_a_mimetype_only_figure():
    """The trap: plotly's default renderer under papermill writes only the plotly JSON, which
    nbconvert drops. The exporter renders such a figure itself, with plotly.js once in the head."""
    import nbformat
    import plotly.graph_objects as go
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    fig = go.Figure(go.Bar(x=["IN", "BE"], y=[3, 4], name="MIMETYPE-ONLY"))
    bundle = json.loads(fig.to_json())
    cells = [new_markdown_cell("# Charts\n\n## First"),
             new_code_cell("fig.show()", outputs=[new_output("display_data", data={
                 html_export.PLOTLY_MIME: bundle, "text/plain": "Figure"})]),
             new_code_cell("fig.show()", outputs=[new_output("display_data", data={
                 html_export.PLOTLY_MIME: bundle, "text/plain": "Figure"})])]
    nb = new_notebook(cells=cells)
    page = html_export.PageInfo(title="Charts", subtitle="", month="2026-10", period_start="", as_of="",
                                parameters={}, policy_name="", policy_version="", policy_sha256="",
                                loaded_at="", generated_at="", tool_version="")
    # a page that travels alone carries plotly.js once, before the first chart
    text = html_export.export_html(nbformat.from_dict(nb), page, standalone=True)
    assert text.count('class="plotly-graph-div"') == 2 and "MIMETYPE-ONLY" in text
    assert html_export.plotly_js_copies(text) == 1 and not html_export.uses_plotly_file(text)
    assert html_export.external_references(text) == []
    assert text.index(html_export.plotly_js()[:200]) < text.index("plotly-graph-div")
    # a page of a report folder loads the folder's copy, before the first chart
    text = html_export.export_html(nbformat.from_dict(nb), page)
    assert html_export.plotly_js_copies(text) == 0 and html_export.uses_plotly_file(text)
    assert text.index(f'src="{html_export.PLOTLY_FILE}"') < text.index("plotly-graph-div")


def test_is_external():
    for url in ("https://x.org", "http://x", "//cdn.x", "ftp://x", "javascript:alert(1)", " HTTPS://X"):
        assert html_export.is_external(url), url
    for url in ("index.html", "notebooks/a.ipynb", "#top", "data:image/png;base64,AA", "mailto:dpo@x", "", None):
        assert not html_export.is_external(url), url


# -- the real report on the sample --------------------------------------------------------------


def _real_notebooks_present() -> bool:
    try:
        return len(kernels.default_notebooks()) >= 4
    except GdprAnalyticsError:
        return False


@pytest.mark.slow
def test_sample_report(sample_report, sample_db):
    if not _real_notebooks_present():
        pytest.skip("the report notebooks (notebooks/NN_*.ipynb) are not written yet")
    from sources import connect

    from gdpr_analytics.analysis.rules import evaluate
    from gdpr_analytics.core.csvfile import csv_text

    folder = sample_report.folder
    pages = sorted(p.name for p in folder.glob("*.html") if p.name not in ("index.html", "register.html"))
    assert len(pages) == len(kernels.default_notebooks()), pages
    for name in SPEC_FILES + ["findings_status.csv"]:
        assert (folder / name).is_file(), name
    sizes = {}
    for name in pages:
        text = (folder / name).read_text(encoding="utf-8")
        sizes[name] = len(text.encode("utf-8"))
        assert html_export.external_references(text) == [], name
        assert html_export.plotly_js_copies(text) == 0 and html_export.uses_plotly_file(text), name
        assert ".snapshot-" not in text, f"{name}: names the run's temporary snapshot"
        assert "plotly-graph-div" in text, f"{name}: no chart"
        assert not _elements(text).classes & {"jp-InputArea", "jp-InputPrompt", "highlight"}, name
        assert (folder / "notebooks" / name.replace(".html", ".ipynb")).is_file()
    print("page sizes:", ", ".join(f"{n} {s / 1e6:.1f} MB" for n, s in sizes.items()))
    # one plotly.js for the folder, none in the executed notebooks: the month was 40 MB with five copies
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert total < 10e6, f"the month folder is {total / 1e6:.1f} MB"
    for nb in (folder / "notebooks").glob("*.ipynb"):
        assert html_export.plotly_js_copies(nb.read_text(encoding="utf-8")) == 0, nb.name
    assert manifest.verify(folder) == []
    con = connect(sample_db)
    try:
        expected = csv_text(evaluate(con, context(con, sample_report.month)).findings)
    finally:
        con.close()
    assert (folder / "findings.csv").read_bytes() == expected.encode("utf-8")


@pytest.mark.slow
def test_sample_transfers_csv_counts_the_raw_events(sample_report, sample_source):
    """transfers.csv of the sample's month against counts made here from access_log.csv: per processor and
    country outside the EEA, the month's events, distinct actors and customers, records, events with a
    ticket and exports above 1000 records; and the cross-border page's section on them."""
    if not _real_notebooks_present():
        pytest.skip("the report notebooks (notebooks/NN_*.ipynb) are not written yet")
    if not (sample_source / "access_log.csv").is_file():
        pytest.skip("the sample's access log is not one CSV file")
    from datetime import datetime

    from gdpr_analytics.policy.model import load_policy

    eea, month = set(load_policy().eea), Month.parse(sample_report.month)
    hand: dict[tuple[str, str], dict] = {}
    with (sample_source / "access_log.csv").open(encoding="utf-8", newline="") as fh:
        for e in csv.DictReader(fh):
            when = datetime.fromisoformat(e["occurred_at"])  # the sample writes naive UTC instants
            if not (month.period_start <= when < month.as_of) or e["source_country"] in eea:
                continue
            p = hand.setdefault((e["processor"].strip().lower(), e["source_country"]),
                                {"events": 0, "actors": set(), "customers": set(), "records": 0, "with_ticket": 0,
                                 "bulk_exports": 0, "when": []})
            p["events"] += 1
            p["actors"].add(e["actor_id"])
            p["customers"] |= {e["customer_id"]} if e["customer_id"] else set()
            p["records"] += int(e["record_count"])
            p["with_ticket"] += bool(e["ticket_id"])
            p["bulk_exports"] += e["action"] == "export" and int(e["record_count"]) > 1000
            p["when"].append(when)
    with (sample_report.folder / "transfers.csv").open(encoding="utf-8", newline="") as fh:
        rows = {(r["processor"], r["country"]): r for r in csv.DictReader(fh)}
    assert {k for k, r in rows.items() if r["seen_in_month"] == "true"} == set(hand) and len(hand) >= 3
    assert {("infosys", "IN"), ("tcs", "IN")} <= set(rows)  # declared by the policy (§5, §6)
    for key, p in hand.items():
        r = rows[key]
        assert [int(r[c]) for c in ("events", "actors", "customers", "records", "with_ticket", "bulk_exports")] == \
            [p["events"], len(p["actors"]), len(p["customers"]), p["records"], p["with_ticket"], p["bulk_exports"]], key
        assert (r["first_seen"], r["last_seen"]) == (f"{min(p['when']):%Y-%m-%dT%H:%M:%S}Z",
                                                     f"{max(p['when']):%Y-%m-%dT%H:%M:%S}Z"), key
    cross = (sample_report.folder / "03_cross_border.html").read_text(encoding="utf-8")
    assert "Transfers outside the EEA" in cross and 'id="evidence-XB-006"' in cross
    assert cross.index("No evidence file was given") < cross.index('id="evidence-XB-001"')  # said at the top


@pytest.mark.slow
def test_on_every_page_the_evidence_comes_before_long_tables(sample_report):
    """A folded (long) table before a page's last evidence is the evidence itself, never a statistic
    pushed in front of it; the provenance closes every page."""
    for page in sample_report.pages[1:]:
        if page.name == "register.html":
            continue  # the register handed to the authority: no evidence, not a notebook's page
        text = page.read_text(encoding="utf-8")
        marks = sorted([(m.start(), "evidence") for m in re.finditer(r'id="evidence-[A-Z]+-\d{3}"', text)]
                       + [(m.start(), "fold") for m in re.finditer(r'<details class="ga-fold">', text)]
                       + [(m.start(), "heading") for m in re.finditer(r"<h[23][ >]", text)])
        last_evidence = max((p for p, kind in marks if kind == "evidence"), default=-1)
        before = None
        for pos, kind in marks:
            if kind == "fold" and pos < last_evidence:
                assert before == "evidence", f"{page.name}: a long table at {pos} comes before the evidence"
            before = kind
        assert text.rindex("About this report") > text.rindex("Methodology"), page.name
    cross = (sample_report.folder / "03_cross_border.html").read_text(encoding="utf-8")
    assert cross.index('id="evidence-XB-005"') < cross.index('<h2 id="Access-in-the-month"')


@pytest.mark.slow
def test_no_path_of_this_machine_in_any_file_of_the_month_folder(sample_report):
    """Every file of the month folder, the executed notebooks and the workbook's XML included, is free of the
    paths of the machine that ran it: the checkout, the database's folder, the source, the report folder,
    the temporary folder, the home folder and the Python environment."""
    import tempfile
    import zipfile

    repo = Path(__file__).resolve().parents[2]
    local = {str(repo), str(sample_report.db.parent), str(sample_report.source.resolve()),
             str(sample_report.folder.parent), tempfile.gettempdir() + os.sep, str(Path.home()) + os.sep,
             sys.prefix, str(Path(sys.executable).parent)}
    found = []
    files = sorted(p for p in sample_report.folder.rglob("*") if p.is_file())
    assert {"manifest.json", "notebooks/02_retention.ipynb", "ropa.xlsx", "02_retention.html"} <= \
        {p.relative_to(sample_report.folder).as_posix() for p in files}
    for path in files:
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                texts = [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
        else:
            texts = [path.read_bytes().decode("utf-8", "replace")]
        for text in texts:
            text = text.replace("\\/", "/")  # JSON may escape the slashes
            found += [f"{path.relative_to(sample_report.folder)}: {p}" for p in sorted(local) if p in text]
    assert found == []
