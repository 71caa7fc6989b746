"""The controller's evidence file (--evidence): validated naming every problem, read into the history,
part of the month results' key, and shown by `policy check`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gdpr_analytics.core.assets import default_policy_path
from gdpr_analytics.core.errors import PolicyError, UsageError
from gdpr_analytics.policy.evidence import EvidenceInvalid, load_evidence
from gdpr_analytics.policy.history import load_history

EXAMPLE = default_policy_path().with_name("evidence.example.yml")
COMMAND = str(Path(sys.executable).with_name("gdpr-analytics"))


def _write(tmp_path, mutate):
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "evidence.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_example_is_valid_marked_example_and_gives_the_tia_tables():
    ev = load_evidence(EXAMPLE)
    assert ev.example is True
    tables = ev.tables()
    assert [(r[0], r[1], r[2], r[3].isoformat(), r[4]) for r in tables["evidence_tia"]] == [
        ("infosys", "IN", "EX-TIA-INF", "2026-07-01T00:00:00", 50000),
        ("tcs", "IN", "EX-TIA-TCS", "2027-09-01T00:00:00", 100000)]
    # 1 resource x 3 actions for infosys, 5 resources x 2 actions for tcs
    assert len(tables["evidence_tia_scope"]) == 3 + 10
    assert ("infosys", "IN", "infrastructure", "delete") in tables["evidence_tia_scope"]
    assert ("tcs", "IN", "customers", "export") not in tables["evidence_tia_scope"]


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["activity_defaults"]["dpia"].update(document="EX-NOPE"),
     "activity_defaults.dpia: document 'EX-NOPE' is not in documents"),
    (lambda d: d["activity_defaults"]["dpia"].pop("document"),
     "activity_defaults.dpia: every entry names its source document"),
    (lambda d: d["activities"]["P1"].update(shoe_size={"text": "x", "document": "EX-REG-01"}),
     "activities.P1.shoe_size: not a field an evidence file documents"),
    (lambda d: d["transfers"][0]["tia"].update(actions=["read", "steal"]),
     "transfers[0] (infosys|IN).tia.actions: a list of read, write, export, delete, admin, got ['read', 'steal']"),
    (lambda d: d["transfers"][0]["tia"].update(monthly_records=-1),
     "transfers[0] (infosys|IN).tia.monthly_records: a whole number >= 0, got -1"),
    (lambda d: d["transfers"][1]["tia"].pop("review_by"), "transfers[1] (tcs|IN).tia: review_by missing"),
    (lambda d: d["transfers"][1]["tia"].update(review_by="next year"),
     "transfers[1] (tcs|IN).tia.review_by: must be a date YYYY-MM-DD, got 'next year'"),
    (lambda d: d.pop("evidence"), "the file must be a mapping with an `evidence:` section"),
])
def test_an_invalid_evidence_file_is_rejected_naming_the_entry(tmp_path, mutate, message):
    with pytest.raises(EvidenceInvalid) as exc:
        load_evidence(_write(tmp_path, mutate))
    assert message in str(exc.value)


def test_an_activity_no_policy_version_declares_is_rejected(tmp_path):
    path = _write(tmp_path, lambda d: d["activities"].update(P9={"dpia": {"text": "x", "document": "EX-REG-01"}}))
    with pytest.raises(EvidenceInvalid, match="activities.P9: no version of the policy declares activity P9"):
        load_history(None, path)


def test_a_folder_or_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(UsageError, match="is a folder; --evidence takes one YAML file"):
        load_evidence(tmp_path)
    with pytest.raises(UsageError, match="no such file"):
        load_evidence(tmp_path / "none.yml")
    (tmp_path / "bad.yml").write_text("evidence: [", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_evidence(tmp_path / "bad.yml")


def test_evidence_is_part_of_the_month_results_key():
    from gdpr_analytics.analysis.context import MonthContext
    from gdpr_analytics.analysis.results import key_parts
    from gdpr_analytics.core.month import Month

    month = Month.parse("2026-10")
    plain = MonthContext.build(None, month, load_history(), read_data=False)
    with_ev = MonthContext.build(None, month, load_history(None, EXAMPLE), read_data=False)
    assert "evidence" not in key_parts("d", plain)
    assert key_parts("d", with_ev)["evidence"] == load_evidence(EXAMPLE).sha256


def test_policy_check_names_the_evidence_and_says_it_is_an_example():
    proc = subprocess.run([COMMAND, "policy", "check", "--evidence", str(EXAMPLE)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.splitlines()[-1]
    assert line.startswith(f"evidence {EXAMPLE.resolve()}: valid (14 documents, 2 transfers, 2 with a TIA, "
                           "2 internal activities) — a fictitious EXAMPLE")
    bad = subprocess.run([COMMAND, "policy", "check", "--evidence", "/nonexistent.yml"], capture_output=True, text=True)
    # a path that is not what the option needs is bad usage (status 2), said in our words
    assert bad.returncode == 2 and bad.stderr.startswith("gdpr-analytics: error: evidence /nonexistent.yml: no such file")
