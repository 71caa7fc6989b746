"""The bars and goals of issue 7's Targets table (2-core machine, 1M customers / 50M events / 24 months).

A target is data: limits on what a row measured. `seconds` (median wall time), `peak_mb` (peak of all
processes together, MB = 10^6 bytes) and `ratio` (to the scan floor) must be at most the limit;
`speedup` (pandas time / our time) at least. A row meets its goal when it holds the bar and the goal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GB4 = 4_000  # MB


@dataclass(frozen=True)
class Target:
    bar: dict[str, float]
    goal: dict[str, float] = field(default_factory=dict)


TARGETS: dict[str, Target] = {
    "generation": Target(bar={"seconds": 180}, goal={"seconds": 90}),
    "load_full": Target(bar={"seconds": 60, "peak_mb": GB4}, goal={"seconds": 40}),
    "append": Target(bar={"seconds": 10}, goal={"seconds": 5}),  # and findings identical to a full load
    # `findings` as a load leaves the database (the load computed the latest month's results); a cold
    # `findings` (the month computed now, once per data, policy, parameters and code) is shown, no bar
    "findings": Target(bar={"ratio": 2.0}, goal={"ratio": 1.5}),
    "pandas": Target(bar={"speedup": 10}, goal={"speedup": 20}),  # and the same answers
    "report": Target(bar={"seconds": 30, "peak_mb": GB4}, goal={"seconds": 20}),
    "run_all": Target(bar={"seconds": 5}, goal={"seconds": 2}),
    "make_report": Target(bar={"seconds": 10}, goal={"seconds": 6}),
    # issue 19: one access pack after `load`, and a month's open access requests (packs per second after the first)
    "access_one": Target(bar={"seconds": 2}),
    "access_requests": Target(bar={"rate": 20}),
    # "spark_findings": Target(...),  # Spark local vs DuckDB: the issue sets no bar yet
}

_TEXT = {"seconds": "≤ {:g} s", "peak_mb": "≤ {:,.0f} MB", "ratio": "≤ {:g}× floor", "speedup": "≥ {:g}×",
         "rate": "≥ {:g} packs/s"}


def describe(limits: dict[str, float]) -> str:
    return ", ".join(_TEXT[k].format(v) for k, v in limits.items())


def holds(limits: dict[str, float], values: dict[str, float | None]) -> bool | None:
    """True when every limit holds, False when one does not, None when a value is missing."""
    verdict: bool | None = True
    for key, limit in limits.items():
        value = values.get(key)
        if value is None:
            return None
        ok = value >= limit if key in ("speedup", "rate") else value <= limit
        verdict = verdict and ok
    return verdict


def verdict(target_id: str | None, values: dict[str, float | None], checks_ok: bool = True) -> str:
    """'✓ goal' (bar and goal hold), '✓' (bar holds), '✗' (bar missed or a check failed),
    '' (no bar for this row), '?' (a value the bar needs was not measured)."""
    if target_id is None or target_id not in TARGETS:
        return ""
    t = TARGETS[target_id]
    bar = holds(t.bar, values)
    if not checks_ok or bar is False:
        return "✗"
    if bar is None:
        return "?"
    return "✓ goal" if holds({**t.bar, **t.goal}, values) else "✓"
