"""The reporting month of SPEC §4: period_start (first instant) and as_of (exclusive end), in UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .errors import UsageError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Month":
        m = _MONTH.match(str(text).strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise UsageError(f"--month must be YYYY-MM (for example 2026-10), got {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def period_start(self) -> datetime:
        """First instant of the month, UTC (naive datetime, as DuckDB TIMESTAMP)."""
        return datetime(self.year, self.month, 1)

    @property
    def as_of(self) -> datetime:
        """First instant of the next month, UTC: the exclusive end of the period."""
        return self.next().period_start

    def next(self) -> "Month":
        return Month(self.year + (self.month == 12), self.month % 12 + 1)

    def previous(self) -> "Month":
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def trailing(self, n: int) -> list["Month"]:
        """The n months ending with this one, oldest first."""
        months = [self]
        while len(months) < n:
            months.insert(0, months[0].previous())
        return months

    def __str__(self) -> str:
        return self.label
