"""The field catalogue and the completeness table (activity × field), worked by hand from the notice."""

from __future__ import annotations

import pytest
import yaml

from gdpr_analytics.core.assets import default_policy_path
from gdpr_analytics.policy import register
from gdpr_analytics.policy.model import load_policy

S, T, N = "stated", "to complete", "not applicable"


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def test_statements_render_stated_silent_and_partial():
    todo = register.TO_COMPLETE
    assert todo == "not stated in the privacy notice — to be completed by the controller"
    assert register.render({"text": "Erased", "notice": "§7"}) == "Erased (§7)"
    assert register.render({"not_stated": "why"}) == f"{todo} (why)"
    assert register.render({"text": "The contract", "notice": "§2", "not_stated": "Art. 28(3)?"}) == \
        f"The contract (§2); otherwise {todo} (Art. 28(3)?)"
    assert register.render(None) == todo
    assert register.stated({"text": "x", "notice": "§1"}) and not register.stated({"not_stated": "y"})
    assert not register.stated({"text": "x", "notice": "§1", "not_stated": "y"})


def test_completeness_cell_by_cell(policy):
    df = register.completeness(policy)
    assert list(df.columns) == ["field", "GDPR / register", "P1", "P2", "P3", "P4", "P5", "P6", "PR1"]
    cells = {r["field"]: [r[a] for a in ("P1", "P2", "P3", "P4", "P5", "P6", "PR1")] for r in df.to_dict("records")}
    assert cells == {
        # Art. 30(1)(a) §2 / Art. 30(2)(a): the customers, counted, with a contact route (§2, §3)
        "Name and contact details of the controller": [S, S, S, S, S, S, N],
        "Name and contact details of each controller on whose behalf the processor acts": [N, N, N, N, N, N, S],
        "Name and contact details of the processor": [N, N, N, N, N, N, S],
        # the Data Protection Office and its address (§9) are stated, a named officer is not
        "Data protection officer": [T, T, T, T, T, T, T],
        # none named (§2, §3), except that P4's ad platforms may be joint controllers for targeting
        "Joint controllers": [N, N, N, T, N, N, N],
        # Art. 27 does not apply: bpost is established in Brussels (§2)
        "Representative of the controller or processor": [N, N, N, N, N, N, N],
        # P6: the notice refers to the cookie policy for what the cookies are for
        "Purposes of the processing": [S, S, S, S, S, T, N],
        "Categories of processing carried out on behalf of each controller": [N, N, N, N, N, N, S],
        "Categories of data subjects": [S, S, S, S, S, S, S],
        # §3 lists the categories for the whole service, not per purpose; PR1's are the uploads (§2)
        "Categories of personal data (fideslang key)": [T, T, T, T, T, T, S],
        # §5 "in particular", "such as": not exhaustive; P6 declares no recipient
        "Categories of recipients": [T, T, T, T, T, S, T],
        "Transfers to third countries": [S, S, S, S, S, S, S],
        # §6 refers to the general privacy policy; the Art. 46 tool is not named; P6 has no transfer
        "Safeguards for the transfers": [T, T, T, T, T, N, T],
        # §7 sets the customer's data and the photos; not P2's third parties (derden), requests, or cookies
        "Time limits for erasure, per data category": [S, T, S, S, T, T, S],
        # the §9 identity check is not an Art. 32 measure: nothing is stated
        "Technical and organisational security measures": [T, T, T, T, T, T, T],
        # P5 and P6: no legal basis stated
        "Legal basis": [S, S, S, S, T, T, S],
        "Legitimate interests": [S, S, S, S, T, T, N],
        "Legitimate-interest assessment": [T, T, T, T, T, T, N],
        # §3's categories are none of Art. 9/10; P6 names none; whether the uploads reveal such data is not said
        "Special categories of personal data": [S, S, S, S, S, T, T],
        "Source of the personal data": [S, S, S, S, S, S, S],
        "Owner of the process": [T, T, T, T, T, T, T],
        "Profiling and automated decisions": [S, S, S, S, S, S, S],
        "Processors (sub-processors for PR1)": [T, T, T, T, T, S, T],
        "Contracts with processors": [T, T, T, T, T, S, T],
        "Data protection impact assessment": [T, T, T, T, T, T, T],
        "Data subject rights": [S, S, S, S, S, S, S],
        "Location of the personal data": [S, S, S, S, S, T, S],
        "Technology used": [S, S, S, S, S, S, S],
        "Vulnerable data subjects": [T, T, T, T, T, T, T],
        "Combination with other data": [T, T, T, T, T, T, T],
        "Classification level": [T, T, T, T, T, T, T],
        "Risks and mitigation measures": [T, T, T, T, T, T, T],
    }
    flat = [c for row in cells.values() for c in row]
    assert register.counts(policy) == {S: flat.count(S), "documented": 0, T: flat.count(T), N: flat.count(N)}
    assert register.to_complete(policy) == flat.count(T) == 104


