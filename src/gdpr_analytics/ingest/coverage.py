"""What the data covers, as `load` records it (SPEC §10): each table's first and last instant, and the
source's data end.

  _load_info    data_end        `YYYY-MM-DDTHH:MM:SSZ` (UTC): source.yml's `exported_at` when the source
                                holds one, else the first instant of the UTC day after the latest instant
                                in any TIMESTAMP column of any table; no such row when no table holds one
                data_end_from   `source.yml`, `latest row`, or `no rows` (no table holds an instant)
  _load_tables  earliest        the table's first row: the least value of its time column (created_at,
                                ordered_at, uploaded_at, occurred_at, sent_at, received_at)
                latest          the greatest value of any of its TIMESTAMP columns
                                (both UTC; NULL for a table that is absent or holds no rows)
Both engines compute them with these functions; analysis/context.py reads them back for a month.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from ..core.errors import DataError
from ..core.instants import day_after
from .contract import Table

FROM_SOURCE_YML = "source.yml"
FROM_LATEST_ROW = "latest row"
FROM_NO_ROWS = "no rows"
EXAMPLE = "2026-11-01T06:00:00Z"


# -- computed at load ------------------------------------------------------------------------------

def span_aggregates(table: Table, value=lambda column: f'"{column.name}"') -> list[str]:
    """The two aggregates giving (earliest, latest) of a table (see the module's docstring); `value` gives
    a column's typed value (default: the column of a typed table)."""
    stamps = [f"max({value(c)})" for c in table.columns if c.type == "TIMESTAMP"]
    latest = stamps[0] if len(stamps) == 1 else f"greatest({', '.join(stamps)})"
    return [f"min({value(table.column(table.time_column))})", latest]


def span_sql(table: Table, relation: str) -> str:
    """SQL giving (earliest, latest) of a typed table (see the module's docstring)."""
    return f"SELECT {', '.join(span_aggregates(table))} FROM {relation}"


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
