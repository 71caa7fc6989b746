"""The loader: formats, UTC conversion, and rejection of bad input leaving the old database intact."""

import gzip
import hashlib
import shutil

import duckdb
import pytest
from sources import write_source, write_table

from gdpr_analytics.core.errors import DataError
from gdpr_analytics.ingest import contract as CONTRACT
from gdpr_analytics.ingest.load import load_to_file

GOOD = dict(
    customers=[{"customer_id": "C1"}, {"customer_id": "C2", "account_type": "pro"}],
    orders=[{"order_id": "O1", "customer_id": "C1", "ordered_at": "2023-03-01T00:30:00+01:00"}],
    access_log=[{"event_id": "E1", "occurred_at": "2026-10-01T05:30:00+05:30", "processor": "TCS",
                 "source_country": "IN", "resource": "orders"}],
)


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def old_db(tmp_path):
    """A database loaded from good data; tests check a failed load leaves it byte for byte."""
    db = tmp_path / "db" / "gdpr.duckdb"
    load_to_file(write_source(tmp_path / "good", **GOOD), db, show=False)
    return db


def _rejects(tmp_path, old_db, tables, *expected):
    digest = _sha(old_db)
    src = write_source(tmp_path / "bad", **tables)
    with pytest.raises(DataError) as err:
        load_to_file(src, old_db, show=False)
    message = str(err.value)
    for part in expected:
        assert part in message, message
    assert _sha(old_db) == digest
    assert sorted(p.name for p in old_db.parent.iterdir()) == ["gdpr.duckdb"]  # no temporary left behind
    return message


def test_loads_types_and_converts_offsets_to_utc(old_db):
    con = duckdb.connect(str(old_db), read_only=True)
    assert con.execute("SELECT ordered_at::VARCHAR FROM orders").fetchone() == ("2023-02-28 23:30:00",)
    assert con.execute("SELECT occurred_at::VARCHAR, processor FROM access_log").fetchone() == (
        "2026-10-01 00:00:00", "TCS")
    assert con.execute("SELECT typeof(total_eur), typeof(quantity) FROM orders").fetchone() == (
        "DECIMAL(10,2)", "INTEGER")
    present = dict(con.execute("SELECT table_name, present FROM _load_tables").fetchall())
    assert present == {"customers": True, "orders": True, "uploads": False, "access_log": True,
                       "marketing_sends": False, "dsr_requests": False}
    # absent optional tables exist empty, so statistics still run
    assert con.execute("SELECT count(*) FROM uploads").fetchone() == (0,)
    inputs = con.execute("SELECT table_name, file, rows, sha256 FROM _load_inputs ORDER BY 1").fetchall()
    assert [(t, f, n) for t, f, n, _ in inputs] == [
        ("access_log", "access_log.csv", 1), ("customers", "customers.csv", 2), ("orders", "orders.csv", 1)]
    src = old_db.parent.parent / "good"
    assert inputs[1][3] == _sha(src / "customers.csv")


def test_reads_csv_gz_parquet_and_partitioned_parquet(tmp_path):
    src = write_source(tmp_path / "s", **GOOD)
    csv_text = (src / "customers.csv").read_bytes()
    (src / "customers.csv").unlink()
    with gzip.open(src / "customers.csv.gz", "wb") as fh:
        fh.write(csv_text)
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    orders = (src / "orders.csv").as_posix()
    con.execute(f"COPY (SELECT * REPLACE (ordered_at::TIMESTAMPTZ AS ordered_at) FROM read_csv('{orders}', all_varchar=true)) "
                f"TO '{(src / 'orders.parquet').as_posix()}' (FORMAT parquet)")
    (src / "orders.csv").unlink()
    log = (src / "access_log.csv").as_posix()
    con.execute(f"COPY (SELECT *, '2026-10' AS month FROM read_csv('{log}', all_varchar=true)) "
                f"TO '{(src / 'access_log').as_posix()}' (FORMAT parquet, PARTITION_BY (month))")
    (src / "access_log.csv").unlink()
    db = tmp_path / "x.duckdb"
    assert load_to_file(src, db, show=False).counts == {"customers": 2, "orders": 1, "access_log": 1}
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT ordered_at::VARCHAR FROM orders").fetchone() == ("2023-02-28 23:30:00",)
    assert con.execute("SELECT occurred_at::VARCHAR FROM access_log").fetchone() == ("2026-10-01 00:00:00",)
    # the hive partition key is not reported as an undeclared column
    assert con.execute("SELECT count(*) FROM _load_extra_columns").fetchone() == (0,)
    files = [r[0] for r in con.execute("SELECT file FROM _load_inputs ORDER BY file").fetchall()]
    assert files[0].startswith("access_log/month=2026-10/") and files[1:] == ["customers.csv.gz", "orders.parquet"]


