"""Never a false "clean": the coverage ledger of days (analysis/ledger.py), worked out by hand, on both
engines.

The source: the access log from Tuesday 2026-09-01 to Saturday 2026-10-31 (1 October 2026 is a Thursday).
- tcs: 20 events every weekday, none at weekends; none on Tuesday 13 and Wednesday 14 October (the same
  weekdays of the four weeks before held 20 each: median 20 -> missing), 3 on Tuesday 20 October (median
  of 13 Oct = 0, 6 Oct, 29 Sep, 22 Sep = 20 -> 20; 3 < 20% of 20 = 4 -> thin), 4 on Wednesday 21 October
  (4 is not below 4 -> not thin). Its empty weekends follow empty weekends: median 0, never flagged.
- infosys: 9 events every day, none on 15 October: a median of 9 is below 10, never flagged.
- bpost: 15 events every day, none on 8 and 9 October, which source.yml declares (log shipper down).
The log as a whole never falls below 20% of its median (on 13 October: 24 events, expected 44)."""

from __future__ import annotations

import pytest
from gaps import write_gap_source

from gdpr_analytics.analysis import ledger
from gdpr_analytics.analysis.context import MonthContext
from gdpr_analytics.core.month import Month
from gdpr_analytics.policy.history import load_history


@pytest.fixture(scope="module")
def gap_source(tmp_path_factory):
    return write_gap_source(tmp_path_factory.mktemp("gaps") / "src")


def month_ledger(folder, month: str, engine_name: str):
    history = load_history()
    if engine_name == "spark":
        from gdpr_analytics.engines.spark.engine import SparkEngine
        from gdpr_analytics.engines.spark.session import local_session

        engine = SparkEngine(folder, history, spark=local_session())
    else:
        from sources import connect

        from gdpr_analytics.ingest.load import load_to_file

        db = folder.parent / "gaps.duckdb"
        load_to_file(folder, db, show=False)
        engine = connect(db, history)
    with engine:
        ctx = MonthContext.build(engine, Month.parse(month), history)
        return ledger.month_ledger(engine, ctx), ctx


@pytest.mark.parametrize("engine_name", ["duckdb", "spark"])
def test_missing_thin_declared_and_quiet_days_by_hand(gap_source, engine_name, request):
    if engine_name == "spark":
        request.getfixturevalue("spark")
    df, ctx = month_ledger(gap_source, "2026-10", engine_name)
    at = {(m, d.strftime("%m-%d")): (int(n), e, s) for m, d, n, e, s in
          zip(df["member"], df["day"], df["events"], df["expected"], df["state"])}
    assert at[("tcs", "10-13")] == (0, 20.0, "missing")
    assert at[("tcs", "10-14")] == (0, 20.0, "missing")
    assert at[("tcs", "10-20")] == (3, 20.0, "thin")
    assert at[("tcs", "10-21")] == (4, 20.0, "ok")  # 4 is not below 20% of 20
    assert at[("tcs", "10-27")] == (20, 11.5, "ok")  # median of 3, 0, 20, 20
    assert at[("tcs", "10-03")] == (0, 0.0, "ok")  # a Saturday after empty Saturdays
    assert at[("infosys", "10-15")] == (0, 9.0, "ok")  # a median of 9: never flagged
    assert at[("bpost", "10-08")][2] == at[("bpost", "10-09")][2] == "declared"
    assert at[("(all)", "10-13")] == (24, 44.0, "ok")
    # the first days of September have fewer than four weeks before them: only the weeks in the log count
    suspect = sorted((m, d) for (m, d), (_, _, s) in at.items() if s in ledger.SUSPECT)
    assert suspect == [("tcs", "10-13"), ("tcs", "10-14"), ("tcs", "10-20")]
    assert len(df) == 31 * 4  # every day of October for tcs, infosys, bpost and the log as a whole
    gaps = ledger.assessed_with_gaps(df, [])
    xb = [g for g in gaps if g["rule_id"] == "XB-001"]
    assert xb == [{"rule_id": "XB-001", "table": "access_log", "days": [
        {"day": "2026-10-13", "processor": "tcs", "state": "missing", "events": 0, "expected": 20.0},
        {"day": "2026-10-14", "processor": "tcs", "state": "missing", "events": 0, "expected": 20.0},
        {"day": "2026-10-20", "processor": "tcs", "state": "thin", "events": 3, "expected": 20.0}]}]
    # every rule reading the access log; none reading the marketing sends (this source has none)
    assert [g["rule_id"] for g in gaps] == ["RET-005", "XB-001", "XB-002", "XB-003", "XB-004", "XB-005", "XB-006"]
    # a rule not assessed is not "assessed with gaps"
    assert "XB-002" not in {g["rule_id"] for g in ledger.assessed_with_gaps(df, [{"rule_id": "XB-002"}])}


def test_september_has_no_suspect_day(gap_source):
    df, _ = month_ledger(gap_source, "2026-09", "duckdb")
    assert not df["state"].isin(ledger.SUSPECT).any()
    # 1 September: no week before it in the log, so nothing is expected
    first = df[(df["member"] == "tcs") & (df["day"].dt.day == 1)]
    assert first["expected"].isna().all() and (first["state"] == "ok").all()


def test_the_judgement_at_its_boundaries():
    assert ledger.judge(0, 10.0) == "missing" and ledger.judge(0, 9.5) == "ok"
    assert ledger.judge(1, 10.0) == "thin" and ledger.judge(2, 10.0) == "ok"  # 2 is 20% of 10, not below
    assert ledger.judge(0, None) == "ok"


def test_the_bundled_sample_has_no_suspect_day_in_any_month(sample_db):
    from sources import connect

    history = load_history()
    with connect(sample_db, history) as engine:
        from gdpr_analytics.analysis.context import Coverage

        last = Coverage.of(engine).last_month()
        months, m = [], last
        while len(months) < 12:
            months.append(m)
            m = m.previous()
        for month in months:
            ctx = MonthContext.build(engine, month, history)
            df = ledger.month_ledger(engine, ctx)
            assert not df["state"].isin(ledger.SUSPECT).any(), month.label
            # not vacuous: the sample's log and sends are followed every day of the month
            assert set(df["table_name"]) == {"access_log", "marketing_sends"}, month.label
