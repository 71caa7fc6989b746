"""The policy file: complete, citing the notice, fideslang keys valid offline, bad files rejected."""

import pytest
import yaml
from fideslang.default_taxonomy import DEFAULT_TAXONOMY

from gdpr_analytics.core.errors import PolicyError
from gdpr_analytics.policy.model import load_policy


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def test_every_data_category_key_is_in_fideslang_or_a_declared_extension(policy):
    default = {c.fides_key for c in DEFAULT_TAXONOMY.data_category}
    extensions = {e["fides_key"]: e["parent_key"] for e in policy.data["taxonomy_extensions"]}
    assert all(parent in default for parent in extensions.values())
    keys = [c["fides_key"] for c in policy.data["data_categories"]]
    assert all(k in default or k in extensions for k in keys)
    # the notice's categories (§2, §3) are all there
    assert {c["key"] for c in policy.data["data_categories"]} >= {
        "first_name", "last_name", "address", "email", "birth_date", "gender", "phone", "mobile", "vat_number"}
    assert {a["fides_data_use"] for a in policy.data["activities"]} <= {u.fides_key for u in DEFAULT_TAXONOMY.data_use}


def test_declares_what_the_notice_says(policy):
    d = policy.data
    assert d["controller"]["vat_number"] == "BE 0214.596.464"
    assert [a["id"] for a in d["activities"]] == ["P1", "P2", "P3", "P4", "P5", "P6", "PR1"]
    # P4's ad platforms (§3), the tables each activity covers
    assert d["activities"][3]["other_recipients"] == ["google", "facebook", "twitter", "linkedin", "instagram"]
    assert {a["id"]: a.get("tables", []) for a in d["activities"]} == {
        "P1": ["customers", "orders"], "P2": ["customers"], "P3": [], "P4": ["customers", "marketing_sends"],
        "P5": ["dsr_requests"], "P6": [], "PR1": ["uploads"]}
    assert [a["role"] for a in d["activities"]].count("processor") == 1
    assert d["retention"]["period_years"] == 3 and policy.retention_years == 3
    assert d["profiling"] == {"profiling": False, "personalised_advertising": False,
                              "automated_decisions": False, "notice": "§4"}
    assert [(t["country"], t["recipients"]) for t in d["transfers"]] == [("IN", ["infosys", "tcs"])]
    assert len(policy.eea) == 30 and "NO" in policy.eea and "CH" not in policy.eea


def test_processor_scope_table_of_the_spec(policy):
    countries = set(policy.processor_countries())
    assert ("infosys", "IN") in countries and ("tcs", "IN") in countries
    assert ("aws", "IN") not in countries and ("bpost", "IN") not in countries
    scope = set(policy.processor_scope())
    assert len([s for s in scope if s[0] == "bpost"]) == 6 * 5
    assert {s for s in scope if s[0] == "aws"} == {("aws", "infrastructure", a)
                                                    for a in ("read", "write", "export", "delete", "admin")}
    assert {s for s in scope if s[0] == "tcs"} == {("tcs", r, a) for r in
                                                    ("customers", "orders", "uploads", "requests", "marketing")
                                                    for a in ("read", "write")}


def test_every_entry_cites_the_notice(policy):
    d = policy.data
    for section in ("data_categories", "data_subjects", "activities", "processors", "transfers",
                    "taxonomy_extensions"):
        for entry in d[section]:
            assert entry["notice"].startswith("§"), (section, entry)


