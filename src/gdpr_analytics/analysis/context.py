"""One month as a command asks for it, built once and handed down: the month, the policy history, the
version in force at the month's last instant, the rule parameters, and what the data covers.

`Coverage` is what the loader recorded about the data (ingest/coverage.py, read back once per engine):
the data end and where it comes from, each table's rows and first and last instant, the entries of the
source that are not tables. It answers what a month can be asked (SPEC §10):
- a month whose as_of is after the data end is refused (`NotCovered`, naming the last month covered), and
  so is a month whose as_of is at or before the data start (the earliest record instant of any table),
  naming the first month covered: a mistyped year never gets a clean bill of health;
  `last_month` is the last month whose as_of is on or before the data end (`--month latest`);
- an event table (access_log, marketing_sends) whose first row falls on a later UTC day than the month's
  first day does not cover the month: its rules are not assessed (`uncovered`), with the reason;
- a table present with 0 rows is assessed, and every output says "present, 0 rows" (`empty`).

`MonthContext.build` does every check a command needs before any work: the policy history covers the
month, the data reaches it. The rules, the month results, the report and the notebooks all take the
context instead of re-deriving it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ..core.errors import GdprAnalyticsError, UsageError
from ..core.instants import format_instant, parse_instant
from ..core.month import Month
from ..core.parameters import Parameters
from ..ingest.coverage import FROM_LATEST_ROW, FROM_SOURCE_YML

#: The tables whose rows are events of a month; a month before such a table's first row is not covered.
EVENT_TABLES = ("access_log", "marketing_sends")
#: The third country the 12-month trend follows when the policy declares no transfer.
DEFAULT_COUNTRY = "IN"


class NotCovered(GdprAnalyticsError):
    """A month the data does not reach (its as_of is after the data end, or at or before the data start)."""


@dataclass(frozen=True)
class TableCoverage:
    """One table as loaded: present in the source or not, its rows, its first and last instant (UTC)."""

    table: str
    present: bool
    rows: int
    earliest: datetime | None
    latest: datetime | None


def _when(value: Any) -> datetime | None:
    """A recorded instant as a datetime (None when missing: None, or NaT from an engine answering pandas)."""
    if value is None or value != value:
        return None
    return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value


@dataclass(frozen=True)
class Coverage:
    """What the data covers, as recorded at load (see the module's docstring)."""

    data_end: datetime | None
    data_end_from: str
    tables: dict[str, TableCoverage]
    ignored: list[dict] = field(default_factory=list)
    after_end: list[dict] = field(default_factory=list)  # instants after the data end, per table and column

    @classmethod
    def of(cls, engine) -> "Coverage":
        info = engine.load_info()
        if "data_end_from" not in info:
            raise UsageError("the database records no data end (it was loaded by an older gdpr-analytics): "
                             "load it again with gdpr-analytics load --source DIR --db FILE")
        end = info.get("data_end")
        tables = {t: TableCoverage(t, bool(p), int(n), _when(e), _when(la)) for t, p, n, e, la in engine.load_tables()}
        after = engine.after_data_end()
        return cls(parse_instant(end) if isinstance(end, str) and end else None, info["data_end_from"], tables,
                   engine.ignored(), after)

    @property
    def data_start(self) -> datetime | None:
        """The earliest record instant of any table (None when no table holds a row)."""
        known = [t.earliest for t in self.tables.values() if t.rows and t.earliest is not None]
        return min(known, default=None)

    @property
    def data_start_text(self) -> str | None:
        return format_instant(self.data_start) if self.data_start is not None else None

    def first_month(self) -> Month:
        """The first month whose as_of is after the data start (the month holding it)."""
        start = self.data_start
        return Month(start.year, start.month)

    @property
    def data_end_text(self) -> str | None:
        return format_instant(self.data_end) if self.data_end is not None else None

    def last_month(self) -> Month:
        """The last month whose as_of is on or before the data end."""
        if self.data_end is None:
            raise UsageError("--month latest: the data holds no instant at all, so it covers no month")
        return Month(self.data_end.year, self.data_end.month).previous()

    def check(self, month: Month) -> None:
        """Refuse a month whose as_of is after the data end, saying which months the data covers."""
        end = self.data_end
        if end is None:
            raise NotCovered(f"{month.label}: the data holds no instant at all, so it covers no month")
        start = self.data_start
        if start is not None and month.as_of <= start:
            first = min((t for t in self.tables.values() if t.rows and t.earliest == start), key=lambda t: t.table)
            raise NotCovered(f"{month.label} is before the data: the data starts at {format_instant(start)} "
                             f"(the first row of {first.table}); the first month it covers is "
                             f"{self.first_month().label}")
        if month.as_of > end:
            source = {FROM_SOURCE_YML: "exported_at of source.yml",
                      FROM_LATEST_ROW: "the day after the latest record instant in the data"}.get(self.data_end_from, "")
            raise NotCovered(f"{month.label} is after the data: the data ends at {format_instant(end)} ({source}); "
                             f"the last month it covers is {self.last_month().label}")

    def uncovered(self, month: Month) -> dict[str, str]:
        """Event tables that do not cover the month (their first row is on a later UTC day than the month's
        first day), each with the reason; their rules are not assessed for the month."""
        out = {}
        for name, t in self.tables.items():
            if name in EVENT_TABLES and t.present and t.rows and t.earliest is not None \
                    and t.earliest.date() > month.period_start.date():
                out[name] = f"table {name} starts on {t.earliest:%Y-%m-%d}, after the month's first day"
        return out

    def empty(self) -> list[str]:
        """Tables present in the source with no row (assessed: every output says "present, 0 rows")."""
        return [name for name, t in self.tables.items() if t.present and t.rows == 0]

    def states(self) -> dict[str, dict[str, Any]]:
        """Every table: present or not, rows, first and last instant (summary.json, the manifest)."""
        return {name: {"present": t.present, "rows": t.rows,
                       "earliest": format_instant(t.earliest) if t.earliest else None,
                       "latest": format_instant(t.latest) if t.latest else None}
                for name, t in self.tables.items()}


@dataclass(frozen=True)
class MonthContext:
    """One month, judged by one policy history with one set of parameters, on data with this coverage."""

    month: Month
    history: Any  # policy.history.PolicyHistory
    policy: Any  # policy.model.Policy: the version in force at the month's last instant
    params: Parameters
    coverage: Coverage | None  # None: the data not read yet (`with_data`)

    @classmethod
    def build(cls, engine, month: Month, history, *, read_data: bool = True, **given: Any) -> "MonthContext":
        """The context of `month` on the engine's data: the policy must cover the month and the data reach
        it (PolicyError, NotCovered otherwise); `given` parameters (None: the policy's or the default).
        `read_data=False` (a notebook, which reads stored results) leaves the data unread until the month
        must be computed: the Spark engine then starts only when nothing is stored."""
        history.check_covers(month)
        policy = history.at_month_end(month)
        ctx = cls(month, history, policy, Parameters.for_policy(policy, **given), None)
        return ctx.with_data(engine) if read_data else ctx

    def with_data(self, engine) -> "MonthContext":
        """This context with what the engine's data covers read, and the month checked against it."""
        if self.coverage is not None:
            return self
        coverage = Coverage.of(engine)
        coverage.check(self.month)
        return replace(self, coverage=coverage)

    @property
    def uncovered(self) -> dict[str, str]:
        if self.coverage is None:
            raise RuntimeError("the month's context has not read the data yet (MonthContext.with_data)")
        return self.coverage.uncovered(self.month)

    @property
    def focus_country(self) -> str:
        """The third country the 12-month trend follows: the first transfer country the policy declares."""
        transfers = self.policy.data.get("transfers") or []
        return str(transfers[0]["country"]) if transfers else DEFAULT_COUNTRY

    def query_parameters(self) -> dict[str, Any]:
        """Every parameter a named query may declare, for this month; each query binds those it declares."""
        return {"period_start": self.month.period_start, "as_of": self.month.as_of, **self.params.as_dict(),
                "trailing_start": self.month.trailing(12)[0].period_start, "country": self.focus_country}

    def policy_versions(self) -> list[dict[str, Any]]:
        """The versions the month is judged by, with their SHA-256 (manifests, summaries, the findings JSON)."""
        return self.history.used(self.month)
