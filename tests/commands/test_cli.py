"""The command line through the real `gdpr-analytics` command (a subprocess)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sources import write_source

COMMAND = str(Path(sys.executable).with_name("gdpr-analytics"))

SOURCE = dict(
    customers=[{"customer_id": "C1"}, {"customer_id": "C2", "erased_at": "2026-10-01T00:00:00", "email": "a@b.be"}],
    orders=[{"customer_id": "C1", "ordered_at": "2023-10-01T00:00:00"}],
    access_log=[{"event_id": "E0", "occurred_at": "2026-09-01T00:00:00"},  # the log covers September on
                {"event_id": "E1", "occurred_at": "2026-10-05T08:00:00", "processor": "wipro",
                 "source_country": "IN", "ticket_id": None}],
)


def run(*args, check=True):
    proc = subprocess.run([COMMAND, *map(str, args)], capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture()
def source(tmp_path):
    return write_source(tmp_path / "src", exported_at="2026-11-01T00:00:00Z", **SOURCE)


EXPECTED_CSV = (
    "rule_id,severity,subject_type,subject_id,occurred_at,detail\n"
    "RET-001,high,customer,C1,2026-10-01T00:00:00Z,\"last order 2023-10-01T00:00:00Z; retention deadline "
    "2026-10-01T00:00:00Z; not erased at the end of the month, 31 days past the deadline\"\n"
    "RET-004,high,customer,C2,2026-10-01T00:00:00Z,erased on 2026-10-01T00:00:00Z but still holds: email\n"
    "XB-001,high,access_event,E1,2026-10-05T08:00:00Z,processor 'wipro' is not declared in the policy; "
    "read on customers from IN\n"
    "XB-005,low,access_event,E1,2026-10-05T08:00:00Z,wipro read on customers from IN without a ticket\n"
    "XB-006,medium,transfer,wipro|IN,2026-10-05T08:00:00Z,no TIA recorded for wipro|IN: 1 event (1 record) "
    "from IN in the month\n"
)


def test_findings_csv_from_db_and_from_source_agree(tmp_path, source):
    db = tmp_path / "out" / "g.duckdb"
    load = run("load", "--source", source, "--db", db)
    assert "loaded" in load.stderr
    from_db = run("findings", "--db", db, "--month", "2026-10")
    from_source = run("findings", "--source", source, "--month", "2026-10")
    assert from_db.stdout == EXPECTED_CSV
    assert from_source.stdout == EXPECTED_CSV
    # optional tables absent: their rules are reported not assessed on stderr, never as zero findings
    assert "not assessed: RET-002 (table uploads absent from the source)" in from_db.stderr
    assert "not assessed: DSR-001" in from_db.stderr and "not assessed: MKT-001" in from_db.stderr


def test_findings_json(tmp_path, source):
    out = json.loads(run("findings", "--source", source, "--month", "2026-10", "--format", "json").stdout)
    assert out["month"] == "2026-10"
    assert out["period_start"] == "2026-10-01T00:00:00Z" and out["as_of"] == "2026-11-01T00:00:00Z"
    assert out["parameters"] == {"retention_years": 3, "bulk_export_threshold": 1000}
    assert [(f["rule_id"], f["subject_id"], f["occurred_at"]) for f in out["findings"]] == [
        ("RET-001", "C1", "2026-10-01T00:00:00Z"), ("RET-004", "C2", "2026-10-01T00:00:00Z"),
        ("XB-001", "E1", "2026-10-05T08:00:00Z"), ("XB-005", "E1", "2026-10-05T08:00:00Z"),
        ("XB-006", "wipro|IN", "2026-10-05T08:00:00Z")]
    assert {d["rule_id"] for d in out["not_assessed"]} == {"RET-002", "MKT-001", "MKT-002", "MKT-003", "DSR-001"}


def test_findings_month_latest_is_the_last_month_the_data_covers(tmp_path, source):
    latest = run("findings", "--source", source, "--month", "latest")
    assert latest.stdout == run("findings", "--source", source, "--month", "2026-10").stdout
    assert latest.stdout.count("\n") == 6  # the header and the five findings of test_findings_json


def test_month_before_the_deadline_has_no_retention_finding(source):
    out = run("findings", "--source", source, "--month", "2026-09").stdout
    assert "RET-001" not in out


@pytest.mark.parametrize("args, reason, status", [
    (["findings", "--source", "{src}", "--month", "2026-13"], "--month must be YYYY-MM", 2),  # bad usage
    (["findings", "--db", "{tmp}/missing.duckdb", "--month", "2026-10"], "does not exist", 2),
    # a path that does not exist or is not what the option needs is bad usage (2), in our words
    (["load", "--source", "{tmp}/nowhere", "--db", "{tmp}/x.duckdb"], "--source {tmp}/nowhere: no such folder", 2),
    (["findings", "--source", "{tmp}/nowhere", "--month", "2026-10"], "--source {tmp}/nowhere: no such folder", 2),
    (["findings", "--source", "{src}/customers.csv", "--month", "2026-10"], "is a file, not a folder", 2),
    (["findings", "--db", "{src}/customers.csv", "--month", "2026-10"],
     "--db {src}/customers.csv is not a DuckDB database (--db names the file `gdpr-analytics load` writes; "
     "a source's CSV or Parquet files are read with --source FOLDER)", 2),
    (["findings", "--db", "{src}", "--month", "2026-10"],
     "--db {src} is a folder, not a database: a source folder is read with --source {src}", 2),
    (["report", "--db", "{src}", "--month", "2026-10", "--out", "{tmp}/out"], "is a folder, not a database", 2),
])
def test_errors_are_one_line_on_stderr_with_nonzero_exit(tmp_path, source, args, reason, status):
    proc = run(*[a.format(src=source, tmp=tmp_path) for a in args], check=False)
    assert proc.returncode == status
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gdpr-analytics: error: ")
    assert reason.format(src=source, tmp=tmp_path) in lines[0]
    assert "Catalog Error" not in lines[0] and "Error:" not in lines[0]  # ours, not DuckDB's


def test_failed_load_keeps_the_previous_database(tmp_path, source):
    db = tmp_path / "g.duckdb"
    run("load", "--source", source, "--db", db)
    before = db.read_bytes()
    stored = sorted(p.relative_to(tmp_path) for p in tmp_path.glob("g.duckdb.results/**/*"))
    assert len(stored) > 3  # the latest month's results, computed by the load
    (source / "orders.csv").write_text("order_id,customer_id,ordered_at,product,channel,quantity,total_eur,status\n"
                                       "O1,C404,2024-01-01T00:00:00,mystamp,web,1,1.00,paid\n")
    proc = run("load", "--source", source, "--db", db, check=False)
    assert proc.returncode == 1
    assert "orders.csv: table orders, column customer_id: 1 row referring to a customers.customer_id" in proc.stderr
    assert "line 2 (order_id='O1', customer_id='C404')" in proc.stderr
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.duckdb", "g.duckdb.results", "src"]
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.glob("g.duckdb.results/**/*")) == stored


# -- --help -------------------------------------------------------------------------------------


def _every_parser():
    """(command words, parser) of the program and of every command and sub-command, as --help shows them."""
    import argparse

    from gdpr_analytics.cli import build_parser

    found, todo = [], [((), build_parser())]
    while todo:
        words, parser = todo.pop(0)
        found.append((words, parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo += [((*words, name), sub) for name, sub in action.choices.items()]
    return found


def test_every_help_speaks_to_the_user_and_lists_the_exit_statuses():
    """No document outside the repository, no module name; every option explained; every command's --help
    ends with the exit statuses it can end with (3 and 75 only where report can give them)."""
    parsers = _every_parser()
    assert {" ".join(w) for w, _ in parsers} == {"", "sample", "load", "findings", "report", "policy",
                                                   "policy check", "policy export", "access-pack"}
    problems = []
    for words, parser in parsers:
        name = " ".join(("gdpr-analytics", *words))
        text = parser.format_help()
        if re.search(r"SPEC|specification", text, re.I):
            problems.append(f"{name}: cites the specification")
        modules = re.findall(r"gdpr_analytics\.\w+|\b\w+\.py\b|\bcommands/|EXIT_STATUSES", text)
        if modules:
            problems.append(f"{name}: names code {modules}")
        for action in parser._actions:
            if action.option_strings and action.dest != "help" and not (action.help or "").strip():
                problems.append(f"{name}: {'/'.join(action.option_strings)} has no help")
        statuses = re.findall(r"^  (\d+) ", text.split("exit status:")[-1], re.M) if "exit status:" in text else []
        expected = ["0", "1", "2", "3", "75"] if words in ((), ("report",)) else ["0", "1", "2"]
        if statuses != expected:
            problems.append(f"{name}: exit statuses {statuses}, expected {expected}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("action", ["check", "export"])
def test_policy_commands_offer_no_resource_options(action):
    """policy check|export open no database: --memory-limit, --threads, --temp-dir would do nothing there."""
    from gdpr_analytics.cli import build_parser

    parser = dict(_every_parser())[("policy", action)]
    options = {o for a in parser._actions for o in a.option_strings}
    assert not options & {"--memory-limit", "--threads", "--temp-dir"}
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["policy", action, "--threads", "2"])
    assert exc.value.code == 2
    if action == "check":  # and the command runs without them
        assert "valid" in run("policy", "check").stdout
