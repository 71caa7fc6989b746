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
            "after the latest record instant in the data); the last month it covers is 2026-10\n")), args
    # refused before anything is written: no month, no lock file, no overview, not even the folder
    assert not (tmp_path / "out").exists()


def test_a_month_before_the_data_start_is_refused_naming_the_first_month_covered(sample_db, tmp_path):
    # the sample's first row is a customer created at 2020-11-02T17:04:27Z: October 2020 ends before it
    # (as_of 2020-11-01T00:00:00Z), November 2020 holds it and is covered
    want = ("gdpr-analytics: error: {m} is before the data: the data starts at 2020-11-02T17:04:27Z (the first row "
            "of customers); the first month it covers is 2020-11\n")
    for month, args in (("1999-01", ["findings", "--db", sample_db, "--month", "1999-01"]),
                        ("2020-10", ["findings", "--db", sample_db, "--month", "2020-10"]),
                        ("1999-01", ["report", "--db", sample_db, "--month", "1999-01", "--out", tmp_path / "out"]),
                        ("2020-10", ["report", "--db", sample_db, "--month", "2020-10..2020-12", "--out",
                                     tmp_path / "out"])):
        proc = run(*args)
        assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", want.format(m=month)), args
    assert not (tmp_path / "out").exists()
    november = run("findings", "--db", sample_db, "--month", "2020-11")
    assert november.returncode == 0 and "not assessed: XB-001" in november.stderr


@pytest.mark.parametrize("as_of, start, refused", [
    ("2020-11-01T00:00:00", "2020-11-01T00:00:00", True),  # the month ends at the data start's instant
    ("2020-11-01T00:00:00", "2020-10-31T23:59:59", False),  # its last second holds a row
])
def test_a_month_ending_at_the_data_start_is_refused(as_of, start, refused):
    from datetime import datetime

    from gdpr_analytics.analysis.context import NotCovered, TableCoverage
    from gdpr_analytics.core.month import Month

    t = datetime.fromisoformat(start)
    cov = Coverage(datetime(2026, 11, 1), "latest row", {"customers": TableCoverage("customers", True, 1, t, t)})
    month = Month(2020, 10)
    assert month.as_of == datetime.fromisoformat(as_of)
    if refused:
        with pytest.raises(NotCovered, match="2020-10 is before the data: .* the first month it covers is 2020-11"):
            cov.check(month)
    else:
        cov.check(month)


STATES_LATE = dict(
    # the events end on 2026-11-08; two state columns hold impossible years (a mistyped export)
    customers=[{"customer_id": "C1", "created_at": "2026-01-05T00:00:00", "erased_at": "2030-08-31T10:00:00"},
               {"customer_id": "C2", "created_at": "2026-01-05T00:00:00", "marketing_objection_at": "2029-02-01T00:00:00"},
               {"customer_id": "C3", "created_at": "2026-01-05T00:00:00", "erased_at": "2026-11-08T23:59:59"}],
    access_log=[{"event_id": "E1", "occurred_at": "2026-09-01T00:00:00"},
                {"event_id": "E2", "occurred_at": "2026-11-08T12:00:00"}],
)


def test_a_state_far_after_the_events_leaves_the_data_end_and_is_reported(tmp_path):
    src = write_source(tmp_path / "src", **STATES_LATE)
    db = tmp_path / "db.duckdb"
    loaded = run("load", "--source", src, "--db", db)
    assert loaded.returncode == 0, loaded.stderr
    assert "data end 2026-11-09T00:00:00Z (the day after the latest record instant in the data)" in loaded.stderr
    assert ("instants after the data end (not fatal, a state after a month's end is not yet true in it): "
            "customers.erased_at 1 (first: C1), customers.marketing_objection_at 1 (first: C2)") in loaded.stderr
    # the optional tables the source lacks, and the rules that leaves not assessed
    assert "uploads absent: RET-002 not assessed" in loaded.stderr
    assert "dsr_requests absent: DSR-001 not assessed" in loaded.stderr
    for month in ("2026-11", "2026-12"):
        refused = run("findings", "--db", db, "--month", month)
        assert refused.returncode == 1 and "the data ends at 2026-11-09T00:00:00Z" in refused.stderr, month
    doc = json.loads(run("findings", "--db", db, "--month", "2026-10", "--format", "json").stdout)
    assert doc["data_start"] == "2026-01-05T00:00:00Z" and doc["data_end"] == "2026-11-09T00:00:00Z"
    assert doc["after_data_end"] == [
        {"table": "customers", "column": "erased_at", "values": 1, "first_keys": ["C1"]},
        {"table": "customers", "column": "marketing_objection_at", "values": 1, "first_keys": ["C2"]}]
    assert doc["tables"]["customers"]["latest"] == "2026-01-05T00:00:00Z"  # created_at only


def test_instants_after_an_exported_at_are_reported_on_both_engines(tmp_path, spark):
    from sources import connect

    from gdpr_analytics.engines.spark.engine import SparkEngine
    from gdpr_analytics.ingest.load import load_to_file

    # exported at 2026-11-01T06:00Z: an event at 06:00:01 lies after it; one at 06:00:00 does not
    src = write_source(tmp_path / "src", exported_at="2026-11-01T06:00:00Z", **{
        **STATES_LATE, "access_log": [{"event_id": f"E{i}", "occurred_at": t} for i, t in enumerate(
            ("2026-09-01T00:00:00", "2026-11-01T06:00:00", "2026-11-01T06:00:01", "2026-11-03T00:00:00"))]})
    load_to_file(src, tmp_path / "db.duckdb", show=False)
    want = [{"table": "access_log", "column": "occurred_at", "values": 2, "first_keys": ["E2", "E3"]},
            {"table": "customers", "column": "erased_at", "values": 2, "first_keys": ["C1", "C3"]},
            {"table": "customers", "column": "marketing_objection_at", "values": 1, "first_keys": ["C2"]}]
    for engine in (connect(tmp_path / "db.duckdb"), SparkEngine(src, spark=spark)):
        with engine:
            cov = Coverage.of(engine)
            assert cov.after_end == want, engine.name
            assert cov.data_end_text == "2026-11-01T06:00:00Z" and cov.data_start_text == "2026-01-05T00:00:00Z"


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
                                        ("RET-005", "XB-001", "XB-002", "XB-003", "XB-004", "XB-005",
                                         "XB-006")] + [
        "gdpr-analytics: table uploads: present, 0 rows (assessed: nothing to find)",
        "gdpr-analytics: table dsr_requests: present, 0 rows (assessed: nothing to find)"]
    september = run("findings", "--db", db, "--month", "2026-09")  # before the access log too
    assert "not assessed: XB-001 (table access_log starts on 2026-10-02" in september.stderr
    doc = json.loads(run("findings", "--db", db, "--month", "2026-10", "--format", "json").stdout)
    assert {d["rule_id"]: d["reason"] for d in doc["not_assessed"]} == {
        r: reason for r in ("RET-005", "XB-001", "XB-002", "XB-003", "XB-004", "XB-005", "XB-006")}
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
