"""Every query file: a complete header, parameters declared as used, and it prepares on the schema."""

import pytest
from sources import evaluate_source, write_source

from gdpr_analytics.analysis.context import MonthContext
from gdpr_analytics.analysis.rules import CATALOGUE
from gdpr_analytics.core.month import Month
from gdpr_analytics.core.parameters import Parameters
from gdpr_analytics.policy.history import load_history
from gdpr_analytics.sql import queries

ALL = sorted(queries.all_queries())


def test_the_catalogue_has_the_sixteen_rules_of_the_spec():
    assert [(r.rule_id, r.severity, r.subject_type) for r in CATALOGUE] == [
        ("DSR-001", "high", "request"),
        ("MIN-001", "low", "customer"),
        ("MKT-001", "high", "send"), ("MKT-002", "medium", "send"), ("MKT-003", "high", "send"),
        ("RET-001", "high", "customer"), ("RET-002", "high", "upload"), ("RET-003", "low", "customer"),
        ("RET-004", "high", "customer"), ("RET-005", "high", "access_event"),
        ("XB-001", "high", "access_event"), ("XB-002", "high", "access_event"),
        ("XB-003", "medium", "access_event"), ("XB-004", "medium", "access_event"),
        ("XB-005", "low", "access_event"), ("XB-006", "medium", "transfer"),
    ]


@pytest.mark.parametrize("name", ALL)
def test_header_is_complete_and_params_match_the_sql(name):
    q = queries.get(name)
    for key in queries.REQUIRED_HEADER:
        assert q.meta.get(key), f"{q.path}: header lacks '-- {key}:'"
    assert q.meta["name"] == name
    assert set(q.params) == q.used_params, f"{q.path}: declared {q.params}, used {sorted(q.used_params)}"
    assert q.meta["notice"].startswith("§") and "Art." in q.meta["gdpr"]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    from sources import connect

    from gdpr_analytics.ingest.load import load_to_file

    tmp = tmp_path_factory.mktemp("schema")
    src = write_source(tmp / "src", uploads=[], marketing_sends=[], dsr_requests=[])
    load_to_file(src, tmp / "db.duckdb", show=False)
    c = connect(tmp / "db.duckdb")
    c.register_access([])  # the tables an access pack registers (queries/access/)
    yield c
    c.close()


@pytest.mark.parametrize("name", ALL)
def test_every_query_prepares_on_the_schema(con, name):
    q = queries.get(name)
    con.con.execute("PREPARE q AS " + q.sql.strip().rstrip(";"))
    con.con.execute("DEALLOCATE q")
    history, month = load_history(), Month.parse("2026-10")
    bound = MonthContext(month, history, history.at_month_end(month), Parameters(), None).query_parameters()
    if set(q.params) <= set(bound):  # the rule queries and month statistics also run on the empty schema
        con.con.execute(q.sql, queries.bind(q, bound)).fetchall()


def test_values_are_bound_not_formatted(tmp_path):
    # A processor name that would break a formatted-in query is just data.
    src = write_source(tmp_path / "s", access_log=[{"occurred_at": "2026-10-02T00:00:00",
                                                    "processor": "x'); DROP TABLE customers; --"}])
    result = evaluate_source(src, "2026-10")
    assert list(result.findings.rule_id) == ["XB-001"]
