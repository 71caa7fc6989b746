"""Every sentence of a page that states what the policy declares is rendered from the policy in force:
rendered with a policy that declares other processors, countries and retention, the pages name those
and not the old ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from notebook_runs import NAMES, check_executed, execute, visible_text
from scenario import load_scenario

from gdpr_analytics.core.assets import default_policy_path
from gdpr_analytics.policy import narrative
from gdpr_analytics.policy.model import load_policy

#: Facts of the MyStamp notice that must not appear when the policy declares others. Processor names are
#: matched case-sensitively: the scenario's access log names processors in lower case ("tcs"), as data.
OLD = ["Amazon Web Services", "Infosys", "Tata Consultancy", "TCS", "India", "Ireland", "3 years"]
NEW = ["Hetzner Online", "Wipro", "Cognizant", "Philippines (PH)", "5 years", "servers in DE"]


def other_policy(folder: Path) -> Path:
    """The MyStamp policy with other processors (Hetzner in Germany; Wipro and Cognizant from the
    Philippines) and a 5-year retention: every free text naming the old ones rewritten."""
    d = yaml.safe_load(default_policy_path().read_text(encoding="utf-8"))
    d["policy"]["version"] = "other-1"
    procs = {p["key"]: p for p in d["processors"]}
    procs["aws"].update(key="hetzner", name="Hetzner Online", service="Hosting (servers in Germany)", servers_in="DE",
                        contract={"not_stated": "The notice refers to no Art. 28 contract with Hetzner."})
    procs["infosys"].update(key="wipro", name="Wipro", service="Server management", access_from=["PH"],
                            countries=["EEA", "PH"], contract={"not_stated": "No Art. 28 contract with Wipro."})
    procs["tcs"].update(key="cognizant", name="Cognizant", service="Application maintenance", access_from=["PH"],
                        countries=["EEA", "PH"], contract={"not_stated": "No Art. 28 contract with Cognizant."})
    d["recipients_note"] = "§5: shared in particular with Hetzner Online, Wipro and Cognizant."
    d["transfers"] = [{"country": "PH", "country_name": "Philippines", "recipients": ["wipro", "cognizant"],
                       "how": "Wipro and Cognizant access the data from the Philippines",
                       "safeguards": {"text": "Standard contractual clauses", "notice": "§6"}, "notice": "§5, §6"}]
    for a in d["activities"]:
        a["recipients"] = ["hetzner", "wipro", "cognizant"]
    d["retention"].update(period_years=5)
    path = folder / "other.yml"
    path.write_text(yaml.safe_dump(d, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_policy(path)  # valid
    return path


def test_the_sentences_come_from_the_policy(tmp_path):
    policy = load_policy(other_policy(tmp_path))
    text = " ".join(" ".join(narrative.paragraphs(t, policy)) for t in narrative.TOPICS)
    # the processors beside bpost's own staff: a page listing four (with bpost) says so
    assert ("The privacy notice declares 3 processors besides bpost (own staff): Hetzner Online — Hosting (servers "
            "in Germany); servers in DE") in text
    # no nested parentheses: "Hetzner Online (Hosting (servers in Germany))", "(30 countries: ...)"
    assert "Hetzner Online, Hosting (servers in Germany): every action on infrastructure" in text
    assert "The EEA is 30 countries: the EU member states, Iceland, Liechtenstein and Norway." in text
    assert not re.search(r"\([^()]*\(", text), re.search(r".{40}\([^()]*\(.{40}", text)
    assert "Transfer outside the EEA declared: Philippines (PH), by Wipro and Cognizant (§5, §6)." in text
    assert "are erased 5 years after the last order (te tellen vanaf de laatste bestelling)" in text
    assert not [w for w in OLD if re.search(rf"\b{re.escape(w)}", text)]
    mine = " ".join(" ".join(narrative.paragraphs(t, load_policy())) for t in narrative.TOPICS)
    assert "Amazon Web Services" in mine and "India (IN)" in mine and "3 years" in mine


def test_sentences_are_escaped():
    out = narrative.to_html(["<script>alert(1)</script> & co"])
    assert out == '<p class="ga-policy">&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</p>'
    assert narrative.section_only("§5, §6 (transfers to India only, by Infosys and TCS)") == "§5, §6"


@pytest.mark.slow
def test_pages_name_what_the_policy_declares(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nb-other-policy")
    db = load_scenario(tmp)
    path = other_policy(tmp)
    texts = {}
    for name in NAMES:
        nb = execute(name, db, tmp, policy_path=str(path))
        check_executed(name, nb)
        texts[name] = visible_text(nb)
    everything = " ".join(texts.values())
    leaked = {w: [n for n, t in texts.items() if re.search(rf"\b{re.escape(w)}", t)] for w in OLD}
    assert not {w: n for w, n in leaked.items() if n}, "pages still state the old policy"
    for w in NEW:
        assert w in everything, w
    assert "Wipro" in texts["03_cross_border"] and "Philippines (PH)" in texts["03_cross_border"]
    assert "5 years" in texts["02_retention"]
    assert "Hetzner Online" in texts["01_records_of_processing"]
