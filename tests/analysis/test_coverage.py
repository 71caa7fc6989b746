"""What the data can and cannot answer (SPEC §10), through the real command: months after the data end
refused, --month latest from the data end, event rules not assessed before their table starts, and
"present, 0 rows" wherever a table is empty."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sources import write_source

from gdpr_analytics.analysis.context import Coverage

REPO = Path(__file__).resolve().parents[2]
COMMAND = str(Path(sys.executable).with_name("gdpr-analytics"))
WRAPPER = ("import sys\nfrom pathlib import Path\nfrom gdpr_analytics import cli\nfrom gdpr_analytics.report import notebooks as report\n"
           "nbs = sys.argv.pop(1)\nreport.default_notebooks = lambda: [Path(p) for p in nbs.split(',')]\n"
           "sys.exit(cli.main(sys.argv[1:]))")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([COMMAND, *map(str, args)], capture_output=True, text=True, timeout=600)


def report(notebooks: list[Path], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WRAPPER, ",".join(map(str, notebooks)), "report", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("end, last", [
    ("2026-11-01T00:00:00", "2026-10"),  # the day after 2026-10-31: October is covered
    ("2026-10-31T00:00:00", "2026-09"),  # October's last day is missing
    ("2027-01-01T00:00:00", "2026-12"),  # across the year
    ("2024-03-01T00:00:00", "2024-02"),  # a leap February ends on the 29th: covered
    ("2024-02-29T00:00:00", "2024-01"),
])
def test_the_last_month_a_data_end_covers(end, last):
    from datetime import datetime

    assert Coverage(datetime.fromisoformat(end), "latest row", {}).last_month().label == last


def test_a_month_after_the_data_end_is_refused_naming_the_months_covered(sample_db, tmp_path):
    for args in (["findings", "--db", sample_db, "--month", "2027-01"],
                 ["report", "--db", sample_db, "--month", "2027-01", "--out", tmp_path / "out"],
                 ["report", "--db", sample_db, "--month", "2026-09..2026-11", "--out", tmp_path / "out"]):
        proc = run(*args)
        month = "2027-01" if "2027-01" in args else "2026-11"
        assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", (
            f"gdpr-analytics: error: {month} is after the data: the data ends at 2026-11-01T00:00:00Z (the day "
            "after the latest instant in the data); the last month it covers is 2026-10\n")), args
    # refused before anything is written: no month, no lock file, no overview, not even the folder
    assert not (tmp_path / "out").exists()


def test_latest_is_the_last_month_the_data_covers(tmp_path):
    # rows up to 2026-10-20, but the export says it was taken on 2026-10-15: September is the last month
    src = write_source(tmp_path / "src", exported_at="2026-10-15T06:00:00+02:00",
                       customers=[{"customer_id": "C1"}],
                       access_log=[{"event_id": "E1", "occurred_at": "2026-08-01T00:00:00"},
                                   {"event_id": "E2", "occurred_at": "2026-10-20T00:00:00"}])
    db = tmp_path / "db.duckdb"
    assert run("load", "--source", src, "--db", db).returncode == 0
    nb = REPO / "tests" / "fixtures" / "report_ok.ipynb"
    proc = report([nb], "--db", db, "--month", "latest", "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir()) == ["2026-09"]
    refused = run("findings", "--db", db, "--month", "2026-10")
    assert refused.stderr == ("gdpr-analytics: error: 2026-10 is after the data: the data ends at 2026-10-15T04:00:00Z "
                              "(exported_at of source.yml); the last month it covers is 2026-09\n")


def test_event_rules_are_not_assessed_for_a_month_before_their_table_starts(tmp_path):
    # the access log starts on 2026-10-02 and the sends on 2026-09-01: October's XB and RET-005 rules cannot
    # be assessed (their table starts after the month's first day); the MKT rules can
    src = write_source(tmp_path / "src", exported_at="2026-11-01T00:00:00Z",
                       customers=[{"customer_id": "C1"}], uploads=[], dsr_requests=[],
                       orders=[{"order_id": "O1", "customer_id": "C1", "ordered_at": "2026-01-01T00:00:00"}],
                       access_log=[{"event_id": "E1", "occurred_at": "2026-10-02T00:00:00", "processor": "wipro"}],
                       marketing_sends=[{"send_id": "S1", "customer_id": "C1", "sent_at": "2026-09-01T00:00:00"}])
    db = tmp_path / "db.duckdb"
    assert run("load", "--source", src, "--db", db).returncode == 0
    proc = run("findings", "--db", db, "--month", "2026-10")
    assert proc.returncode == 0 and proc.stdout == "rule_id,severity,subject_type,subject_id,occurred_at,detail\n"
    reason = "table access_log starts on 2026-10-02, after the month's first day"
    assert proc.stderr.splitlines() == [f"gdpr-analytics: not assessed: {r} ({reason})" for r in
                                        ("RET-005", "XB-001", "XB-002", "XB-003", "XB-004", "XB-005")] + [
        "gdpr-analytics: table uploads: present, 0 rows (assessed: nothing to find)",
        "gdpr-analytics: table dsr_requests: present, 0 rows (assessed: nothing to find)"]
    september = run("findings", "--db", db, "--month", "2026-09")  # before the access log too
    assert "not assessed: XB-001 (table access_log starts on 2026-10-02" in september.stderr
    doc = json.loads(run("findings", "--db", db, "--month", "2026-10", "--format", "json").stdout)
    assert {d["rule_id"]: d["reason"] for d in doc["not_assessed"]} == {
        r: reason for r in ("RET-005", "XB-001", "XB-002", "XB-003", "XB-004", "XB-005")}
    assert doc["data_end"] == "2026-11-01T00:00:00Z"
    assert doc["tables"]["access_log"] == {"present": True, "rows": 1, "earliest": "2026-10-02T00:00:00Z",
                                           "latest": "2026-10-02T00:00:00Z"}
    assert doc["tables"]["uploads"]["rows"] == 0 and doc["tables"]["uploads"]["present"] is True


@pytest.mark.slow
def test_an_empty_table_is_assessed_and_every_output_says_present_0_rows(tmp_path):
    src = write_source(tmp_path / "src", exported_at="2026-11-01T00:00:00Z",
                       customers=[{"customer_id": "C1"}],
                       orders=[{"order_id": "O1", "customer_id": "C1", "ordered_at": "2026-01-01T00:00:00"}],
                       access_log=[{"event_id": "E1", "occurred_at": "2026-10-01T00:00:00"}],
                       marketing_sends=[{"send_id": "S1", "customer_id": "C1", "sent_at": "2026-10-01T00:00:00"}],
                       uploads=[{"upload_id": "U1", "customer_id": "C1", "uploaded_at": "2026-01-01T00:00:00"}],
                       dsr_requests=[])
    db = tmp_path / "db.duckdb"
    assert run("load", "--source", src, "--db", db).returncode == 0
    out = tmp_path / "out"
    nb = REPO / "notebooks" / "04_rights_and_marketing.ipynb"
    proc = report([nb], "--db", db, "--month", "2026-10", "--out", out)
    assert proc.returncode == 0, proc.stderr
    month = out / "2026-10"
    doc = json.loads((month / "summary.json").read_text(encoding="utf-8"))
    assert doc["tables"]["dsr_requests"] == {"present": True, "rows": 0}
    assert doc["rules"]["DSR-001"]["assessed"] is True and doc["rules"]["DSR-001"]["findings"] == 0
    index = (month / "index.html").read_text(encoding="utf-8")
    assert "Present with 0 rows, and assessed (nothing in them to find): dsr_requests." in index
    assert "dsr_requests: present, 0 rows" in index
    page = (month / "04_rights_and_marketing.html").read_text(encoding="utf-8")
    assert "dsr_requests: present, 0 rows" in page
    assert json.loads((month / "manifest.json").read_text(encoding="utf-8"))["tables"]["dsr_requests"]["rows"] == 0
