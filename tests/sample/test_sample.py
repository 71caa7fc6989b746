"""The sample generator (gdpr_analytics.sample): reproducible, valid against the contract, realistic
enough, and with at least one finding of every rule in the latest complete month of the default sample.

Each test states what a reader can check by hand in the CSV files.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from gdpr_analytics.core.errors import UsageError
from gdpr_analytics.ingest.contract import ERASABLE_CUSTOMER_COLUMNS, TABLES
from gdpr_analytics.sample import generate as sample

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "data_samples"
RULES = ("DSR-001", "MIN-001", "MKT-001", "MKT-002", "MKT-003", "RET-001", "RET-002", "RET-003", "RET-004",
         "RET-005", "XB-001", "XB-002", "XB-003", "XB-004", "XB-005", "XB-006")
END = sample.DEFAULT_END
END_EXCL = datetime.combine(END + timedelta(days=1), datetime.min.time())
SMALL = {"customers": 300, "events": 3000}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """`generate()` with the defaults, as `make sample` runs it."""
    out = tmp_path_factory.mktemp("sample-default")
    return out, sample.generate(out, progress=False)


@pytest.fixture(scope="module")
def con(regenerated) -> duckdb.DuckDBPyConnection:
    """The regenerated default sample read with the contract's types (offsets converted to UTC)."""
    out, _ = regenerated
    c = duckdb.connect()
    c.execute("SET TimeZone = 'UTC'")
    for table in TABLES.values():
        cols = []
        for col in table.columns:
            if col.type == "TIMESTAMP":
                cols.append(f"CAST(CAST({col.name} AS TIMESTAMPTZ) AS TIMESTAMP) AS {col.name}")
            else:
                cols.append(f'CAST("{col.name}" AS {col.type}) AS "{col.name}"')
        c.execute(f"CREATE TABLE {table.name} AS SELECT {', '.join(cols)} "
                  f"FROM read_csv(?, header = true, all_varchar = true)", [str(out / f"{table.name}.csv")])
    return c


def _one(c: duckdb.DuckDBPyConnection, sql: str, params=None):
    return c.execute(sql, params or []).fetchone()[0]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- reproducibility -------------------------------------------------------------------------------


def test_committed_sample_is_what_make_sample_writes(regenerated):
    out, _ = regenerated
    committed = {k: v for k, v in _files(COMMITTED).items() if k.endswith(".csv")}
    fresh = _files(out)
    assert sorted(committed) == sorted(f"{t}.csv" for t in TABLES)
    assert sorted(fresh) == sorted(committed)
    for name in committed:
        assert fresh[name] == committed[name], f"data_samples/{name} differs from a fresh `make sample`"


def test_committed_sample_is_at_most_5_mb():
    total = sum(len(b) for b in _files(COMMITTED).values())
    assert total <= 5_000_000, f"data_samples/ holds {total:,} bytes"


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a = sample.generate(tmp_path / "a", seed=7, progress=False, **SMALL)
    b = sample.generate(tmp_path / "b", seed=7, progress=False, **SMALL)
    c = sample.generate(tmp_path / "c", seed=8, progress=False, **SMALL)
    assert a == b
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    other = _files(tmp_path / "c")
    for name, data in _files(tmp_path / "a").items():
        assert other[name] != data, f"{name} is the same for seeds 7 and 8"
    assert c["customers"] == a["customers"] == SMALL["customers"]


def test_returns_rows_per_table(regenerated, con):
    _, counts = regenerated
    assert list(counts) == list(TABLES)
    for table, n in counts.items():
        assert _one(con, f"SELECT count(*) FROM {table}") == n
    assert counts["customers"] == sample.DEFAULT_CUSTOMERS
    assert counts["access_log"] == sample.DEFAULT_EVENTS


# -- the contract ----------------------------------------------------------------------------------


def test_header_is_the_contract_column_order(regenerated):
    out, _ = regenerated
    for table in TABLES.values():
        with open(out / f"{table.name}.csv", encoding="utf-8", newline="") as f:
            assert f.readline().rstrip("\n") == ",".join(table.column_names)


def test_nothing_is_dated_after_end(con):
    for table in TABLES.values():
        for col in table.columns:
            if col.type in ("TIMESTAMP", "DATE"):
                latest = _one(con, f"SELECT max({col.name}) FROM {table.name}")
                if latest is not None:
                    latest = latest if isinstance(latest, datetime) else datetime.combine(latest, datetime.min.time())
                    assert latest < END_EXCL, f"{table.name}.{col.name} = {latest}"


