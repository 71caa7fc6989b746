"""cross_border.csv (analysis.statistics.cross_border): the month's events grouped, counted by hand."""

from sources import connect, context, write_source

from gdpr_analytics.analysis.results import month_results
from gdpr_analytics.analysis.statistics import cross_border
from gdpr_analytics.core.csvfile import csv_text
from gdpr_analytics.ingest.load import load_to_file


def test_cross_border_groups_counts_and_flags_third_countries(tmp_path):
    src = write_source(tmp_path / "s", access_log=[
        {"occurred_at": "2026-10-01T00:00:00", "processor": "tcs", "actor_id": "T1", "source_country": "IN",
         "resource": "orders", "action": "read", "customer_id": "C1", "record_count": "1"},
        {"occurred_at": "2026-10-02T00:00:00", "processor": "tcs", "actor_id": "T1", "source_country": "IN",
         "resource": "orders", "action": "read", "customer_id": "C1", "record_count": "1"},
        {"occurred_at": "2026-10-03T00:00:00", "processor": "tcs", "actor_id": "T2", "source_country": "IN",
         "resource": "orders", "action": "read", "customer_id": None, "record_count": "500"},
        {"occurred_at": "2026-10-31T23:59:59", "processor": "aws", "actor_id": "svc", "source_country": "IE",
         "resource": "infrastructure", "action": "admin", "record_count": "0"},
        {"occurred_at": "2026-11-01T00:00:00", "processor": "tcs", "actor_id": "T3", "source_country": "IN",
         "resource": "orders", "action": "read", "record_count": "9"},  # next month
        {"occurred_at": "2026-09-30T23:59:59", "processor": "tcs", "actor_id": "T3", "source_country": "IN",
         "resource": "orders", "action": "read", "record_count": "9"},  # previous month
    ])
    load_to_file(src, tmp_path / "db.duckdb", show=False)
    with connect(tmp_path / "db.duckdb") as engine:
        res = month_results(engine, context(engine, "2026-10"))
    df = cross_border(res)
    assert csv_text(df) == (
        "processor,source_country,resource,action,third_country,events,actors,customers,records\n"
        "aws,IE,infrastructure,admin,false,1,1,0,0\n"
        "tcs,IN,orders,read,true,3,2,1,502\n"
    )
