"""What the Spark engine keeps between runs (engines/spark/kept.py), on a source whose access log is a folder
of monthly Parquet partitions (access_log/month=YYYY-MM/data.parquet, 20 events a month, tests/partitions.py):

- a later run checks only the files that are new or whose bytes changed: the others' facts (rows, span,
  latest instants, extra columns, key range) come from the results folder;
- a month's queries read only the access log files holding that month's events, and a month is rolled up
  once: again only when one of its files changed;
- the checks across files still run where they must: a new file repeating a key of a file checked before
  is rejected;
- and every answer stays the DuckDB engine's, byte for byte, after each change.

Every run here is a new SparkEngine (a new command) on the same results folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from partitions import _events, _partitioned, _write_partition
from sources import connect

from gdpr_analytics.core.errors import DataError
from gdpr_analytics.ingest.load import load_to_file

from test_spark_parity import month_files

JULY, AUGUST, SEPTEMBER, OCTOBER = (f"access_log/month=2026-{m}/data.parquet" for m in ("07", "08", "09", "10"))
ROLLUPS = ("_rollup_access_month", "_rollup_access_country", "_rollup_access_day", "_rollup_table_ops_day")


def _spark_engine(source: Path, results: Path):
    from gdpr_analytics.engines.spark.engine import SparkEngine
    from gdpr_analytics.engines.spark.session import local_session

    return SparkEngine(source, spark=local_session(), results=results)


def _duckdb(source: Path, db: Path):
    db.unlink(missing_ok=True)
    load_to_file(source, db, show=False)
    return connect(db)


def _exported(source: Path, at: str) -> None:
    """source.yml: the export's instant, the data end (the events stop on the 20th or 21st of each month)."""
    (source / "source.yml").write_text(f"exported_at: {at}\n", encoding="utf-8")


def _rollups(engine) -> dict[str, str]:
    """Every row of each access log roll-up, sorted, as CSV."""
    out = {}
    for t in ROLLUPS:
        df = engine.query(f"SELECT * FROM {t}")
        out[t] = df.sort_values(by=list(df.columns)).to_csv(index=False)
    return out


def test_a_later_run_checks_only_new_or_changed_files_and_reads_only_the_month(spark, tmp_path):
    src = _partitioned(tmp_path / "src", {"2026-07": _events("2026-07", 20, 0), "2026-08": _events("2026-08", 20, 100),
                                          "2026-09": _events("2026-09", 20, 200)})
    _exported(src, "2026-10-01T00:00:00Z")
    results = tmp_path / "results"
    first = _spark_engine(src, results)
    try:
        month_files(first, "2026-09")
        assert sorted(first.checked_files) == sorted([AUGUST, JULY, SEPTEMBER, "customers.csv", "orders.csv"])
    finally:
        first.close()

    # October arrives: only its file is checked, and October's results read no other month of the log
    _write_partition(src, "2026-10", _events("2026-10", 20, 300))
    _exported(src, "2026-11-01T00:00:00Z")
    second = _spark_engine(src, results)
    duck = _duckdb(src, tmp_path / "a.duckdb")
    try:
        got = month_files(second, "2026-10")
        assert second.checked_files == [OCTOBER]
        assert {f for f in second.files_read if f.startswith("access_log/")} == {OCTOBER}
        assert got == month_files(duck, "2026-10")
        assert got["findings.csv"].count("\n") > 1  # not vacuous: findings (XB-001 on tcs, among others)
        # the roll-ups: July to September as kept by the first run, October rolled up now
        assert _rollups(second) == _rollups(duck)
    finally:
        second.close()
        duck.close()

    # August's file is replaced by other bytes (one more event): it alone is checked again, its month
    # rolled up again (a kept roll-up is never reused for a changed file), and the answers follow
    _write_partition(src, "2026-08", _events("2026-08", 21, 100))
    third = _spark_engine(src, results)
    duck = _duckdb(src, tmp_path / "b.duckdb")
    try:
        assert month_files(third, "2026-08") == month_files(duck, "2026-08")
        assert third.checked_files == [AUGUST]
        assert {f for f in third.files_read if f.startswith("access_log/")} == {AUGUST}
        assert _rollups(third) == _rollups(duck)
        assert third.query("SELECT sum(events) AS n FROM _rollup_access_month WHERE month_start = "
                           "TIMESTAMP '2026-08-01 00:00:00'")["n"].tolist() == [21]
        assert third.query("SELECT rows FROM _load_tables WHERE table_name = 'access_log'")["rows"].tolist() == [81]
    finally:
        third.close()
        duck.close()


def test_a_new_file_repeating_a_key_of_a_checked_file_is_rejected(spark, tmp_path):
    src = _partitioned(tmp_path / "src", {"2026-07": _events("2026-07", 20, 0), "2026-08": _events("2026-08", 20, 100)})
    _exported(src, "2026-09-01T00:00:00Z")
    results = tmp_path / "results"
    first = _spark_engine(src, results)
    try:
        month_files(first, "2026-08")
    finally:
        first.close()
    # September's events reuse July's ids E00005..: July's key range meets September's, so July's keys are read
    repeat = _events("2026-09", 3, 5)
    _write_partition(src, "2026-09", repeat)
    _exported(src, "2026-10-01T00:00:00Z")
    second = _spark_engine(src, results)
    try:
        with pytest.raises(DataError) as err:
            month_files(second, "2026-09")
    finally:
        second.close()
    message = str(err.value)
    assert "table access_log, column event_id: duplicate key in 6 rows" in message, message
    assert "month=2026-07/data.parquet" in message and "month=2026-09/data.parquet" in message
    assert second.checked_files == ["access_log/month=2026-09/data.parquet"]
    # nothing of the rejected state is kept: the next run checks September again
    third = _spark_engine(src, results)
    try:
        with pytest.raises(DataError):
            month_files(third, "2026-09")
        assert third.checked_files == ["access_log/month=2026-09/data.parquet"]
    finally:
        third.close()
