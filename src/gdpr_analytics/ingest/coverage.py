"""What the data covers, as `load` records it (SPEC §10): each table's first and last record instant, the
source's data start and data end, and the instants that lie after the data end.

A table's *record instant* is the column that says when a row came to be (its `time_column`:
customers.created_at, orders.ordered_at, uploads.uploaded_at, access_log.occurred_at,
marketing_sends.sent_at, dsr_requests.received_at). State columns (erased_at, closed_at,
marketing_objection_at, ...) say what happened to a row later: they move neither the start nor the end,
so one mistyped year in one row cannot stretch what the data is said to cover.

  _load_info    data_end        `YYYY-MM-DDTHH:MM:SSZ` (UTC): source.yml's `exported_at` when the source
                                holds one, else the first instant of the UTC day after the latest record
                                instant of any table; no such row when no table holds a row
                data_end_from   `source.yml`, `latest row`, or `no rows` (no table holds a row)
  _load_tables  earliest        the table's first record instant (the data start is the least of them)
                latest          the table's last record instant
                                (both UTC; NULL for a table that is absent or holds no rows)
  _load_after_end               per table and TIMESTAMP column, how many values lie after the data end
                                (strictly), with the keys of the first rows (AFTER_END_KEYS, by key)
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
#: How many row keys `_load_after_end` names per column.
AFTER_END_KEYS = 5


# -- computed at load ------------------------------------------------------------------------------

def span_aggregates(table: Table, value=lambda column: f'"{column.name}"') -> list[str]:
    """The two aggregates giving (earliest, latest) record instant of a table (see the module's docstring);
    `value` gives a column's typed value (default: the column of a typed table)."""
    record = value(table.column(table.time_column))
    return [f"min({record})", f"max({record})"]


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


def after_end_sql(table: Table, relation: str) -> tuple[list[str], str]:
    """(TIMESTAMP columns, SQL giving for each how many values lie after $data_end) of a typed table."""
    stamps = [c.name for c in table.columns if c.type == "TIMESTAMP"]
    counts = ", ".join(f'count(*) FILTER (WHERE "{c}" > $data_end)' for c in stamps)
    return stamps, f"SELECT {counts} FROM {relation}"


def after_end_keys_sql(table: Table, column: str, relation: str) -> str:
    """SQL giving the keys of the first rows (by key) whose `column` lies after $data_end."""
    return (f'SELECT "{table.key}" FROM {relation} WHERE "{column}" > $data_end '
            f'ORDER BY "{table.key}" LIMIT {AFTER_END_KEYS}')


def after_end_rows(table: Table, relation: str, run) -> list[tuple]:
    """The `_load_after_end` rows of one table: `run(sql)` answers a query (with $data_end bound) as a
    list of tuples."""
    stamps, sql = after_end_sql(table, relation)
    counts = run(sql)[0]
    out = []
    for column, n in zip(stamps, counts):
        if n:
            keys = [str(r[0]) for r in run(after_end_keys_sql(table, column, relation))]
            out.append((table.name, column, int(n), ", ".join(keys)))
    return out


def _source_yml(path: Path) -> Any:
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
    return doc


#: The tables whose days the ledger follows, with the column that names a member of the table.
LEDGER_MEMBERS = {"access_log": "processor", "marketing_sends": "channel"}
GAP_EXAMPLE = ("known_gaps: [{table: access_log, processor: TCS, from: 2026-10-12, to: 2026-10-13, "
               "reason: log shipper down}]")
_BLANKS = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"


def member_key(value: str | None) -> str | None:
    """A processor or channel as the ledger groups it: case and surrounding Unicode blanks ignored, as the
    rules compare processor names (queries/cross_border)."""
    return None if value is None else value.strip(_BLANKS).lower()


def known_gaps(path: Path) -> list[tuple]:
    """The gaps source.yml declares (`known_gaps`, optional): rows of `_known_gaps` (table, member or None
    for the whole table, first day, last day (both UTC days, inclusive), reason)."""
    from datetime import date

    name = path.name
    doc = _source_yml(path)
    gaps = doc.get("known_gaps") if isinstance(doc, dict) else None
    if gaps is None:
        return []
    if not isinstance(gaps, list):
        raise DataError(f"{name}: key known_gaps must be a list ({GAP_EXAMPLE})")
    out = []
    for i, gap in enumerate(gaps, 1):
        where = f"{name}: known_gaps entry {i}"
        if not isinstance(gap, dict):
            raise DataError(f"{where} must be a mapping ({GAP_EXAMPLE})")
        table = gap.get("table")
        if table not in LEDGER_MEMBERS:
            raise DataError(f"{where}: table must be one of {', '.join(LEDGER_MEMBERS)}, got {_shown(table)}")
        member_column = LEDGER_MEMBERS[table]
        other = [k for k in gap if k not in ("table", member_column, "from", "to", "reason")]
        if other:
            raise DataError(f"{where}: unknown key {other[0]!r} (a gap of {table} has table, {member_column}, "
                            "from, to, reason)")
        days = []
        for key in ("from", "to"):
            try:
                days.append(date.fromisoformat(str(gap.get(key, "")).strip()[:10]))
            except ValueError:
                raise DataError(f"{where}: {key} must be a day YYYY-MM-DD, got {_shown(gap.get(key))}") from None
        if days[1] < days[0]:
            raise DataError(f"{where}: to ({days[1]}) is before from ({days[0]})")
        reason = str(gap.get("reason") or "").strip()
        if not reason:
            raise DataError(f"{where}: reason is missing (say why the data has a gap there)")
        member = gap.get(member_column)
        out.append((table, member_key(str(member)) if member not in (None, "") else None, days[0], days[1], reason))
    return out


def exported_at(path: Path) -> datetime:
    """source.yml's `exported_at`, in UTC (naive, like every instant of the database), to the second.
    An instant without offset is UTC; a bare date is its first instant (as in the data files)."""
    name = path.name
    doc = _source_yml(path)
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
