"""`policy export --format fides`: a fideslang manifest that fideslang's own models validate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from fideslang.default_taxonomy import DEFAULT_TAXONOMY
from fideslang.models import Taxonomy
from fideslang.parse import load_manifests_into_taxonomy

from gdpr_analytics.core.errors import PolicyError
from gdpr_analytics.policy import fides as fides_export
from gdpr_analytics.policy.model import load_policy

COMMAND = str(Path(sys.executable).with_name("gdpr-analytics"))


@pytest.fixture(scope="module")
def policy():
    return load_policy()


@pytest.fixture(scope="module")
def doc(policy):
    return fides_export.manifest(policy)


def test_fideslang_models_validate_the_manifest(doc):
    taxonomy = load_manifests_into_taxonomy(doc)
    assert isinstance(taxonomy, Taxonomy)
    assert [o.fides_key for o in taxonomy.organization] == ["bpost"]
    assert [s.fides_key for s in taxonomy.system] == ["mystamp"]


def test_one_privacy_declaration_per_purpose_and_legal_basis(doc, policy):
    system = Taxonomy.model_validate(doc).system[0]
    # fideslang holds one legal basis per declaration: P1 and P2 rely on 6(1)(b) and 6(1)(f), so two each;
    # P5 and P6 state no basis and PR1's is the customer's: no basis exported
    keys = [(d.name.split(" — ")[0], d.legal_basis_for_processing) for d in system.privacy_declarations]
    assert keys == [("P1", "Contract"), ("P1", "Legitimate interests"), ("P2", "Contract"),
                    ("P2", "Legitimate interests"), ("P3", "Legitimate interests"), ("P4", "Legitimate interests"),
                    ("P5", None), ("P6", None), ("PR1", None)]
    decls = {d.name.split(" — ")[0]: d for d in system.privacy_declarations}
    assert {k: d.data_use for k, d in decls.items()} == {
        "P1": "essential.service", "P2": "essential.service.operations.support", "P3": "functional.service.improve",
        "P4": "marketing.communications", "P5": "essential.service.operations.support", "P6": "functional.storage",
        "PR1": "essential.service"}
    assert decls["P2"].data_subjects == ["customer", "prospect"]
    assert decls["PR1"].data_subjects == ["depicted_person"]
    assert decls["PR1"].data_categories == ["user.content.private.uploaded_media"]
    assert "user.contact.organization.vat_number" in decls["P1"].data_categories
    # processors are not third parties: only P4's advertising platforms are
    assert [k for k, d in decls.items() if d.data_shared_with_third_parties] == ["P4"]
    assert decls["P4"].third_parties == "Google; Facebook; Twitter; LinkedIn; Instagram"
    assert [p["key"] for p in doc["system"][0]["meta"]["processors"]] == ["bpost", "aws", "infosys", "tcs"]
    assert decls["P1"].retention_period.endswith("3 years after the last order (te tellen vanaf de laatste bestelling) (§7)")
    # an undetermined special category (the uploads of PR1) is not exported as false
    raw = {d["name"].split(" — ")[0]: d for d in doc["system"][0]["privacy_declarations"]}
    assert "processes_special_category_data" not in raw["PR1"] and raw["P1"]["processes_special_category_data"] is False
    assert any(t.startswith("privacy_declarations[PR1].processes_special_category_data: not stated")
               for t in doc["system"][0]["meta"]["to_complete"])


def test_every_key_resolves_in_fideslang_or_the_manifest(doc):
    default_cats = {c.fides_key for c in DEFAULT_TAXONOMY.data_category}
    default_subjects = {s.fides_key for s in DEFAULT_TAXONOMY.data_subject}
    default_uses = {u.fides_key for u in DEFAULT_TAXONOMY.data_use}
    ext_cats = {c["fides_key"]: c["parent_key"] for c in doc["data_category"]}
    ext_subjects = {s["fides_key"] for s in doc["data_subject"]}
    assert all(parent in default_cats for parent in ext_cats.values())
    for d in doc["system"][0]["privacy_declarations"]:
        assert d["data_use"] in default_uses
        assert all(c in default_cats or c in ext_cats for c in d["data_categories"])
        assert all(s in default_subjects or s in ext_subjects for s in d["data_subjects"])


def test_transfers_dpo_and_security_practices(doc):
    system = doc["system"][0]
    assert system["does_international_transfers"] is True
    assert system["meta"]["third_country_transfers"][0]["country"] == "IN"
    assert system["meta"]["third_country_transfers"][0]["recipients"] == ["infosys", "tcs"]
    assert system["meta"]["recipients_exhaustive"] is False
    assert system["dpo"].startswith("Data Protection Office: bpost, T.a.v. Data Protection Office")
    # the §9 identity check is an Art. 12(6) step of P5, not an Art. 32 measure
    assert system["data_security_practices"].startswith("General description: not stated in the privacy notice")
    assert "§9" not in system["data_security_practices"]
    assert system["responsibility"] == ["Controller", "Processor"]
    assert system["uses_profiling"] is False
    # what the notice leaves unsaid stays at fideslang's defaults and is listed, never invented
    todo = system["meta"]["to_complete"]
    # no joint controller in general (not applicable), but P4's advertising platforms are to complete
    assert any(t.startswith("system.joint_controller_info (P4): not stated in the privacy notice") for t in todo)
    assert not any(t.startswith("system.joint_controller_info: ") for t in todo)
    assert any(t.startswith("system.legal_basis_for_transfers:") for t in todo)
    assert "legal_basis_for_transfers" not in system and "joint_controller_info" not in system
    org = doc["organization"][0]
    assert org["controller"]["address"] == "Multitower, Anspachlaan 1 bus 1, 1000 Brussel, Belgium"


def test_a_manifest_fideslang_rejects_is_an_error(doc):
    bad = yaml.safe_load(yaml.safe_dump(doc))
    bad["system"][0]["privacy_declarations"][0]["legal_basis_for_processing"] = "Because we can"
    with pytest.raises(PolicyError, match="fideslang rejects the manifest"):
        fides_export.validate(bad)


def test_command_writes_a_manifest_fideslang_loads(tmp_path):
    out = tmp_path / "mystamp.fides.yml"
    proc = subprocess.run([COMMAND, "policy", "export", "--format", "fides", "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "fides manifest written" in proc.stderr
    loaded = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert load_manifests_into_taxonomy(loaded).system[0].name.startswith("MyStamp")
    stdout = subprocess.run([COMMAND, "policy", "export", "--format", "fides"], capture_output=True, text=True)
    assert stdout.returncode == 0 and yaml.safe_load(stdout.stdout) == loaded
