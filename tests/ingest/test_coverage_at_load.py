"""Coverage recorded at load (SPEC §10): the data end and each table's first and last record instant, from
the rows or from source.yml, the instants after the data end, kept right by incremental loads, and read back through the engine (analysis/context.py).

Every expected instant is worked out by hand in the comment beside it."""

from __future__ import annotations

import hashlib
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from partitions import _content, _events, _partitioned, _same_as_full, _write_partition
from sources import connect, write_source, write_table

from gdpr_analytics.analysis.context import Coverage, TableCoverage
from gdpr_analytics.core.errors import DataError, UsageError
from gdpr_analytics.core.month import Month
from gdpr_analytics.ingest.contract import TABLES
from gdpr_analytics.ingest.load import load_to_file

D = datetime


def _load(src: Path, db: Path, **kw):
    return load_to_file(src, db, show=False, **kw)


def _info(db: Path) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(con.execute("SELECT key, value FROM _load_info").fetchall())
    finally:
        con.close()


def _end(db: Path) -> tuple[str | None, str]:
    info = _info(db)
    return info.get("data_end"), info["data_end_from"]


def _tables(db: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: rest for t, *rest in con.execute(
            "SELECT table_name, present, rows, earliest, latest FROM _load_tables").fetchall()}
    finally:
        con.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- from the rows ---------------------------------------------------------------------------------

def test_the_data_end_is_the_utc_day_after_the_latest_record_instant_of_any_table(tmp_path):
    src = write_source(
        tmp_path / "s",
        customers=[{"customer_id": "C1"},  # created 2018-01-01T00:00:00 (the default)
                   {"customer_id": "C2", "created_at": "2019-05-01T12:00:00Z", "erased_at": "2026-10-30T10:00:00",
                    "marketing_objection_at": "2025-01-01T00:00:00"}],
        # 23:30 at UTC-2 is 01:30 the next day in UTC: the latest instant, and on 1 November
        orders=[{"order_id": "O1", "customer_id": "C1", "ordered_at": "2026-10-31T23:30:00-02:00"},
                {"order_id": "O2", "customer_id": "C2", "ordered_at": "2024-06-01T08:00:00"}],
        # 00:30 on 1 November at UTC+5:30 is 19:00 on 31 October in UTC
        access_log=[{"event_id": "E1", "occurred_at": "2026-11-01T00:30:00+05:30"},
                    {"event_id": "E2", "occurred_at": "2026-10-02T00:00:00"}],
        uploads=[],  # present, no rows
    )
    db = tmp_path / "x.duckdb"
    result = _load(src, db)
    assert _end(db) == ("2026-11-02T00:00:00Z", "latest row")
    assert (result.data_end, result.data_end_from) == ("2026-11-02T00:00:00Z", "latest row")
    assert "; data end 2026-11-02T00:00:00Z (the day after the latest record instant in the data)" in result.summary()
    assert _tables(db) == {
        "customers": [True, 2, D(2018, 1, 1), D(2019, 5, 1, 12)],  # created_at only: erased_at is a state
        "orders": [True, 2, D(2024, 6, 1, 8), D(2026, 11, 1, 1, 30)],
        "uploads": [True, 0, None, None],
        "access_log": [True, 2, D(2026, 10, 2), D(2026, 10, 31, 19)],
        "marketing_sends": [False, 0, None, None],
        "dsr_requests": [False, 0, None, None],
    }


@pytest.mark.parametrize("latest, end", [
    ("2028-02-28T23:59:59", "2028-02-29T00:00:00Z"),  # a leap day follows
    ("2028-02-29T00:00:00", "2028-03-01T00:00:00Z"),  # the leap day's first instant: its day counts whole
    ("2026-12-31T23:59:59.999999", "2027-01-01T00:00:00Z"),
    ("2027-01-01T00:59:00+01:00", "2027-01-01T00:00:00Z"),  # 23:59 on 31 December in UTC
])
def test_the_day_after_in_utc(tmp_path, latest, end):
    src = write_source(tmp_path / "s", customers=[{"customer_id": "C1", "created_at": latest}])
    db = tmp_path / "x.duckdb"
    _load(src, db)
    assert _end(db) == (end, "latest row")