def test_keys_unique_and_not_null_columns_filled(con):
    for table in TABLES.values():
        assert _one(con, f"SELECT count(*) - count(DISTINCT {table.key}) FROM {table.name}") == 0, table.name
        for col in table.columns:
            if not col.nullable:
                assert _one(con, f'SELECT count(*) FROM {table.name} WHERE "{col.name}" IS NULL') == 0, col.name


def test_references_hold(con):
    for table in TABLES.values():
        for column, parent, parent_column in table.references:
            orphans = _one(con, f"SELECT count(*) FROM {table.name} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
                                f"(SELECT 1 FROM {parent} p WHERE p.{parent_column} = c.{column})")
            assert orphans == 0, f"{table.name}.{column} -> {parent}"
    # the access log and the requests name existing customers too (not a contract rule, but realistic)
    for table in ("access_log", "dsr_requests"):
        assert _one(con, f"SELECT count(*) FROM {table} t WHERE customer_id IS NOT NULL AND customer_id NOT IN "
                         "(SELECT customer_id FROM customers)") == 0


def test_enumerations_and_bounds(con):
    for table in TABLES.values():
        for col in table.columns:
            name = f'"{col.name}"'
            if col.allowed:
                bad = _one(con, f"SELECT count(*) FROM {table.name} WHERE {name} NOT IN ({', '.join('?' * len(col.allowed))})",
                           list(col.allowed))
                assert bad == 0, f"{table.name}.{col.name}"
            if col.minimum is not None:
                assert _one(con, f"SELECT count(*) FROM {table.name} WHERE {name} < ?", [col.minimum]) == 0
            if col.exclusive_minimum is not None:
                assert _one(con, f"SELECT count(*) FROM {table.name} WHERE {name} <= ?", [col.exclusive_minimum]) == 0
    assert _one(con, "SELECT count(*) FROM access_log WHERE NOT regexp_full_match(source_country, '[A-Z]{2}')") == 0


def test_csv_exercises_quoting_and_offsets(regenerated):
    out, _ = regenerated
    text = (out / "customers.csv").read_text(encoding="utf-8")
    assert '""' in text  # a quote inside a field
    assert ", bus " in text or ", bte " in text  # a comma inside a field
    assert re.search(r'"[^"\n]*\n', text), "a street over two lines"
    orders = (out / "orders.csv").read_text(encoding="utf-8")
    assert "+01:00," in orders and "+02:00," in orders


def test_offsets_give_the_right_instant(regenerated, con):
    """App orders are written in Brussels wall-clock time with their offset: the instant is UTC + offset."""
    out, _ = regenerated
    raw = duckdb.connect().execute(
        "SELECT order_id, ordered_at FROM read_csv(?, header = true, all_varchar = true) WHERE ordered_at LIKE '%+0%'",
        [str(out / "orders.csv")]).fetchall()
    assert raw
    brussels = ZoneInfo("Europe/Brussels")
    for order_id, text in raw[:500]:
        instant = datetime.fromisoformat(text)
        assert instant.utcoffset() == instant.astimezone(brussels).utcoffset(), text  # the offset Brussels had
        utc = _one(con, "SELECT ordered_at FROM orders WHERE order_id = ?", [order_id])
        assert utc == instant.astimezone(timezone.utc).replace(tzinfo=None)


def test_brussels_offset_macro_matches_the_tz_database(tmp_path):
    c = sample._connect(tmp_path, sample._variables(1, 0, END, 0))
    brussels = ZoneInfo("Europe/Brussels")
    start = datetime(2019, 1, 1)
    instants = [start + timedelta(hours=h) for h in range(0, 24 * 365 * 9, 7)]
    for year in range(2019, 2031):  # the second before and the second of each change (01:00 UTC)
        for month in (3, 10):
            sunday = max(date(year, month, d) for d in range(25, 32) if date(year, month, d).weekday() == 6)
            change = datetime.combine(sunday, datetime.min.time()) + timedelta(hours=1)
            instants += [change - timedelta(seconds=1), change]
    got = c.execute("SELECT brussels_offset(t) FROM unnest(?::TIMESTAMP[]) u(t)", [instants]).fetchall()
    for t, (minutes,) in zip(instants, got):
        assert minutes * 60 == t.replace(tzinfo=timezone.utc).astimezone(brussels).utcoffset().total_seconds(), t


# -- realism ---------------------------------------------------------------------------------------


