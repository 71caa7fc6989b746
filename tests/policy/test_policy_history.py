"""Policy history (SPEC §7): a folder of versions, each event judged by the version in force at its time,
state rules by the version at the month's last instant, and every kind of bad folder rejected naming the
file. Expectations are worked by hand in the comments."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sources import connect, write_source

from gdpr_analytics.analysis.context import MonthContext
from gdpr_analytics.analysis.rules import evaluate
from gdpr_analytics.core.assets import default_policy_path
from gdpr_analytics.core.errors import PolicyError
from gdpr_analytics.core.month import Month
from gdpr_analytics.core.parameters import Parameters
from gdpr_analytics.ingest.load import load_to_file
from gdpr_analytics.policy.history import changes, load_history

COMMAND = str(Path(sys.executable).with_name("gdpr-analytics"))
OCT = Month.parse("2026-10")


def base() -> dict:
    return yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))


def write_version(folder: Path, name: str, effective_from: str | None, mutate=None, version: str | None = None) -> Path:
    data = base()
    if effective_from is not None:
        data["policy"]["effective_from"] = effective_from
    data["policy"]["version"] = version or name
    if mutate:
        mutate(data)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def tcs_not_from_india(d):
    next(p for p in d["processors"] if p["key"] == "tcs")["countries"] = ["EEA"]
    next(p for p in d["processors"] if p["key"] == "tcs").pop("access_from")
    d["transfers"][0]["recipients"] = ["infosys"]


def add_wipro(d):
    d["processors"].append({"key": "wipro", "name": "Wipro", "role": "processor", "service": "Testing",
                            "countries": ["EEA", "IN"], "scope": [{"resource": "infrastructure", "actions": ["read"]}],
                            "notice": "§5"})


def retention_two_years(d):
    d["retention"]["period_years"] = 2


def allow_personalised(d):
    d["profiling"]["personalised_advertising"] = True


def found(db: Path, history, month: Month = OCT, **params) -> list[tuple[str, str, str]]:
    with connect(db, history, month) as engine:
        result = evaluate(engine, MonthContext.build(engine, month, history, **params))
    return [(r.rule_id, r.subject_id, r.occurred_at.strftime("%Y-%m-%dT%H:%M:%S"))
            for r in result.findings.itertuples()]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    """Events either side of 2026-10-15T00:00:00Z, and a customer whose deadline depends on the period."""
    tmp = tmp_path_factory.mktemp("history")
    src = write_source(
        tmp / "src", exported_at="2026-11-01T00:00:00Z",
        customers=[{"customer_id": "C1", "created_at": "2020-01-01T00:00:00"},
                   {"customer_id": "C2", "created_at": "2020-01-01T00:00:00"}],
        # C1: last order 2024-06-01: deadline 2026-06-01 under 2 years (past at 2026-11-01), 2027-06-01 under 3
        orders=[{"order_id": "O1", "customer_id": "C1", "ordered_at": "2024-06-01T00:00:00"},
                {"order_id": "O2", "customer_id": "C2", "ordered_at": "2026-01-01T00:00:00"}],
        access_log=[
            {"event_id": "E0", "occurred_at": "2026-10-01T00:00:00"},  # bpost from BE: the log covers October
            # one second before the change, by the old version; exactly at 00:00:00Z by the new one
            {"event_id": "E1", "occurred_at": "2026-10-14T23:59:59", "processor": "tcs", "source_country": "IN"},
            {"event_id": "E2", "occurred_at": "2026-10-15T00:00:00", "processor": "tcs", "source_country": "IN"},
            {"event_id": "W1", "occurred_at": "2026-10-14T23:59:59", "processor": "wipro", "source_country": "BE",
             "resource": "infrastructure"},
            {"event_id": "W2", "occurred_at": "2026-10-15T00:00:00", "processor": "wipro", "source_country": "BE",
             "resource": "infrastructure"},
        ],
        marketing_sends=[
            {"send_id": "S0", "customer_id": "C2", "sent_at": "2026-10-01T00:00:00"},  # the sends cover October
            {"send_id": "S1", "customer_id": "C2", "sent_at": "2026-10-14T23:59:59", "personalised": "true"},
            {"send_id": "S2", "customer_id": "C2", "sent_at": "2026-10-15T00:00:00", "personalised": "true"},
        ],
    )
    path = tmp / "db.duckdb"
    load_to_file(src, path, show=False)
    return path


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory) -> Path:
    """v1 from 2026-01-01 (the default policy); v2 from 2026-10-15: TCS no longer from India, Wipro added,
    retention 2 years, personalised advertising allowed."""
    folder = tmp_path_factory.mktemp("versions") / "policy"
    write_version(folder, "v1", "2026-01-01")
    write_version(folder, "v2", "2026-10-15",
                  lambda d: [f(d) for f in (tcs_not_from_india, add_wipro, retention_two_years, allow_personalised)])
    return folder


def test_versions_and_their_instants(two_versions):
    h = load_history(two_versions)
    assert h.folder and [v.version for v in h.versions] == ["v1", "v2"]
    assert h.versions[0].valid_to == h.versions[1].valid_from == datetime(2026, 10, 15)
    assert h.at(datetime(2026, 10, 14, 23, 59, 59)).version == "v1"
    assert h.at(datetime(2026, 10, 15)).version == "v2"
    assert [v.version for v in h.in_force(OCT)] == ["v1", "v2"]
    assert [v.version for v in h.in_force(Month.parse("2026-09"))] == ["v1"]
    assert [v.version for v in h.in_force(Month.parse("2026-11"))] == ["v2"]
    assert h.at_month_end(OCT).version == "v2" and h.at_month_end(Month.parse("2026-09")).version == "v1"
    used = h.used(OCT)
    assert [(u["file"], u["effective_from"], u["valid_from"], u["valid_to"]) for u in used] == [
        ("v1.yml", "2026-01-01", "2026-01-01T00:00:00Z", "2026-10-15T00:00:00Z"),
        ("v2.yml", "2026-10-15", "2026-10-15T00:00:00Z", None)]
    import hashlib
    assert used[1]["sha256"] == hashlib.sha256((two_versions / "v2.yml").read_bytes()).hexdigest()
    assert used[1]["used_for"].startswith("month end: state rules, statistics and the ROPA")
    assert used[0]["used_for"] == "events in force from 2026-01-01T00:00:00Z until 2026-10-15T00:00:00Z (exclusive)"


def test_a_month_with_two_versions_gives_split_findings(db, two_versions):
    got = found(db, load_history(two_versions))
    # E1 (23:59:59, v1: TCS may access from IN) no finding; E2 (00:00:00, v2: TCS not from IN) XB-002.
    # W1 (v1: Wipro undeclared) XB-001; W2 (v2 declares Wipro) none.
    # S1 (v1 excludes personalised advertising) MKT-002; S2 (v2 allows it) none.
    # XB-005: E1, E2 from IN carry the default ticket CHG1: none.
    # XB-006: tcs|IN (E1, E2) has no TIA (no evidence file): one finding, at its first event E1.
    # RET-001 is a state rule: v2 at the month's end, 2 years: C1's deadline 2026-06-01 has passed.
    assert got == [
        ("MKT-002", "S1", "2026-10-14T23:59:59"),
        ("RET-001", "C1", "2026-06-01T00:00:00"),
        ("XB-001", "W1", "2026-10-14T23:59:59"),
        ("XB-002", "E2", "2026-10-15T00:00:00"),
        ("XB-006", "tcs|IN", "2026-10-14T23:59:59"),
    ]


def test_one_file_judges_every_event_alike(db):
    h = load_history(default_policy_path())
    # the default policy: TCS from IN allowed, Wipro undeclared, no personalised advertising, 3 years
    assert found(db, h) == [("MKT-002", "S1", "2026-10-14T23:59:59"), ("MKT-002", "S2", "2026-10-15T00:00:00"),
                            ("XB-001", "W1", "2026-10-14T23:59:59"), ("XB-001", "W2", "2026-10-15T00:00:00"),
                            ("XB-006", "tcs|IN", "2026-10-14T23:59:59")]


def test_a_single_file_with_effective_from_is_in_force_at_every_instant(tmp_path, db):
    path = write_version(tmp_path, "only", "2026-10-15")
    h = load_history(path)
    assert not h.folder and h.at(datetime(2000, 1, 1)).version == "only"
    assert len(found(db, h)) == 5  # MKT-002 S1 and S2, XB-001 W1 and W2, XB-006 tcs|IN


@pytest.mark.parametrize("v2_from, years, ret", [
    ("2026-10-31", 2, [("RET-001", "C1", "2026-06-01T00:00:00")]),  # in force at the month's last instant
    ("2026-11-01", 3, []),  # takes effect at as_of: the month ends under v1, 3 years, deadline 2027-06-01
])
def test_retention_is_judged_by_the_version_at_the_month_end(tmp_path, db, v2_from, years, ret):
    folder = tmp_path / "p"
    write_version(folder, "v1", "2026-01-01")
    write_version(folder, "v2", v2_from, retention_two_years)
    h = load_history(folder)
    assert h.at_month_end(OCT).retention_years == years
    assert [f for f in found(db, h) if f[0] == "RET-001"] == ret
    # --retention-years overrides the policy for every month
    assert [f for f in found(db, h, retention_years=2) if f[0] == "RET-001"] == [("RET-001", "C1", "2026-06-01T00:00:00")]


def test_month_before_the_earliest_version_is_refused(two_versions, tmp_path):
    folder = tmp_path / "late"
    write_version(folder, "v1", "2026-10-02")
    h = load_history(folder)
    with pytest.raises(PolicyError, match=r"no version in force at 2026-10-01T00:00:00Z: the earliest, v1.yml, "
                                          r"takes effect on 2026-10-02"):
        h.check_covers(OCT)
    h.check_covers(Month.parse("2026-11"))


# -- bad folders ------------------------------------------------------------------------------------------

def _bad(folder: Path, kind: str) -> None:
    folder.mkdir(parents=True)
    if kind == "empty":
        (folder / "README.txt").write_text("not a policy")
    elif kind == "same date":
        write_version(folder, "a", "2026-10-01")
        write_version(folder, "b", "2026-10-01")
    elif kind == "no date":
        write_version(folder, "a", "2026-01-01")
        write_version(folder, "b", None)
    elif kind == "not yaml":
        write_version(folder, "a", "2026-01-01")
        (folder / "b.yml").write_text("policy: [unclosed\n")
    elif kind == "invalid":
        write_version(folder, "a", "2026-01-01")
        write_version(folder, "b", "2026-06-01", lambda d: d["activities"][0]["data_categories"].append("shoe_size"))
    elif kind == "bad date":
        write_version(folder, "a", "2026-13-45")
    elif kind == "two policies":
        write_version(folder, "a", "2026-01-01")
        write_version(folder, "b", "2026-06-01", lambda d: d["policy"].update(id="other"))
    elif kind == "same version":
        write_version(folder, "a", "2026-01-01", version="1")
        write_version(folder, "b", "2026-06-01", version="1")


@pytest.mark.parametrize("kind, message", [
    ("empty", "the folder holds no policy version (no *.yml or *.yaml file)"),
    ("same date", "a.yml and b.yml: two versions take effect on the same day, 2026-10-01"),
    ("no date", "b.yml: policy.effective_from missing: every version in a policy folder says from which day"),
    ("not yaml", "b.yml: not valid YAML"),
    ("invalid", "b.yml: activities[0] (P1): unknown data category 'shoe_size'"),
    ("bad date", "a.yml: policy.effective_from: must be a date YYYY-MM-DD, got '2026-13-45'"),
    ("two policies", "the folder mixes versions of different policies (policy.id mystamp, other)"),
    ("same version", "a.yml and b.yml: two files call themselves version 1"),
])
def test_bad_folders_are_rejected_naming_the_file(tmp_path, kind, message):
    folder = tmp_path / "bad"
    _bad(folder, kind)
    with pytest.raises(PolicyError) as err:
        load_history(folder)
    assert message in str(err.value)
    assert str(err.value).startswith(f"policy {folder}")


def test_a_missing_path_is_an_error(tmp_path):
    with pytest.raises(PolicyError, match="no such file or folder"):
        load_history(tmp_path / "nowhere")


# -- what changed -----------------------------------------------------------------------------------------

def test_changes_between_two_versions(two_versions):
    h = load_history(two_versions)
    df = changes(h.versions[0].policy, h.versions[1].policy)
    got = [tuple(r) for r in df[["aspect", "item", "change", "before", "after"]].itertuples(index=False)]
    # v2: Wipro added (EEA and IN, infrastructure read), TCS no longer from India (so not a recipient of
    # the transfer to India), 2 years, personalised advertising allowed; activities, categories and
    # subjects unchanged
    assert got == [
        ("processors", "wipro", "added", "", "Wipro"),
        ("countries", "tcs", "may access from", "EEA, IN", "EEA"),
        ("countries", "wipro", "may access from", "", "EEA, IN"),
        ("scope", "wipro", "allowed", "", "infrastructure:read"),
        ("transfers", "IN", "recipients changed", "infosys, tcs", "infosys"),
        ("retention", "period_years", "changed", "3", "2"),
        ("profiling", "personalised_advertising", "changed", "no", "yes"),
    ]
    assert changes(h.versions[0].policy, h.versions[0].policy).empty


# -- command line -----------------------------------------------------------------------------------------

def run(*args):
    return subprocess.run([COMMAND, *map(str, args)], capture_output=True, text=True)


def test_findings_and_policy_check_take_a_folder(db, two_versions):
    proc = run("findings", "--db", db, "--month", "2026-10", "--policy", two_versions, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [(f["rule_id"], f["subject_id"]) for f in out["findings"]] == [
        ("MKT-002", "S1"), ("RET-001", "C1"), ("XB-001", "W1"), ("XB-002", "E2"), ("XB-006", "tcs|IN")]
    assert out["parameters"]["retention_years"] == 2  # from v2, in force at the month's end
    assert out["policy"]["version"] == "v2"
    assert [v["version"] for v in out["policy_versions"]] == ["v1", "v2"]
    check = run("policy", "check", "--policy", two_versions)
    assert check.returncode == 0, check.stderr
    lines = check.stdout.splitlines()
    assert lines[0] == f"policy {two_versions.resolve()}: valid (folder of versions, 2 versions)"
    assert lines[1].startswith("  v1.yml\tversion v1\tfrom 2026-01-01T00:00:00Z until 2026-10-15T00:00:00Z")
    assert lines[2].startswith("  v2.yml\tversion v2\tfrom 2026-10-15T00:00:00Z\tSHA-256 ")


@pytest.mark.parametrize("folder, said", [(False, "one file, in force at every instant, 1 version"),
                                          (True, "folder of versions, 2 versions")])
def test_policy_check_counts_its_versions_in_words(two_versions, capsys, folder, said):
    """`policy check` says "1 version" and "2 versions" (it said "version(s)")."""
    import argparse

    from gdpr_analytics.commands import policy as command

    source = two_versions if folder else two_versions / "v1.yml"
    command.run(argparse.Namespace(action="check", policy=source, evidence=None))
    assert capsys.readouterr().out.splitlines()[0] == f"policy {source.resolve()}: valid ({said})"


def test_a_bad_folder_fails_in_one_line_naming_the_file(tmp_path, db):
    folder = tmp_path / "bad"
    _bad(folder, "same date")
    for args in (["policy", "check", "--policy", folder],
                 ["findings", "--db", db, "--month", "2026-10", "--policy", folder]):
        proc = run(*args)
        assert proc.returncode == 1 and proc.stdout == ""
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "a.yml and b.yml: two versions take effect on the same day" in lines[0]


# -- report and ROPA page ---------------------------------------------------------------------------------

def test_report_names_every_version_and_builds_the_record_from_the_month_end_one(db, two_versions, tmp_path):
    import csv

    from gdpr_analytics.report import build as report

    history = load_history(two_versions)
    with connect(db, history) as engine:
        folder = report.run_report(engine, MonthContext.build(engine, OCT, history), out=tmp_path / "out",
                                   notebooks=[])
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    h = load_history(two_versions)
    assert [(v["file"], v["sha256"]) for v in m["policy_versions"]] == [
        ("v1.yml", h.versions[0].sha256), ("v2.yml", h.versions[1].sha256)]
    assert m["policy"]["version"] == "v2" and m["parameters"]["retention_years"] == 2
    findings = (folder / "findings.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[:4] for line in findings[1:]] == [
        ["MKT-002", "medium", "send", "S1"], ["RET-001", "high", "customer", "C1"],
        ["XB-001", "high", "access_event", "W1"], ["XB-002", "high", "access_event", "E2"],
        ["XB-006", "medium", "transfer", "tcs|IN"]]
    with (folder / "ropa.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    p1 = rows[0]
    assert p1["status"] == "in force: declared by policy version v2"
    assert (p1["declared_since"], p1["last_changed"]) == ("2026-01-01", "2026-01-01")  # P1's entry unchanged
    assert "Wipro [wipro]" not in p1["processors"]  # v2 adds Wipro as a processor, not as a recipient of P1
    # state: v2's 2 years, also in the record
    assert "Erased (gewist) 2 years after the last order" in p1["retention"] and "3 years" not in p1["retention"]
    from openpyxl import load_workbook

    ident = [[c.value for c in r] for r in load_workbook(folder / "ropa.xlsx")["Identification"].iter_rows()]
    versions = [r[1] for r in ident if r[0] == "Policy version in force during the month"]
    assert versions == [f"v1 (v1.yml, SHA-256 {h.versions[0].sha256}), from 2026-01-01T00:00:00Z until "
                        "2026-10-15T00:00:00Z (exclusive)",
                        f"v2 (v2.yml, SHA-256 {h.versions[1].sha256}), from 2026-10-15T00:00:00Z"]


@pytest.mark.slow
def test_the_ropa_page_lists_the_versions_and_what_changed(db, two_versions, tmp_path):
    from notebook_runs import check_executed, execute, visible_text

    nb = execute("01_records_of_processing", db, tmp_path, policy_path=str(two_versions))
    check_executed("01_records_of_processing", nb)
    text = visible_text(nb)
    assert "v1 v1.yml from 2026-01-01T00:00:00Z until 2026-10-15T00:00:00Z (exclusive) 2026-01-01 events in its period" in text
    assert "v2 v2.yml from 2026-10-15T00:00:00Z 2026-10-15 events in its period; state rules, statistics" in text
    assert "v2 (v2.yml) against v1 (v1.yml):" in text
    assert "retention period_years changed 3 2" in text
    assert "countries tcs may access from EEA, IN EEA" in text


def test_month_results_are_keyed_by_every_version_used(two_versions):
    from gdpr_analytics.analysis import results, store

    h = load_history(two_versions)
    v1, v2 = ({"version": v.version, "sha256": v.sha256} for v in h.versions)
    oct_parts = results.key_parts("d", MonthContext(OCT, h, h.at_month_end(OCT), Parameters(), None))
    assert (oct_parts["policy"], oct_parts["policy_before"]) == ([v1, v2], [])
    nov = Month.parse("2026-11")
    nov_parts = results.key_parts("d", MonthContext(nov, h, h.at_month_end(nov), Parameters(), None))
    assert (nov_parts["policy"], nov_parts["policy_before"]) == ([v2], [v1["sha256"]])
    assert store.key_of(oct_parts) != store.key_of({**oct_parts, "policy": [v2]})
