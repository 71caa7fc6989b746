"""The right of access (SPEC §13, `access-pack`): packs worked out by hand on a small source, on both engines.

The source (as_of 2026-11-01, policy folder of two versions: the second, from 2026-10-15, names Wipro):
- C1, created 2024-01-10: order O1 on 29 February 2024 (due for erasure 28 February 2027), upload U1
  (2025-02-01), send S1, an access request R1 still open; consultations E1 (30 September 23:59:59, ticket),
  E2 (1 October 00:00:00, no ticket), E3b (10 October, Wipro before the policy names it), E3 (16 October,
  Wipro named), E9 after as_of (not listed); whole-table operations X1 (before C1 existed: not counted), X8
  (08:59:59 on the day C1 was created at 09:00: not counted) and X9 (09:00:00 that day: counted), X2, X10,
  X3 and X11 (on customers, counted), X4 (on uploads after U1: counted), X5 and X6 (Wipro on marketing on
  either side of v2's first second: two entries);
- C2, a neighbour with hostile values and its own events: nothing of it may reach C1's pack;
- C3, erased 2026-06-01: what remains held, a consultation after the erasure (also a RET-005 finding), and
  X8, X9 (one day, both inside its span) and X2 counted, X10 (at the erasure instant) and X3 not;
- C4, created 2026-08-01: no consultation, no table operation;
- C5, created 2026-07-01, erased 2026-07-15 12:00:00: on its last day X3 (00:00:00) is counted, X11 (12:00:00,
  the erasure instant) is not.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sources import write_source

from gdpr_analytics.analysis.access import add_years, build_packs
from gdpr_analytics.core.assets import default_policy_path
from gdpr_analytics.policy.history import load_history
from gdpr_analytics.report.access_pack import files_of

COMMAND = str(Path(sys.executable).with_name("gdpr-analytics"))
AS_OF = datetime(2026, 11, 1)
EVIL = "<script>alert('C2')</script>"
BPOST = "bpost (own staff)"  # as the policy names the processor bpost


def _event(event_id, at, customer, processor="tcs", country="IN", action="read", resource="customers",
           ticket="T-1", actor="ACT-7", ip="203.0.113.9", records="1"):
    return {"event_id": event_id, "occurred_at": at, "processor": processor, "actor_id": actor,
            "source_country": country, "source_ip": ip, "action": action, "resource": resource,
            "customer_id": customer, "record_count": records, "ticket_id": ticket}


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("access") / "src"
    write_source(
        folder,
        customers=[
            {"customer_id": "C1", "first_name": "Anna", "last_name": "Peeters", "email": "anna@example.test",
             "created_at": "2024-01-10T09:00:00"},
            {"customer_id": "C2", "first_name": EVIL, "last_name": "=HYPERLINK(\"x\")", "email": "evil@c2.test",
             "created_at": "2024-01-01T00:00:00"},
            {"customer_id": "C3", "created_at": "2024-01-01T00:00:00", "erased_at": "2026-06-01T00:00:00"},
            {"customer_id": "C4", "first_name": "Dirk", "created_at": "2026-08-01T00:00:00"},
            {"customer_id": "C5", "created_at": "2026-07-01T00:00:00", "erased_at": "2026-07-15T12:00:00"},
        ],
        orders=[{"order_id": "O1", "customer_id": "C1", "ordered_at": "2024-02-29T12:00:00", "total_eur": "12.5"},
                {"order_id": "O2", "customer_id": "C2", "ordered_at": "2025-01-01T00:00:00"}],
        uploads=[{"upload_id": "U1", "customer_id": "C1", "order_id": "O1", "uploaded_at": "2025-02-01T00:00:00"},
                 {"upload_id": "U2", "customer_id": "C2", "uploaded_at": "2025-02-01T00:00:00"}],
        marketing_sends=[{"send_id": "S1", "customer_id": "C1", "sent_at": "2026-03-03T10:00:00"},
                         {"send_id": "S2", "customer_id": "C2", "sent_at": "2026-03-03T10:00:00",
                          "campaign_id": EVIL}],
        dsr_requests=[{"request_id": "R1", "customer_id": "C1", "received_at": "2026-10-20T08:00:00"},
                      {"request_id": "R2", "customer_id": "C2", "received_at": "2026-10-21T08:00:00"},
                      {"request_id": "R3", "customer_id": "C4", "received_at": "2026-09-01T08:00:00",
                       "closed_at": "2026-10-15T08:00:00", "outcome": "fulfilled"}],
        access_log=[
            _event("E1", "2026-09-30T23:59:59", "C1", ticket="CHG-1"),
            _event("E2", "2026-10-01T00:00:00", "C1", action="write", ticket=None),
            _event("E3b", "2026-10-10T10:00:00", "C1", processor="wipro", ticket=None),
            _event("E3", "2026-10-16T10:00:00", "C1", processor="wipro", ticket=None),
            _event("E9", "2026-11-05T10:00:00", "C1"),
            _event("E5", "2026-07-01T10:00:00", "C3"),
            _event("E6", "2026-10-02T10:00:00", "C2", actor="ACT-C2", ticket=EVIL),
            _event("X1", "2023-12-01T00:00:00", None, processor="bpost", country="BE", action="export",
                   records="500"),
            _event("X2", "2025-06-01T00:00:00", None, processor="bpost", country="BE", action="export",
                   records="800", ticket="CHG-2"),
            _event("X3", "2026-07-15T00:00:00", None, processor="bpost", country="BE", action="read", records="900",
                   ticket=None),
            _event("X4", "2025-03-01T00:00:00", None, processor="bpost", country="BE", action="export",
                   resource="uploads", records="70", ticket=None),
            _event("X5", "2026-10-14T23:59:59", None, processor="wipro", resource="marketing", records="40",
                   ticket=None),
            _event("X6", "2026-10-15T00:00:00", None, processor="wipro", resource="marketing", records="60",
                   ticket="T-9"),
            _event("X8", "2024-01-10T08:59:59", None, processor="bpost", country="BE", action="export",
                   records="300", ticket=None),
            _event("X9", "2024-01-10T09:00:00", None, processor="bpost", country="BE", action="export",
                   records="400", ticket=None, actor="ACT-8"),
            _event("X10", "2026-06-01T00:00:00", None, processor="bpost", country="BE", action="read", records="20",
                   ticket=None),
            _event("X11", "2026-07-15T12:00:00", None, processor="bpost", country="BE", action="read", records="5",
                   ticket=None),
        ])
    return folder


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Two versions: the default policy from 2026-01-01, and from 2026-10-15 the same naming Wipro."""
    folder = tmp_path_factory.mktemp("policies")
    data = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    data["policy"].update(version="v1", effective_from="2026-01-01")
    (folder / "v1.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    data["policy"].update(version="v2", effective_from="2026-10-15")
    data["processors"].append({"key": "wipro", "name": "Wipro", "role": "processor", "service": "Support desk",
                               "countries": ["EEA", "IN"], "scope": [{"resource": "customers",
                                                                      "actions": ["read"]}], "notice": "§5"})
    (folder / "v2.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_history(folder)


@pytest.fixture(scope="module")
def db(source, tmp_path_factory) -> Path:
    from gdpr_analytics.ingest.load import load_to_file

    path = tmp_path_factory.mktemp("access-db") / "db.duckdb"
    load_to_file(source, path, show=False)
    return path


@pytest.fixture(scope="module")
def packs(db, history):
    from gdpr_analytics.engines.duckdb import DuckDBEngine

    with DuckDBEngine(db, history=history) as engine:
        return build_packs(engine, history, ["C1", "C3", "C4", "C5"], AS_OF)


def test_consultations_across_a_month_end_and_two_policy_versions(packs):
    c1 = packs["C1"]
    assert [e["event_id"] for e in c1.consultations] == ["E1", "E2", "E3b", "E3"]  # E9 is after as_of
    e1, e2, e3b, e3 = c1.consultations
    assert (e1["occurred_at"], e2["occurred_at"]) == ("2026-09-30T23:59:59Z", "2026-10-01T00:00:00Z")
    assert e1["purpose"] == "ticket CHG-1"
    assert e2["purpose"] == ("no ticket; the processor's declared service: Application management and maintenance "
                             "(applicatiebeheer en -onderhoud) (§5, §6)")
    # Wipro on 10 October: the version then in force (v1) does not name it; on 16 October v2 does
    assert (e3b["processor_name"], e3b["purpose"]) == ("wipro", "no ticket; a processor the privacy notice does "
                                                                "not name")
    assert (e3["processor_name"], e3["purpose"]) == ("Wipro", "no ticket; the processor's declared service: "
                                                              "Support desk (§5)")
    assert set(e1) == {"event_id", "occurred_at", "processor", "processor_name", "country", "action", "resource",
                       "records", "ticket_id", "purpose"}  # no actor, no IP
    assert [v["version"] for v in c1.policy_versions] == ["v1", "v2"]
    assert c1.policy_versions[1]["used_for"] == "the Art. 15 information"


def test_the_rows_held_and_the_art15_information(packs):
    c1 = packs["C1"]
    assert [r["order_id"] for r in c1.held["orders"]] == ["O1"] and c1.held["orders"][0]["total_eur"] == "12.50"
    assert [r["upload_id"] for r in c1.held["uploads"]] == ["U1"]
    assert [r["send_id"] for r in c1.held["marketing_sends"]] == ["S1"]
    assert c1.held["dsr_requests"][0]["request_id"] == "R1" and c1.held["dsr_requests"][0]["closed_at"] is None
    a = c1.art15
    # customers -> P1, P2, P4; orders -> P1; uploads -> PR1; marketing_sends -> P4; dsr_requests -> P5
    assert [p["activity"] for p in a["purposes"]] == ["P1", "P2", "P4", "P5", "PR1"]
    assert [c["key"] for c in a["categories"]] == ["first_name", "last_name", "address", "email", "uploaded_media"]
    assert [(r["processor"], r["consultations"], r["table_operations"]) for r in a["recipients"]] == [
        ("bpost", 0, 6), ("tcs", 2, 0), ("wipro", 2, 2)]
    assert [(t["country"], t["processors"]) for t in a["transfers"]] == [("IN", ["tcs", "wipro"])]
    assert a["transfers"][0]["safeguards"]["state"] == "to complete"  # §6 names no Art. 46 tool
    # 29 February 2024 + 3 years = 28 February 2027, as the retention rule counts
    assert a["retention"]["last_order_at"] == "2024-02-29T12:00:00Z"
    assert a["retention"]["due_for_erasure_at"] == "2027-02-28T12:00:00Z"
    assert a["rights"]["complaint"]["state"] == "to complete"
    assert a["automated_decisions"].startswith("profiling: no; personalised advertising: no")
    assert add_years(datetime(2024, 2, 29), 4) == datetime(2028, 2, 29)


def _entries(pack):
    return [(g["resource"], g["processor_name"], g["country"], g["action"], g["policy_version"], g["by_month"])
            for g in pack.table_operations]


def test_table_operations_counted_only_while_the_data_was_held(packs):
    # C1 was created at 2024-01-10 09:00:00: X8 at 08:59:59 that day is not counted, X9 at 09:00:00 is; X1
    # (2023) is before C1 existed. Days before the earliest version are judged by the version at as_of (v2).
    # Wipro on marketing: 14 October under v1 (not named), 15 October 00:00:00 under v2 (named)
    # by_month: [month, days, events, records, events with a ticket]
    assert _entries(packs["C1"]) == [
        ("customers", BPOST, "BE", "export", "v2", [["2024-01", 1, 1, 400, 0], ["2025-06", 1, 1, 800, 1]]),
        ("customers", BPOST, "BE", "read", "v1", [["2026-06", 1, 1, 20, 0], ["2026-07", 1, 2, 905, 0]]),
        ("marketing", "wipro", "IN", "read", "v1", [["2026-10", 1, 1, 40, 0]]),
        ("marketing", "Wipro", "IN", "read", "v2", [["2026-10", 1, 1, 60, 1]]),
        ("uploads", BPOST, "BE", "export", "v2", [["2025-03", 1, 1, 70, 0]]),
    ]
    first = packs["C1"].table_operations[0]
    assert (first["events"], first["records"], first["with_ticket"], first["days"], first["first_day"],
            first["last_day"]) == (2, 1200, 1, 2, "2024-01-10", "2025-06-01")
    wipro_v1, wipro_v2 = packs["C1"].table_operations[2:4]
    assert wipro_v1["purpose"] == "a processor the privacy notice does not name"
    assert wipro_v2["purpose"] == "the processor's declared service: Support desk (§5)"
    # C3 (created 2024-01-01, erased 2026-06-01 00:00:00): X8 and X9 on one day inside its span, X2; X10 at the
    # erasure instant and X3 after it are not counted
    assert _entries(packs["C3"]) == [
        ("customers", BPOST, "BE", "export", "v2", [["2024-01", 1, 2, 700, 0], ["2025-06", 1, 1, 800, 1]])]
    # C5 (2026-07-01 to 2026-07-15 12:00:00): on its last day X3 at 00:00:00 counts, X11 at 12:00:00 does not
    assert _entries(packs["C5"]) == [("customers", BPOST, "BE", "read", "v1", [["2026-07", 1, 1, 900, 0]])]


def test_the_first_and_last_days_read_alone_or_in_one_pass_give_the_same_packs(db, history, packs):
    from gdpr_analytics.engines.duckdb import DuckDBEngine

    with DuckDBEngine(db, history=history) as engine:
        one_pass = build_packs(engine, history, ["C1", "C3", "C4", "C5"], AS_OF, edge_queries=0)
    assert {s: p.table_operations for s, p in one_pass.items()} == {s: p.table_operations for s, p in packs.items()}


def test_the_page_counts_the_table_operations_and_the_json_keeps_each_month(packs):
    files = files_of(packs["C1"])
    page = files["index.html"].decode()
    assert "Operations on whole tables while they held your data (8)" in page
    row = ("<tr><td>customers</td><td>bpost (own staff)</td><td>BE</td><td>export</td><td>2024-01-10</td>"
           '<td>2025-06-01</td><td class="num">2</td><td class="num">2</td><td class="num">1</td>'
           '<td class="num">1,200</td>')
    assert row in page
    text = files["pack.json"].decode()
    assert '"by_month": [["2024-01",1,1,400,0],["2025-06",1,1,800,1]]' in text  # one line per entry
    assert json.loads(text)["table_operations"][0]["by_month"][1] == ["2025-06", 1, 1, 800, 1]


def test_an_erased_subject_and_a_subject_with_nothing_recorded(packs):
    c3 = packs["C3"]
    assert c3.held["customers"][0]["erased_at"] == "2026-06-01T00:00:00Z"
    assert c3.held["customers"][0]["first_name"] is None  # what remains held
    assert [e["event_id"] for e in c3.consultations] == ["E5"]  # after the erasure: also RET-005
    assert "erased_at" in c3.art15["retention"] and c3.art15["retention"]["erased_at"] == "2026-06-01T00:00:00Z"
    c4 = packs["C4"]
    assert c4.consultations == [] and c4.table_operations == [] and c4.art15["recipients"] == []
    assert c4.held["dsr_requests"][0]["outcome"] == "fulfilled"


def test_the_consultation_after_erasure_is_also_a_ret005_finding(source, history):
    from sources import found

    assert ("RET-005", "E5", "2026-07-01T10:00:00") in found(source, "2026-07", "RET-005")


def test_nothing_about_anyone_else_reaches_a_pack(packs):
    files = files_of(packs["C1"])
    blob = b"\n".join(files.values()).decode("utf-8")
    for other in ("C2", "O2", "U2", "S2", "R2", "E6", "ACT-C2", "evil@c2.test", "HYPERLINK", "alert", "C3", "C4",
                  "E5", "ACT-7", "203.0.113.9"):
        assert other not in blob, other
    assert "Anna" in files["data/customers.csv"].decode() and "Anna" in files["index.html"].decode()


def test_hostile_values_are_escaped_in_their_own_pack(db, history):
    from gdpr_analytics.engines.duckdb import DuckDBEngine

    with DuckDBEngine(db, history=history) as engine:
        c2 = build_packs(engine, history, ["C2"], AS_OF)["C2"]
    files = files_of(c2)
    page = files["index.html"].decode()
    assert EVIL not in page and "&lt;script&gt;alert(&#39;C2&#39;)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    assert files["data/customers.csv"].decode().count("'=HYPERLINK") == 1  # neutralised for spreadsheets
    doc = json.loads(files["pack.json"])
    assert doc["held"]["customers"][0]["first_name"] == EVIL  # the machine copy keeps the value as it is


def test_with_actors_includes_actor_ids_and_never_ips(db, history):
    from gdpr_analytics.engines.duckdb import DuckDBEngine

    with DuckDBEngine(db, history=history) as engine:
        c1 = build_packs(engine, history, ["C1"], AS_OF, with_actors=True)["C1"]
    assert {e["actor_id"] for e in c1.consultations} == {"ACT-7"}
    assert all("actor_id" not in g for g in c1.table_operations)  # operations on whole tables: never attributed
    blob = b"".join(files_of(c1).values()).decode()
    assert "203.0.113.9" not in blob and "the controller decided it is owed" in blob


def test_pack_json_lists_the_sha256_of_every_other_file(packs):
    import hashlib

    files = files_of(packs["C1"])
    doc = json.loads(files["pack.json"])
    assert sorted(doc["sha256"]) == sorted(n for n in files if n != "pack.json")
    assert all(doc["sha256"][n] == hashlib.sha256(files[n]).hexdigest() for n in doc["sha256"])
    assert list(doc)[:2] == ["subject", "as_of"] and doc["as_of"] == "2026-11-01T00:00:00Z"
    schema = json.loads((Path(__file__).parents[2] / "docs" / "access-pack.schema.json").read_text())
    import jsonschema

    jsonschema.validate(doc, schema)


def test_the_command_writes_owner_only_folders_and_prints_nothing_personal(db, history, tmp_path):
    out = tmp_path / "packs"
    proc = subprocess.run([COMMAND, "access-pack", "--db", str(db), "--subject", "C1", "--subject", "C4",
                           "--as-of", "2026-11-01", "--policy", str(history.source), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        f"access pack written: {out / 'C1'} (4 consultations, 8 table operations)",
        f"access pack written: {out / 'C4'} (0 consultations, 0 table operations)"]
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    assert sorted(p.name for p in (out / "C1" / "data").iterdir()) == [
        "customers.csv", "dsr_requests.csv", "marketing_sends.csv", "orders.csv", "uploads.csv"]


def test_requests_of_a_month_one_pack_per_open_access_request(db, history, tmp_path):
    out = tmp_path / "by-request"
    proc = subprocess.run([COMMAND, "access-pack", "--db", str(db), "--requests", "2026-10",
                           "--policy", str(history.source), "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    # R1 (C1) and R2 (C2) are open at 2026-11-01; R3 was closed on 2026-10-15
    assert sorted(p.name for p in out.iterdir()) == ["R1", "R2"]
    doc = json.loads((out / "R1" / "pack.json").read_text())
    assert (doc["subject"], doc["request_id"], doc["as_of"]) == ("C1", "R1", "2026-11-01T00:00:00Z")


def test_a_pack_is_never_written_inside_a_report_folder(db, tmp_path):
    month = tmp_path / "reports" / "2026-10"
    month.mkdir(parents=True)
    (month / "manifest.json").write_text("{}")
    for out in (month / "packs", tmp_path / "reports" / "packs"):
        (tmp_path / "reports" / "index.html").write_text("<html></html>")
        proc = subprocess.run([COMMAND, "access-pack", "--db", str(db), "--subject", "C1", "--out", str(out)],
                              capture_output=True, text=True)
        assert proc.returncode == 2 and "never written where auditors read" in proc.stderr, proc.stderr
        assert not out.exists()


@pytest.mark.slow
def test_both_engines_give_byte_identical_packs(source, history, packs, spark):
    from gdpr_analytics.engines.spark.engine import SparkEngine
    from gdpr_analytics.engines.spark.session import local_session

    engine = SparkEngine(source, history, spark=local_session())
    try:
        on_spark = build_packs(engine, history, ["C1", "C3", "C4", "C5"], AS_OF)
    finally:
        engine.close()
    for subject in ("C1", "C3", "C4", "C5"):
        assert files_of(on_spark[subject]) == files_of(packs[subject]), subject


@pytest.mark.slow
def test_requests_on_the_sample_one_pack_per_open_access_request(sample_db, sample_source, tmp_path):
    import csv

    # counted from the raw file: right = access, received before 2026-11-01, not closed before it
    with (sample_source / "dsr_requests.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    as_of = "2026-11-01T00:00:00"
    open_ = sorted(r["request_id"] for r in rows if r["right"] == "access" and r["received_at"][:19] < as_of
                   and (not r["closed_at"] or r["closed_at"][:19] >= as_of) and r["customer_id"])
    assert open_, "the sample holds open access requests at the end of 2026-10"
    out = tmp_path / "packs"
    proc = subprocess.run([COMMAND, "access-pack", "--db", str(sample_db), "--requests", "2026-10", "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == open_
    assert len(proc.stderr.splitlines()) == len(open_)
