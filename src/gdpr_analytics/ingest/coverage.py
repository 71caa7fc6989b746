"""What the data can answer (SPEC §10): the source's data end, and each table's first and last instant.

`load` computes them and records them beside the data:
  _load_info    data_end        `YYYY-MM-DDTHH:MM:SSZ` (UTC): source.yml's `exported_at` when the source
                                holds one, else the first instant of the UTC day after the latest instant
                                in any TIMESTAMP column of any table; no such row when no table holds one
                data_end_from   `source.yml`, `latest row`, or `no rows` (no table holds an instant)
  _load_tables  earliest        the table's first row: the least value of its time column (created_at,
                                ordered_at, uploaded_at, occurred_at, sent_at, received_at)
                latest          the greatest value of any of its TIMESTAMP columns
                                (both UTC; NULL for a table that is absent or holds no rows)
  _load_ignored file, size      entries of the source that are not tables (a README), not read
The analysis reads them back through an engine: `data_end`, `data_end_from`, `tables`, `ignored`;
`last_month` is the last month a data end covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .contract import Table
from .errors import DataError, GdprAnalyticsError, UsageError
from .month import Month

INSTANT = "%Y-%m-%dT%H:%M:%SZ"
FROM_SOURCE_YML = "source.yml"
FROM_LATEST_ROW = "latest row"
FROM_NO_ROWS = "no rows"
EXAMPLE = "2026-11-01T06:00:00Z"


@dataclass(frozen=True)
class TableCoverage:
    """One table as loaded: present in the source or not, its rows, its first and last instant (UTC)."""

    table: str
    present: bool
    rows: int
    earliest: datetime | None
    latest: datetime | None


# -- computed at load ------------------------------------------------------------------------------

def span_sql(table: Table, relation: str) -> str:
    """SQL giving (earliest, latest) of a typed table (see the module's docstring)."""
    stamps = [f'max("{c.name}")' for c in table.columns if c.type == "TIMESTAMP"]
    latest = stamps[0] if len(stamps) == 1 else f"greatest({', '.join(stamps)})"
    return f'SELECT min("{table.time_column}"), {latest} FROM {relation}'


def day_after(instant: datetime) -> datetime:
    """The first instant of the UTC day after instant's."""
    return datetime(instant.year, instant.month, instant.day) + timedelta(days=1)


def data_end_of(latest: list[datetime | None], exported: datetime | None) -> tuple[datetime | None, str]:
    """(data end, where it comes from) of tables whose latest instants are `latest`."""
    if exported is not None:
        return exported, FROM_SOURCE_YML
    known = [t for t in latest if t is not None]
    if not known:
        return None, FROM_NO_ROWS
    return day_after(max(known)), FROM_LATEST_ROW


def exported_at(path: Path) -> datetime:
    """source.yml's `exported_at`, in UTC (naive, like every instant of the database), to the second.
    An instant without offset is UTC; a bare date is its first instant (as in the data files)."""
    name = path.name
    try:
        # every scalar as written (no YAML timestamps: 2026-13-01 must be our error, not the parser's)
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    except UnicodeDecodeError:
        raise DataError(f"{name}: not UTF-8 (save it as UTF-8)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DataError(f"{name}: not valid YAML: {problem}{where}") from None
    if not isinstance(doc, dict) or "exported_at" not in doc:
        raise DataError(f"{name}: key exported_at is missing (write exported_at: <ISO 8601 instant>, "
                        f"for example exported_at: {EXAMPLE})")
    value = doc["exported_at"]
    instant = _instant(value)
    if instant is None:
        raise DataError(f"{name}: key exported_at: {_shown(value)} is not an ISO 8601 instant "
                        f"(for example {EXAMPLE})")
    return instant


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if instant.tzinfo is not None:
        instant = instant.astimezone(timezone.utc).replace(tzinfo=None)
    return instant.replace(microsecond=0)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_instant(instant: datetime) -> str:
    return instant.strftime(INSTANT)


def parse_instant(text: str) -> datetime:
    return datetime.strptime(text, INSTANT)


# -- read back through an engine -----------------------------------------------------------------

def _info(engine) -> dict[str, str]:
    info = engine.load_info()
    if "data_end_from" not in info:
        raise UsageError("the database records no data end (it was loaded by an older gdpr-analytics): "
                         "load it again with gdpr-analytics load --source DIR --db FILE")
    return info


def data_end(engine) -> datetime | None:
    """The data end (naive UTC datetime), or None when no table holds an instant."""
    value = _info(engine).get("data_end")
    return parse_instant(value) if isinstance(value, str) and value else None


def data_end_from(engine) -> str:
    """Where the data end comes from: `source.yml`, `latest row` or `no rows`."""
    return _info(engine)["data_end_from"]


def last_month(end: datetime) -> Month:
    """The last month whose as_of is on or before the data end `end`."""
    return Month(end.year, end.month).previous()


def tables(engine) -> dict[str, TableCoverage]:
    """Every table of the contract as loaded, in contract order."""
    _info(engine)
    df = engine.query("SELECT table_name, present, rows, earliest, latest FROM _load_tables")
    return {t: TableCoverage(t, bool(p), int(n), _when(e), _when(la))
            for t, p, n, e, la in zip(df["table_name"], df["present"], df["rows"], df["earliest"], df["latest"])}


def ignored(engine) -> list[dict]:
    """The entries of the source that are not tables, not read: [{"file": …, "size": …}] by name
    (a folder's name ends in "/")."""
    _info(engine)
    df = engine.query("SELECT file, size FROM _load_ignored ORDER BY file")
    return [{"file": f, "size": int(s)} for f, s in zip(df["file"], df["size"])]


def _when(value: Any) -> datetime | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


# -- what a month can be asked ---------------------------------------------------------------------

#: The tables whose rows are events of a month; a month before such a table's first row is not covered.
EVENT_TABLES = ("access_log", "marketing_sends")


class NotCovered(GdprAnalyticsError):
    """A month the data does not reach (its as_of is after the data end)."""


def check_month(engine, month: Month) -> None:
    """Refuse a month whose as_of is after the data end, saying which months the data covers."""
    end = data_end(engine)
    if end is None:
        raise NotCovered(f"{month.label}: the data holds no instant at all, so it covers no month")
    if month.as_of > end:
        source = {FROM_SOURCE_YML: "exported_at of source.yml",
                  FROM_LATEST_ROW: "the day after the latest instant in the data"}.get(data_end_from(engine), "")
        raise NotCovered(f"{month.label} is after the data: the data ends at {format_instant(end)} ({source}); "
                         f"the last month it covers is {last_month(end).label}")


def uncovered(engine, month: Month) -> dict[str, str]:
    """Event tables that do not cover the month (their first row is on a later UTC day than the month's
    first day), each with the reason; their rules are not assessed for the month."""
    out = {}
    for name, t in tables(engine).items():
        if name in EVENT_TABLES and t.present and t.rows and t.earliest is not None \
                and t.earliest.date() > month.period_start.date():
            out[name] = f"table {name} starts on {t.earliest:%Y-%m-%d}, after the month's first day"
    return out


def empty(engine) -> list[str]:
    """Tables present in the source with no row (assessed: every output says "present, 0 rows")."""
    return [name for name, t in tables(engine).items() if t.present and t.rows == 0]


def table_states(engine) -> dict[str, dict[str, Any]]:
    """Every table: present or not, rows, first and last instant (for summary.json and the manifest)."""
    return {name: {"present": t.present, "rows": t.rows,
                   "earliest": format_instant(t.earliest) if t.earliest else None,
                   "latest": format_instant(t.latest) if t.latest else None}
            for name, t in tables(engine).items()}
