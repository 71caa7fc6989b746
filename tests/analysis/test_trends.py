"""The 12-month trends read spans and roll-ups instead of every row: on the sample, each point equals
what the rules, or a plain count over the events, give for that month."""

from __future__ import annotations

import pytest
from sources import connect, context

from gdpr_analytics.analysis import rules
from gdpr_analytics.core.month import Month

MONTHS = ["2025-11", "2026-02", "2026-10"]


@pytest.fixture(scope="module")
def engine(sample_db):
    e = connect(sample_db)
    yield e
    e.close()


@pytest.mark.parametrize("label", MONTHS)
def test_retention_trend_equals_the_rules_at_every_month_end(engine, label):
    month = Month.parse(label)
    trend = engine.run("retention/stat_past_deadline_trend", as_of=month.as_of, retention_years=3)
    assert trend["month"].tolist() == [m.label for m in month.trailing(12)]
    for m, row in zip(month.trailing(12), trend.itertuples()):
        found = rules.evaluate(engine, context(engine, m.label)).findings["rule_id"].value_counts()
        assert (row.customers_past_deadline, row.accounts_without_orders_past_period, row.uploads_past_deadline) == (
            found.get("RET-001", 0), found.get("RET-003", 0), found.get("RET-002", 0)), m.label


def test_the_sample_has_a_retention_backlog_to_trend(engine):
    trend = engine.run("retention/stat_past_deadline_trend", as_of=Month.parse("2026-10").as_of, retention_years=3)
    assert trend["customers_past_deadline"].min() > 0 and trend["uploads_past_deadline"].min() > 0


@pytest.mark.parametrize("label", MONTHS)
def test_country_trend_and_third_country_share_equal_a_count_over_the_events(engine, label):
    month = Month.parse(label)
    start = month.trailing(12)[0].period_start
    trend = engine.run("cross_border/stat_country_trend", trailing_start=start, as_of=month.as_of, country="IN")
    raw = engine.query("""
        SELECT strftime(date_trunc('month', occurred_at), '%Y-%m') AS month, processor, count(*) AS events,
               count(DISTINCT actor_id) AS actors, count(DISTINCT customer_id) AS customers,
               sum(record_count) AS records
        FROM access_log WHERE occurred_at >= $s AND occurred_at < $e AND source_country = 'IN'
        GROUP BY ALL""", {"s": start, "e": month.as_of})
    got = {(r.month, r.processor): (r.events, r.actors, r.customers, r.records) for r in trend.itertuples() if r.events}
    assert got == {(r.month, r.processor): (r.events, r.actors, r.customers, r.records) for r in raw.itertuples()}
    assert len(trend) == 12 * trend["processor"].nunique()

    share = engine.run("cross_border/stat_third_country_share", trailing_start=start, as_of=month.as_of)
    raw = engine.query("""
        SELECT strftime(m.m, '%Y-%m') AS month, count(a.event_id) AS events,
               count(a.event_id) FILTER (WHERE a.source_country NOT IN (SELECT country FROM policy_eea)) AS third
        FROM generate_series($s, $e - INTERVAL 1 MONTH, INTERVAL 1 MONTH) AS m(m)
        LEFT JOIN access_log AS a ON a.occurred_at >= m.m AND a.occurred_at < m.m + INTERVAL 1 MONTH
        GROUP BY ALL ORDER BY 1""", {"s": start, "e": month.as_of})
    assert share[["month", "events", "third_country_events"]].values.tolist() == raw.values.tolist()
