"""A source whose access log has a two-day gap and a thin day in October 2026 (tests/analysis/test_ledger.py
works its ledger out by hand; tests/report/test_gaps_report.py reports it)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sources import write_source

SOURCE_YML = """exported_at: 2026-11-01T00:00:00Z
known_gaps:
  - {table: access_log, processor: bpost, from: 2026-10-08, to: 2026-10-09, reason: log shipper down}
"""


def per_day(day: date) -> dict[str, int]:
    tcs = 20 if day.weekday() < 5 else 0
    tcs = {date(2026, 10, 13): 0, date(2026, 10, 14): 0, date(2026, 10, 20): 3, date(2026, 10, 21): 4}.get(day, tcs)
    infosys = 0 if day == date(2026, 10, 15) else 9
    bpost = 0 if day in (date(2026, 10, 8), date(2026, 10, 9)) else 15
    return {"TCS": tcs, "Infosys": infosys, "bpost": bpost}


def write_gap_source(folder: Path) -> Path:
    events, day = [], date(2026, 9, 1)
    while day <= date(2026, 10, 31):
        for processor, n in per_day(day).items():
            for i in range(n):
                events.append({"occurred_at": f"{day.isoformat()}T{8 + i % 10:02d}:{i:02d}:00Z",
                               "processor": processor, "source_country": "IN" if processor != "bpost" else "BE"})
        day += timedelta(days=1)
    folder = write_source(folder, customers=[{"customer_id": "C1"}],
                          access_log=events)
    (folder / "source.yml").write_text(SOURCE_YML, encoding="utf-8")
    return folder
