"""The Art. 30 record (ropa.build, ropa.csv, ropa.xlsx) and the declared-vs-observed gaps (observed.py),
on the hand-made scenario of test_stats_queries.py (month 2026-10)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml

from gdpr_analytics import observed, ropa
from gdpr_analytics.db import connect
from gdpr_analytics.policy import load_policy

try:
    from test_stats_queries import CUSTOMER_EXTRA, MONTH, UPLOAD_EXTRA, load_scenario
except ImportError:  # tests/ imported as a package
    from tests.test_stats_queries import CUSTOMER_EXTRA, MONTH, UPLOAD_EXTRA, load_scenario

CONTROLLER_IDS = ["P1", "P2", "P3", "P4"]


@pytest.fixture(scope="module")
def db_file(tmp_path_factory) -> Path:
    return load_scenario(tmp_path_factory.mktemp("ropa"))


@pytest.fixture(scope="module")
def policy():
    return load_policy()


@pytest.fixture(scope="module")
def con(db_file, policy):
    c = connect(db_file, policy)
    yield c
    c.close()


@pytest.fixture(scope="module")
def obs(con, policy):
    return observed.observe(con, policy, MONTH)


@pytest.fixture(scope="module")
def record(con, policy, obs):
    return ropa.build(con, policy, MONTH, obs)


def row(record, activity_id):
    return record[record["activity_id"] == activity_id].iloc[0]


# -- observed ---------------------------------------------------------------------------------------

def test_subjects_held_at_as_of(obs):
    # C4 (created exactly at as_of) and C5 (erased one second before as_of) are not held
    assert dict(zip(obs.subjects["account_type"], obs.subjects["customers_held"])) == {"consumer": 3, "pro": 1}
    assert int(obs.uploads["uploads_held"].sum()) == 3


def test_fill_rates_per_column_and_account_type(obs):
    fill = {(r.column, r.account_type): (r.held, r.filled, r.fill_pct, r.declared)
            for r in obs.fill.itertuples()}
    assert fill[("first_name", "consumer")] == (3, 3, 100.0, True)
    assert fill[("phone", "consumer")] == (3, 1, 33.3, True)
    assert fill[("vat_number", "consumer")] == (3, 1, 33.3, False)  # declared for Pro only
    assert fill[("vat_number", "pro")] == (1, 1, 100.0, True)
    assert fill[("mobile", "pro")] == (1, 0, 0.0, True)


def test_gaps_between_declared_and_observed(obs):
    gaps = {(g.kind, g.item): g.activities for g in obs.gaps.itertuples()}
    assert gaps == {
        ("processor not declared", "acme"): "P1, P2, P3, P4, PR1",  # acme read uploads
        ("country not declared for the processor", "tcs from US"): "P1, P2, P3, P4",
        ("field filled but not declared", "customers.vat_number on consumer accounts"): "P1, P2",
        ("field filled but not declared", f"customers.{CUSTOMER_EXTRA}"): "P1, P2, P3, P4",
        ("field filled but not declared", f"uploads.{UPLOAD_EXTRA}"): "PR1",
        ("optional field always filled", "customers.birth_date"): "P1",  # 4 of 4 held customers
    }


def test_no_gap_for_what_the_policy_declares(obs):
    items = set(obs.gaps["item"])
    assert not any(i.startswith(("tcs from IN", "infosys", "aws", "bpost")) for i in items)
    assert "customers.phone" not in items and "customers.mobile" not in items  # optional, not always filled


# -- ropa.build ---------------------------------------------------------------------------------------

def test_one_row_per_activity_with_roles(record):
    assert list(record["activity_id"]) == CONTROLLER_IDS + ["PR1"]
    assert list(record["role"]) == ["controller"] * 4 + ["processor"]
    assert list(record.columns) == ropa.COLUMNS


def test_controller_and_processor_of_the_uploads(record):
    p1, pr1 = row(record, "P1"), row(record, "PR1")
    assert p1["controller"].startswith("bpost NV van publiek recht") and p1["processor"] == ""
    assert pr1["controller"].startswith("The customer") and pr1["processor"].startswith("bpost NV")


def test_declared_items(record):
    p1 = row(record, "P1")
    assert "Art. 6(1)(b)" in p1["legal_basis"] and "Art. 6(1)(f)" in p1["legal_basis"]
    assert "[user.contact.organization.vat_number, pro accounts only]" in p1["data_categories"]
    assert "India (IN): Infosys, Tata Consultancy Services (TCS)" == p1["third_country_transfers"]
    assert "Art. 46(2)(c)" in p1["safeguards"]
    assert p1["retention"].startswith("Erased 3 years after the last order")
    assert "Infosys [infosys]" in p1["recipients"] and "[bpost]" not in p1["recipients"]
    assert "[user.content.private.uploaded_media]" in row(record, "PR1")["data_categories"]


def test_observed_items(record):
    p1, p3, pr1 = row(record, "P1"), row(record, "P3"), row(record, "PR1")
    assert p1["subjects_held"].startswith("MyStamp customers (consumers): 3; MyStamp Pro customers")
    assert ": 1 (held at the end of 2026-10)" in p1["subjects_held"]
    assert pr1["subjects_held"] == "3 upload(s) held at the end of 2026-10, of which 2 show persons"
    assert p1["processors_seen"] == ("acme (not declared): US 1 event(s); aws: IE 1 event(s); bpost: BE 1 event(s); "
                                     "infosys: IN 1 event(s); tcs: IN 2, US 1 event(s)")
    assert pr1["processors_seen"] == "acme (not declared): US 1 event(s)"
    assert p1["countries_seen"] == "outside the EEA: IN, US; in the EEA: BE, IE"
    assert pr1["countries_seen"] == "outside the EEA: US; in the EEA: none"
    assert "Telephone number (telefoonnummer, optional): 25.0% filled" in p1["data_categories_filled"]
    assert p3["data_categories_filled"] == ("First name (voornaam): 100.0% filled; Last name (naam): 100.0% filled; "
                                            "E-mail address (e-mailadres): 100.0% filled")
    assert "vat_number on consumer accounts" in p1["gaps"] and "vat_number" not in p3["gaps"]
    assert "optional field always filled: customers.birth_date" in p1["gaps"]


def test_absent_uploads_are_not_assessed(tmp_path, policy):
    db = load_scenario(tmp_path, without=("uploads",))
    con = connect(db, policy)
    try:
        pr1 = row(ropa.build(con, policy, MONTH), "PR1")
    finally:
        con.close()
    assert pr1["subjects_held"] == "not assessed: no uploads table in the source"


# -- ropa.csv and ropa.xlsx ---------------------------------------------------------------------------

def test_write_csv(tmp_path, record):
    path = tmp_path / "ropa.csv"
    ropa.write_csv(record, path)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["activity_id"] for r in rows] == CONTROLLER_IDS + ["PR1"]
    assert rows[0]["gaps"] == row(record, "P1")["gaps"]


@pytest.fixture
def hostile_policy(tmp_path):
    """The real policy with values a spreadsheet would run as formulas."""
    data = yaml.safe_load(load_policy().path.read_text(encoding="utf-8"))
    data["controller"]["name"] = '=HYPERLINK("http://evil.example","click")'
    data["contact"]["name"] = "@SUM(1+1)"
    data["activities"][0]["name"] = "+cmd|' /C calc'!A0"
    data["activities"][4]["controller"] = "-2+3"
    data["security_measures"]["text"] = "\tTabbed"
    path = tmp_path / "hostile.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_policy(path)


def _cells(path: Path) -> dict[str, list[list]]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    return {ws.title: [[c for c in r] for r in ws.iter_rows()] for ws in wb.worksheets}


def test_xlsx_has_one_sheet_per_role(tmp_path, con, policy):
    path = tmp_path / "ropa.xlsx"
    ropa.write_xlsx(con, policy, MONTH, path)
    sheets = _cells(path)
    assert list(sheets) == ["Controller (Art. 30(1))", "Processor (Art. 30(2))"]
    controller, processor = sheets["Controller (Art. 30(1))"], sheets["Processor (Art. 30(2))"]
    assert [r[0].value for r in controller[1:]] == CONTROLLER_IDS
    assert [r[0].value for r in processor[1:]] == ["PR1"]
    heads = [c.value for c in controller[0]]
    for wanted in ("Name and contact details of the controller", "Purposes of the processing",
                   "Categories of data subjects", "Categories of personal data", "Categories of recipients",
                   "Envisaged time limits for erasure", "Observed 2026-10: gaps between declared and observed"):
        assert wanted in heads
    assert "Name and contact details of each controller on whose behalf the processor acts" in [
        c.value for c in processor[0]]
    assert not list(tmp_path.glob(".ropa.xlsx.*")), "temporary file left behind"


def test_xlsx_cells_are_plain_strings_never_formulas(tmp_path, db_file, hostile_policy):
    con = connect(db_file, hostile_policy)
    try:
        path = tmp_path / "ropa.xlsx"
        ropa.write_xlsx(con, hostile_policy, MONTH, path)
    finally:
        con.close()
    sheets = _cells(path)
    assert len(sheets) == 2
    values = [c for rows in sheets.values() for r in rows for c in r]
    assert values and all(c.data_type == "s" for c in values if c.value is not None)
    texts = [c.value for c in values if c.value is not None]
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert any(t.startswith('\'=HYPERLINK("http://evil.example","click"), Multitower') for t in texts)
    assert "'-2+3" in texts and "'+cmd|' /C calc'!A0" in texts