TIMESTAMP_COLUMNS = [(t.name, c.name) for t in TABLES.values() for c in t.columns if c.type == "TIMESTAMP"]


def test_the_timestamp_columns_are_the_nine_of_the_contract():
    assert [c for _, c in TIMESTAMP_COLUMNS] == [
        "created_at", "erased_at", "marketing_objection_at", "ordered_at", "uploaded_at", "erased_at",
        "occurred_at", "sent_at", "received_at", "closed_at"]


RECORD_COLUMNS = {t.name: t.time_column for t in TABLES.values()}


@pytest.mark.parametrize("table, column", TIMESTAMP_COLUMNS, ids=[f"{t}.{c}" for t, c in TIMESTAMP_COLUMNS])
def test_only_record_instants_move_the_data_end_and_later_states_are_reported(tmp_path, table, column):
    # every other instant is in 2020 (the latest record instant: 2020-01-06, so the data end is 7 January);
    # one value on 3 March 2027 moves the data end to 4 March 2027 if it is the table's record instant,
    # and is otherwise a state after the data end: reported with its row's key, the data end unmoved
    base = {"customers": {"customer_id": "C1", "created_at": "2020-01-01T00:00:00"},
            "orders": {"order_id": "O1", "customer_id": "C1", "ordered_at": "2020-01-02T00:00:00"},
            "uploads": {"upload_id": "U1", "customer_id": "C1", "uploaded_at": "2020-01-03T00:00:00"},
            "access_log": {"event_id": "E1", "occurred_at": "2020-01-04T00:00:00"},
            "marketing_sends": {"send_id": "S1", "customer_id": "C1", "sent_at": "2020-01-05T00:00:00"},
            "dsr_requests": {"request_id": "R1", "received_at": "2020-01-06T00:00:00"}}
    base[table] = {**base[table], column: "2027-03-03T12:00:00"}
    src = write_source(tmp_path / "s", **{t: [row] for t, row in base.items()})
    db = tmp_path / "x.duckdb"
    result = _load(src, db)
    key = TABLES[table].key
    if RECORD_COLUMNS[table] == column:
        assert _end(db) == ("2027-03-04T00:00:00Z", "latest row")
        assert _tables(db)[table][3] == D(2027, 3, 3, 12)
        assert result.after_end == []
    else:
        assert _end(db) == ("2020-01-07T00:00:00Z", "latest row")
        assert _tables(db)[table][3] != D(2027, 3, 3, 12)
        assert result.after_end == [(table, column, 1, base[table][key])]
        assert f"{table}.{column} 1 (first: {base[table][key]})" in result.summary()


def test_no_instant_at_all_gives_no_data_end(tmp_path):
    src = write_source(tmp_path / "s")  # customers, orders and access_log with a header and no row
    db = tmp_path / "x.duckdb"
    result = _load(src, db)
    assert _end(db) == (None, "no rows")
    assert "; no data end: no table holds a timestamp; " in result.summary()
    with connect(db) as engine:
        cov = Coverage.of(engine)
        assert cov.data_end is None and cov.data_end_from == "no rows"


# -- from source.yml -------------------------------------------------------------------------------

def test_source_yml_gives_the_data_end_in_utc(tmp_path):
    src = write_source(tmp_path / "s", customers=[{"customer_id": "C1", "created_at": "2026-10-20T00:00:00"}])
    (src / "source.yml").write_text("# export of the MyStamp back office\nexported_at: 2026-11-01T06:00:00+01:00\n",
                                    encoding="utf-8")
    db = tmp_path / "x.duckdb"
    result = _load(src, db)
    assert _end(db) == ("2026-11-01T05:00:00Z", "source.yml")
    assert "; data end 2026-11-01T05:00:00Z (exported_at of source.yml)" in result.summary()
    # source.yml is not an ignored entry, and the table spans still come from the rows
    assert result.ignored == []
    assert _tables(db)["customers"][2:] == [D(2026, 10, 20), D(2026, 10, 20)]


