"""One small hand-made source for the month 2026-10 (as_of 2026-11-01T00:00:00Z), loaded through the real
loader: the statistics tests (analysis/test_stats_queries.py), the record's (analysis/test_ropa.py) and
the notebooks' (notebooks/) reuse it. The comments give the reasoning behind every expected number."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sources import write_table

from gdpr_analytics.core.month import Month
from gdpr_analytics.ingest.contract import TABLES

MONTH = Month.parse("2026-10")
AS_OF = datetime(2026, 11, 1)

CUSTOMER_EXTRA = "loyalty_tier"  # a column outside the contract, 2 values
UPLOAD_EXTRA = "exif_gps"  # a column outside the contract, 1 value

FULL = {"first_name": "Ann", "last_name": "Peeters", "street": "Rue 1", "postal_code": "1000", "city": "Brussel",
        "email": "ann@example.org", "birth_date": "1980-02-03", "gender": "F", "phone": "+3221234567",
        "mobile": "+32470123456"}


def scenario_tables() -> dict[str, list[dict]]:
    customers = [
        # held at as_of: C1, C2, C7 (consumer), C3 (pro)
        {"customer_id": "C1", "created_at": "2020-01-01T00:00:00", **FULL, CUSTOMER_EXTRA: "gold"},
        {"customer_id": "C2", "created_at": "2024-01-01T00:00:00", "first_name": "Bo", "last_name": "V",
         "email": "bo@example.org", "birth_date": "1990-01-01", "vat_number": "BE0123456789",
         "marketing_objection_at": "2026-10-01T00:00:00", CUSTOMER_EXTRA: "silver"},
        {"customer_id": "C3", "account_type": "pro", "created_at": "2022-05-01T00:00:00", "first_name": "Cy",
         "last_name": "W", "email": "cy@example.org", "birth_date": "1970-01-01", "vat_number": "BE0987654321"},
        # created exactly at as_of: does not exist yet
        {"customer_id": "C4", "created_at": "2026-11-01T00:00:00", **FULL},
        # erased one second before as_of (first_name left behind: RET-004)
        {"customer_id": "C5", "created_at": "2021-01-01T00:00:00", "erased_at": "2026-10-31T23:59:59",
         "first_name": "Dee", "country_code": None},
        # erased 2026-09-01, cleanly
        {"customer_id": "C6", "created_at": "2021-01-01T00:00:00", "erased_at": "2026-09-01T00:00:00",
         "country_code": None},
        # never ordered; account older than 3 years (RET-003)
        {"customer_id": "C7", "created_at": "2022-01-01T00:00:00", "first_name": "Ed", "last_name": "X",
         "email": "ed@example.org", "birth_date": "2000-01-01"},
    ]
    orders = [
        {"order_id": "O1", "customer_id": "C1", "ordered_at": "2023-06-15T10:00:00"},  # deadline 2026-06-15T10:00
        {"order_id": "O2", "customer_id": "C2", "ordered_at": "2025-01-01T00:00:00"},
        {"order_id": "O3", "customer_id": "C3", "ordered_at": "2026-10-10T00:00:00", "product": "mystamp_pro"},
        {"order_id": "O5", "customer_id": "C5", "ordered_at": "2022-01-01T00:00:00"},  # deadline 2025-01-01
        {"order_id": "O6", "customer_id": "C6", "ordered_at": "2022-06-01T00:00:00"},  # deadline 2025-06-01
    ]
    uploads = [
        {"upload_id": "U1", "customer_id": "C1", "uploaded_at": "2023-06-01T00:00:00", "depicts_persons": "true"},
        {"upload_id": "U2", "customer_id": "C3", "uploaded_at": "2026-10-09T00:00:00", "depicts_persons": "false",
         UPLOAD_EXTRA: "50.85,4.35"},
        {"upload_id": "U3", "customer_id": "C6", "uploaded_at": "2022-05-30T00:00:00", "depicts_persons": "true"},
        {"upload_id": "U4", "customer_id": "C5", "uploaded_at": "2021-06-01T00:00:00",
         "erased_at": "2026-10-31T00:00:00"},
    ]
    access_log = [
        {"event_id": "E01", "occurred_at": "2026-10-01T03:30:00", "processor": "tcs", "actor_id": "T1",
         "source_country": "IN", "action": "read", "resource": "customers", "customer_id": "C1",
         "record_count": "1", "ticket_id": "CHG1"},
        {"event_id": "E02", "occurred_at": "2026-10-02T10:00:00", "processor": "tcs", "actor_id": "T2",
         "source_country": "IN", "action": "export", "resource": "customers", "record_count": "5000",
         "ticket_id": None},
        {"event_id": "E03", "occurred_at": "2026-10-03T12:00:00", "processor": "infosys", "actor_id": "I1",
         "source_country": "IN", "action": "admin", "resource": "infrastructure", "record_count": "0"},
        {"event_id": "E04", "occurred_at": "2026-10-04T08:00:00", "processor": "aws", "actor_id": "A1",
         "source_country": "IE", "action": "read", "resource": "infrastructure", "record_count": "0"},
        {"event_id": "E05", "occurred_at": "2026-10-05T14:00:00", "processor": "acme", "actor_id": "X1",
         "source_country": "US", "action": "read", "resource": "uploads", "record_count": "3",
         "ticket_id": None},
        {"event_id": "E06", "occurred_at": "2026-10-06T15:00:00", "processor": "tcs", "actor_id": "T1",
         "source_country": "US", "action": "read", "resource": "orders", "record_count": "7"},
        {"event_id": "E07", "occurred_at": "2026-10-05T09:00:00", "processor": "bpost", "actor_id": "B1",
         "source_country": "BE", "action": "read", "resource": "customers", "customer_id": "C6"},
        {"event_id": "E08", "occurred_at": "2026-09-15T06:00:00", "processor": "tcs", "actor_id": "T3",
         "source_country": "IN", "action": "read", "resource": "customers", "record_count": "2"},
        {"event_id": "E09", "occurred_at": "2025-11-10T06:00:00", "processor": "infosys", "actor_id": "I2",
         "source_country": "IN", "action": "read", "resource": "infrastructure", "record_count": "4"},
        {"event_id": "E10", "occurred_at": "2025-10-31T23:00:00", "processor": "tcs", "actor_id": "T4",
         "source_country": "IN", "action": "read", "resource": "customers", "record_count": "9"},
    ]
    marketing_sends = [
        {"send_id": "S1", "customer_id": "C1", "sent_at": "2026-10-03T00:00:00", "channel": "email"},
        {"send_id": "S2", "customer_id": "C7", "sent_at": "2026-10-04T00:00:00", "channel": "email",
         "personalised": "true"},
        {"send_id": "S3", "customer_id": "C2", "sent_at": "2026-10-05T00:00:00", "channel": "post"},
        {"send_id": "S4", "customer_id": "C5", "sent_at": "2026-10-31T23:59:59", "channel": "post"},
        {"send_id": "S5", "customer_id": "C1", "sent_at": "2026-09-03T00:00:00", "channel": "email"},
    ]
    dsr_requests = [
        {"request_id": "R1", "customer_id": "C1", "right": "access", "received_at": "2026-09-10T00:00:00",
         "closed_at": "2026-10-05T00:00:00", "outcome": "fulfilled"},
        {"request_id": "R2", "customer_id": "C6", "right": "erasure", "received_at": "2026-08-20T00:00:00",
         "closed_at": "2026-10-01T00:00:00", "outcome": "fulfilled"},
        {"request_id": "R3", "customer_id": "C2", "right": "objection", "received_at": "2026-09-15T00:00:00"},
        {"request_id": "R4", "customer_id": "C3", "right": "access", "received_at": "2026-10-20T00:00:00"},
        {"request_id": "R5", "customer_id": "C7", "right": "portability", "received_at": "2026-07-01T00:00:00",
         "extended": "true", "closed_at": "2026-10-20T00:00:00", "outcome": "fulfilled"},
    ]
    return {"customers": customers, "orders": orders, "uploads": uploads, "access_log": access_log,
            "marketing_sends": marketing_sends, "dsr_requests": dsr_requests}


def write_scenario(folder: Path, *, without: tuple[str, ...] = (), more: dict | None = None) -> Path:
    """The scenario as a source folder (optional tables in `without` left out, rows in `more` added)."""
    folder.mkdir(parents=True, exist_ok=True)
    extra = {"customers": [CUSTOMER_EXTRA], "uploads": [UPLOAD_EXTRA]}
    for table, rows in scenario_tables().items():
        if table in without:
            continue
        rows = rows + (more or {}).get(table, [])
        write_table(folder, table, rows, columns=TABLES[table].column_names + extra.get(table, []))
    return folder


def load_scenario(tmp: Path, *, without: tuple[str, ...] = (), more: dict | None = None) -> Path:
    from gdpr_analytics.ingest.load import load_to_file

    name = "scenario" + "".join(f"-no-{t}" for t in without) + ("-more" if more else "")
    db = tmp / f"{name}.duckdb"
    load_to_file(write_scenario(tmp / name, without=without, more=more), db, show=False)
    return db
