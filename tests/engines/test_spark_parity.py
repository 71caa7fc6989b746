"""Both engines give the same bytes (SPEC §9): findings.csv and cross_border.csv of three of the sample's
months across a year, of a hive-partitioned Parquet source, and of a source built around the edges (offsets, 29
February, NBSP-padded processor names, the weeks around the DST changes), whose answers are also
worked out by hand here; the same bad input is rejected with the same message; and the real commands
(`findings --engine spark`, `report --engine spark`) write what the DuckDB engine writes."""

import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sources import write_source

from gdpr_analytics.analysis import statistics as stats
from gdpr_analytics.analysis.context import Coverage, MonthContext
from gdpr_analytics.analysis.rules import evaluate
from gdpr_analytics.core.csvfile import csv_text
from gdpr_analytics.core.errors import DataError
from gdpr_analytics.core.month import Month
from gdpr_analytics.ingest.contract import TABLES
from gdpr_analytics.policy.history import load_history

COMMAND = str(Path(sys.executable).with_name("gdpr-analytics"))
HISTORY = load_history(None)


def month_files(engine, month: str, **params) -> dict[str, str]:
    """findings.csv and cross_border.csv of `month` as the report writes them, computed by `engine` now
    (the rules and the month's access summary; the other statistics of the month results are not part of
    the engines' byte-for-byte promise, and computing them on Spark for 13 months would cost minutes)."""
    ctx = MonthContext.build(engine, Month.parse(month), HISTORY, **params)
    engine.register_policy(HISTORY, ctx.month)
    findings = evaluate(engine, ctx).findings
    cross = None if "access_log" in ctx.uncovered else \
        engine.run("cross_border/summary", **ctx.query_parameters())[stats.CROSS_BORDER_COLUMNS]
    return {"findings.csv": csv_text(findings),
            "cross_border.csv": csv_text(cross if cross is not None else
                                         pd.DataFrame(columns=stats.CROSS_BORDER_COLUMNS))}


def transfers_csv(engine, month: str) -> str:
    """transfers.csv of `month` from the engine's figures (queries/cross_border/stat_transfers.sql)."""
    from gdpr_analytics.analysis import transfers

    ctx = MonthContext.build(engine, Month.parse(month), HISTORY)
    engine.register_policy(HISTORY, ctx.month)
    return csv_text(transfers.build(ctx, engine.run(transfers.STAT, **ctx.query_parameters())))


def engines(source: Path, db: Path | None = None):
    """(DuckDB engine on the source loaded by the real loader, Spark engine on the source read in place)."""
    from sources import connect

    from gdpr_analytics.engines.spark.engine import SparkEngine
    from gdpr_analytics.engines.spark.session import local_session
    from gdpr_analytics.ingest.load import load_to_file

    if db is None:
        db = source.parent / f"{source.name}.duckdb"
        load_to_file(source, db, show=False)
    return connect(db), SparkEngine(source, spark=local_session())


def run(*args, env=None):
    return subprocess.run([COMMAND, *map(str, args)], capture_output=True, text=True, env=env)


# -- the sample: a year -------------------------------------------------------------------------------


def test_the_sample_gives_the_same_bytes_across_a_year_on_both_engines(spark, sample_source, sample_db):
    duck, sp = engines(sample_source, sample_db)
    try:
        # the last month the sample covers and the months six and twelve before it, a year back (two
        # Octobers with their DST change, and April's); the edges below cover the instants one by one
        last = Coverage.of(duck).last_month()
        months = [last]
        while len(months) < 3:
            months.insert(0, months[0].previous().previous().previous().previous().previous().previous())
        findings = cross = 0
        for m in months:
            want, got = month_files(duck, m.label), month_files(sp, m.label)
            assert got == want, f"{m.label}: the engines differ"
            findings += want["findings.csv"].count("\n") - 1
            cross += want["cross_border.csv"].count("\n") - 1
        # not vacuous: the sample's months hold findings of many rules and cross-border rows
        assert findings > 200 and cross > 3 * 10
        # transfers.csv of the last month: its figures from either engine give the same bytes
        assert transfers_csv(sp, last.label) == transfers_csv(duck, last.label)
        assert transfers_csv(duck, last.label).count("\n") - 1 >= 4  # infosys|IN, tcs|IN, tcs|GB, wipro|IN
        assert sp.load_info()["data_sha256"] == duck.load_info()["data_sha256"]  # one fingerprint, both engines
    finally:
        duck.close()
        sp.close()