@pytest.mark.parametrize("written, end", [
    ('exported_at: "2026-11-01T00:00:00Z"', "2026-11-01T00:00:00Z"),
    ("exported_at: 2026-10-31T23:30:00-01:00", "2026-11-01T00:30:00Z"),  # crosses midnight in UTC
    ("exported_at: 2026-11-01 06:00:00", "2026-11-01T06:00:00Z"),  # no offset: UTC
    ("exported_at: 2026-11-01T06:00:00.75Z", "2026-11-01T06:00:00Z"),  # to the second, not later
    ("exported_at: 2028-02-29", "2028-02-29T00:00:00Z"),  # a date: its first instant
    ("source: MyStamp back office\nexported_at: 2026-11-01T06:00:00Z\n", "2026-11-01T06:00:00Z"),
])
def test_source_yml_forms(tmp_path, written, end):
    src = write_source(tmp_path / "s")
    (src / "source.yml").write_text(written, encoding="utf-8")
    db = tmp_path / "x.duckdb"
    _load(src, db)
    assert _end(db) == (end, "source.yml")


@pytest.mark.parametrize("written, message", [
    ("exported: 2026-11-01T00:00:00Z", "source.yml: key exported_at is missing (write exported_at: <ISO 8601 "
                                       "instant>, for example exported_at: 2026-11-01T06:00:00Z)"),
    ("", "source.yml: key exported_at is missing (write exported_at: <ISO 8601 instant>, for example "
         "exported_at: 2026-11-01T06:00:00Z)"),
    ("exported_at: last monday", "source.yml: key exported_at: 'last monday' is not an ISO 8601 instant "
                                 "(for example 2026-11-01T06:00:00Z)"),
    ("exported_at: 2026-13-01", "source.yml: key exported_at: '2026-13-01' is not an ISO 8601 instant "
                                "(for example 2026-11-01T06:00:00Z)"),
    ("exported_at:", "source.yml: key exported_at: '' is not an ISO 8601 instant (for example 2026-11-01T06:00:00Z)"),
    ("exported_at: [2026", "source.yml: not valid YAML: expected ',' or ']', but got '<stream end>' at line 1, "
                           "column 19"),
])
def test_a_bad_source_yml_names_the_file_and_the_key_and_changes_nothing(tmp_path, written, message):
    src = write_source(tmp_path / "s", customers=[{"customer_id": "C1"}])
    db = tmp_path / "db" / "x.duckdb"
    _load(src, db)
    digest = _sha(db)
    (src / "source.yml").write_text(written, encoding="utf-8")
    with pytest.raises(DataError) as err:
        _load(src, db)
    assert str(err.value) == message
    assert _sha(db) == digest and sorted(p.name for p in db.parent.iterdir()) == ["x.duckdb"]


# -- incremental -----------------------------------------------------------------------------------

@pytest.fixture()
def three_months(tmp_path):
    # events of July (5, days 1-5), August (6, days 1-6), September (4, days 1-4), each at 10:00;
    # C2 erased on 2026-08-15, the one order on 2023-07-01
    src = _partitioned(tmp_path / "src", {"2026-07": _events("2026-07", 5, 0), "2026-08": _events("2026-08", 6, 100),
                                          "2026-09": _events("2026-09", 4, 200)})
    db = tmp_path / "db.duckdb"
    _load(src, db)
    assert _end(db) == ("2026-09-05T00:00:00Z", "latest row")
    assert _tables(db)["access_log"] == [True, 15, D(2026, 7, 1, 10), D(2026, 9, 4, 10)]
    return src, db


def test_an_appended_month_moves_the_data_end_as_a_full_load_does(three_months, tmp_path):
    src, db = three_months
    _write_partition(src, "2026-10", _events("2026-10", 7, 300))  # days 1-7: latest 2026-10-07T10:00
    result = _load(src, db)
    assert (result.mode, result.read) == ("incremental", [])
    assert _end(db) == ("2026-10-08T00:00:00Z", "latest row")
    assert _tables(db)["access_log"] == [True, 22, D(2026, 7, 1, 10), D(2026, 10, 7, 10)]
    _same_as_full(src, db, tmp_path)


