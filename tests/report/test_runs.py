"""Unattended runs through the real command: month ranges in order, up to date or --force, the folder
lock (exit 75, --wait), --fail-on (exit 3), one state of the data per run, summary.json and the overview.

The report notebooks are swapped for the small fixture notebook (the wrapper below replaces
report.default_notebooks and calls cli.main), so each month takes seconds."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from sources import write_source

from gdpr_analytics.ingest.load import load_to_file
from gdpr_analytics.report import summary

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OK_NB = FIXTURES / "report_ok.ipynb"  # made lighter for these tests by the fixture below
WRAPPER = ("import sys\nfrom pathlib import Path\nfrom gdpr_analytics import cli\nfrom gdpr_analytics.report import notebooks as report\n"
           "nbs = sys.argv.pop(1)\n"
           "report.default_notebooks = lambda: [Path(p) for p in nbs.split(',')] if nbs else report.default_notebooks()\n"
           "sys.exit(cli.main(sys.argv[1:]))")
SOURCE = dict(
    # X: last order 2023-07-15 -> RET-001 from 2026-08 (deadline 2026-07-15), erased 2026-10-10: resolved in October
    # Y: last order 2023-01-10 -> RET-001 in every month (persisting); Z ordered in 2026: never a finding
    customers=[{"customer_id": "X", "erased_at": "2026-10-10T00:00:00"}, {"customer_id": "Y"}, {"customer_id": "Z"}],
    orders=[{"order_id": "O1", "customer_id": "X", "ordered_at": "2023-07-15T12:00:00"},
            {"order_id": "O2", "customer_id": "Y", "ordered_at": "2023-01-10T12:00:00"},
            {"order_id": "O3", "customer_id": "Z", "ordered_at": "2026-06-01T12:00:00"}],
    access_log=[{"event_id": f"E{m}", "occurred_at": f"2026-{m}-02T10:00:00"} for m in ("08", "09", "10")]
    + [{"event_id": "E11", "occurred_at": "2026-11-30T10:00:00"}],
    uploads=[], marketing_sends=[], dsr_requests=[],
)


def cli(*args: str, notebooks: list[Path] | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    nbs = ",".join(str(p) for p in (notebooks if notebooks is not None else [OK_NB]))
    return subprocess.run([sys.executable, "-c", WRAPPER, nbs, *args], capture_output=True, text=True,
                          timeout=timeout)


def start(*args: str, notebooks: list[Path] | None = None) -> subprocess.Popen:
    nbs = ",".join(str(p) for p in (notebooks if notebooks is not None else [OK_NB]))
    return subprocess.Popen([sys.executable, "-c", WRAPPER, nbs, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def files(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under folder (but the lock) with its SHA-256 and modification time."""
    return {p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


def statuses(folder: Path) -> dict[tuple[str, str], str]:
    import csv

    with (folder / "findings_status.csv").open(encoding="utf-8", newline="") as fh:
        return {(r["rule_id"], r["subject_id"]): r["status"] for r in csv.DictReader(fh)}


@pytest.fixture(scope="module", autouse=True)
def light_notebook(tmp_path_factory):
    """The fixture notebook with plotly's mimetype renderer alone: its chart reaches the page as the
    report draws a figure given as plotly JSON only (tests/report/test_report.py checks that path), without
    the 4.8 MB plotly.js the notebook renderer embeds and the report removes again: 2 s less per report,
    and these tests run about fifteen."""
    global OK_NB
    nb = nbformat.read(str(OK_NB), as_version=4)
    cells = [c for c in nb.cells if 'pio.renderers.default = "plotly_mimetype+notebook"' in c.source]
    assert len(cells) == 1
    cells[0].source = cells[0].source.replace('"plotly_mimetype+notebook"', '"plotly_mimetype"')
    light = tmp_path_factory.mktemp("notebooks") / "report_ok.ipynb"
    nbformat.write(nb, str(light))
    before, OK_NB = OK_NB, light
    yield light
    OK_NB = before


@pytest.fixture()
def db(tmp_path) -> Path:
    path = tmp_path / "db.duckdb"
    load_to_file(write_source(tmp_path / "src", **SOURCE), path, show=False)
    return path


@pytest.mark.slow
def test_a_range_in_order_then_up_to_date_then_forced(db, tmp_path):
    out = tmp_path / "reports"
    run = cli("report", "--db", str(db), "--month", "2026-08..2026-10", "--out", str(out))
    assert run.returncode == 0, run.stderr
    written = [line for line in run.stderr.splitlines() if line.startswith("gdpr-analytics: report ")]
    assert written == [f"gdpr-analytics: report 2026-{m} written: {out / f'2026-{m}'}" for m in ("08", "09", "10")]
    # X appears in August, persists in September, is resolved in October; Y persists throughout
    ret = {m: {k: v for k, v in statuses(out / m).items() if k[0] == "RET-001"} for m in ("2026-08", "2026-09", "2026-10")}
    assert ret["2026-08"] == {("RET-001", "X"): "new", ("RET-001", "Y"): "new"}
    assert ret["2026-09"] == {("RET-001", "X"): "persisting", ("RET-001", "Y"): "persisting"}
    assert ret["2026-10"] == {("RET-001", "Y"): "persisting", ("RET-001", "X"): "resolved"}
    october = summary.read(out / "2026-10")
    assert october["compared_with"] == "2026-09"
    assert october["rules"]["RET-001"] | {"title": ""} == {
        "title": "", "severity": "high", "assessed": True, "not_assessed_reason": None, "findings": 1, "new": 0,
        "persisting": 1, "resolved": 1, "not_reassessed": 0}
    assert october["totals"]["high"] == {"findings": 1, "new": 0, "persisting": 1, "resolved": 1}
    # the overview lists the three months, newest first, each linked
    overview = (out / "index.html").read_text(encoding="utf-8")
    assert [overview.index(f'href="2026-{m}/index.html"') for m in ("10", "09", "08")] == sorted(
        overview.index(f'href="2026-{m}/index.html"') for m in ("10", "09", "08"))

    # the same range again: every month up to date, no file changed
    before = files(out)
    again = cli("report", "--db", str(db), "--month", "2026-08..2026-10", "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert [line for line in again.stderr.splitlines() if "up to date" in line] == [
        f"gdpr-analytics: report 2026-{m}: up to date (built from the same data, policy, parameters and code), "
        "left as it is" for m in ("08", "09", "10")]
    assert files(out) == before

    # --force rebuilds what it names, with the same findings, and only that
    forced = cli("report", "--db", str(db), "--month", "2026-10", "--out", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    after = files(out)
    for m in ("2026-08", "2026-09"):
        assert after[f"{m}/manifest.json"] == before[f"{m}/manifest.json"]
    assert after["2026-10/manifest.json"] != before["2026-10/manifest.json"]
    assert after["2026-10/findings.csv"][0] == before["2026-10/findings.csv"][0]

    # a changed previous month makes the next one out of date (its statuses depend on it)
    shutil.rmtree(out / "2026-09")
    redo = cli("report", "--db", str(db), "--month", "2026-10", "--out", str(out))
    assert redo.returncode == 0 and "up to date" not in redo.stderr
    assert statuses(out / "2026-10")[("RET-001", "Y")] == "new"  # no September report to compare with


@pytest.mark.slow
def test_exit_statuses_and_alerting(db, tmp_path):
    out = tmp_path / "reports"
    bad = cli("report", "--db", str(db), "--month", "2026-13", "--out", str(out))
    assert (bad.returncode, bad.stderr.strip()) == (
        2, "gdpr-analytics: error: --month must be YYYY-MM (for example 2026-10), got '2026-13'")
    backwards = cli("report", "--db", str(db), "--month", "2026-10..2026-08", "--out", str(out))
    assert backwards.returncode == 2 and "the range ends before it starts" in backwards.stderr
    # August: X and Y are new high-severity findings
    alert = cli("report", "--db", str(db), "--month", "2026-08", "--out", str(out), "--fail-on", "new-high")
    assert alert.returncode == 3, alert.stderr
    index = out.resolve() / "2026-08" / "index.html"
    assert alert.stderr.splitlines()[-2:] == [
        # the access log starts on 2026-08-02, after August's first day: its rules are not assessed
        f"gdpr-analytics: 2026-08: 2 high-severity findings (2 new); 2 in all; not assessed: RET-005, XB-001, "
        f"XB-002, XB-003, XB-004, XB-005, XB-006; open {index}",
        f"gdpr-analytics: ALERT: new high-severity findings in 2026-08 (--fail-on new-high): {index}"]
    assert index.is_file()  # written completely before the alert
    # the month again, up to date: judged on its summary.json, it alerts as it did
    again = cli("report", "--db", str(db), "--month", "2026-08", "--out", str(out), "--fail-on", "new-high")
    assert again.returncode == 3 and "up to date" in again.stderr and "ALERT: new high-severity" in again.stderr
    # September: the same two persist: no new high-severity finding, but high-severity ones
    quiet = cli("report", "--db", str(db), "--month", "2026-09", "--out", str(out), "--fail-on", "new-high")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr.splitlines()[-1].startswith("gdpr-analytics: 2026-09: 2 high-severity findings (0 new)")
    high = cli("report", "--db", str(db), "--month", "2026-09", "--out", str(out), "--fail-on", "high")
    assert high.returncode == 3  # up to date, and holding high-severity findings
    # the default, --fail-on never: 0 for the same month, whatever it holds
    never = cli("report", "--db", str(db), "--month", "2026-09", "--out", str(out))
    assert never.returncode == 0 and "up to date" in never.stderr, never.stderr


@pytest.mark.slow
def test_a_failing_month_keeps_the_months_before_and_is_named(db, tmp_path):
    nb = nbformat.read(str(OK_NB), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell('if month == "2026-09":\n    raise ValueError("no September")'))
    failing = tmp_path / "fails_in_september.ipynb"
    nbformat.write(nb, str(failing))
    out = tmp_path / "reports"
    run = cli("report", "--db", str(db), "--month", "2026-08..2026-10", "--out", str(out), notebooks=[failing])
    assert run.returncode == 1
    last = run.stderr.splitlines()[-1]
    assert last.startswith("gdpr-analytics: error: report 2026-09 not written: notebook fails_in_september.ipynb "
                           "failed in cell In [") and last.endswith("ValueError: no September")
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["2026-08", "index.html"]
    assert 'href="2026-08/index.html"' in (out / "index.html").read_text(encoding="utf-8")


def _data_sha(db: Path) -> str:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT value FROM _load_info WHERE key = 'data_sha256'").fetchone()[0]
    finally:
        con.close()


def _wait_for(predicate, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _slow_notebook(tmp_path: Path, seconds: int) -> Path:
    nb = nbformat.read(str(OK_NB), as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(f"import time\ntime.sleep({seconds})"))
    path = tmp_path / "slow.ipynb"
    nbformat.write(nb, str(path))
    return path


@pytest.mark.slow
def test_a_second_run_on_the_same_folder_gets_75_or_waits(db, tmp_path):
    out = tmp_path / "reports"
    slow = _slow_notebook(tmp_path, 6)
    first = start("report", "--db", str(db), "--month", "2026-10", "--out", str(out), notebooks=[slow])
    _wait_for(lambda: (out / ".lock").is_file() and str(first.pid) in (out / ".lock").read_text(), "the lock")
    second = cli("report", "--db", str(db), "--month", "2026-10", "--out", str(out), notebooks=[slow])
    assert second.returncode == 75
    line = second.stderr.strip()
    assert line.startswith(f"gdpr-analytics: another report run is writing {out} (process {first.pid}, started ")
    assert line.endswith("; waited 0 s (--wait SECONDS to wait longer)") and "report --db" in line
    waiting = cli("report", "--db", str(db), "--month", "2026-10", "--out", str(out), "--wait", "120",
                  notebooks=[slow])
    assert first.wait(timeout=120) == 0
    # it waited for the first run, found the month built from the same data, and left it
    assert waiting.returncode == 0, waiting.stderr
    assert "gdpr-analytics: report 2026-10: up to date" in waiting.stderr


@pytest.mark.slow
def test_a_load_during_a_report_does_not_change_what_it_reports(db, tmp_path):
    out = tmp_path / "reports"
    slow = _slow_notebook(tmp_path, 5)
    with_newproc = dict(SOURCE, access_log=SOURCE["access_log"] + [
        {"event_id": f"N{i}", "occurred_at": "2026-10-20T10:00:00", "processor": "newproc", "source_country": "US"}
        for i in range(50)])
    new_source = write_source(tmp_path / "new-src", **with_newproc)
    at_start = _data_sha(db)
    proc = start("report", "--db", str(db), "--month", "2026-10", "--out", str(out), notebooks=[slow])
    _wait_for(lambda: any(out.glob(".staging-2026-10-*")), "the report to start building")
    result = load_to_file(new_source, db, show=False)  # replaces the database while the report runs
    assert result.added == ["access_log.csv"] and result.counts["access_log"] == 54
    # the run holds its snapshot, the database's own file: the load did not write it in place
    assert result.written == "on a copy"
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    month = out / "2026-10"
    findings = (month / "findings.csv").read_text(encoding="utf-8")
    assert "newproc" not in findings and "newproc" not in (month / "cross_border.csv").read_text(encoding="utf-8")
    page = (month / "slow.html").read_text(encoding="utf-8")
    assert "newproc" not in page  # the notebook's chart of events by country read the same state
    manifest = json.loads((month / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["database"]["snapshot"] is True
    assert manifest["database"]["data_sha256"] == at_start != _data_sha(db)  # the state at the start, named
    # the executed notebook names the database, not the snapshot removed after the run (and no path)
    params = next(c for c in nbformat.read(str(month / "notebooks" / "slow.ipynb"), as_version=4).cells
                  if "parameters" in c.metadata.get("tags", []))
    assert f'db_path = "{db.name}"' in params.source and "snapshot" not in params.source
    assert not list(db.parent.glob(f".{db.name}.snapshot-*"))
    # the next run sees the new data: the month is out of date and newproc appears
    again = cli("report", "--db", str(db), "--month", "2026-10", "--out", str(out))
    assert again.returncode == 0 and "up to date" not in again.stderr
    assert "newproc" in (month / "findings.csv").read_text(encoding="utf-8")


def test_the_summary_schema_accepts_a_hand_made_summary_and_rejects_mistakes():
    import jsonschema

    doc = {
        "format": 1, "tool_version": "0.1.0", "month": "2026-10", "as_of": "2026-11-01T00:00:00Z",
        "generated_at": "2026-11-26T20:00:00Z", "compared_with": None,
        "policy_versions": [{"version": "1", "sha256": "a" * 64, "effective_from": None}],
        "parameters": {"retention_years": 3, "bulk_export_threshold": 1000},
        "data": {"data_sha256": "b" * 64, "loaded_at": "2026-11-26T19:00:00Z", "data_end": "2026-11-01T00:00:00Z"},
        "tables": {t: {"present": t != "dsr_requests", "rows": 0 if t == "dsr_requests" else 5}
                   for t in ("customers", "orders", "uploads", "access_log", "marketing_sends", "dsr_requests")},
        "rules": {"RET-001": {"title": "t", "severity": "high", "assessed": True, "not_assessed_reason": None,
                              "findings": 2, "new": 2, "persisting": 0, "resolved": 0, "not_reassessed": 0},
                  "MKT-001": {"title": "t", "severity": "high", "assessed": False,
                              "not_assessed_reason": "table marketing_sends absent from the source",
                              "findings": None, "new": 0, "persisting": 0, "resolved": 0, "not_reassessed": 0}},
        "totals": {s: {"findings": 0, "new": 0, "persisting": 0, "resolved": 0} for s in ("high", "medium", "low")},
        "not_assessed": ["MKT-001"],
    }
    summary.validate(doc)
    for path, bad in ((("rules", "MKT-001", "findings"), 0),  # not assessed is never 0
                      (("rules", "RET-001", "severity"), "critical"), (("month",), "2026-13"),
                      (("as_of",), "2026-11-01"), (("totals", "high", "new"), -1)):
        broken = json.loads(json.dumps(doc))
        target = broken
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = bad
        with pytest.raises(jsonschema.ValidationError):
            summary.validate(broken)


def test_a_month_the_load_computed_is_read_not_computed_again(tmp_path):
    src = write_source(tmp_path / "src", **SOURCE)
    db = tmp_path / "db.duckdb"
    loaded = subprocess.run([str(Path(sys.executable).with_name("gdpr-analytics")), "load", "--source", str(src),
                             "--db", str(db)], capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0 and "month results of 2026-11 ready" in loaded.stderr, loaded.stderr
    run = cli("report", "--db", str(db), "--month", "latest", "--out", str(tmp_path / "reports"))
    assert run.returncode == 0, run.stderr
    assert "report 2026-11: reading the month's results (stored)" in run.stderr
    assert "computing the month's results" not in run.stderr