# -- a hive-partitioned Parquet source ---------------------------------------------------------------


@pytest.fixture(scope="module")
def hive_source(sample_source, tmp_path_factory):
    """The sample as Parquet: each table one file, the access log a folder of month=YYYY-MM partitions."""
    out = tmp_path_factory.mktemp("hive") / "src"
    out.mkdir()
    con = duckdb.connect()
    try:
        for t in TABLES.values():
            csv = sample_source / f"{t.name}.csv"
            if not csv.exists():
                continue
            rel = f"read_csv('{csv}', all_varchar = true, header = true)"
            if t.name == "access_log":
                con.execute(f"COPY (SELECT *, substr(occurred_at, 1, 7) AS month FROM {rel}) TO '{out / t.name}' "
                            "(FORMAT parquet, PARTITION_BY (month))")
            else:
                con.execute(f"COPY (SELECT * FROM {rel}) TO '{out / t.name}.parquet' (FORMAT parquet)")
    finally:
        con.close()
    if (sample_source / "source.yml").exists():
        (out / "source.yml").write_bytes((sample_source / "source.yml").read_bytes())
    assert len(list((out / "access_log").glob("month=*/*.parquet"))) >= 13
    return out


def test_a_hive_partitioned_parquet_source_gives_the_csv_sample_s_bytes_on_duckdb(hive_source, sample_db):
    """DuckDB on the Parquet copy in two months. Spark on the same copy is checked by the command below
    (`report --engine spark` on hive_source in the sample report's month, against that report): one Spark run of
    that source and month, not two."""
    from sources import connect

    from gdpr_analytics.ingest.load import load_to_file

    db = hive_source.parent / "hive.duckdb"
    load_to_file(hive_source, db, show=False)
    with connect(db) as duck, connect(sample_db) as csv_engine:
        for month in ("2026-02", "2026-10"):
            assert month_files(duck, month) == month_files(csv_engine, month)


# -- the commands ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_findings_and_report_with_engine_spark_write_duckdbs_bytes(spark, sample_report, hive_source, tmp_path):
    month = sample_report.month
    want_findings = (sample_report.folder / "findings.csv").read_text(encoding="utf-8")
    want_cross = (sample_report.folder / "cross_border.csv").read_text(encoding="utf-8")
    duck = run("findings", "--db", sample_report.db, "--month", month)
    assert duck.returncode == 0, duck.stderr
    assert duck.stdout == want_findings and want_findings.count("\n") > 20
    # the hive-partitioned Parquet copy of the sample (its CSV form's bytes are compared in-process above):
    # the report computes the month on Spark, and `findings` then reads what it stored
    out = tmp_path / "reports"
    rep = run("report", "--engine", "spark", "--source", hive_source, "--month", month, "--out", out,
              "--results", tmp_path / "hive.results")
    assert rep.returncode == 0, rep.stderr
    assert (out / month / "findings.csv").read_text(encoding="utf-8") == want_findings
    assert (out / month / "cross_border.csv").read_text(encoding="utf-8") == want_cross
    got = run("findings", "--engine", "spark", "--source", hive_source, "--month", month,
              "--results", tmp_path / "hive.results")
    assert got.returncode == 0, got.stderr
    assert got.stdout == want_findings
    assert "Traceback" not in rep.stderr and "WARN" not in rep.stderr


def test_engine_options_are_checked(tmp_path, sample_db):
    got = run("findings", "--engine", "spark", "--db", sample_db, "--month", "2026-10")
    assert got.returncode == 2 and "--engine spark reads a source folder in place" in got.stderr
    got = run("findings", "--db", sample_db, "--month", "2026-10", "--spark-remote", "sc://localhost:15002")
    assert got.returncode == 2 and "--spark-remote: only with --engine spark" in got.stderr
    got = run("findings", "--engine", "spark", "--source", tmp_path, "--month", "2026-10",
              "--spark-remote", "localhost:15002")
    assert got.returncode == 2 and "must be sc://HOST:PORT" in got.stderr