def test_events_after_the_export_are_found_in_the_parts_that_hold_them(three_months, tmp_path):
    """exported_at 2026-09-03: September's events of days 3 and 4 are after the data end. The search reads
    only the parts whose recorded last instant is after it (September's), and finds what a search of every
    event finds: a guard on that pruning, which an earlier version did not do."""
    src, db = three_months
    (src / "source.yml").write_text("exported_at: 2026-09-03T00:00:00Z\n", encoding="utf-8")
    result = _load(src, db)
    assert result.after_end == [("access_log", "occurred_at", 2, "E00202, E00203")]
    (src / "source.yml").write_text("exported_at: 2026-09-30T00:00:00Z\n", encoding="utf-8")
    assert _load(src, db).after_end == []  # no part ends after it
    _same_as_full(src, db, tmp_path)


def test_removed_partitions_move_the_first_and_last_instants(three_months, tmp_path):
    src, db = three_months
    shutil.rmtree(src / "access_log" / "month=2026-07")
    _load(src, db)
    assert _tables(db)["access_log"] == [True, 10, D(2026, 8, 1, 10), D(2026, 9, 4, 10)]
    assert _end(db) == ("2026-09-05T00:00:00Z", "latest row")
    _same_as_full(src, db, tmp_path)
    # without September the latest record instant is August's last event, on the 6th; C2's erasure on
    # 2026-08-15 is a state, and now lies after the data end
    shutil.rmtree(src / "access_log" / "month=2026-09")
    result = _load(src, db)
    assert _tables(db)["access_log"] == [True, 6, D(2026, 8, 1, 10), D(2026, 8, 6, 10)]
    assert _end(db) == ("2026-08-07T00:00:00Z", "latest row")
    assert result.after_end == [("customers", "erased_at", 1, "C2")]
    _same_as_full(src, db, tmp_path)


def test_a_changed_snapshot_is_measured_again_and_the_others_kept(three_months, tmp_path):
    src, db = three_months
    write_table(src, "customers", [{"customer_id": "C1"},
                                   {"customer_id": "C2", "created_at": "2026-12-24T18:00:00"}])
    assert _load(src, db).read == ["customers.csv", "orders.csv"]
    assert _tables(db)["customers"] == [True, 2, D(2018, 1, 1), D(2026, 12, 24, 18)]
    assert _end(db) == ("2026-12-25T00:00:00Z", "latest row")
    _same_as_full(src, db, tmp_path)


def test_a_full_reload_records_the_same_coverage(three_months, tmp_path):
    src, db = three_months
    before = _content(db)
    assert _load(src, db, full=True).mode == "full"
    assert _content(db) == before


def test_source_yml_is_an_input(three_months, tmp_path):
    src, db = three_months
    data = _info(db)["data_sha256"]
    (src / "source.yml").write_text("exported_at: 2026-10-01T04:00:00Z\n", encoding="utf-8")
    result = _load(src, db)
    assert (result.mode, result.read, result.added, result.removed, result.notes) == (
        "incremental", [], [], [], ["source.yml added"])
    assert _end(db) == ("2026-10-01T04:00:00Z", "source.yml")
    assert _info(db)["data_sha256"] != data  # the month results of the old data end are not reused
    _same_as_full(src, db, tmp_path)
    assert _load(src, db).mode == "up to date"

    (src / "source.yml").write_text("exported_at: 2026-10-02T04:00:00Z\n", encoding="utf-8")
    result = _load(src, db)
    assert (result.read, result.notes) == ([], ["source.yml changed"])
    assert _end(db) == ("2026-10-02T04:00:00Z", "source.yml")
    _same_as_full(src, db, tmp_path)

    (src / "source.yml").unlink()
    assert _load(src, db).notes == ["source.yml removed"]
    assert _end(db) == ("2026-09-05T00:00:00Z", "latest row")
    assert _info(db)["data_sha256"] == data
    _same_as_full(src, db, tmp_path)


def test_an_unchanged_source_reports_its_recorded_data_end(three_months):
    src, db = three_months
    mtime = db.stat().st_mtime_ns
    result = _load(src, db)
    assert (result.mode, result.data_end, result.data_end_from) == ("up to date", "2026-09-05T00:00:00Z", "latest row")
    assert result.summary() == (
        "up to date, no file re-read (customers 2, orders 1, access_log 15); "
        "data end 2026-09-05T00:00:00Z (the day after the latest record instant in the data); "
        "uploads absent: RET-002 not assessed; marketing_sends absent: MKT-001, MKT-002, MKT-003 not assessed; "
        "dsr_requests absent: DSR-001 not assessed")
    assert db.stat().st_mtime_ns == mtime


