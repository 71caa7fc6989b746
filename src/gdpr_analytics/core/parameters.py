"""Rule parameters with the defaults of SPEC §5; recorded in every report."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .errors import UsageError


@dataclass(frozen=True)
class Parameters:
    retention_years: int = 3  # policy section 7: erased 3 years after the last order
    bulk_export_threshold: int = 1000  # XB-004: exports of more records than this from outside the EEA

    def __post_init__(self) -> None:
        if not isinstance(self.retention_years, int) or self.retention_years < 1:
            raise UsageError(f"retention_years must be a whole number of years >= 1, got {self.retention_years!r}")
        if not isinstance(self.bulk_export_threshold, int) or self.bulk_export_threshold < 0:
            raise UsageError(
                f"bulk_export_threshold must be a whole number >= 0, got {self.bulk_export_threshold!r}"
            )

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
