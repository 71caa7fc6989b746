"""The statistics queries (queries/ropa/, queries/*/stat_*.sql) on hand-made rows whose answers are known.

The rows are tests/scenario.py's (one small source for the month 2026-10, as_of 2026-11-01T00:00:00Z),
whose comments give the reasoning behind every expected number.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from scenario import CUSTOMER_EXTRA, MONTH, UPLOAD_EXTRA, load_scenario  # noqa: E402
from sources import context

from gdpr_analytics.sql import queries


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    from sources import connect

    c = connect(load_scenario(tmp_path_factory.mktemp("stats")))
    yield c
    c.close()


@pytest.fixture(scope="module")
def con_minimal(tmp_path_factory):
    """The scenario without its optional tables (uploads, marketing_sends, dsr_requests)."""
    from sources import connect

    c = connect(load_scenario(tmp_path_factory.mktemp("stats-min"),
                              without=("uploads", "marketing_sends", "dsr_requests")))
    yield c
    c.close()


PARAMS = {
    "period_start": MONTH.period_start, "as_of": MONTH.as_of, "retention_years": 3,
    "bulk_export_threshold": 1000, "trailing_start": MONTH.trailing(12)[0].period_start, "country": "IN",
}


def run(con, name, **overrides):
    return con.run(name, **{**PARAMS, **overrides})


def records(df, *cols):
    return [tuple(r) for r in df[list(cols)].itertuples(index=False, name=None)]


# -- queries/ropa ---------------------------------------------------------------------------------

def test_subjects_held_excludes_created_at_as_of_and_erased_one_second_before(con):
    # C4 is created exactly at as_of, C5 erased at 23:59:59 the last day, C6 erased in September.
    df = run(con, "ropa/subjects_held")
    assert records(df, "account_type", "customers_held") == [("consumer", 3), ("pro", 1)]


def test_uploads_held_by_kind(con):
    # U4 is erased; U1, U2, U3 are held, U1 and U3 show persons; customers C1, C3, C6.
    df = run(con, "ropa/uploads_held")
    assert records(df, "kind", "uploads_held", "depicting_persons", "customers") == [("photo", 3, 2, 3)]


def test_upload_controllers_counts_customers_holding_uploads(con):
    # Art. 30(2)(a): each customer with an upload held is a controller bpost acts for. U4 (C5) is erased;
    # U3 is held although its customer C6 is erased (RET-002), so C6 still counts: C1, C3, C6.
    df = run(con, "ropa/upload_controllers")
    assert records(df, "controllers", "uploads_held") == [(3, 3)]


def test_field_fill_counts_held_customers_only(con):
    df = run(con, "ropa/field_fill")
    fill = {(r.account_type, r.column_name): (r.held, r.filled) for r in df.itertuples()}
    assert len(fill) == 2 * 12
    assert fill[("consumer", "first_name")] == (3, 3)
    assert fill[("consumer", "phone")] == (3, 1)  # C1 only
    assert fill[("consumer", "street")] == (3, 1)
    assert fill[("consumer", "country_code")] == (3, 3)  # the loader's default BE in tests/sources.py
    assert fill[("consumer", "vat_number")] == (3, 1)  # C2: declared for Pro only
    assert fill[("consumer", "birth_date")] == (3, 3)
    assert fill[("pro", "vat_number")] == (1, 1)
    assert fill[("pro", "mobile")] == (1, 0)


def test_processors_seen_flags_what_the_policy_does_not_declare(con):
    df = run(con, "ropa/processors_seen")
    assert records(df, "processor", "source_country", "declared_processor", "declared_country",
                   "third_country", "events", "upload_events") == [
        ("acme", "US", False, False, True, 1, 1),
        ("aws", "IE", True, True, False, 1, 0),
        ("bpost", "BE", True, True, False, 1, 0),
        ("infosys", "IN", True, True, True, 1, 0),
        ("tcs", "IN", True, True, True, 2, 0),
        ("tcs", "US", True, False, True, 1, 0),
    ]


def test_extra_columns_come_from_the_loader(con):
    df = run(con, "ropa/extra_columns")
    assert records(df, "table_name", "column_name", "non_null") == [
        ("customers", CUSTOMER_EXTRA, 2), ("uploads", UPLOAD_EXTRA, 1)]


# -- queries/retention ----------------------------------------------------------------------------

TREND = {
    # month: (customers past deadline, accounts without orders, uploads past deadline)
    # C5 (deadline 2025-01-01) and C6 (2025-06-01) until erased; C1 from the end of 2026-06.
    # Without orders: C7 (created 2022-01-01, never ordered), and C3 (created 2022-05-01) until its
    # first order on 2026-10-10. U3 (C6) all year; U4 (C5) until erased on 2026-10-31; U1 (C1) from
    # the end of 2026-06. The last point equals RET-001 (C1), RET-003 (C7) and RET-002 (U1, U3).
    "2025-11": (2, 2, 2), "2025-12": (2, 2, 2), "2026-01": (2, 2, 2), "2026-02": (2, 2, 2),
    "2026-03": (2, 2, 2), "2026-04": (2, 2, 2), "2026-05": (2, 2, 2), "2026-06": (3, 2, 3),
    "2026-07": (3, 2, 3), "2026-08": (3, 2, 3), "2026-09": (2, 2, 3), "2026-10": (1, 1, 2),
}


def test_past_deadline_trend_has_twelve_month_ends_with_known_values(con):
    df = run(con, "retention/stat_past_deadline_trend")
    assert list(df["month_end"]) == [datetime(2025, 12, 1)] + [datetime(2026, m, 1) for m in range(1, 12)]
    got = {r.month: (r.customers_past_deadline, r.accounts_without_orders_past_period, r.uploads_past_deadline)
           for r in df.itertuples()}
    assert got == TREND


def test_past_deadline_trend_last_point_matches_the_rules(con):
    from gdpr_analytics.analysis.rules import evaluate

    f = evaluate(con, context(con, MONTH.label)).findings
    last = run(con, "retention/stat_past_deadline_trend").iloc[-1]
    assert last["customers_past_deadline"] == (f["rule_id"] == "RET-001").sum()
    assert last["accounts_without_orders_past_period"] == (f["rule_id"] == "RET-003").sum()
    assert last["uploads_past_deadline"] == (f["rule_id"] == "RET-002").sum()


def test_past_deadline_trend_without_uploads_is_null_not_zero(con_minimal):
    df = run(con_minimal, "retention/stat_past_deadline_trend")
    assert df["uploads_past_deadline"].isna().all()
    assert list(df["customers_past_deadline"])[-1] == 1


def test_overdue_age_in_days(con):
    # C1: 2026-06-15T10:00 -> 2026-11-01 = 139 calendar days; U1 the same deadline;
    # U3: its customer C6's deadline 2025-06-01 came before C6's erasure -> 518 days.
    df = run(con, "retention/stat_overdue_age")
    assert records(df, "subject_type", "subject_id", "days_past_deadline") == [
        ("customer", "C1", 139), ("upload", "U3", 518), ("upload", "U1", 139)]


def test_overdue_age_matches_the_rule_deadlines(con):
    from gdpr_analytics.analysis.rules import evaluate

    f = evaluate(con, context(con, MONTH.label)).findings
    ret = f[f["rule_id"].isin(["RET-001", "RET-002"])]
    df = run(con, "retention/stat_overdue_age")
    assert sorted(zip(df["subject_id"], df["deadline"])) == sorted(zip(ret["subject_id"], ret["occurred_at"]))


def test_erased_columns_still_filled(con):
    # erased before as_of: C5 (first_name left) and C6 (clean)
    df = run(con, "retention/stat_erased_columns_filled")
    assert df.iloc[0].to_dict() == {"column_name": "first_name", "erased_customers": 2, "still_filled": 1}
    assert df["still_filled"].sum() == 1 and len(df) == 11


def test_access_after_erasure(con):
    # E07: bpost read customers of C6 on 2026-10-05, 34 days after the erasure on 2026-09-01
    df = run(con, "retention/stat_access_after_erasure")
    assert records(df, "processor", "resource", "action", "events", "customers", "max_days_after_erasure") == [
        ("bpost", "customers", "read", 1, 1, 34)]


# -- queries/cross_border -------------------------------------------------------------------------

def test_country_trend_for_india_covers_twelve_months_per_processor(con):
    df = run(con, "cross_border/stat_country_trend")
    assert len(df) == 12 * 2  # infosys, tcs seen from IN in the window (E10 is just before it)
    got = {(r.month, r.processor): (r.events, r.actors, r.customers, r.records) for r in df.itertuples()}
    assert got[("2026-10", "tcs")] == (2, 2, 1, 5001)
    assert got[("2026-10", "infosys")] == (1, 1, 0, 0)
    assert got[("2026-09", "tcs")] == (1, 1, 0, 2)
    assert got[("2025-11", "infosys")] == (1, 1, 0, 4)
    assert got[("2025-11", "tcs")] == (0, 0, 0, 0)
    assert sum(v[0] for v in got.values()) == 5


def test_third_country_share(con):
    df = run(con, "cross_border/stat_third_country_share")
    got = {r.month: (r.events, r.third_country_events, r.third_country_pct) for r in df.itertuples()}
    assert len(got) == 12
    assert got["2026-10"] == (7, 5, 71.4)  # E01-E07; E04 (IE) and E07 (BE) are in the EEA
    assert got["2026-09"] == (1, 1, 100.0)
    assert got["2026-03"][0] == 0 and got["2026-03"][2] != got["2026-03"][2]  # no events: share is NULL


def test_resource_action(con):
    df = run(con, "cross_border/stat_resource_action")
    got = {(r.resource, r.action): (r.events, r.third_country_events) for r in df.itertuples()}
    assert got == {("customers", "read"): (2, 1), ("customers", "export"): (1, 1),
                   ("infrastructure", "admin"): (1, 1), ("infrastructure", "read"): (1, 0),
                   ("uploads", "read"): (1, 1), ("orders", "read"): (1, 1)}


def test_hour_of_day_in_the_accessing_country_time_zone(con):
    df = run(con, "cross_border/stat_hour_of_day")
    india = df[df["source_country"] == "IN"]
    # 2026-10-01T03:30Z in Asia/Kolkata (UTC+05:30) is 09:00; 10:00Z -> 15:30; 12:00Z -> 17:30
    assert records(india, "time_zone", "local_hour", "events") == [
        ("Asia/Kolkata", 9, 1), ("Asia/Kolkata", 15, 1), ("Asia/Kolkata", 17, 1)]
    # Brussels is UTC+2 on 2026-10-05 (summer time); New York UTC-4
    assert records(df[df["source_country"] == "BE"], "local_hour") == [(11,)]
    assert sorted(records(df[df["source_country"] == "US"], "time_zone", "local_hour")) == [
        ("America/New_York", 10), ("America/New_York", 11)]


def test_exports_above_threshold(con):
    df = run(con, "cross_border/stat_exports")
    assert records(df, "processor", "source_country", "third_country", "exports", "records", "above_threshold") == [
        ("tcs", "IN", True, 1, 5000, 1)]
    assert run(con, "cross_border/stat_exports", bulk_export_threshold=5000)["above_threshold"].tolist() == [0]


def test_ticket_coverage(con):
    df = run(con, "cross_border/stat_ticket_coverage")
    got = {(r.processor, r.source_country): (r.events, r.without_ticket) for r in df.itertuples()}
    # tests/sources.py defaults ticket_id to CHG1; E02 and E05 have none
    assert got == {("tcs", "IN"): (2, 1), ("acme", "US"): (1, 1), ("infosys", "IN"): (1, 0),
                   ("tcs", "US"): (1, 0), ("aws", "IE"): (1, 0), ("bpost", "BE"): (1, 0)}


def test_transfers_per_processor_and_country_outside_the_eea(con):
    df = run(con, "cross_border/stat_transfers")
    # October from outside the EEA: E01, E02 (tcs, IN), E03 (infosys, IN), E05 (acme, US), E06 (tcs, US);
    # E04 (IE) and E07 (BE) are EEA, E08-E10 other months. tcs: E02 exports 5000 records (above 1000,
    # and outside its declared read/write); acme is undeclared: its scope is not judged (NULL)
    assert records(df, "processor", "country", "events", "actors", "customers", "records", "resources_actions",
                   "with_ticket", "ticket_pct", "bulk_exports") == [
        ("acme", "US", 1, 1, 0, 3, "uploads read", 0, 0.0, 0),
        ("infosys", "IN", 1, 1, 0, 0, "infrastructure admin", 1, 100.0, 0),
        ("tcs", "IN", 2, 2, 1, 5001, "customers export, customers read", 1, 50.0, 1),
        ("tcs", "US", 1, 1, 0, 7, "orders read", 1, 100.0, 0)]
    assert [None if pd.isna(v) else int(v) for v in df["out_of_scope"].tolist()] == [None, 0, 1, 0]
    assert records(df[df["processor"] == "tcs"], "first_seen", "last_seen") == [
        (datetime(2026, 10, 1, 3, 30), datetime(2026, 10, 2, 10)), (datetime(2026, 10, 6, 15), datetime(2026, 10, 6, 15))]
    assert run(con, "cross_border/stat_transfers", bulk_export_threshold=5000)["bulk_exports"].tolist() == [0] * 4


# -- queries/rights and queries/marketing ---------------------------------------------------------

def test_dsr_by_right(con):
    df = run(con, "rights/stat_dsr_by_right")
    got = {r.right: (r.received_in_month, r.closed_in_month, r.median_days_to_close, r.closed_late,
                     r.open_at_end, r.open_overdue) for r in df.itertuples()}
    assert got["access"] == (1, 1, 25, 0, 1, 0)  # R4 received, R1 closed in 25 days on time
    assert got["erasure"][1:4] == (1, 42, 1)  # R2: deadline 2026-09-20, closed 2026-10-01
    assert got["portability"][1:4] == (1, 111, 1)  # R5 extended: deadline 2026-10-01, closed 2026-10-20
    assert got["objection"][4:] == (1, 1)  # R3 open, deadline 2026-10-15 passed


def test_dsr_closed_and_open(con):
    closed = run(con, "rights/stat_dsr_closed")
    assert records(closed, "request_id", "days_to_close", "late") == [
        ("R2", 42, True), ("R1", 25, False), ("R5", 111, True)]
    open_ = run(con, "rights/stat_dsr_open")
    assert records(open_, "request_id", "age_days", "overdue") == [("R3", 47, True), ("R4", 12, False)]


def test_sends_by_channel(con):
    df = run(con, "marketing/stat_sends_by_channel")
    got = {r.channel: (r.sends, r.customers, r.personalised, r.after_objection, r.to_erased_customer)
           for r in df.itertuples()}
    # S4 is sent at the very second C5 was erased (erased_at <= sent_at, as MKT-003)
    assert got == {"email": (2, 2, 1, 0, 0), "post": (2, 2, 0, 1, 1)}


def test_objections_trend(con):
    df = run(con, "marketing/stat_objections_trend")
    got = {r.month: (r.objections, r.sends, r.sends_after_objection) for r in df.itertuples()}
    assert len(got) == 12
    assert got["2026-10"] == (1, 4, 1) and got["2026-09"] == (0, 1, 0) and got["2026-01"] == (0, 0, 0)


# -- every query file of this test's domains is run here ------------------------------------------

MINE = ("ropa/", "retention/stat_", "cross_border/stat_", "rights/stat_", "marketing/stat_")


def test_every_statistics_query_is_covered_by_a_test_here():
    import inspect
    import sys

    source = inspect.getsource(sys.modules[__name__])
    names = [n for n in queries.all_queries() if n.startswith(MINE)]
    assert names, "no statistics queries found"
    missing = [n for n in names if f'"{n}"' not in source]
    assert not missing, f"statistics queries without a test: {missing}"


@pytest.mark.parametrize("name", sorted(n for n in queries.all_queries() if n.startswith(MINE)))
def test_statistics_query_runs_without_optional_tables(con_minimal, name):
    q = queries.get(name)
    df = run(con_minimal, name)
    if not set(q.requires) & {"uploads", "marketing_sends", "dsr_requests"}:
        return
    assert df.empty or name == "marketing/stat_objections_trend"