def test_parquet_timestamps_typed_or_zoned_load_as_the_same_utc_instants(tmp_path):
    """A Parquet TIMESTAMP is read as it is (checks.NATIVE_TYPES: no casts); a TIMESTAMP WITH TIME ZONE
    written from +05:30 is converted to UTC; both to the microsecond, across a leap day's last instant."""
    from gdpr_analytics.ingest.checks import Checker
    from gdpr_analytics.ingest.contract import TABLES
    from gdpr_analytics.ingest.source import scan

    src = write_source(tmp_path / "s", **GOOD)
    con = duckdb.connect()
    con.execute("SET TimeZone='Asia/Kolkata'")
    orders = (src / "orders.csv").as_posix()
    con.execute(f"COPY (SELECT * REPLACE (TIMESTAMP '2024-02-29 23:59:59.999999' AS ordered_at) "
                f"FROM read_csv('{orders}', all_varchar=true)) TO '{(src / 'orders.parquet').as_posix()}' (FORMAT parquet)")
    (src / "orders.csv").unlink()
    log = (src / "access_log.csv").as_posix()
    con.execute(f"COPY (SELECT * REPLACE (TIMESTAMPTZ '2024-03-01 05:29:59.999999+05:30' AS occurred_at) "
                f"FROM read_csv('{log}', all_varchar=true)) TO '{(src / 'access_log.parquet').as_posix()}' (FORMAT parquet)")
    (src / "access_log.csv").unlink()
    db = tmp_path / "x.duckdb"
    load_to_file(src, db, show=False)
    out = duckdb.connect(str(db), read_only=True)
    assert out.execute("SELECT ordered_at::VARCHAR FROM orders").fetchone() == ("2024-02-29 23:59:59.999999",)
    assert out.execute("SELECT occurred_at::VARCHAR FROM access_log").fetchone() == ("2024-02-29 23:59:59.999999",)
    # which columns took the shortcut: the typed one only
    work = duckdb.connect()
    work.execute("ATTACH ':memory:' AS raw")
    checker, entries = Checker(work, src), scan(src).entries
    assert checker.native(checker.stage(entries["orders"], "o")[0], TABLES["orders"]) == {"ordered_at"}
    assert checker.native(checker.stage(entries["access_log"], "a")[0], TABLES["access_log"]) == frozenset()


def test_records_columns_outside_the_contract(tmp_path):
    src = write_source(tmp_path / "s", **GOOD)
    write_table(src, "customers", [{"customer_id": "C1", "nickname": "Jef"}, {"customer_id": "C2"}],
                columns=[*CONTRACT.CUSTOMERS.column_names, "nickname"])
    db = tmp_path / "x.duckdb"
    load_to_file(src, db, show=False)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT * FROM _load_extra_columns").fetchall() == [("customers", "customers.csv", "nickname", 1)]


def test_rejects_missing_required_table(tmp_path, old_db):
    digest = _sha(old_db)
    src = write_source(tmp_path / "bad", **GOOD)
    (src / "orders.csv").unlink()
    with pytest.raises(DataError, match=r"required table orders is missing"):
        load_to_file(src, old_db, show=False)
    assert _sha(old_db) == digest


def test_rejects_missing_column(tmp_path, old_db):
    src = write_source(tmp_path / "bad", **GOOD)
    cols = [c for c in CONTRACT.ORDERS.column_names if c != "status"]
    write_table(src, "orders", GOOD["orders"], columns=cols)
    digest = _sha(old_db)
    with pytest.raises(DataError, match=r"orders.csv: table orders lacks required column status"):
        load_to_file(src, old_db, show=False)
    assert _sha(old_db) == digest


def test_rejects_bad_timestamp_with_csv_line_numbers(tmp_path, old_db):
    # Header line 1, C1 line 2; C2's street holds a quoted newline (lines 3-4): C3 is line 5, C4 line 6.
    _rejects(tmp_path, old_db, {**GOOD, "customers": [
        {"customer_id": "C1"},
        {"customer_id": "C2", "street": "Rue Neuve 1\nbus 3"},
        {"customer_id": "C3", "created_at": "yesterday"},
        {"customer_id": "C4", "created_at": "2023-02-30T00:00:00"},
    ]}, "customers.csv: table customers, column created_at: 2 rows where the value is not an ISO 8601 timestamp",
        "line 5 (customer_id='C3', created_at='yesterday')", "line 6 (customer_id='C4'")


def test_rejects_null_in_required_column(tmp_path, old_db):
    _rejects(tmp_path, old_db, {**GOOD, "orders": [{"order_id": "O1", "customer_id": "C1", "ordered_at": None}]},
             "table orders, column ordered_at: 1 row where the value is empty (NULL not allowed)", "line 2")