def _broken(tmp_path, mutate):
    data = yaml.safe_load(load_policy().path.read_text())
    mutate(data)
    path = tmp_path / "p.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["data_categories"][1].update(fides_key="user.name.nickname"),
     "data_categories[1] (last_name): fides_key 'user.name.nickname' is neither in fideslang"),
    (lambda d: d["processors"][3].pop("notice"), "processors[3] (tcs): missing 'notice'"),
    (lambda d: d["processors"][2]["scope"][0].update(resource="servers"),
     "processors[2] (infosys).scope[0]: unknown resource 'servers'"),
    (lambda d: d["activities"][0]["data_categories"].append("shoe_size"),
     "activities[0] (P1): unknown data category 'shoe_size'"),
    (lambda d: d["transfers"][0]["recipients"].append("wipro"),
     "transfers[0] (IN): recipient 'wipro' is not a declared processor"),
    (lambda d: d.pop("retention"), "retention: section missing"),
    (lambda d: d["taxonomy_extensions"][0].update(parent_key="user.phone"),
     "taxonomy_extensions[0] (user.contact.phone_number.mobile): parent_key 'user.phone' is not a fideslang"),
    (lambda d: d["activities"][1]["recipients"].append("wipro"),
     "activities[1] (P2): recipient 'wipro' is not a declared processor"),
    (lambda d: d["data_subjects"][2].update(fides_key="alien"),
     "data_subjects[2] (third_party): fides_key 'alien' is neither a fideslang data subject nor declared"),
    (lambda d: d["activities"][0].update(fides_legal_basis="Because"),
     "activities[0] (P1): fides_legal_basis 'Because' is not one of fideslang's: Consent, Contract"),
    (lambda d: d["activities"][0].update(fides_data_use="selling"),
     "activities[0] (P1): fides_data_use 'selling' is not a fideslang data use"),
    (lambda d: d.update(representative={"text": "Someone"}),
     "representative: a stated 'text' needs the 'notice' section (§) that states it"),
    (lambda d: d.update(joint_controllers={"maybe": "x"}),
     "joint_controllers: unknown key maybe (a statement has text, notice, not_stated, not_applicable)"),
    (lambda d: d["security_measures"].pop("general_description"),
     "security_measures: missing 'general_description'"),
    (lambda d: d["processors"][1].update(contract={"not_stated": ""}),
     "processors[1] (aws).contract: 'not_stated' must be non-empty text"),
    (lambda d: d["policy"].update(effective_from="1 October 2026"),
     "policy.effective_from: must be a date YYYY-MM-DD, got '1 October 2026'"),
    (lambda d: d["profiling"].update(personalised_advertising="no"),
     "profiling: 'personalised_advertising' must be true or false"),
])
def test_invalid_policy_is_rejected_naming_the_entry(tmp_path, mutate, message):
    with pytest.raises(PolicyError) as err:
        load_policy(_broken(tmp_path, mutate))
    assert message in str(err.value)


def test_every_problem_is_reported_at_once(tmp_path):
    from gdpr_analytics.policy.validation import PolicyInvalid

    def two(d):
        d["activities"][0]["data_categories"].append("shoe_size")
        d["transfers"][0]["recipients"].append("wipro")

    with pytest.raises(PolicyInvalid) as err:
        load_policy(_broken(tmp_path, two))
    assert err.value.problems == ["activities[0] (P1): unknown data category 'shoe_size'",
                                  "transfers[0] (IN): recipient 'wipro' is not a declared processor"]
    assert "(and 1 more problem: gdpr-analytics policy check lists them)" in str(err.value)


def test_silences_are_data_not_omissions(policy):
    d = policy.data
    # Art. 27 does not apply to a controller established in the Union; the notice names no joint controller
    for section in ("representative", "joint_controllers"):
        assert d[section]["not_applicable"] and "not_stated" not in d[section]
    assert d["activities"][3]["joint_controllers"]["not_stated"].startswith("Advertising on the platforms of §3")
    assert d["security_measures"]["general_description"]["not_stated"]
    # the §9 identity check is an Art. 12(6) step, described with P5, not an Art. 32 measure
    assert "stated" not in d["security_measures"]
    assert "identity" in d["activities"][4]["purpose"] and d["activities"][4]["notice"] == "§3, §8, §9"
    for key in ("process_owner", "dpia", "vulnerable_subjects"):
        assert d["activity_defaults"][key]["not_stated"]
    assert all(p["contract"]["not_stated"] for p in d["processors"] if p["role"] == "processor")
    assert d["transfers"][0]["mechanism"]["not_stated"]
    assert "standard contractual clauses" not in str(d["transfers"][0]["safeguards"]).lower()
    assert not any("location" in p for p in d["processors"])  # Infosys and TCS access *from* India
    assert d["recipients_exhaustive"] is False