def test_customers_look_belgian(con):
    n = _one(con, "SELECT count(*) FROM customers WHERE erased_at IS NULL")
    assert _one(con, "SELECT count(*) FROM customers WHERE erased_at IS NULL AND country_code = 'BE'") > 0.95 * n
    assert _one(con, "SELECT count(*) FROM customers WHERE NOT regexp_full_match(customer_id, 'C[0-9]{7}')") == 0
    assert _one(con, "SELECT count(*) FROM customers WHERE country_code = 'BE' "
                     "AND NOT regexp_full_match(postal_code, '[1-9][0-9]{3}')") == 0
    assert _one(con, "SELECT count(*) FROM customers WHERE phone LIKE '+32 %' "
                     "AND NOT regexp_full_match(phone, '\\+32 (2|3|4|9|[1-9][0-9]) [0-9 ]{8,9}')") == 0
    assert _one(con, "SELECT count(*) FROM customers WHERE mobile LIKE '+32 %' "
                     "AND NOT regexp_full_match(mobile, '\\+32 4[6-9][0-9] [0-9]{2} [0-9]{2} [0-9]{2}')") == 0
    # Liège, Namur, Brugge... in the language of the region
    cities = {r[0] for r in con.execute("SELECT DISTINCT city FROM customers").fetchall()}
    assert {"Bruxelles", "Antwerpen", "Gent", "Liège", "Namur", "Brugge"} <= cities
    # e-mails derived from the names
    assert _one(con, "SELECT count(*) FROM customers WHERE erased_at IS NULL AND account_type = 'consumer' AND "
                     "position(regexp_replace(lower(strip_accents(last_name)), '[^a-z0-9]', '', 'g') IN email) = 0") == 0
    shares = con.execute("SELECT avg((account_type = 'pro')::INT), avg((birth_date IS NOT NULL)::INT) "
                         "FROM customers WHERE erased_at IS NULL").fetchone()
    assert 0.06 < shares[0] < 0.15  # about 10 % MyStamp Pro
    assert 0.45 < shares[1] < 0.75  # birth date optional, about 60 % filled


def test_vat_numbers_are_valid_belgian_enterprise_numbers(con):
    vats = [r[0] for r in con.execute("SELECT vat_number FROM customers WHERE vat_number IS NOT NULL").fetchall()]
    assert vats
    for vat in vats:
        assert re.fullmatch(r"BE0\d{3}\.\d{3}\.\d{3}", vat), vat
        digits = vat[2:].replace(".", "")
        assert 97 - int(digits[:8]) % 97 == int(digits[8:]), vat


def test_erasure_empties_personal_data_and_uploads(con):
    erased = _one(con, "SELECT count(*) FROM customers WHERE erased_at IS NOT NULL")
    assert erased > 0.1 * sample.DEFAULT_CUSTOMERS
    filled = " OR ".join(f"{c} IS NOT NULL" for c in ERASABLE_CUSTOMER_COLUMNS)
    leftovers = _one(con, f"SELECT count(*) FROM customers WHERE erased_at IS NOT NULL AND ({filled})")
    assert 1 <= leftovers < 0.05 * erased  # RET-004 planted, rarely
    uploads_left = _one(con, "SELECT count(*) FROM uploads u JOIN customers c USING (customer_id) "
                             "WHERE c.erased_at IS NOT NULL AND u.erased_at IS NULL")
    uploads_erased = _one(con, "SELECT count(*) FROM uploads WHERE erased_at IS NOT NULL")
    assert 1 <= uploads_left < 0.05 * uploads_erased
    # an erased upload was erased with its customer
    assert _one(con, "SELECT count(*) FROM uploads u JOIN customers c USING (customer_id) "
                     "WHERE u.erased_at IS DISTINCT FROM c.erased_at AND u.erased_at IS NOT NULL") == 0


def test_timelines_are_consistent(con):
    assert _one(con, "SELECT count(*) FROM orders o JOIN customers c USING (customer_id) WHERE o.ordered_at < c.created_at") == 0
    assert _one(con, "SELECT count(*) FROM uploads u JOIN customers c USING (customer_id) WHERE u.uploaded_at < c.created_at") == 0
    assert _one(con, "SELECT count(*) FROM uploads u JOIN orders o USING (order_id) WHERE u.uploaded_at > o.ordered_at") == 0
    assert _one(con, "SELECT count(*) FROM customers WHERE erased_at < created_at OR marketing_objection_at < created_at") == 0
    assert _one(con, "SELECT count(*) FROM dsr_requests WHERE closed_at < received_at") == 0
    assert _one(con, "SELECT count(*) FROM dsr_requests WHERE (closed_at IS NULL) <> (outcome IS NULL)") == 0
    # six years of orders, thirteen months of access log, two years of marketing and requests
    first = _one(con, "SELECT min(ordered_at) FROM orders")
    assert END_EXCL - first > timedelta(days=365 * 6 - 31)
    assert _one(con, "SELECT min(occurred_at) FROM access_log") >= datetime(2025, 10, 1)
    assert _one(con, "SELECT min(sent_at) FROM marketing_sends") >= datetime(2024, 11, 1)