# -- empty tables ----------------------------------------------------------------------------------

def test_tables_present_with_no_rows(three_months, tmp_path):
    src, db = three_months
    _write_partition(src, "2026-10", [])  # a partition with its columns and no row
    write_table(src, "uploads", [])  # optional tables: a header, no row
    write_table(src, "marketing_sends", [])
    result = _load(src, db)
    assert result.added == ["access_log/month=2026-10/data.parquet"]
    assert result.counts == {"customers": 2, "orders": 1, "uploads": 0, "access_log": 15, "marketing_sends": 0}
    tables = _tables(db)
    assert tables["uploads"] == tables["marketing_sends"] == [True, 0, None, None]
    assert tables["dsr_requests"] == [False, 0, None, None]
    assert tables["access_log"] == [True, 15, D(2026, 7, 1, 10), D(2026, 9, 4, 10)]
    assert _end(db) == ("2026-09-05T00:00:00Z", "latest row")
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT rows, min_time, max_time FROM _load_inputs WHERE file LIKE '%2026-10%'").fetchall() == [
        (0, None, None)]
    con.close()
    _same_as_full(src, db, tmp_path)
    with connect(db) as engine:
        assert engine.present_tables() == {"customers", "orders", "uploads", "access_log", "marketing_sends"}
        assert engine.table_rows()["uploads"] == 0


# -- read back through the engine ------------------------------------------------------------------

def test_the_engine_reads_the_coverage_back(three_months):
    _, db = three_months
    with connect(db) as engine:
        cov = Coverage.of(engine)
        assert cov.data_end == D(2026, 9, 5)
        assert cov.data_end_from == "latest row"
        tables = cov.tables
        assert list(tables) == list(TABLES)
        assert tables["access_log"] == TableCoverage("access_log", True, 15, D(2026, 7, 1, 10), D(2026, 9, 4, 10))
        assert tables["uploads"] == TableCoverage("uploads", False, 0, None, None)
        assert cov.last_month() == Month(2026, 8)


@pytest.mark.parametrize("end, month", [
    (D(2026, 11, 1), Month(2026, 10)),  # as_of of October is the data end itself
    (D(2026, 11, 1, 5), Month(2026, 10)),
    (D(2026, 10, 31, 23, 59, 59), Month(2026, 9)),  # October's as_of (1 November) is after it
    (D(2027, 1, 1), Month(2026, 12)),
])
def test_last_month(end, month):
    assert Coverage(end, "latest row", {}).last_month() == month
    assert month.as_of <= end < month.next().as_of


def test_a_database_of_an_older_layout_says_load_again():
    class Old:
        def load_info(self):
            return {"layout": "2"}

    with pytest.raises(UsageError) as err:
        Coverage.of(Old())
    assert str(err.value) == ("the database records no data end (it was loaded by an older gdpr-analytics): "
                              "load it again with gdpr-analytics load --source DIR --db FILE")


def test_a_database_of_an_older_layout_is_rebuilt_whole(three_months):
    src, db = three_months
    con = duckdb.connect(str(db))
    con.execute("UPDATE _load_info SET value = '2' WHERE key = 'layout'")
    con.close()
    result = _load(src, db)
    assert (result.mode, result.reason) == ("full", "the database has an older layout")
    assert _end(db) == ("2026-09-05T00:00:00Z", "latest row")


def test_the_committed_sample_ends_on_31_october_2026(sample_db):
    with connect(sample_db) as engine:
        cov = Coverage.of(engine)
        assert cov.data_end == D(2026, 11, 1)
        assert cov.last_month() == Month(2026, 10)
        tables = cov.tables
        # the access log starts in October 2025, marketing in November 2024 (data_samples/README.md)
        assert tables["access_log"].earliest.strftime("%Y-%m") == "2025-10"
        assert tables["marketing_sends"].earliest.strftime("%Y-%m") == "2024-11"