def test_rejects_duplicate_key(tmp_path, old_db):
    _rejects(tmp_path, old_db, {**GOOD, "customers": [{"customer_id": "C1"}, {"customer_id": "C2"},
                                                      {"customer_id": "C1"}]},
             "table customers, column customer_id: duplicate key in 2 rows", "line 2", "line 4")


def test_rejects_order_of_unknown_customer(tmp_path, old_db):
    _rejects(tmp_path, old_db, {**GOOD, "orders": [
        {"order_id": "O1", "customer_id": "C1", "ordered_at": "2024-01-01T00:00:00"},
        {"order_id": "O2", "customer_id": "C9", "ordered_at": "2024-01-01T00:00:00"}]},
        "table orders, column customer_id: 1 row referring to a customers.customer_id that does not exist",
        "line 3 (order_id='O2', customer_id='C9')")


def test_rejects_orders_of_unknown_customers_counting_them_in_words(tmp_path, old_db):
    _rejects(tmp_path, old_db, {**GOOD, "orders": [
        {"order_id": "O1", "customer_id": "C8", "ordered_at": "2024-01-01T00:00:00"},
        {"order_id": "O2", "customer_id": "C9", "ordered_at": "2024-01-01T00:00:00"}]},
        "table orders, column customer_id: 2 rows referring to a customers.customer_id that does not exist",
        "line 2 (order_id='O1', customer_id='C8')", "line 3 (order_id='O2', customer_id='C9')")


def test_rejects_value_outside_enumeration(tmp_path, old_db):
    _rejects(tmp_path, old_db, {**GOOD, "orders": [
        {"order_id": "O1", "customer_id": "C1", "ordered_at": "2024-01-01T00:00:00", "status": "lost"}]},
        "column status: 1 row where the value is not one of paid, shipped, cancelled, refunded")


@pytest.mark.parametrize("column, value, what", [
    ("quantity", "0", "is not greater than 0"),
    ("quantity", "two", "is not a valid INTEGER"),
    ("total_eur", "-1.00", "is below 0"),
])
def test_rejects_bad_numbers(tmp_path, old_db, column, value, what):
    _rejects(tmp_path, old_db, {**GOOD, "orders": [
        {"order_id": "O1", "customer_id": "C1", "ordered_at": "2024-01-01T00:00:00", column: value}]},
        f"column {column}: 1 row where the value {what}")


def test_rejects_bad_boolean_and_country(tmp_path, old_db):
    _rejects(tmp_path, old_db, {**GOOD, "marketing_sends": [
        {"customer_id": "C1", "sent_at": "2026-10-01T00:00:00", "personalised": "yes"}]},
        "marketing_sends.csv: table marketing_sends, column personalised", "is not true or false")
    _rejects(tmp_path, old_db, {**GOOD, "access_log": [
        {"occurred_at": "2026-10-01T00:00:00", "source_country": "IND"}]},
        "column source_country: 1 row where the value is not a two-letter country code")


def test_unknown_processor_and_country_are_data_not_errors(tmp_path):
    src = write_source(tmp_path / "s", **{**GOOD, "access_log": [
        {"occurred_at": "2026-10-01T00:00:00", "processor": "<script>x</script>", "source_country": "KP"}]})
    assert load_to_file(src, tmp_path / "x.duckdb", show=False).counts["access_log"] == 1


def test_rejects_unreadable_csv_naming_the_file(tmp_path, old_db):
    src = write_source(tmp_path / "bad", **GOOD)
    (src / "orders.csv").write_bytes(b'order_id,customer_id\n"O1,C1\n')
    digest = _sha(old_db)
    with pytest.raises(DataError) as err:
        load_to_file(src, old_db, show=False)
    assert str(err.value) == ("orders.csv: table orders: line 2: a quoted field is not closed before the end of "
                              "the file (is a closing quote missing?)")
    assert _sha(old_db) == digest


def test_rejects_a_table_given_twice(tmp_path, old_db):
    src = write_source(tmp_path / "bad", **GOOD)
    shutil.copy(src / "orders.csv", src / "orders.csv.gz")
    with pytest.raises(DataError, match=r"table orders is given more than once \(orders.csv, orders.csv.gz\)"):
        load_to_file(src, old_db, show=False)


def test_parquet_errors_name_file_and_row(tmp_path, old_db):
    src = write_source(tmp_path / "bad", **GOOD)
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 'O1' AS order_id, 'C1' AS customer_id, NULL::TIMESTAMP AS ordered_at, 'mystamp' AS product, "
                f"'web' AS channel, 1 AS quantity, 1.0 AS total_eur, 'paid' AS status) "
                f"TO '{(src / 'orders.parquet').as_posix()}' (FORMAT parquet)")
    (src / "orders.csv").unlink()
    digest = _sha(old_db)
    with pytest.raises(DataError, match=r"orders.parquet: table orders, column ordered_at: 1 row .* orders.parquet row 1"):
        load_to_file(src, old_db, show=False)
    assert _sha(old_db) == digest
