"""The scan floor: what any process must pay to read, for one month, the columns the fifteen rules read.

    python benchmarks/floor.py --db FILE --month YYYY-MM

One plain Python + DuckDB process (no gdpr_analytics import) opens the database read-only and reads
every value of those columns: `bit_xor(hash(column))` forces each value to be read and decoded
(`count(column)` would not: DuckDB can answer it from metadata). The month's rows only for the event
tables (access_log, marketing_sends); whole tables for the snapshot tables, which the rules read whole.
`findings` is compared with this process (benchmarks/run.py), both timed as whole processes.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime

import duckdb

#: table -> the columns the rules read (None: every column). Keep in step with queries/*.sql.
RULE_COLUMNS: dict[str, list[str] | None] = {
    "customers": ["customer_id", "account_type", "created_at", "erased_at", "marketing_objection_at",
                  "first_name", "last_name", "street", "postal_code", "city", "email", "birth_date",
                  "gender", "phone", "mobile", "vat_number"],
    "orders": ["customer_id", "ordered_at"],
    "uploads": ["upload_id", "customer_id", "uploaded_at", "erased_at", "kind"],
    "access_log": ["event_id", "occurred_at", "processor", "actor_id", "source_country", "action",
                   "resource", "customer_id", "record_count", "ticket_id"],
    "marketing_sends": ["send_id", "customer_id", "sent_at", "channel", "campaign_id", "personalised"],
    "dsr_requests": None,
}
#: event tables: only the month's rows are read, by this time column
MONTH_COLUMN = {"access_log": "occurred_at", "marketing_sends": "sent_at"}


def month_bounds(label: str) -> tuple[datetime, datetime]:
    y, m = map(int, label.split("-"))
    return datetime(y, m, 1), datetime(y + (m == 12), m % 12 + 1, 1)


def scan(con: duckdb.DuckDBPyConnection, month: str) -> dict[str, int]:
    start, end = month_bounds(month)
    rows = {}
    for table, columns in RULE_COLUMNS.items():
        if columns is None:
            columns = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [table]).fetchall()]
        digests = ", ".join(f'bit_xor(hash("{c}"))' for c in columns)
        sql = f'SELECT count(*), {digests} FROM "{table}"'
        params: dict = {}
        if table in MONTH_COLUMN:
            sql += f' WHERE "{MONTH_COLUMN[table]}" >= $start AND "{MONTH_COLUMN[table]}" < $end'
            params = {"start": start, "end": end}
        rows[table] = con.execute(sql, params).fetchone()[0]
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--month", required=True, help="YYYY-MM")
    args = ap.parse_args()
    con = duckdb.connect(args.db, read_only=True)
    print(json.dumps({"rows": scan(con, args.month)}))
    con.close()


if __name__ == "__main__":
    main()