def test_access_log_processors_countries_and_hours(con):
    rows = dict(con.execute("SELECT processor || '/' || source_country, count(*) FROM access_log GROUP BY 1").fetchall())
    n = sum(rows.values())
    assert rows["bpost/BE"] > 0.2 * n
    assert rows["aws/IE"] > 0.05 * n
    assert rows["tcs/IN"] > rows.get("tcs/BE", 0) + rows.get("tcs/NL", 0)
    assert rows["infosys/IN"] > rows.get("infosys/BE", 0)
    # staff work in their own business hours: India 08:00-22:00 IST is 02:30-16:30 UTC
    assert _one(con, "SELECT count(*) FROM access_log WHERE source_country = 'IN' "
                     "AND (hour(occurred_at) * 60 + minute(occurred_at) < 150 OR hour(occurred_at) >= 17)") == 0
    assert _one(con, "SELECT count(*) FROM access_log WHERE source_country = 'BE' AND hour(occurred_at) < 5") == 0
    # tickets: ServiceNow style, and nearly every access from India has one
    assert _one(con, "SELECT count(*) FROM access_log WHERE NOT regexp_full_match(ticket_id, '(CHG|INC)[0-9]{7}')") == 0
    share = _one(con, "SELECT avg((ticket_id IS NOT NULL)::INT) FROM access_log WHERE source_country = 'IN'")
    assert share > 0.99
    # mostly one record at a time, some bulk
    single = _one(con, "SELECT avg((record_count = 1)::INT) FROM access_log WHERE resource <> 'infrastructure'")
    assert 0.7 < single < 0.95


# -- planted findings ------------------------------------------------------------------------------


def test_every_rule_has_a_finding_in_the_latest_month(sample_db):
    """The committed sample, loaded by the real loader, gives >= 1 finding per rule for 2026-10, and few."""
    from sources import connect, context

    from gdpr_analytics.analysis.rules import evaluate

    c = connect(sample_db)
    try:
        result = evaluate(c, context(c, "2026-10"))
    finally:
        c.close()
    assert result.not_assessed == []
    counts = dict(zip(result.counts()["rule_id"], result.counts()["findings"]))
    assert set(counts) == set(RULES)
    missing = [r for r in RULES if not counts[r]]
    assert missing == [], f"no finding in 2026-10 for {missing}"
    customer_findings = counts["RET-001"] + counts["RET-003"] + counts["RET-004"] + counts["MIN-001"]
    assert customer_findings < 0.05 * sample.DEFAULT_CUSTOMERS


def test_planted_breaches_stay_rare(con):
    """Each kind of breach is well under 5 % of its subjects (computed here straight from the files)."""
    month = "occurred_at >= TIMESTAMP '2026-10-01'"
    events = _one(con, f"SELECT count(*) FROM access_log WHERE {month}")
    eea = "('AT','BE','BG','HR','CY','CZ','DK','EE','FI','FR','DE','GR','HU','IE','IT','LV','LT','LU','MT','NL'," \
          "'PL','PT','RO','SK','SI','ES','SE','IS','LI','NO')"
    outside = _one(con, f"SELECT count(*) FROM access_log WHERE {month} AND source_country NOT IN {eea}")
    undeclared = _one(con, f"SELECT count(*) FROM access_log WHERE {month} AND processor NOT IN ('bpost','aws','infosys','tcs')")
    no_ticket = _one(con, f"SELECT count(*) FROM access_log WHERE {month} AND source_country NOT IN {eea} AND ticket_id IS NULL")
    assert 1 <= undeclared < 0.05 * events
    assert 1 <= no_ticket < 0.05 * outside
    sends = _one(con, "SELECT count(*) FROM marketing_sends WHERE sent_at >= TIMESTAMP '2026-10-01'")
    personalised = _one(con, "SELECT count(*) FROM marketing_sends WHERE sent_at >= TIMESTAMP '2026-10-01' AND personalised")
    assert 1 <= personalised < 0.05 * sends
    consumers_vat = _one(con, "SELECT count(*) FROM customers WHERE account_type = 'consumer' AND vat_number IS NOT NULL")
    assert 1 <= consumers_vat < 0.05 * sample.DEFAULT_CUSTOMERS


