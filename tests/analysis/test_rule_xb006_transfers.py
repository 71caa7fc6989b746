"""XB-006 (a transfer outside its assessment) at the boundaries of its four conditions, on both engines;
expected answers worked out by hand from the rows below.

One source holds a (processor, country) pair per boundary, and one evidence file their TIAs: the month is
judged once per engine (October and November with the evidence, October without), and each test reads
the findings of its own pairs; a Spark query costs seconds, so the engines judge the source once."""

from pathlib import Path

import pytest
import yaml
from sources import evaluate_source, write_source

NBSP = "\u00a0"


def write_evidence(folder: Path, *tias: dict) -> Path:
    """A minimal evidence file: one document, and one transfer with its TIA per entry of `tias`
    ({processor, country, and the TIA's keys}); defaults cover every resource and action, 10^9 records a
    month, and a review far ahead, so each test varies only what it is about."""
    folder.mkdir(parents=True, exist_ok=True)
    transfers = []
    for t in tias:
        t = dict(t)
        tia = {"reference": t.pop("reference", f"TIA-{t['processor']}-{t['country']}"), "assessed_on": "2025-01-01",
               "review_by": t.pop("review_by", "2030-01-01"),
               "resources": t.pop("resources", ["customers", "orders", "uploads", "marketing", "requests",
                                                "infrastructure"]),
               "actions": t.pop("actions", ["read", "write", "export", "delete", "admin"]),
               "monthly_records": t.pop("monthly_records", 10**9), "document": "D1"}
        transfers.append({"processor": t["processor"], "country": t["country"], "tia": tia})
    data = {"evidence": {"id": "test", "controller": "test", "example": False},
            "documents": [{"id": "D1", "title": "Transfer impact assessments", "date": "2025-01-01"}],
            "transfers": transfers}
    path = folder / "evidence.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _events(*rows):
    return [{"event_id": f"E{i + 1}", "ticket_id": "CHG1", **r} for i, r in enumerate(rows)]


def _at(event_id, when, processor, country, resource="customers", action="read", records=1):
    return {"event_id": event_id, "occurred_at": when, "processor": processor, "source_country": country,
            "resource": resource, "action": action, "record_count": str(records)}


EVENTS = [
    # (a) wipro|IN: no TIA; dated at the pair's first event of the month (W2), September's W0 not counted
    _at("W1", "2026-10-05T10:00:00", "wipro", "IN", records=3),
    _at("W2", "2026-10-03T08:00:00", "wipro", "IN", records=2),
    _at("W0", "2026-09-30T23:59:59", "wipro", "IN"),
    # Norway is in the EEA: no transfer, no TIA needed
    _at("N1", "2026-10-04T08:00:00", "tcs", "NO"),
    # at as_of exactly: November's first event, not October's
    _at("U1", "2026-11-01T00:00:00", "aws", "US"),
    # (b) tcs|IN, TIA: orders / read. B2 an action not listed, B3 a resource not listed (the first outside);
    # B4 is " TCS " padded with no-break spaces, the same processor, on what the TIA lists
    _at("B1", "2026-10-02T08:00:00", "tcs", "IN", "orders", "read"),
    _at("B2", "2026-10-05T08:00:00", "tcs", "IN", "orders", "write"),
    _at("B3", "2026-10-04T08:00:00", "tcs", "IN", "customers", "read"),
    _at("B4", "2026-10-06T08:00:00", f"{NBSP}TCS{NBSP}", "IN", "orders", "read"),
    # (b) infosys|IN, TIA: infrastructure / read, write: one export, not listed
    _at("B5", "2026-10-04T08:00:00", "infosys", "IN", "infrastructure", "export"),
    _at("B6", "2026-10-06T08:00:00", "infosys", "IN", "infrastructure", "read"),
    # (c) infosys|JP, TIA: 100 records a month; 60 + 40 = 100, exactly: no finding (September's 5000 is not
    # October's)
    _at("C1", "2026-10-02T08:00:00", "infosys", "JP", records=60),
    _at("C2", "2026-10-20T08:00:00", "infosys", "JP", records=40),
    _at("C0", "2026-09-30T08:00:00", "infosys", "JP", records=5000),
    # (c) tcs|JP, TIA: 100 a month; 60 + 1 + 40 + 7 = 108. T2 and T3 share their instant and are taken by
    # event_id: after T2 the sum is 61, after T3 101, one more than 100: exceeded at T3 (the other way, T2)
    _at("T1", "2026-10-02T08:00:00", "tcs", "JP", records=60),
    _at("T3", "2026-10-09T08:00:00", "tcs", "JP", records=40),
    _at("T2", "2026-10-09T08:00:00", "tcs", "JP", records=1),
    _at("T4", "2026-10-30T08:00:00", "tcs", "JP", records=7),
    # (d) infosys|CN, review by 2026-11-01 (October's as_of): not overdue in October, overdue in November
    _at("D1", "2026-10-20T08:00:00", "infosys", "CN"),
    _at("D2", "2026-10-10T08:00:00", "infosys", "CN"),
    _at("D3", "2026-11-03T08:00:00", "infosys", "CN"),
    # (d) tcs|CN, review by 2026-10-31, the month's last day: overdue, dated at the pair's first event (D5)
    _at("D4", "2026-10-31T23:59:59", "tcs", "CN"),
    _at("D5", "2026-10-12T08:00:00", "tcs", "CN"),
]
TIAS = [
    {"processor": "tcs", "country": "IN", "resources": ["orders"], "actions": ["read"]},
    {"processor": "infosys", "country": "IN", "resources": ["infrastructure"], "actions": ["read", "write"],
     "reference": "TIA-INF"},
    {"processor": "infosys", "country": "JP", "monthly_records": 100},
    {"processor": "tcs", "country": "JP", "monthly_records": 100},
    {"processor": "infosys", "country": "CN", "review_by": "2026-11-01"},
    {"processor": "tcs", "country": "CN", "review_by": "2026-10-31"},
]


