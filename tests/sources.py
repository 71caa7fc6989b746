"""Build tiny source folders by hand for tests: rows as dicts, every unspecified column defaulted."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable

from gdpr_analytics.contract import TABLES

DEFAULTS = {
    "customers": {"account_type": "consumer", "created_at": "2018-01-01T00:00:00", "country_code": "BE"},
    "orders": {"product": "mystamp", "channel": "web", "quantity": "1", "total_eur": "9.90", "status": "shipped"},
    "uploads": {"kind": "photo", "depicts_persons": "true", "size_bytes": "1000"},
    "access_log": {"processor": "bpost", "actor_id": "A1", "source_country": "BE", "action": "read",
                   "resource": "customers", "record_count": "1", "ticket_id": "CHG1"},
    "marketing_sends": {"channel": "email", "campaign_id": "CMP1", "personalised": "false"},
    "dsr_requests": {"right": "access", "extended": "false"},
}


def write_table(folder: Path, table: str, rows: Iterable[dict], columns: list[str] | None = None) -> Path:
    cols = columns or TABLES[table].column_names
    path = folder / f"{table}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for i, row in enumerate(rows):
            full = {**DEFAULTS.get(table, {}), **row}
            key = TABLES[table].key
            full.setdefault(key, f"{table[:3].upper()}{i + 1}")
            w.writerow(["" if full.get(c) is None else full.get(c, "") for c in cols])
    return path


def write_source(folder: Path, **tables: list[dict]) -> Path:
    """Write the given tables; customers, orders and access_log are always written (empty if not given)."""
    folder.mkdir(parents=True, exist_ok=True)
    for required in ("customers", "orders", "access_log"):
        tables.setdefault(required, [])
    for name, rows in tables.items():
        write_table(folder, name, rows)
    return folder
