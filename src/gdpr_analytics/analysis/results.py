"""Month results, computed once: a month's findings, statistics and declared-vs-observed figures.

For a month (a `context.MonthContext`), `month_results` computes everything the `findings` command, the
report and the notebooks show — the rule findings (`rules.evaluate`), every statistic query of queries/
(statistics.py), the record's observations and the record itself — once, and keeps them in the store
(store.py). Everything reads them back from there, so the findings command, findings.csv, the pages
and an analyst's notebook agree by construction, and a notebook opens in seconds.

Nothing stale is shown: results are stored under a key that is a SHA-256 of what they were computed
from — the loaded data (the loader's fingerprint of every input file), the policy (the SHA-256 of the
versions used), the parameters, the tool version and the code (every query file and module). Any change
gives another key, so older results are never read again (`load` prunes the results of replaced data).
When the store cannot be written (a read-only folder), results are computed in memory for this process.

Reading a stored month needs neither pandas nor the analysis that computes it: `stored_month` finds it
(key and folder) for a reader that prints it as it was stored (the `findings` command: 0.3 s of imports
spared); the modules that compute are imported by `compute` and by the `MonthResults` views that need them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from .. import __version__
from ..core.instants import format_instant
from ..core.month import Month
from ..core.parameters import Parameters
from ..engines.base import Engine
from ..policy.adequacy import load_adequacy
from .context import MonthContext
from .store import Store, code_fingerprint, frame_file, read_meta, round_trip

if TYPE_CHECKING:
    import pandas as pd

    from . import observed, rules

FINDINGS = "findings"
RECORD = "ropa/record"
LEDGER = "coverage/ledger"
#: The observation frames of observed.Observation that are stored (as observed/<name>).
OBSERVATION = ("subjects", "uploads", "fill", "seen", "extras", "gaps", "data_map")


def policy_parts(ctx: MonthContext) -> dict[str, Any]:
    """The policy part of a month's key: every version in force during the month (each event is judged
    by one of them; the last also judges the state), and the versions before it (the record dates each
    activity from the version that first declared it)."""
    month, history = ctx.month, ctx.history
    ev = history.evidence
    return {"policy": [{"version": v.version, "sha256": v.sha256} for v in history.in_force(month)],
            "policy_before": [v.sha256 for v in history.versions if v.valid_to <= month.period_start],
            **({"evidence": ev.sha256} if ev is not None else {})}


def key_parts(data: str, ctx: MonthContext) -> dict[str, Any]:
    """What a month's results are computed from; `data` is the data's fingerprint (Engine.fingerprint:
    the same for a source and the database loaded from it, whichever engine computes)."""
    return {
        "month": ctx.month.label,
        "data": data,
        **policy_parts(ctx),
        "parameters": ctx.params.as_dict(),
        "adequacy": load_adequacy().sha256,  # the Commission's list the transfers are read against
        "tool_version": __version__,
        "code": code_fingerprint(),
    }


@dataclass
class MonthResults:
    """One month's stored results. Also answers `run` and `present_tables` from the stored frames, so
    observed.* and ropa.build can read them as they would read an engine."""

    month: Month
    params: Parameters
    key: str
    meta: dict[str, Any]
    frames: dict[str, pd.DataFrame] = field(repr=False)

    # -- what was stored -----------------------------------------------------------------------
    def table(self, name: str) -> pd.DataFrame | None:
        """A stored statistic, or None when its table was absent from the source (not assessed)."""
        if name in self.frames:
            return self.frames[name].copy()
        if name in self.meta["not_computed"]:
            return None
        known = ", ".join(sorted(self.frames))
        raise KeyError(f"no stored result named {name!r} for {self.month.label}; stored: {known}")

    def run(self, name: str, **params: Any) -> pd.DataFrame:
        df = self.table(name)
        if df is None:
            raise KeyError(f"{name} was not computed for {self.month.label}: its table is absent from the source")
        return df

    def present_tables(self) -> set[str]:
        return set(self.meta["present"])

    @property
    def load_info(self) -> dict[str, str]:
        return dict(self.meta["load_info"])

    @property
    def inputs(self) -> list[dict]:
        return list(self.meta["inputs"])

    @property
    def assessed_with_gaps(self) -> list[dict]:
        return [dict(g) for g in self.meta.get("assessed_with_gaps", [])]

    @property
    def ledger(self) -> pd.DataFrame:
        return self.frames[LEDGER].copy()

    @cached_property
    def findings(self) -> rules.Findings:
        from . import rules

        return rules.Findings(month=self.month, params=self.params, findings=self.frames[FINDINGS].copy(),
                              not_assessed=[dict(d) for d in self.meta["not_assessed"]])

    @cached_property
    def observation(self) -> observed.Observation:
        from . import observed

        f = {n: self.frames.get(f"observed/{n}") for n in OBSERVATION}
        controllers = self.frames.get("ropa/upload_controllers")
        held = None if "uploads" not in self.present_tables() else \
            (int(controllers["controllers"].iloc[0]) if controllers is not None and len(controllers) else 0)
        return observed.Observation(month=self.month, present=self.present_tables(), subjects=f["subjects"],
                                    uploads=f["uploads"], fill=f["fill"], seen=f["seen"], extras=f["extras"],
                                    gaps=f["gaps"], upload_controllers=held, data_map=f["data_map"])

    @property
    def record(self) -> pd.DataFrame:
        return self.frames[RECORD].copy()

    @property
    def transfers(self) -> pd.DataFrame:
        """transfers.csv: every (processor, country outside the EEA) pair declared, documented or seen in
        the month, its documentation and the month's figures (analysis/transfers.py)."""
        from . import transfers

        return self.frames[transfers.FRAME].copy()


