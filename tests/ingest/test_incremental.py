"""Incremental load (SPEC §8): only new or changed files are read, and the database ends exactly as a
full load of the same source; the roll-ups equal a recomputation from the events after every change;
a failed load leaves the database as it was (a killed one: test_in_place.py)."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from partitions import (  # noqa: E402
    _content,
    _coverage_recomputed,
    _events,
    _partitioned,
    _rollups_recomputed,
    _same_as_full,
    _sha,
    _write_partition,
)
from sources import write_source

from gdpr_analytics.core.errors import DataError
from gdpr_analytics.ingest.load import load_to_file


@pytest.fixture()
def three_months(tmp_path):
    src = _partitioned(tmp_path / "src", {"2026-07": _events("2026-07", 5, 0), "2026-08": _events("2026-08", 6, 100),
                                          "2026-09": _events("2026-09", 4, 200)})
    db = tmp_path / "db.duckdb"
    result = load_to_file(src, db, show=False)
    assert result.mode == "full" and len(result.added) == 3
    return src, db


def test_an_unchanged_source_reads_nothing_and_leaves_the_file_alone(three_months):
    src, db = three_months
    before, mtime = _sha(db), db.stat().st_mtime_ns
    result = load_to_file(src, db, show=False)
    assert result.mode == "up to date" and result.counts == {"customers": 2, "orders": 1, "access_log": 15}
    assert (_sha(db), db.stat().st_mtime_ns) == (before, mtime)


def test_appending_a_month_reads_only_that_file_and_equals_a_full_load(three_months, tmp_path):
    src, db = three_months
    _write_partition(src, "2026-10", _events("2026-10", 7, 300))
    result = load_to_file(src, db, show=False)
    assert (result.mode, result.read, result.added, result.removed) == (
        "incremental", [], ["access_log/month=2026-10/data.parquet"], [])
    assert result.counts["access_log"] == 22
    _same_as_full(src, db, tmp_path)
    con = duckdb.connect(str(db), read_only=True)
    # October's roll-up: 7 events, tcs on the odd ones (i = 1, 3, 5 -> 3 events, 9 records, ticket-less i = 1, 5)
    assert con.execute("SELECT events, records, without_ticket FROM _rollup_access_month "
                       "WHERE month_start = '2026-10-01' AND processor = 'tcs'").fetchall() == [(3, 9, 2)]
    con.close()


def test_a_changed_partition_is_replaced_and_only_its_months_recomputed(three_months, tmp_path):
    src, db = three_months
    rows = _events("2026-08", 6, 100)
    rows[0]["occurred_at"] = "2026-09-30T23:59:59"  # moves into September: two months touched
    rows.append({**rows[1], "event_id": "E00900", "processor": "wipro"})
    _write_partition(src, "2026-08", rows)
    result = load_to_file(src, db, show=False)
    assert (result.added, result.removed) == (["access_log/month=2026-08/data.parquet"],
                                              ["access_log/month=2026-08/data.parquet"])
    assert result.counts["access_log"] == 16
    _same_as_full(src, db, tmp_path)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT sum(events) FROM _rollup_access_country WHERE month_start = '2026-09-01'").fetchone() == (5,)
    assert con.execute("SELECT sum(events) FROM _rollup_access_country WHERE processor = 'wipro'").fetchone() == (1,)
    con.close()


def test_a_removed_partition_takes_its_rows_and_roll_ups_with_it(three_months, tmp_path):
    src, db = three_months
    shutil.rmtree(src / "access_log" / "month=2026-07")
    result = load_to_file(src, db, show=False)
    assert (result.added, result.removed) == ([], ["access_log/month=2026-07/data.parquet"])
    _same_as_full(src, db, tmp_path)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM _rollup_access_month WHERE month_start = '2026-07-01'").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM _load_inputs WHERE file LIKE '%2026-07%'").fetchone() == (0,)
    con.close()


def test_a_changed_snapshot_rebuilds_it_and_the_tables_that_refer_to_it(three_months, tmp_path):
    src, db = three_months
    write_source(src, customers=[{"customer_id": "C1"}, {"customer_id": "C2"}, {"customer_id": "C3"}],
                 orders=[{"order_id": "O1", "customer_id": "C1", "ordered_at": "2023-07-01T00:00:00"}],
                 access_log=[])
    (src / "access_log.csv").unlink()
    result = load_to_file(src, db, show=False)
    # orders.csv is byte for byte the same, but refers to customers: read again, so its references are checked
    assert (result.read, result.added, result.removed) == (["customers.csv", "orders.csv"], [], [])
    assert result.counts["customers"] == 3
    _same_as_full(src, db, tmp_path)


def test_a_full_reload_gives_the_same_database(three_months, tmp_path):
    src, db = three_months
    before = _content(db)
    assert load_to_file(src, db, show=False, full=True).mode == "full"
    assert _content(db) == before
    _rollups_recomputed(db)
    _coverage_recomputed(db)


def test_a_key_repeated_in_another_file_is_rejected_naming_both(three_months):
    src, db = three_months
    digest = _sha(db)
    _write_partition(src, "2026-10", [{**_events("2026-10", 1, 0)[0], "event_id": "E00102"}])
    with pytest.raises(DataError) as err:
        load_to_file(src, db, show=False)
    assert str(err.value) == (
        "access_log/month=2026-10/data.parquet: table access_log, column event_id: 1 row whose key is also "
        "in access_log/month=2026-08/data.parquet; first offending rows: "
        "access_log/month=2026-10/data.parquet row 1 (event_id='E00102')")
    assert _sha(db) == digest
    assert sorted(p.name for p in db.parent.iterdir() if p.name.startswith(".db")) == []


def test_a_bad_new_partition_leaves_the_database_as_it_was(three_months):
    src, db = three_months
    digest = _sha(db)
    rows = _events("2026-10", 3, 300)
    rows[2]["action"] = "steal"
    _write_partition(src, "2026-10", rows)
    with pytest.raises(DataError, match=r"^access_log/month=2026-10/data.parquet: table access_log, column action: "
                                        r"1 row where the value is not one of read, write, export, delete, admin; "
                                        r"first offending rows: access_log/month=2026-10/data.parquet row 3 "):
        load_to_file(src, db, show=False)
    assert _sha(db) == digest
