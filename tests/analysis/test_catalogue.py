"""The rule catalogue, read from the query headers."""

import pytest

from gdpr_analytics.analysis import rules


def test_the_sixteen_rules_of_the_catalogue_by_severity():
    by = {s: [r.rule_id for r in rules.CATALOGUE if r.severity == s] for s in rules.SEVERITIES}
    assert by == {"high": ["DSR-001", "MKT-001", "MKT-003", "RET-001", "RET-002", "RET-004", "RET-005", "XB-001",
                           "XB-002"],
                  "medium": ["MKT-002", "XB-003", "XB-004", "XB-006"],
                  "low": ["MIN-001", "RET-003", "XB-005"]}


def test_an_unknown_rule_names_the_rules():
    with pytest.raises(KeyError, match=r"no rule 'XB-999'; the rules are DSR-001, MIN-001, MKT-001, MKT-002, "
                                       r"MKT-003, RET-001, RET-002, RET-003, RET-004, RET-005, XB-001, XB-002, "
                                       r"XB-003, XB-004, XB-005, XB-006\""):
        rules.rule("XB-999")
