"""The transfer module (analysis/transfers.py): per (processor, country outside the EEA) pair declared,
documented or seen in the month, its documentation and the month's figures (transfers.csv); and the
Commission's adequacy list it reads (policy/adequacy.py). Figures are checked against counts made here,
by hand, from the raw rows written to the source."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sources import connect, write_source

from gdpr_analytics.analysis import results, transfers
from gdpr_analytics.analysis.context import MonthContext
from gdpr_analytics.core.assets import asset_dir
from gdpr_analytics.core.csvfile import csv_text
from gdpr_analytics.core.month import Month
from gdpr_analytics.ingest.load import load_to_file
from gdpr_analytics.policy.adequacy import AdequacyInvalid, load_adequacy
from gdpr_analytics.policy.evidence import EvidenceInvalid, load_evidence
from gdpr_analytics.policy.history import load_history

OCT = Month.parse("2026-10")
EXAMPLE = asset_dir("policies") / "evidence.example.yml"
NBSP = "\u00a0"


def _e(event_id, when, processor, country, resource, action, actor, customer=None, records=1, ticket="CHG1"):
    return {"event_id": event_id, "occurred_at": when, "processor": processor, "source_country": country,
            "resource": resource, "action": action, "actor_id": actor, "customer_id": customer,
            "record_count": str(records), "ticket_id": ticket}


EVENTS = [
    _e("X1", "2026-10-02T08:00:00", "tcs", "IN", "customers", "read", "T1", "C1", 3),
    _e("X2", "2026-10-05T09:00:00", f"{NBSP}TCS", "IN", "orders", "write", "T2", "C2", 5, None),
    _e("X3", "2026-10-07T09:00:00", "tcs", "IN", "customers", "export", "T1", None, 1001, "CHG2"),  # bulk
    _e("X4", "2026-10-08T09:00:00", "tcs", "IN", "orders", "export", "T2", None, 1000, None),  # not above 1000
    _e("X5", "2026-10-31T23:59:59", "tcs", "IN", "infrastructure", "read", "T3", None, 0, "CHG3"),
    _e("X6", "2026-10-09T09:00:00", "tcs", "BE", "customers", "read", "T1", "C1"),  # EEA: no transfer
    _e("X7", "2026-09-30T23:59:59", "tcs", "IN", "customers", "read", "T9", "C9"),  # September
    _e("X8", "2026-11-01T00:00:00", "tcs", "IN", "customers", "read", "T9", "C9"),  # November
    _e("X9", "2026-10-10T09:00:00", "wipro", "IN", "marketing", "read", "W1", "C1", 2),  # undeclared processor
    _e("X10", "2026-10-11T09:00:00", "wipro", "IN", "marketing", "read", "W1", "C3", 4, None),
    _e("X11", "2026-10-12T09:00:00", "aws", "US", "infrastructure", "admin", "S1"),  # a country aws does not declare
]


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("transfers")
    src = write_source(base / "src", exported_at="2026-11-02T00:00:00Z", customers=[{"customer_id": "C1"}],
                       access_log=EVENTS)
    db = base / "db.duckdb"
    load_to_file(src, db, show=False)
    return db


def _results(db: Path, evidence: Path | None = None):
    history = load_history(None, evidence)
    with connect(db, history) as engine:
        ctx = MonthContext.build(engine, OCT, history)
        return ctx, results.month_results(engine, ctx)


def _csv(df) -> list[dict[str, str]]:
    """transfers.csv as the report writes it (core.csvfile), read back row by row."""
    return list(csv.DictReader(io.StringIO(csv_text(df), newline="")))


def _by_hand(events, month: Month, eea: set[str], threshold: int = 1000) -> dict[tuple[str, str], dict]:
    """The figures of each (processor, country outside the EEA) pair, counted from the raw rows."""
    scope = {"tcs": {(r, a) for r in ("customers", "orders", "uploads", "requests", "marketing")
                     for a in ("read", "write")},
             "infosys": {("infrastructure", a) for a in ("read", "write", "export", "delete", "admin")},
             "aws": {("infrastructure", a) for a in ("read", "write", "export", "delete", "admin")}}
    out: dict[tuple[str, str], dict] = {}
    for e in events:
        when = datetime.fromisoformat(e["occurred_at"])
        if not (month.period_start <= when < month.as_of) or e["source_country"] in eea:
            continue
        key = (e["processor"].strip(NBSP).lower(), e["source_country"])
        p = out.setdefault(key, {"events": 0, "actors": set(), "customers": set(), "records": 0, "used": set(),
                                 "with_ticket": 0, "bulk_exports": 0, "out_of_scope": 0, "when": []})
        p["events"] += 1
        p["actors"].add(e["actor_id"])
        if e["customer_id"]:
            p["customers"].add(e["customer_id"])
        p["records"] += int(e["record_count"])
        p["used"].add(f"{e['resource']} {e['action']}")
        p["with_ticket"] += e["ticket_id"] is not None
        p["bulk_exports"] += e["action"] == "export" and int(e["record_count"]) > threshold
        if key[0] in scope:
            p["out_of_scope"] += (e["resource"], e["action"]) not in scope[key[0]]
        else:
            p["out_of_scope"] = None  # an undeclared processor's scope is not judged (XB-003)
        p["when"].append(when)
    return out


def test_transfers_csv_figures_are_the_counts_of_the_raw_events(db):
    ctx, res = _results(db)
    rows = {(r["processor"], r["country"]): r for r in _csv(res.transfers)}
    # declared (infosys and tcs from IN, §5-§6) or seen in October from outside the EEA; not tcs|BE
    assert sorted(rows) == [("aws", "US"), ("infosys", "IN"), ("tcs", "IN"), ("wipro", "IN")]
    hand = _by_hand(EVENTS, OCT, set(ctx.policy.eea))
    assert set(hand) == {("aws", "US"), ("tcs", "IN"), ("wipro", "IN")}
    for key, p in hand.items():
        r = rows[key]
        assert r["seen_in_month"] == "true"
        assert (int(r["events"]), int(r["actors"]), int(r["customers"]), int(r["records"])) == \
            (p["events"], len(p["actors"]), len(p["customers"]), p["records"]), key
        assert r["resources_actions"] == ", ".join(sorted(p["used"])), key
        assert int(r["with_ticket"]) == p["with_ticket"], key
        assert float(r["ticket_pct"]) == round(100 * p["with_ticket"] / p["events"], 1), key
        assert int(r["bulk_exports"]) == p["bulk_exports"], key
        assert r["out_of_scope"] == ("" if p["out_of_scope"] is None else str(p["out_of_scope"])), key
        assert (r["first_seen"], r["last_seen"]) == (f"{min(p['when']):%Y-%m-%dT%H:%M:%S}Z",
                                                     f"{max(p['when']):%Y-%m-%dT%H:%M:%S}Z"), key
    # the same, worked out by hand for tcs|IN: X1-X5 (the NBSP-padded X2 is tcs; X6 from BE, X7 and X8
    # outside October); X3 alone is above 1000 records; X3, X4 (export) and X5 (infrastructure) are
    # outside tcs's scope
    tcs = rows[("tcs", "IN")]
    assert [tcs[c] for c in ("events", "actors", "customers", "records", "with_ticket", "ticket_pct",
                             "bulk_exports", "out_of_scope")] == ["5", "3", "2", "2009", "3", "60.0", "1", "3"]
    assert tcs["resources_actions"] == "customers export, customers read, infrastructure read, orders export, " \
                                       "orders write"
    # declared and not seen: zeros, no first or last seen, no share of an empty month
    infosys = rows[("infosys", "IN")]
    assert infosys["seen_in_month"] == "false" and infosys["events"] == infosys["records"] == "0"
    assert infosys["first_seen"] == infosys["last_seen"] == infosys["ticket_pct"] == ""


def test_without_evidence_the_documentation_says_what_is_missing(db):
    ctx, res = _results(db)
    rows = {(r["processor"], r["country"]): r for r in _csv(res.transfers)}
    tcs, wipro, aws = rows[("tcs", "IN")], rows[("wipro", "IN")], rows[("aws", "US")]
    assert tcs["declared"] == "stated in the notice (§5, §6)"
    assert tcs["country_name"] == "India" and tcs["processor_name"] == "Tata Consultancy Services (TCS)"
    # what the notice states is shown as stated; what it does not, is to complete; nothing is invented
    assert tcs["access"] == "remote access from IN (stated in the notice, §5, §6)"
    assert tcs["mechanism"].startswith("to complete: The notice does not name the transfer tool of Art. 46")
    for c in ("legal_entity", "supplementary_measures", "tia_reference", "tia_review_by"):
        assert tcs[c] == "to complete", c
    assert tcs["tia_assessed_on"] == tcs["tia_covers"] == tcs["tia_monthly_records"] == ""
    assert tcs["adequacy"] == "no adequacy decision (the Commission's list as checked on 2026-12-03)"
    # a transfer nobody declared: not documented
    assert wipro["declared"] == "not declared: seen in the data only"
    assert wipro["processor_name"] == "not in the notice" and wipro["country_name"] == "India"
    for c in ("legal_entity", "access", "mechanism", "supplementary_measures", "tia_reference", "tia_review_by"):
        assert wipro[c] == "not documented", c
    assert aws["adequacy"].startswith("adequacy decision: Commission Implementing Decision (EU) 2023/1795")
    assert aws["adequacy"].endswith("certified organisations only: commercial organisations participating in "
                                    "the EU-US Data Privacy Framework")


def test_with_evidence_each_value_cites_its_document(db):
    ctx, res = _results(db, EXAMPLE)
    rows = {(r["processor"], r["country"]): r for r in _csv(res.transfers)}
    infosys, tcs, wipro = rows[("infosys", "IN")], rows[("tcs", "IN")], rows[("wipro", "IN")]
    assert infosys["tia_reference"] == ("EX-TIA-INF [documented internally: EXAMPLE transfer impact assessment, "
                                        "server management from India (EX-TIA-INF, 2025-07-01; review by 2026-07-01)]")
    assert (infosys["tia_assessed_on"], infosys["tia_review_by"], infosys["tia_monthly_records"]) == \
        ("2025-07-01", "2026-07-01", "50000")
    assert infosys["tia_covers"] == "resources: infrastructure; actions: read, write, delete"
    assert infosys["mechanism"] == (
        "EXAMPLE standard contractual clauses (2021/914), module 3 (processor to processor) [documented "
        "internally: EXAMPLE standard contractual clauses (Commission Decision 2021/914), server management "
        "(EX-SCC-INF, 2022-09-15)]")
    assert tcs["access"].startswith("remote access from India to the application in the EEA [documented internally")
    # wipro: a processor the evidence documents (its contract), with no transfer documented for IN
    assert wipro["legal_entity"].startswith("EXAMPLE Wipro Limited, Bengaluru, India [documented internally")
    assert wipro["tia_reference"] == "not documented" and wipro["declared"] == "not declared: seen in the data only"


def test_the_register_gets_the_documentation_only(db):
    ctx, res = _results(db, EXAMPLE)
    reg = transfers.register_rows(ctx)
    assert list(reg.columns) == transfers.DOCUMENTATION
    # the pairs the notice declares or the evidence documents; not wipro|IN nor aws|US, seen in the data only
    assert list(zip(reg["processor"], reg["country"])) == [("infosys", "IN"), ("tcs", "IN")]
    full = res.transfers.set_index(["processor", "country"])
    for r in reg.to_dict("records"):
        for c in transfers.DOCUMENTATION[5:]:
            assert str(r[c]) == str(full.loc[(r["processor"], r["country"]), c]), c


def test_figures_are_not_assessed_when_the_access_log_does_not_cover_the_month(db):
    history = load_history()
    with connect(db, history) as engine:
        ctx = MonthContext.build(engine, OCT, history)
    df = transfers.build(ctx, None)
    assert list(zip(df["processor"], df["country"])) == [("infosys", "IN"), ("tcs", "IN")]
    assert df["seen_in_month"].isna().all() and df["events"].isna().all() and df["records"].isna().all()
    assert df["tia_reference"].tolist() == ["to complete", "to complete"]


def test_the_month_results_keep_the_table_and_its_statistic(db):
    _, res = _results(db)
    assert res.table(transfers.FRAME).equals(res.transfers)
    assert len(res.table(transfers.STAT)) == 3  # the pairs seen: aws|US, tcs|IN, wipro|IN


# -- the Commission's adequacy list -------------------------------------------------------------------


def test_the_shipped_adequacy_list():
    a = load_adequacy()
    assert a.decision("IN") is None and a.status("IN").startswith("no adequacy decision")
    assert a.checked_on.isoformat() == "2026-12-03" and a.url.startswith("https://commission.europa.eu/")
    assert sorted(a.countries) == ["AD", "AR", "BR", "CA", "CH", "FO", "GB", "GG", "IL", "IM", "JE", "JP", "KR",
                                   "NZ", "US", "UY"]
    assert a.status("ca") == ("adequacy decision: Commission Decision 2002/2/EC of 2001-12-20; commercial "
                              "organisations only: recipients subject to the Personal Information Protection and "
                              "Electronic Documents Act (PIPEDA)")
    assert a.name("BR") == "Brazil" and a.decision("BR")["decision"].endswith("(EU) 2026/179")


def test_an_adequacy_list_that_does_not_validate_names_every_problem(tmp_path):
    path = tmp_path / "adequacy.yml"
    path.write_text(yaml.safe_dump({
        "adequacy": {"source": "x", "url": "https://example.org", "checked_on": "03/12/2026"},
        "countries": [{"code": "US", "name": "United States", "decision": "d", "date": "2023-07-10"},
                      {"code": "US", "name": "again", "decision": "d", "date": "2023-07-10"},
                      {"code": "usa", "name": "x", "decision": "d"},
                      {"code": "CA", "name": "Canada", "decision": "d", "date": "2001-12-20", "until": "never"}]}),
        encoding="utf-8")
    with pytest.raises(AdequacyInvalid) as caught:
        load_adequacy(path)
    assert caught.value.problems == [
        "adequacy.checked_on: must be a date YYYY-MM-DD, got '03/12/2026'",
        "countries[1]: US is listed twice",
        "countries[2]: date missing",
        "countries[2]: code 'usa' is not an ISO 3166-1 alpha-2 code (two capital letters)",
        "countries[3]: unknown key until"]


def test_an_evidence_file_listing_a_transfer_twice_is_refused(tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["transfers"].append({**data["transfers"][0], "processor": "Infosys "})  # infosys|IN again
    path = tmp_path / "evidence.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(EvidenceInvalid) as caught:
        load_evidence(path)
    assert caught.value.problems == [
        "transfers[2] (Infosys |IN): the pair infosys|IN is listed twice (one entry, one TIA per pair)"]
