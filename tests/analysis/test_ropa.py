"""The Art. 30 record (ropa.build, ropa.csv, ropa.xlsx) and the declared-vs-observed gaps (observed.py),
on the hand-made scenario of tests/scenario.py (month 2026-10)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from scenario import CUSTOMER_EXTRA, MONTH, UPLOAD_EXTRA, load_scenario
from sources import connect

from gdpr_analytics.analysis import observed, ropa
from gdpr_analytics.analysis.context import MonthContext
from gdpr_analytics.core.csvfile import write_csv
from gdpr_analytics.policy.history import PolicyHistory
from gdpr_analytics.policy.model import load_policy
from gdpr_analytics.report.spreadsheets import write_ropa_xlsx

CONTROLLER_IDS = ["P1", "P2", "P3", "P4", "P5", "P6"]


@pytest.fixture(scope="module")
def db_file(tmp_path_factory) -> Path:
    return load_scenario(tmp_path_factory.mktemp("ropa"))


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def ctx_of(engine, policy) -> MonthContext:
    return MonthContext.build(engine, MONTH, PolicyHistory.single(policy))


def record_of(engine, policy):
    return ropa.build(ctx_of(engine, policy), observed.observe(engine, policy, MONTH))


@pytest.fixture(scope="module")
def con(db_file, policy):
    c = connect(db_file, PolicyHistory.single(policy))
    yield c
    c.close()


@pytest.fixture(scope="module")
def obs(con, policy):
    return observed.observe(con, policy, MONTH)


@pytest.fixture(scope="module")
def record(con, policy, obs):
    return ropa.build(ctx_of(con, policy), obs)


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
        ("processor not declared", "acme"): "P1, P2, P3, P4, P5, P6, PR1",  # acme read uploads
        ("country not declared for the processor", "tcs from US"): "P1, P2, P3, P4, P5, P6",
        # §3 lists the categories for the service as a whole: every controller activity declares them
        ("field filled but not declared", "customers.vat_number on consumer accounts"): "P1, P2, P3, P4",
        ("field filled but not declared", f"customers.{CUSTOMER_EXTRA}"): "P1, P2, P3, P4, P5, P6",
        ("field filled but not declared", f"uploads.{UPLOAD_EXTRA}"): "PR1",
        ("optional field always filled", "customers.birth_date"): "P1, P2, P3, P4",  # 4 of 4 held customers
        # no activity of the notice declares the access log itself (staff IDs, IP addresses)
        ("table held but declared by no activity", "access_log"): "",
    }


def test_no_gap_for_what_the_policy_declares(obs):
    items = set(obs.gaps["item"])
    assert not any(i.startswith(("tcs from IN", "infosys", "aws", "bpost")) for i in items)
    assert "customers.phone" not in items and "customers.mobile" not in items  # optional, not always filled


# -- ropa.build ---------------------------------------------------------------------------------------

def test_one_row_per_activity_with_roles(record):
    assert list(record["activity_id"]) == CONTROLLER_IDS + ["PR1"]
    assert list(record["role"]) == ["controller"] * 6 + ["processor"]
    assert list(record.columns) == ropa.COLUMNS


def test_controller_and_processor_of_the_uploads(record):
    p1, pr1 = row(record, "P1"), row(record, "PR1")
    assert p1["controller"] == ("bpost NV van publiek recht, public-law limited company (naamloze vennootschap "
                                "van publiek recht), Multitower, Anspachlaan 1 bus 1, 1000 Brussel, Belgium; "
                                "VAT BE 0214.596.464 (§2)")
    assert p1["processor"] == ""
    # Art. 30(2)(a): each controller (the customers), how many (C1, C3, C6 hold uploads), how to reach them
    assert pr1["controller"] == (
        "Each MyStamp or MyStamp Pro customer who supplies media (de Klant treedt op als "
        "verwerkingsverantwoordelijke); 3 customers with uploads held at the end of 2026-10; contact: Through "
        "the customer's account: the contact details the customer gave bpost (§3) are held in the customer record "
        "under the customer's pseudonymous ID (§2, §7)")
    assert pr1["processor"] == p1["controller"]


def test_declared_items(record):
    p1, p2, p4, pr1 = row(record, "P1"), row(record, "P2"), row(record, "P4"), row(record, "PR1")
    # contract basis: entering into OR performing (totstandkoming of uitvoering), §3
    assert "entering into or performing the contract (totstandkoming of uitvoering van de overeenkomst)" \
        in p1["legal_basis"]
    assert "Art. 6(1)(f)" in p1["legal_basis"] and p1["legal_basis"].endswith("(§3)")
    assert "[user.contact.organization.vat_number, pro accounts only]" in p1["data_categories"]
    # P2: customers or third parties (klanten of derden)
    assert "Third parties (derden)" in p2["data_subject_categories"] and "[prospect]" in p2["data_subject_categories"]
    assert "Third parties" not in p1["data_subject_categories"]
    # P4: products AND services (producten en diensten)
    assert "similar bpost products and services (gelijkaardige producten en diensten)" in p4["purposes"]
    assert p1["third_country_transfers"] == "India (IN): Infosys, Tata Consultancy Services (TCS) (§5, §6)"
    # access FROM India (§5), not "located in India"
    assert "accesses the data from IN" in p1["processors"] and "located in" not in p1["processors"]
    assert p1["transfer_nature"].startswith("IN: Infosys and TCS access the data from India (§5)")
    # §6 refers to the general privacy policy: no SCC wording of our own
    assert "standard contractual clauses" not in p1["safeguards"].split("transfer tool:")[0]
    assert p1["safeguards"] == (
        "IN: bpost states it has taken the necessary measures to ensure an appropriate level of protection "
        "(een gepast beschermingsniveau), as described in its general privacy policy (Algemeen Privacybeleid) "
        "(§6); transfer tool: not stated in the privacy notice — to be completed by the controller (The notice "
        "does not name the transfer tool of Art. 46 (e.g. standard contractual clauses); it refers to bpost's "
        "general privacy policy (§6).)")
    # recipients: "in het bijzonder", "zoals": not exhaustive
    assert "Not an exhaustive list" in p1["recipients"] and "in het bijzonder" in p1["recipients"]
    assert "Infosys" in p1["recipients"] and "bpost (own staff)" not in p1["recipients"]
    assert "[user.content.private.uploaded_media]" in pr1["data_categories"]


def test_retention_is_per_data_category_and_says_what_is_missing(record):
    p1, p2, pr1 = row(record, "P1"), row(record, "P2"), row(record, "PR1")
    rule = "Erased (gewist) 3 years after the last order (te tellen vanaf de laatste bestelling) (§7)"
    assert p1["retention"].startswith("First name (voornaam), Last name (naam), Address (adres)")
    assert p1["retention"].endswith(f"(BTW- of ondernemingsnummer, MyStamp Pro only): {rule}")
    assert pr1["retention"] == f"Photos, images, drawings, names on the stamps (of the persons they show): {rule}"
    # §7 covers the customer's data only: third parties' data (P2) is to complete
    assert "data of Third parties (derden)" in p2["retention"]
    assert p2["retention"].split("data of Third parties")[1].count("to be completed by the controller") == 1


def test_silences_are_said_never_invented(record):
    p1, pr1 = row(record, "P1"), row(record, "PR1")
    todo = "not stated in the privacy notice — to be completed by the controller"
    for col in ("process_owner", "dpia", "vulnerable_subjects", "data_combination", "classification", "risks", "lia"):
        assert p1[col].startswith(todo), col
    # not applicable, with the reason: Art. 27 does not apply to bpost; no joint controller (but P4's platforms)
    assert p1["representative"].startswith("not applicable: bpost is established in Brussels (§2)")
    assert p1["joint_controllers"].startswith("not applicable: The notice names no joint controller")
    assert row(record, "P4")["joint_controllers"].startswith(f"{todo} (Advertising on the platforms of §3")
    assert p1["security_measures"] == f"General description: {todo} (The notice describes no technical or " \
        "organisational security measures (Art. 32); it is to be read with bpost's general privacy policy (§1), " \
        "which this record does not encode.)"
    assert p1["processor_contracts"].count(todo) == 3  # AWS, Infosys, TCS: no Art. 28 contract in the notice
    assert pr1["special_categories"].startswith("Photos, images, drawings, names on the stamps") and \
        todo in pr1["special_categories"]
    assert p1["special_categories"] == "None: no declared category is an Art. 9 or Art. 10 category (§2, §3)"
    assert p1["source"] == ("Provided by the customer about themselves, collected via the MyStamp website "
                            "(verzameld via de MyStamp website) (§2, §3)")
    assert p1["to_complete"] == (
        "14: Data protection officer; Categories of personal data (fideslang key); Categories of recipients; "
        "Safeguards for the transfers; Technical and organisational security measures; Legitimate-interest "
        "assessment; Owner of the process; Processors (sub-processors for PR1); Contracts with processors; Data "
        "protection impact assessment; Vulnerable data subjects; Combination with other data; Classification level; "
        "Risks and mitigation measures")
    assert p1["status"] == "in force: declared by policy version 2026.12-1"
    # one file without effective_from: the notice's revision date is not in the file
    assert p1["declared_since"].startswith(todo)


def test_observed_items(record):
    p1, p3, pr1 = row(record, "P1"), row(record, "P3"), row(record, "PR1")
    assert p1["subjects_held"].startswith("MyStamp customers (consumers): 3; MyStamp Pro customers")
    assert ": 1 (held at the end of 2026-10)" in p1["subjects_held"]
    assert pr1["subjects_held"] == "3 uploads held at the end of 2026-10, of which 2 show persons"
    assert p1["processors_seen"] == ("acme (not declared): US 1 event; aws: IE 1 event; bpost: BE 1 event; "
                                     "infosys: IN 1 event; tcs: IN 2 events, US 1 event")
    assert pr1["processors_seen"] == "acme (not declared): US 1 event"
    assert p1["countries_seen"] == "outside the EEA: IN, US; in the EEA: BE, IE"
    assert pr1["countries_seen"] == "outside the EEA: US; in the EEA: none"
    assert "Telephone number (telefoonnummer, optional): 25.0% filled" in p1["data_categories_filled"]
    # held at the end of the month: C1 (all filled), C2, C7 (consumer), C3 (pro); street, gender, phone and
    # mobile: C1 only (1 of 4); country_code defaulted to BE by the test source; VAT among Pro: C3 (1 of 1)
    assert p3["data_categories_filled"] == (
        "First name (voornaam): 100.0% filled; Last name (naam): 100.0% filled; Address (adres): street 25.0%, "
        "postal_code 25.0%, city 25.0%, country_code 100.0% filled; E-mail address (e-mailadres): 100.0% filled; "
        "Birth date (geboortedatum, optional): 100.0% filled; Gender (geslacht): 25.0% filled; Telephone number "
        "(telefoonnummer, optional): 25.0% filled; Mobile number (gsm-nummer): 25.0% filled; VAT or company "
        "number (BTW- of ondernemingsnummer, MyStamp Pro only): 100.0% filled")
    assert "vat_number on consumer accounts" in p1["gaps"] and "vat_number on consumer accounts" in p3["gaps"]
    assert "optional field always filled: customers.birth_date" in p1["gaps"]


def test_absent_uploads_are_not_assessed(tmp_path, policy):
    db = load_scenario(tmp_path, without=("uploads",))
    con = connect(db, PolicyHistory.single(policy))
    try:
        pr1 = row(record_of(con, policy), "PR1")
    finally:
        con.close()
    assert pr1["subjects_held"] == "not assessed: no uploads table in the source"


# -- ropa.csv and ropa.xlsx ---------------------------------------------------------------------------

def test_write_csv(tmp_path, record):
    path = tmp_path / "ropa.csv"
    write_csv(record, path)
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
    next(a for a in data["activities"] if a["id"] == "PR1")["controller"] = "-2+3"
    data["security_measures"]["general_description"] = {"not_stated": "\tTabbed"}
    data["controller"]["legal_form"] = "=1+1"
    path = tmp_path / "hostile.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_policy(path)


def _cells(path: Path) -> dict[str, list[list]]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    return {ws.title: [[c for c in r] for r in ws.iter_rows()] for ws in wb.worksheets}


def test_xlsx_follows_the_belgian_register_model(tmp_path, con, policy):
    path = tmp_path / "ropa.xlsx"
    write_ropa_xlsx(ctx_of(con, policy), record_of(con, policy), path)
    sheets = _cells(path)
    assert list(sheets) == ["Identification", "Controller (Art. 30(1))", "Processor (Art. 30(2))", "Completeness"]
    # identification: controller, contact, DPO once, with the notice section
    ident = {r[0].value: (r[1].value, r[2].value) for r in sheets["Identification"][1:]}
    assert ident["Controller (Dutch/French name)"] == ("bpost NV van publiek recht", "§2")
    assert ident["Enterprise number (KBO/BCE)"] == ("0214.596.464", "§2")
    assert ident["Data protection officer"] == ("Data Protection Office", "§3, §9")
    assert ident["Data protection officer: name"][0].startswith("not stated in the privacy notice")
    assert ident["General telephone number"][0].startswith("not stated in the privacy notice")
    assert ident["Contact web form"][0] == "https://www.bpost.be/nl/formulieren/persoonlijkegegevens/step1"
    assert ident["Representative (Art. 27)"][0].startswith("not applicable: bpost is established in Brussels")
    controller, processor = sheets["Controller (Art. 30(1))"], sheets["Processor (Art. 30(2))"]
    heads = [c.value for c in controller[0]]
    # controller and DPO are on the identification sheet, not repeated on every row
    assert not [h for h in heads if "controller" in h.lower() and "joint" not in h.lower()]
    assert [r[0].value for r in controller[1:]] == CONTROLLER_IDS
    assert [r[0].value for r in processor[1:]] == ["PR1"]
    assert heads[:8] == ["Number", "Processing (name)", "Name of business process", "Owner of process",
                         "Purpose of processing", "Basis for processing", "Legitimate interests",
                         "Type of processing (profiling, automated decisions)"]
    for wanted in ("Functional data category (fideslang key)", "Data subject category",
                   "Retention period, per data category", "Recipient category", "Processor contract (Art. 28)",
                   "Appropriate safeguards", "Data protection impact assessment (DPIA)", "Status",
                   "Date of creation (declared since)", "Date of last update",
                   "Observed 2026-10: gaps between declared and observed"):
        assert wanted in heads, wanted
    values = dict(zip(heads, [c.value for c in controller[1]]))
    assert values["Owner of process"].startswith("not stated in the privacy notice — to be completed")
    pheads = [c.value for c in processor[0]]
    assert "Name and contact details of each controller on whose behalf the processor acts" in pheads
    pvalues = dict(zip(pheads, [c.value for c in processor[1]]))
    assert "3 customers with uploads held at the end of 2026-10" in pvalues[
        "Name and contact details of each controller on whose behalf the processor acts"]
    comp = sheets["Completeness"]
    assert [c.value for c in comp[0]] == ["field", "GDPR / register", "P1", "P2", "P3", "P4", "P5", "P6", "PR1"]
    assert not list(tmp_path.glob(".ropa.xlsx.*")), "temporary file left behind"


def test_xlsx_cells_are_plain_strings_never_formulas(tmp_path, db_file, hostile_policy):
    con = connect(db_file, PolicyHistory.single(hostile_policy))
    try:
        path = tmp_path / "ropa.xlsx"
        write_ropa_xlsx(ctx_of(con, hostile_policy), record_of(con, hostile_policy), path)
    finally:
        con.close()
    sheets = _cells(path)
    assert len(sheets) == 4
    values = [c for rows in sheets.values() for r in rows for c in r]
    assert values and all(c.data_type == "s" for c in values if c.value is not None)
    texts = [c.value for c in values if c.value is not None]
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert '\'=HYPERLINK("http://evil.example","click")' in texts  # the identification sheet
    assert "'=1+1" in texts  # the legal form, alone in its cell
    assert any(t.startswith("'-2+3; ") for t in texts) and "'+cmd|' /C calc'!A0" in texts
