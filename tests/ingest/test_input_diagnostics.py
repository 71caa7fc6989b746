"""Input diagnostics (issue 10, points 2-4): what is wrong with an input, in our words, before DuckDB's;
header names matched ignoring case and surrounding blanks; entries that look like a table but name none.

Every message is asserted word for word; every failed load leaves the database as it was."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from sources import connect, write_source

from gdpr_analytics.core.errors import DataError
from gdpr_analytics.ingest import diagnose
from gdpr_analytics.ingest.contract import CUSTOMERS, TABLES
from gdpr_analytics.ingest.load import load_to_file

COMMAND = str(Path(sys.executable).with_name("gdpr-analytics"))
GOOD = dict(
    customers=[{"customer_id": "C1"}, {"customer_id": "C2", "account_type": "pro"}],
    orders=[{"order_id": "O1", "customer_id": "C1", "ordered_at": "2023-03-01T00:30:00+01:00"}],
    access_log=[{"event_id": "E1", "occurred_at": "2026-10-01T05:30:00", "processor": "TCS",
                 "source_country": "IN", "resource": "orders"}],
)
HEADER = ",".join(CUSTOMERS.column_names)
TABLE_LIST = "(tables: customers, orders, uploads, access_log, marketing_sends, dsr_requests)"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _customer_line(i: int, first_name: str = "") -> str:
    # customer_id, account_type, first_name, last_name, street, postal_code, city, country_code, email,
    # birth_date, gender, phone, mobile, vat_number, created_at, erased_at, marketing_objection_at
    return f"C{i},consumer,{first_name},,,,,BE,,,,,,,2018-01-01T00:00:00,,"


@pytest.fixture()
def old_db(tmp_path):
    db = tmp_path / "db" / "gdpr.duckdb"
    load_to_file(write_source(tmp_path / "good", **GOOD), db, show=False)
    return db


@pytest.fixture()
def src(tmp_path):
    """A good source to spoil; orders refer to C1 only."""
    return write_source(tmp_path / "src", **GOOD)


def _rejected(src: Path, db: Path) -> str:
    """The load's message; the database is byte for byte as it was, with nothing left beside it."""
    digest = _sha(db)
    with pytest.raises(DataError) as err:
        load_to_file(src, db, show=False)
    assert _sha(db) == digest
    assert sorted(p.name for p in db.parent.iterdir()) == ["gdpr.duckdb"]
    return str(err.value)


# -- encoding --------------------------------------------------------------------------------------

def _windows_1252_customers(rows_before: int) -> bytes:
    """customers.csv with `rows_before` good rows, then C<rows_before + 1> whose first name, Jean-André,
    is written in Windows-1252: é is the single byte 0xE9. Its line is rows_before + 2 (the header is
    line 1); on it, C… is len(id) chars, then ",consumer," (10 chars), then "Jean-Andr" (9 chars)."""
    lines = [HEADER] + [_customer_line(i) for i in range(1, rows_before + 1)]
    bad = _customer_line(rows_before + 1, "Jean-André").encode("cp1252")
    return ("\n".join(lines) + "\n").encode("utf-8") + bad + b"\n"


def test_a_windows_1252_file_names_line_byte_and_column(src, old_db):
    # C14: 3 chars + 10 + 9 = 22 characters before é: column 23 of line 15
    (src / "customers.csv").write_bytes(_windows_1252_customers(13))
    assert _rejected(src, old_db) == (
        "customers.csv: table customers: not UTF-8: line 15, byte 0xE9 at column 23 "
        "(the file looks like Windows-1252 or Latin-1; save it as UTF-8)")


def test_a_bad_byte_past_the_first_mib_is_found_after_duckdb_fails(src, old_db):
    # 22,000 rows of about 51 bytes: the bad row (C22001, 6 chars + 10 + 9 -> column 26) is past the first
    # MiB that is looked at before DuckDB reads the file, on line 22,002
    data = _windows_1252_customers(22_000)
    assert data.index(b"\xe9") > diagnose.PREFIX
    (src / "customers.csv").write_bytes(data)
    expected = ("customers.csv: table customers: not UTF-8: line 22002, byte 0xE9 at column 26 "
                "(the file looks like Windows-1252 or Latin-1; save it as UTF-8)")
    assert _rejected(src, old_db) == expected
    (src / "customers.csv").unlink()
    (src / "customers.csv.gz").write_bytes(gzip.compress(data))
    assert _rejected(src, old_db) == expected.replace("customers.csv:", "customers.csv.gz:")


