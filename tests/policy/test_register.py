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
    assert list(df.columns) == ["field", "GDPR / register", "P1", "P2", "P3", "P4", "PR1"]
    cells = {r["field"]: [r["P1"], r["P2"], r["P3"], r["P4"], r["PR1"]] for r in df.to_dict("records")}
    assert cells == {
        # Art. 30(1)(a) §2 / Art. 30(2)(a): the customers, counted, with a contact route (§2, §3)
        "Name and contact details of the controller": [S, S, S, S, N],
        "Name and contact details of each controller on whose behalf the processor acts": [N, N, N, N, S],
        "Name and contact details of the processor": [N, N, N, N, S],
        # the Data Protection Office and its address (§9) are stated, a named officer is not
        "Data protection officer": [T, T, T, T, T],
        "Joint controllers": [T, T, T, T, N],
        "Representative of the controller or processor": [T, T, T, T, T],
        "Purposes of the processing": [S, S, S, S, N],
        "Categories of processing carried out on behalf of each controller": [N, N, N, N, S],
        "Categories of data subjects": [S, S, S, S, S],
        "Categories of personal data (fideslang key)": [S, S, S, S, S],
        "Categories of recipients": [S, S, S, S, S],
        "Transfers to third countries": [S, S, S, S, S],
        # §6 refers to the general privacy policy; the Art. 46 tool is not named
        "Safeguards for the transfers": [T, T, T, T, T],
        # §7 sets the customer's data and the photos; P2's third parties (derden) are not covered
        "Time limits for erasure, per data category": [S, T, S, S, S],
        "Technical and organisational security measures": [T, T, T, T, T],
        "Legal basis": [S, S, S, S, S],
        "Legitimate interests": [S, S, S, S, N],
        # §3's categories are none of Art. 9/10; whether the uploads reveal such data is not said
        "Special categories of personal data": [S, S, S, S, T],
        "Source of the personal data": [S, S, S, S, S],
        "Owner of the process": [T, T, T, T, T],
        "Profiling and automated decisions": [S, S, S, S, S],
        "Processors (sub-processors for PR1)": [S, S, S, S, S],
        "Contracts with processors": [T, T, T, T, T],
        "Data protection impact assessment": [T, T, T, T, T],
        "Data subject rights": [S, S, S, S, S],
        "Location of the personal data": [S, S, S, S, S],
        "Technology used": [S, S, S, S, S],
        "Vulnerable data subjects": [T, T, T, T, T],
        "Combination with other data": [T, T, T, T, T],
        "Classification level": [T, T, T, T, T],
        "Risks and mitigation measures": [T, T, T, T, T],
    }
    assert register.to_complete(policy) == 12 + 13 + 12 + 12 + 12


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
    assert entry == ("DPIA of 2026-03-01, reference MS-7 (§11)", True)