# -- options ---------------------------------------------------------------------------------------


def test_parquet_has_the_contract_types_and_the_same_rows(tmp_path):
    sample.generate(tmp_path / "csv", progress=False, **SMALL)
    counts = sample.generate(tmp_path / "pq", fmt="parquet", progress=False, **SMALL)
    months = sorted(p.name for p in (tmp_path / "pq" / "access_log").iterdir())
    assert len(months) == sample.ACCESS_MONTHS and months[-1] == "month=2026-10"
    c = duckdb.connect()
    c.execute("SET TimeZone = 'UTC'")
    for table in TABLES.values():
        path = tmp_path / "pq" / (f"{table.name}/*/*.parquet" if table.name == "access_log" else f"{table.name}.parquet")
        described = c.execute("DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = false)", [str(path)]).fetchall()
        assert [(r[0], r[1]) for r in described] == [(col.name, col.type) for col in table.columns]
        assert _one(c, "SELECT count(*) FROM read_parquet(?, hive_partitioning = false)", [str(path)]) == counts[table.name]
    # the same orders in both formats (the CSV offsets converted)
    diff = _one(c, """
        SELECT count(*) FROM (
            SELECT order_id, CAST(CAST(ordered_at AS TIMESTAMPTZ) AS TIMESTAMP), CAST(total_eur AS DECIMAL(10,2))
            FROM read_csv(?, header = true, all_varchar = true)
            EXCEPT SELECT order_id, ordered_at, total_eur FROM read_parquet(?))""",
                [str(tmp_path / "csv" / "orders.csv"), str(tmp_path / "pq" / "orders.parquet")])
    assert diff == 0


def test_other_end_date(tmp_path):
    end = date(2025, 3, 15)
    sample.generate(tmp_path, end=end, progress=False, **SMALL)
    c = duckdb.connect()
    c.execute("SET TimeZone = 'UTC'")
    limit = datetime(2025, 3, 16)
    for table in TABLES.values():
        for col in table.columns:
            if col.type == "TIMESTAMP":
                latest = _one(c, f"SELECT max(CAST(CAST({col.name} AS TIMESTAMPTZ) AS TIMESTAMP)) "
                                 "FROM read_csv(?, header = true, all_varchar = true)", [str(tmp_path / f"{table.name}.csv")])
                assert latest is None or latest < limit, f"{table.name}.{col.name} = {latest}"


def test_months_sets_how_many_access_log_partitions_end_at_end(tmp_path):
    # --months 3 ending 2024-03-10: January, February (a leap year's 29 days) and March up to the 10th
    sample.generate(tmp_path, fmt="parquet", months=3, end=date(2024, 3, 10), progress=False, **SMALL)
    parts = sorted(p.name for p in (tmp_path / "access_log").iterdir())
    assert parts == ["month=2024-01", "month=2024-02", "month=2024-03"]
    c = duckdb.connect()
    c.execute("SET TimeZone = 'UTC'")
    first, last, n = c.execute("SELECT min(occurred_at), max(occurred_at), count(*) FROM read_parquet(?)",
                               [str(tmp_path / "access_log" / "*" / "*.parquet")]).fetchone()
    assert first >= datetime(2024, 1, 1) and last < datetime(2024, 3, 11) and n == SMALL["events"]
    feb = c.execute("SELECT count(DISTINCT occurred_at::DATE) FROM read_parquet(?)",
                    [str(tmp_path / "access_log" / "month=2024-02" / "*.parquet")]).fetchone()[0]
    assert feb == 29


def test_regenerating_replaces_the_other_format(tmp_path):
    sample.generate(tmp_path, fmt="parquet", progress=False, **SMALL)
    sample.generate(tmp_path, progress=False, **SMALL)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.csv" for t in TABLES)


def test_a_failed_run_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    sample.generate(tmp_path, progress=False, **SMALL)
    before = _files(tmp_path)
    monkeypatch.setattr(sample, "_ACCESS_MONTH", "SELECT no_such_column FROM acc_ev")
    with pytest.raises(duckdb.Error):
        sample.generate(tmp_path, fmt="parquet", progress=False, **SMALL)
    assert _files(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.csv" for t in TABLES)


@pytest.mark.parametrize("kwargs", [{"fmt": "xlsx"}, {"customers": 0}, {"events": -1}, {"seed": -3},
                                    {"customers": True}, {"months": 0}, {"months": 121}])
def test_bad_arguments_are_usage_errors(tmp_path, kwargs):
    with pytest.raises(UsageError):
        sample.generate(tmp_path, progress=False, **kwargs)