def test_a_byte_order_mark_is_not_a_column(src, old_db):
    # the UTF-8 byte order mark is accepted (DuckDB skips it) and not counted in the column
    (src / "customers.csv").write_bytes(b"\xef\xbb\xbf" + _windows_1252_customers(0).replace(b"\n", b"\r\n"))
    assert _rejected(src, old_db) == (
        "customers.csv: table customers: not UTF-8: line 2, byte 0xE9 at column 22 "
        "(the file looks like Windows-1252 or Latin-1; save it as UTF-8)")


def test_a_utf16_file_is_named(src, old_db):
    (src / "customers.csv").write_bytes((HEADER + "\n" + _customer_line(1) + "\n").encode("utf-16"))
    assert _rejected(src, old_db) == (
        "customers.csv: table customers: not UTF-8: the file looks like UTF-16 (save it as UTF-8)")


def test_an_utf8_file_with_bom_and_crlf_still_loads(src, tmp_path):
    text = HEADER + "\r\n" + _customer_line(1, "Jean-André") + "\r\n"
    (src / "customers.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    db = tmp_path / "x.duckdb"
    load_to_file(src, db, show=False)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT customer_id, first_name FROM customers").fetchall() == [("C1", "Jean-André")]


# -- delimiter, empty file, structure --------------------------------------------------------------

@pytest.mark.parametrize("delimiter, named", [(";", "semicolons (;)"), ("\t", "tabs"), ("|", "vertical bars (|)")])
def test_a_file_delimited_otherwise_names_the_delimiter(src, old_db, delimiter, named):
    text = (src / "customers.csv").read_text(encoding="utf-8").replace(",", delimiter)
    (src / "customers.csv").write_text(text, encoding="utf-8")
    assert _rejected(src, old_db) == (
        f"customers.csv: table customers: not comma-separated: the header line is delimited by {named}, "
        "not commas; save the file with commas as the delimiter")


def test_a_semicolon_file_through_the_command(src, tmp_path):
    text = (src / "customers.csv").read_text(encoding="utf-8").replace(",", ";")
    (src / "customers.csv").write_text(text, encoding="utf-8")
    proc = subprocess.run([COMMAND, "load", "--source", src, "--db", tmp_path / "x.duckdb"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.splitlines()[-1] + "\n" == (
        "gdpr-analytics: error: customers.csv: table customers: not comma-separated: the header line is "
        "delimited by semicolons (;), not commas; save the file with commas as the delimiter\n")


def test_a_comma_file_with_semicolons_in_quoted_headers_is_comma_separated(src, tmp_path):
    text = (src / "customers.csv").read_text(encoding="utf-8")
    (src / "customers.csv").write_text(text.replace("street", '"str;e;e;t"', 1), encoding="utf-8")
    with pytest.raises(DataError, match=r"lacks required column street \(it has: .*str;e;e;t"):
        load_to_file(src, tmp_path / "x.duckdb", show=False)


def test_an_empty_file_needs_a_header_row(src, old_db):
    (src / "customers.csv").write_bytes(b"")
    assert _rejected(src, old_db) == (
        "customers.csv: table customers: the file is empty (0 bytes); a table needs at least its header row")
    (src / "customers.csv").unlink()
    (src / "customers.csv.gz").write_bytes(gzip.compress(b""))
    assert _rejected(src, old_db) == ("customers.csv.gz: table customers: the file is empty (0 bytes once "
                                      "decompressed); a table needs at least its header row")


def test_an_empty_parquet_file_is_named(src, old_db):
    (src / "orders.csv").unlink()
    (src / "orders").mkdir()
    (src / "orders" / "part-0.parquet").write_bytes(b"")
    assert _rejected(src, old_db) == ("orders/part-0.parquet: table orders: the file is empty (0 bytes); a Parquet "
                                      "file holds at least its columns, even with no row")


def test_a_blank_first_line_and_a_damaged_gzip_are_named(src, old_db):
    (src / "customers.csv").write_bytes(b"\n" + (src / "customers.csv").read_bytes())
    assert _rejected(src, old_db) == (
        "customers.csv: table customers: line 1 is blank: the header row must be the first line")
    (src / "customers.csv").rename(src / "customers.csv.gz")
    assert _rejected(src, old_db) == (
        "customers.csv.gz: table customers: not gzip-compressed, though its name ends in .gz")


def test_a_row_with_more_fields_than_the_header_names_its_line(src, old_db):
    # line 3 (C2) carries an unquoted comma in its first name: 18 fields where the header has 17
    # (with an objection date: DuckDB 2.0 silently drops an 18th field when it is empty)
    lines = [HEADER, _customer_line(1), _customer_line(2, "Smith, John") + "2024-01-01T00:00:00", _customer_line(3)]
    (src / "customers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _rejected(src, old_db) == (
        "customers.csv: table customers: line 3 has 18 fields where the header has 17 "
        "(a value holding a comma must be quoted)")


def test_text_after_a_closing_quote_names_its_line(src, old_db):
    lines = [HEADER, _customer_line(1), _customer_line(2, '"Jean" André')]
    (src / "customers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _rejected(src, old_db) == (
        'customers.csv: table customers: line 3: a closing quote is followed by more text in the same field '
        '(a quote inside a value is written as two quotes "")')


def test_what_duckdb_says_is_cut_to_its_reason():
    said = ("Invalid Input Error: CSV Error on Line: 15\nOriginal Line: C14,consumer,Jean-Andr?\n"
            "Invalid unicode (byte sequence mismatch) detected. This file is not utf-8 encoded.\n\nPossible ...")
    assert diagnose.duckdb_reason(said) == (
        "line 15: Invalid unicode (byte sequence mismatch) detected. This file is not utf-8 encoded.")
    assert diagnose.duckdb_reason('Invalid Input Error: Error when sniffing file "x.csv".\nIt was not ...') == (
        "its first rows do not parse as comma-separated values with double quotes (RFC 4180)")


# -- header names ------------------------------------------------------------------------------------

def _recased(path: Path, mapping) -> None:
    lines = path.read_text(encoding="utf-8").split("\n", 1)
    path.write_text(",".join(mapping(h) for h in lines[0].split(",")) + "\n" + lines[1], encoding="utf-8")


def test_headers_match_ignoring_case_and_surrounding_blanks(src, tmp_path):
    plain = tmp_path / "plain.duckdb"
    load_to_file(src, plain, show=False)
    _recased(src / "customers.csv", lambda h: h.upper() + " ")
    _recased(src / "orders.csv", lambda h: " " + h.title())
    recased = tmp_path / "recased.duckdb"
    load_to_file(src, recased, show=False)
    for db in (plain, recased):
        con = duckdb.connect(str(db), read_only=True)
        cols = [r[0] for r in con.execute("DESCRIBE customers").fetchall()]
        assert cols == CUSTOMERS.column_names
        rows = con.execute("SELECT * FROM customers ORDER BY 1").fetchall()
        orders = con.execute("SELECT * FROM orders").fetchall()
        con.close()
        if db == plain:
            expected = (rows, orders)
    assert (rows, orders) == expected


def test_a_column_outside_the_contract_keeps_its_name_without_blanks(src, tmp_path):
    text = (src / "customers.csv").read_text(encoding="utf-8").split("\n")
    text = [text[0] + ", Nickname "] + [line + ",Jef" if line else line for line in text[1:]]
    (src / "customers.csv").write_text("\n".join(text), encoding="utf-8")
    db = tmp_path / "x.duckdb"
    load_to_file(src, db, show=False)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT table_name, column_name, non_null FROM _load_extra_columns").fetchall() == [
        ("customers", "Nickname", 2)]


def test_two_headers_that_are_the_same_name_are_an_error_naming_both(src, old_db):
    text = (src / "customers.csv").read_text(encoding="utf-8").split("\n")
    text = [text[0] + ",CUSTOMER_ID "] + [line + ",C9" if line else line for line in text[1:]]
    (src / "customers.csv").write_text("\n".join(text), encoding="utf-8")
    assert _rejected(src, old_db) == (
        'customers.csv: table customers: columns "customer_id" and "CUSTOMER_ID " are the same name once case '
        "and surrounding blanks are ignored; keep one")


def _parquet(path: Path, select: str) -> None:
    con = duckdb.connect()
    con.execute(f"COPY ({select}) TO '{path.as_posix()}' (FORMAT parquet)")
    con.close()


def test_parquet_column_names_match_ignoring_case_and_blanks(src, tmp_path):
    (src / "orders.csv").unlink()
    _parquet(src / "orders.parquet", """SELECT 'O1' AS " ORDER_ID", 'C1' AS "Customer_Id",
             TIMESTAMPTZ '2023-02-28 23:30:00+00' AS "ORDERED_AT ", 'mystamp' AS "Product", 'web' AS channel,
             1 AS quantity, 9.90 AS total_eur, 'shipped' AS status""")
    db = tmp_path / "x.duckdb"
    load_to_file(src, db, show=False)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT order_id, customer_id, ordered_at::VARCHAR, product FROM orders").fetchall() == [
        ("O1", "C1", "2023-02-28 23:30:00", "mystamp")]


def test_parquet_files_of_one_table_may_spell_their_columns_differently(src, tmp_path):
    (src / "orders.csv").unlink()
    (src / "orders").mkdir()
    common = "'mystamp' AS product, 'web' AS channel, 1 AS quantity, 9.90 AS total_eur, 'shipped' AS status"
    _parquet(src / "orders" / "a.parquet", f"SELECT 'O1' AS order_id, 'C1' AS customer_id, "
                                           f"TIMESTAMP '2024-01-01' AS ordered_at, {common}")
    _parquet(src / "orders" / "b.parquet", f"SELECT 'O2' AS ORDER_ID, 'C2' AS \"CUSTOMER_ID \", "
                                           f"TIMESTAMP '2024-02-01' AS ORDERED_AT, {common}")
    db = tmp_path / "x.duckdb"
    assert load_to_file(src, db, show=False).counts["orders"] == 2
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT order_id, customer_id FROM orders ORDER BY 1").fetchall() == [("O1", "C1"), ("O2", "C2")]
    assert con.execute("SELECT file, rows FROM _load_inputs WHERE table_name = 'orders' ORDER BY 1").fetchall() == [
        ("orders/a.parquet", 1), ("orders/b.parquet", 1)]


def test_parquet_columns_that_are_the_same_name_are_an_error_naming_both(src, old_db):
    (src / "orders.csv").unlink()
    _parquet(src / "orders.parquet", """SELECT 'O1' AS order_id, 'C1' AS customer_id, 'C1' AS " customer_id",
             TIMESTAMP '2024-01-01' AS ordered_at, 'mystamp' AS product, 'web' AS channel, 1 AS quantity,
             9.90 AS total_eur, 'shipped' AS status""")
    assert _rejected(src, old_db) == (
        'orders.parquet: table orders: columns "customer_id" and " customer_id" are the same name once case and '
        "surrounding blanks are ignored; keep one")


# -- entries that are not tables -------------------------------------------------------------------

def test_a_misnamed_file_names_the_closest_table(src, old_db):
    write_source(src, uploads=[{"customer_id": "C1", "uploaded_at": "2024-01-01T00:00:00"}])
    (src / "uploads.csv").rename(src / "upload.csv")
    assert _rejected(src, old_db) == f"upload.csv: names no table; did you mean uploads? {TABLE_LIST}"


def test_misnamed_files_and_folders_are_named_together(src, old_db):
    (src / "Customers.CSV").write_bytes((src / "customers.csv").read_bytes())
    (src / "marketing.csv.gz").write_bytes(gzip.compress(b"send_id\n"))
    (src / "dsr").mkdir()
    _parquet(src / "dsr" / "part-0.parquet", "SELECT 'R1' AS request_id")
    assert _rejected(src, old_db) == (
        f"Customers.CSV: names no table; did you mean customers? {TABLE_LIST}; "
        f"dsr/: names no table; did you mean dsr_requests? {TABLE_LIST}; "
        f"marketing.csv.gz: names no table; did you mean marketing_sends? {TABLE_LIST}")


def test_a_csv_file_inside_a_tables_folder_is_an_error(src, old_db):
    (src / "access_log.csv").unlink()
    (src / "access_log" / "month=2026-10").mkdir(parents=True)
    _parquet(src / "access_log" / "month=2026-10" / "data.parquet",
             "SELECT 'E1' AS event_id, TIMESTAMP '2026-10-01' AS occurred_at, 'bpost' AS processor, 'A1' AS actor_id, "
             "'BE' AS source_country, NULL AS source_ip, 'read' AS action, 'orders' AS resource, NULL AS customer_id, "
             "1 AS record_count, 'T1' AS ticket_id")
    (src / "access_log" / "month=2026-11").mkdir()
    (src / "access_log" / "month=2026-11" / "data.csv").write_text("event_id\n", encoding="utf-8")
    assert _rejected(src, old_db) == (
        "access_log/month=2026-11/data.csv: the folder access_log/ is read for Parquet files only; convert this "
        "file to Parquet, or give the table as one file access_log.csv")


def test_other_entries_are_ignored_and_recorded(src, tmp_path):
    (src / "README.md").write_text("Export of 2026-11-01\n", encoding="utf-8")  # 21 bytes
    (src / ".DS_Store").write_bytes(b"\0" * 6)
    (src / "notes").mkdir()
    (src / "notes" / "a.txt").write_text("abc", encoding="utf-8")
    (src / "notes" / "b.csv.txt").write_text("abcd", encoding="utf-8")
    db = tmp_path / "x.duckdb"
    result = load_to_file(src, db, show=False)
    assert result.ignored == [".DS_Store", "README.md", "notes/"]
    assert result.summary().endswith("; not tables, not read: .DS_Store, README.md, notes/")
    with connect(db) as engine:
        assert engine.ignored() == [{"file": ".DS_Store", "size": 6}, {"file": "README.md", "size": 21},
                                            {"file": "notes/", "size": 7}]
    # a new ignored file is recorded by the next load, which reads no table again
    (src / "notes.txt").write_text("x", encoding="utf-8")
    again = load_to_file(src, db, show=False)
    assert (again.mode, again.read, again.added, again.removed, again.notes) == (
        "incremental", [], [], [], ["the entries that are not tables changed"])
    with connect(db) as engine:
        assert [i["file"] for i in engine.ignored()] == [".DS_Store", "README.md", "notes.txt", "notes/"]
    assert load_to_file(src, db, show=False).mode == "up to date"


def test_files_beside_the_parquet_files_of_a_table_are_ignored_and_recorded(src, tmp_path):
    (src / "access_log.csv").unlink()
    (src / "access_log").mkdir()
    _parquet(src / "access_log" / "part-0.parquet",
             "SELECT 'E1' AS event_id, TIMESTAMP '2026-10-01' AS occurred_at, 'bpost' AS processor, 'A1' AS actor_id, "
             "'BE' AS source_country, NULL AS source_ip, 'read' AS action, 'orders' AS resource, NULL AS customer_id, "
             "1 AS record_count, 'T1' AS ticket_id")
    (src / "access_log" / "_SUCCESS").write_bytes(b"")
    db = tmp_path / "x.duckdb"
    load_to_file(src, db, show=False)
    with connect(db) as engine:
        assert engine.ignored() == [{"file": "access_log/_SUCCESS", "size": 0}]


def test_the_committed_sample_lists_its_readme(sample_db):
    with connect(sample_db) as engine:
        assert [i["file"] for i in engine.ignored()] == ["README.md"]


def test_closest_table():
    from gdpr_analytics.ingest.source import closest_table

    assert [closest_table(n) for n in ("upload", "customer", "access-log", "accesslog", "marketing", "requests",
                                       "order_lines")] == [
        "uploads", "customers", "access_log", "access_log", "marketing_sends", "dsr_requests", "orders"]
    assert set(TABLES) == {"customers", "orders", "uploads", "access_log", "marketing_sends", "dsr_requests"}


# -- the written contract --------------------------------------------------------------------------

def test_the_input_contract_names_every_table_and_column_and_the_readme_links_it():
    repo = Path(__file__).resolve().parents[2]
    doc = (repo / "docs" / "input-contract.md").read_text(encoding="utf-8")
    for table in TABLES.values():
        row = next(line for line in doc.splitlines() if line.startswith(f"| {table.name} | "))
        for column in table.columns:
            assert column.name in row, (table.name, column.name)
    assert "](docs/input-contract.md)" in (repo / "README.md").read_text(encoding="utf-8")