def test_with_the_example_evidence_nothing_is_left_to_complete(policy):
    from gdpr_analytics.policy.history import load_history

    history = load_history(None, default_policy_path().with_name("evidence.example.yml"))
    ev = history.evidence
    df = register.completeness(history.latest, ev)
    # the evidence's internal activities are columns of their own
    assert list(df.columns)[2:] == ["P1", "P2", "P3", "P4", "P5", "P6", "PR1", "I1", "I2"]
    assert register.to_complete(history.latest, ev) == 0
    counts = register.counts(history.latest, ev)
    assert counts[T] == 0 and counts["documented"] > 0
    # what the notice states stays stated; what it leaves unsaid is documented, citing the document and date
    p1 = register.entries(history.latest, history.latest.activity("P1"), ev)
    assert p1["purposes"][1] == S and p1["retention"][1] == S
    assert p1["dpia"] == ("EXAMPLE screening concluded no DPIA is required (no Art. 35(3) criterion met) "
                          "[documented internally: EXAMPLE DPIA screening, MyStamp (EX-DPIA-01, 2024-02-20)]",
                          "documented")
    # the safeguards keep the notice's words and add each pair's transfer tool and TIA
    text, state = p1["safeguards"]
    assert state == "documented" and text.startswith("IN: bpost states it has taken the necessary measures")
    assert "infosys: EXAMPLE standard contractual clauses (2021/914), module 3" in text
    assert "TIA EX-TIA-INF, review by 2026-07-01" in text
    # P5's legal basis documented as Art. 6(1)(c): no legitimate interest to assess
    p5 = register.entries(history.latest, history.latest.activity("P5"), ev)
    assert p5["legal_basis"][1] == "documented" and p5["lia"][1] == N
    # the processor the notice does not name is named from the evidence
    assert "also documented internally: wipro [documented internally: EXAMPLE data processing agreement with a " \
        "support subcontractor (EX-DPA-WIP, 2025-02-01)" in p1["processors"][0]


def test_every_table_and_channel_maps_to_an_activity_or_is_to_complete(policy):
    tables = ["access_log", "customers", "dsr_requests", "marketing_sends", "orders", "uploads"]
    df = register.data_map(policy, None, tables, ["ad_platform", "email", "fax"])
    got = {(r["kind"], r["item"]): (r["declared_by"], r["state"]) for r in df.to_dict("records")}
    assert got == {
        ("table", "access_log"): (register.TO_COMPLETE, T),
        ("table", "customers"): ("P1, P2, P4", S),
        ("table", "dsr_requests"): ("P5", S),
        ("table", "marketing_sends"): ("P4", S),
        ("table", "orders"): ("P1", S),
        ("table", "uploads"): ("PR1", S),
        ("marketing channel", "ad_platform"): ("P4", S),
        ("marketing channel", "email"): ("P4", S),
        ("marketing channel", "fax"): (register.TO_COMPLETE, T),
    }
    from gdpr_analytics.policy.history import load_history

    ev = load_history(None, default_policy_path().with_name("evidence.example.yml")).evidence
    df = register.data_map(policy, ev, tables, [])
    assert df.set_index("item").loc["access_log", ["declared_by", "state"]].tolist() == ["I1", "documented"]
    assert df.set_index("item").loc["orders", ["declared_by", "state"]].tolist() == ["P1, I2", S]


def test_a_field_stated_in_a_new_version_becomes_stated(tmp_path):
    d = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    d["activity_defaults"]["dpia"] = {"text": "DPIA of 2026-03-01, reference MS-7", "notice": "§11"}
    d["processors"][1]["contract"] = {"text": "Hosting agreement AWS-1", "notice": "§5"}
    path = tmp_path / "p.yml"
    path.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    df = register.completeness(load_policy(path)).set_index("field")
    assert list(df.loc["Data protection impact assessment", ["P1", "PR1"]]) == [S, S]
    # Infosys and TCS contracts are still not stated
    assert df.loc["Contracts with processors", "P1"] == T
    entry = register.entries(load_policy(path), load_policy(path).activity("P1"))["dpia"]
    assert entry == ("DPIA of 2026-03-01, reference MS-7 (§11)", S)