class _Computed:
    """The frames just computed, answering observed.* as an engine would (no second query)."""

    def __init__(self, frames: dict[str, pd.DataFrame], present: set[str]):
        self.frames, self.present = frames, present

    def run(self, name: str, **params: Any) -> pd.DataFrame:
        return self.frames[name]

    def present_tables(self) -> set[str]:
        return set(self.present)


def compute(engine: Engine, ctx: MonthContext) -> tuple[dict[str, pd.DataFrame], dict]:
    """Every frame of a month's results, and what the meta.json says about them (engine-neutral)."""
    from . import ledger, observed, ropa, rules, statistics, transfers

    started = datetime.now(timezone.utc)
    engine.register_policy(ctx.history, ctx.month)
    late = ctx.uncovered
    # an event table that starts after the month's first day is, for this month, as good as absent
    present = engine.present_tables() - set(late)
    result = rules.evaluate(engine, ctx)
    frames: dict[str, pd.DataFrame] = {FINDINGS: result.findings}
    bound = ctx.query_parameters()
    not_computed = []
    for q in statistics.statistic_queries():
        if any(t not in present and not t.startswith("_") for t in q.requires):
            not_computed.append(q.name)
            continue
        frames[q.name] = engine.run(q.name, **bound)
    computed = _Computed(frames, present)
    obs = observed.observe(computed, ctx.policy, ctx.month, ctx.history.evidence)
    for name in OBSERVATION:
        value = getattr(obs, name)
        if value is None:
            not_computed.append(f"observed/{name}")
        else:
            frames[f"observed/{name}"] = value
    frames[RECORD] = ropa.build(ctx, obs)
    frames[transfers.FRAME] = transfers.build(ctx, frames.get(transfers.STAT))
    frames[LEDGER] = ledger.month_ledger(engine, ctx)
    meta = {
        "month": ctx.month.label,
        "parameters": ctx.params.as_dict(),
        "policy": {"version": ctx.policy.version, "sha256": ctx.policy.sha256},
        "policy_versions": ctx.policy_versions(),
        "present": sorted(present),
        "uncovered": late,
        "tables": ctx.coverage.states(),
        "ignored": ctx.coverage.ignored,
        "data_end": ctx.coverage.data_end_text,
        "table_rows": engine.table_rows(),
        "not_assessed": result.not_assessed,
        "assessed_with_gaps": ledger.assessed_with_gaps(frames[LEDGER], result.not_assessed),
        "data_start": ctx.coverage.data_start_text,
        "after_data_end": ctx.coverage.after_end,
        "known_gaps": [{**g, "from": g["from"].isoformat(), "to": g["to"].isoformat()} for g in engine.known_gaps()],
        "not_computed": sorted(not_computed),
        "load_info": engine.load_info(),
        "inputs": engine.inputs(),
        "computed_by": engine.name,
        "computed_at": format_instant(started),
        "seconds": round((datetime.now(timezone.utc) - started).total_seconds(), 3),
    }
    return frames, meta


@dataclass(frozen=True)
class StoredMonth:
    """A month's results as stored, not read: its folder and meta.json (the frames stay in their Parquet
    files, `frame_file`, for a reader that needs no pandas)."""

    folder: Path
    meta: dict[str, Any]

    def frame_file(self, name: str) -> Path:
        return frame_file(self.folder, name)


def stored_month(engine: Engine, ctx: MonthContext, store: Store | None = None) -> StoredMonth | None:
    """The month's results if they are stored under the key month_results would read (else None)."""
    store = store if store is not None else Store(engine.results)
    folder = store.folder(key_parts(engine.fingerprint(), ctx))
    return StoredMonth(folder, read_meta(folder)) if (folder / "meta.json").is_file() else None


def is_stored(engine: Engine, ctx: MonthContext, store: Store | None = None) -> bool:
    """Whether the month's results are stored already (month_results will read them, not compute)."""
    store = store if store is not None else Store(engine.results)
    return (store.folder(key_parts(engine.fingerprint(), ctx)) / "meta.json").is_file()


def month_results(engine: Engine, ctx: MonthContext, store: Store | None = None,
                  tables: Sequence[str] | None = None) -> MonthResults:
    """The month's results: read from the store (default: the engine's, beside its data) when they were
    computed from the same data, policy, parameters and code; otherwise computed now, stored, and read
    back from what was stored. `tables`: read only these (default: all)."""
    store = store if store is not None else Store(engine.results)
    parts = key_parts(engine.fingerprint(), ctx)
    found = store.get(parts, tables)
    if found is None:
        frames, meta = compute(engine, ctx.with_data(engine))
        folder = store.put(parts, frames, meta)
        found = store.get(parts, tables) if folder is not None else round_trip(parts, frames, meta, tables)
    meta, frames = found
    return MonthResults(month=ctx.month, params=ctx.params, key=meta["key"], meta=meta, frames=frames)