@pytest.fixture(scope="module", params=["duckdb", "spark"])
def judged(request, tmp_path_factory):
    """XB-006's findings on one engine: {"oct", "nov" (with the evidence), "oct_without" (no evidence file)},
    each a list of (subject_id, occurred_at ISO text, detail)."""
    import sources

    if request.param == "spark":
        request.getfixturevalue("spark")
    tmp = tmp_path_factory.mktemp(f"xb006-{request.param}")
    src = write_source(tmp / "s", access_log=[{"ticket_id": "CHG1", **e} for e in EVENTS],
                       exported_at="2026-12-01T00:00:00Z")
    evidence = write_evidence(tmp / "ev", *TIAS)
    sources.ENGINE = request.param
    try:
        def rows(month, ev):
            df = evaluate_source(src, month, ("XB-006",), evidence=ev).findings
            assert set(df["rule_id"]) <= {"XB-006"} and set(df["subject_type"]) <= {"transfer"}
            return [(s, t.strftime("%Y-%m-%dT%H:%M:%S"), d)
                    for s, t, d in zip(df["subject_id"], df["occurred_at"], df["detail"])]
        return {"oct": rows("2026-10", evidence), "nov": rows("2026-11", evidence),
                "oct_without": rows("2026-10", None)}
    finally:
        sources.ENGINE = "duckdb"
        sources.close_spark()


def _of(rows, *subjects):
    return [r for r in rows if r[0] in subjects]


def test_xb006_a_a_pair_without_tia_but_not_an_eea_country_nor_an_event_at_as_of(judged):
    assert _of(judged["oct"], "wipro|IN", "tcs|NO", "aws|US") == [
        ("wipro|IN", "2026-10-03T08:00:00", "no TIA recorded for wipro|IN: 2 events (5 records) from IN in the month")]
    # the event at as_of exactly is November's: there aws|US has no TIA
    assert _of(judged["nov"], "aws|US") == [
        ("aws|US", "2026-11-01T00:00:00", "no TIA recorded for aws|US: 1 event (1 record) from US in the month")]
    # without an evidence file no pair has a TIA: every October pair outside the EEA meets (a), and only (a)
    assert [(s, t) for s, t, d in judged["oct_without"]] == [
        ("infosys|CN", "2026-10-10T08:00:00"), ("infosys|IN", "2026-10-04T08:00:00"),
        ("infosys|JP", "2026-10-02T08:00:00"), ("tcs|CN", "2026-10-12T08:00:00"), ("tcs|IN", "2026-10-02T08:00:00"),
        ("tcs|JP", "2026-10-02T08:00:00"), ("wipro|IN", "2026-10-03T08:00:00")]
    assert all(d.startswith("no TIA recorded for ") for s, t, d in judged["oct_without"])


def test_xb006_b_a_resource_or_an_action_the_tia_does_not_list(judged):
    assert _of(judged["oct"], "tcs|IN", "infosys|IN") == [
        ("infosys|IN", "2026-10-04T08:00:00", "outside TIA TIA-INF: 1 event on a resource or with an action it does "
                                              "not list (infrastructure export); the first: export on infrastructure, "
                                              "event B5"),
        ("tcs|IN", "2026-10-04T08:00:00", "outside TIA TIA-tcs-IN: 2 events on a resource or with an action it does "
                                          "not list (customers read, orders write); the first: read on customers, "
                                          "event B3")]


def test_xb006_c_records_at_the_assessed_monthly_records_and_one_more(judged):
    assert _of(judged["oct"], "infosys|JP", "tcs|JP") == [
        ("tcs|JP", "2026-10-09T08:00:00", "above TIA TIA-tcs-JP: 108 records in the month, above its 100 a month; "
                                          "exceeded at event T3 (101 records by then)")]


def test_xb006_d_review_by_the_first_day_of_the_next_month_or_the_last_day_of_the_month(judged):
    assert _of(judged["oct"], "infosys|CN", "tcs|CN") == [
        ("tcs|CN", "2026-10-12T08:00:00", "TIA TIA-tcs-CN overdue: to be reviewed by 2026-10-31, before the end of "
                                          "the month")]
    assert _of(judged["nov"], "infosys|CN") == [
        ("infosys|CN", "2026-11-03T08:00:00", "TIA TIA-infosys-CN overdue: to be reviewed by 2026-11-01, before the "
                                              "end of the month")]


def test_xb006_one_finding_per_pair_and_condition_nothing_else(judged):
    # every October finding is one of those above: the pairs within their TIA give none
    assert [(s, t) for s, t, d in judged["oct"]] == [
        ("infosys|IN", "2026-10-04T08:00:00"), ("tcs|CN", "2026-10-12T08:00:00"), ("tcs|IN", "2026-10-04T08:00:00"),
        ("tcs|JP", "2026-10-09T08:00:00"), ("wipro|IN", "2026-10-03T08:00:00")]
    assert [(s, t) for s, t, d in judged["nov"]] == [("aws|US", "2026-11-01T00:00:00"),
                                                      ("infosys|CN", "2026-11-03T08:00:00")]