# -- the edges, worked out by hand --------------------------------------------------------------------

NBSP, THIN, TAB = "\u00a0", "\u2009", "\t"
EDGES = dict(
    customers=[{"customer_id": "C1"}, {"customer_id": "C2"}, {"customer_id": "C3"}],
    orders=[
        # 2024-02-29 + 2 years = 2026-02-28 (the same on both engines); +01:00 is 11:00Z
        {"order_id": "O1", "customer_id": "C1", "ordered_at": "2024-02-29T12:00:00+01:00"},
        # 2024-03-01T00:00Z + 2 years = 2026-03-01T00:00Z: February's as_of exactly, not yet a breach
        {"order_id": "O2", "customer_id": "C2", "ordered_at": "2024-03-01T01:00:00+01:00"},
        {"order_id": "O3", "customer_id": "C3", "ordered_at": "2026-01-10T00:00:00Z"},
    ],
    access_log=[
        # the log covers every month from January on (an event rule is not assessed before its table starts)
        {"event_id": "E00", "occurred_at": "2026-01-01T00:00:00Z"},
        # processor names padded with Unicode blanks are the declared processor; a tab is not a blank
        {"event_id": "E01", "occurred_at": "2026-03-02T09:00:00Z", "processor": f"{NBSP}TCS{NBSP}",
         "source_country": "IN", "customer_id": "C3"},
        {"event_id": "E02", "occurred_at": "2026-03-02T09:00:00Z", "processor": f"{THIN}infosys",
         "source_country": f"{NBSP}in", "customer_id": "C3"},
        {"event_id": "E03", "occurred_at": "2026-03-02T09:00:00Z", "processor": f"tcs{TAB}",
         "source_country": "IN", "customer_id": "C3"},
        # the night the clocks go forward in Brussels (2026-03-29 01:00Z): 00:30Z is 01:30 local, 01:30Z 03:30
        {"event_id": "E04", "occurred_at": "2026-03-29T00:30:00Z"},
        {"event_id": "E05", "occurred_at": "2026-03-29T03:30:00+02:00"},
        # the night they go back (2026-10-25 01:00Z): 00:30Z and 01:30Z are both 02:30 local
        {"event_id": "E06", "occurred_at": "2026-10-25T00:30:00Z"},
        {"event_id": "E07", "occurred_at": "2026-10-25T02:30:00+01:00"},
        # offsets across the month end: 2026-11-01T00:30+02:00 is October (22:30Z); 2026-10-31T23:30-01:00
        # is November (00:30Z)
        {"event_id": "E08", "occurred_at": "2026-11-01T00:30:00+02:00", "processor": "wipro", "source_country": "IN"},
        {"event_id": "E09", "occurred_at": "2026-10-31T23:30:00-01:00", "processor": "wipro", "source_country": "IN"},
        # Kolkata (+05:30): 2026-10-25T20:00Z is 01:30 the next day
        {"event_id": "E10", "occurred_at": "2026-10-25T20:00:00Z", "processor": "tcs", "source_country": "IN",
         "customer_id": "C3"},
    ],
)


@pytest.fixture()
def edges(tmp_path):
    return write_source(tmp_path / "edges", exported_at="2026-12-01T00:00:00Z", **EDGES)


def _findings(files: dict[str, str]) -> list[tuple[str, str, str]]:
    rows = [line.split(",", 5) for line in files["findings.csv"].splitlines()[1:]]
    return [(r[0], r[3], r[4]) for r in rows]


