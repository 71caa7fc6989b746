"""Rule parameters with the defaults of the rule catalogue; recorded in every report.

A parameter is one field here: its default, its help text (the command line's `--<name>` option is
made from it) and, where the policy declares the value, the Policy property it is taken from. A new
parameter is one more field and the query that binds it (`$<name>`); the notebooks pass every
parameter through `notebook.open_page(**parameters)`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .errors import UsageError


@dataclass(frozen=True)
class Parameters:
    retention_years: int = field(default=3, metadata={
        "help": "retention period in years (default: retention.period_years of the policy version in force "
                "at the month's last instant, privacy notice §7)",
        "from_policy": "retention_years"})
    bulk_export_threshold: int = field(default=1000, metadata={
        "help": "XB-004: exports of more records than this from outside the EEA (default 1000)"})

    def __post_init__(self) -> None:
        if not isinstance(self.retention_years, int) or self.retention_years < 1:
            raise UsageError(f"retention_years must be a whole number of years >= 1, got {self.retention_years!r}")
        if not isinstance(self.bulk_export_threshold, int) or self.bulk_export_threshold < 0:
            raise UsageError(
                f"bulk_export_threshold must be a whole number >= 0, got {self.bulk_export_threshold!r}"
            )

    @classmethod
    def for_policy(cls, policy: Any = None, **given: Any) -> "Parameters":
        """The parameters for a month judged by `policy` (the version in force at its last instant): each
        value given (not None), else the policy's where the field names one, else the default."""
        values = {}
        for f in fields(cls):
            value = given.get(f.name)
            if value is None and policy is not None and f.metadata.get("from_policy"):
                value = getattr(policy, f.metadata["from_policy"])
            if value is not None:
                values[f.name] = value
        return cls(**values)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def options() -> list[tuple[str, str]]:
    """(name, help) of every parameter, in order: the command line's options and the notebooks' parameters."""
    return [(f.name, f.metadata.get("help", "")) for f in fields(Parameters)]