def test_the_edges_by_hand_on_both_engines(spark, edges):
    duck, sp = engines(edges)
    try:
        on_spark = {}
        for m in ("2026-02", "2026-03", "2026-10", "2026-11"):
            on_spark[m] = month_files(sp, m, retention_years=2)
            assert on_spark[m] == month_files(duck, m, retention_years=2), m
        feb, mar, oct_, nov = on_spark.values()
        assert ("RET-001", "C1", "2026-02-28T11:00:00Z") in _findings(feb)
        assert not [f for f in _findings(feb) if f[1] == "C2"]  # the deadline is February's as_of exactly
        assert [f for f in _findings(mar) if f[0] == "XB-001"] == [("XB-001", "E03", "2026-03-02T09:00:00Z")]
        assert [f for f in _findings(oct_) if f[0] == "XB-001"] == [("XB-001", "E08", "2026-10-31T22:30:00Z")]
        assert [f for f in _findings(nov) if f[0] == "XB-001"] == [("XB-001", "E09", "2026-11-01T00:30:00Z")]
        # the NBSP-padded names are grouped as the processor itself in cross_border.csv
        march_cross = mar["cross_border.csv"].splitlines()
        assert march_cross[0] == "processor,source_country,resource,action,third_country,events,actors,customers,records"
        for engine in (duck, sp):
            hours = _hours(engine, "2026-03")
            assert hours[("BE", 1)] == 1 and hours[("BE", 3)] == 1 and ("BE", 2) not in hours
            hours = _hours(engine, "2026-10")
            assert hours[("BE", 2)] == 2 and ("BE", 1) not in hours and ("BE", 3) not in hours
            assert hours[("IN", 1)] == 1  # 20:00Z in Kolkata; E08 (22:30Z) is 04:00 there
            assert hours[("IN", 4)] == 1
    finally:
        duck.close()
        sp.close()


def _hours(engine, month: str) -> dict[tuple[str, int], int]:
    m = Month.parse(month)
    engine.register_policy(HISTORY, m)
    df = engine.run("cross_border/stat_hour_of_day", period_start=m.period_start, as_of=m.as_of)
    return {(c, int(h)): int(n) for c, h, n in zip(df["source_country"], df["local_hour"], df["events"])}


# -- bad input: the same message on both engines -------------------------------------------------------

BAD = {
    "a timestamp that is not ISO 8601": dict(
        customers=[{"customer_id": "C1", "created_at": "31/12/2025 10:00"}]),
    "an undeclared value": dict(
        orders=[{"order_id": "O1", "customer_id": "C1", "ordered_at": "2026-01-01T00:00:00", "status": "lost"}],
        customers=[{"customer_id": "C1"}]),
    "an order of an unknown customer": dict(
        customers=[{"customer_id": "C1"}],
        orders=[{"order_id": "O1", "customer_id": "C9", "ordered_at": "2026-01-01T00:00:00"}]),
    "a duplicate key": dict(customers=[{"customer_id": "C1"}, {"customer_id": "C1"}]),
}


def _duckdb_error(source: Path) -> str:
    from gdpr_analytics.ingest.load import load_to_file

    with pytest.raises(DataError) as caught:
        load_to_file(source, source.parent / "x.duckdb", show=False)
    return str(caught.value)


def _spark_error(source: Path) -> str:
    from gdpr_analytics.engines.spark.engine import SparkEngine
    from gdpr_analytics.engines.spark.session import local_session

    engine = SparkEngine(source, spark=local_session())
    try:
        with pytest.raises(DataError) as caught:
            engine.present_tables()
        return str(caught.value)
    finally:
        engine.close()


@pytest.mark.parametrize("what", sorted(BAD))
def test_the_same_bad_input_is_rejected_with_the_same_message(spark, tmp_path, what):
    source = write_source(tmp_path / "bad", **BAD[what])
    message = _duckdb_error(source)
    assert "customers" in message or "orders" in message
    assert _spark_error(source) == message


def test_bytes_that_are_not_utf8_are_rejected_alike(spark, tmp_path):
    source = write_source(tmp_path / "bad", customers=[{"customer_id": "C1"}])
    path = source / "customers.csv"
    path.write_bytes(path.read_bytes().replace(b"C1", b"C\xe91"))
    message = _duckdb_error(source)
    assert "UTF-8" in message and "customers.csv" in message
    assert _spark_error(source) == message
