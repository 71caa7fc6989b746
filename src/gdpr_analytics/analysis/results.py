"""Month results, computed once: a month's findings, statistics and declared-vs-observed figures.

For a month, `month_results` computes everything the `findings` command, the report and the notebooks
show — the rule findings (`rules.evaluate`), every statistic query of queries/ (not the rules, not the
roll-ups), the ROPA's observations and record — once, and stores them as Parquet files (plus a
meta.json) in a store beside the database. Everything reads them back from there, so the findings
command, findings.csv, the pages and an analyst's notebook agree by construction, and a notebook opens
in seconds.

Nothing stale is shown: results are stored under a key that is a SHA-256 of what they were computed
from — the loaded data (the loader's fingerprint of every input file), the policy (the SHA-256 of the
version(s) used), the parameters, the tool version and the code (every query file and module). Any change
gives another key, so older results are never read again (`load` prunes the results of replaced data).

Layout: `<db>.results/<data fingerprint[:16]>/<YYYY-MM>/<key>/` holding `meta.json` and one Parquet
file per table (`findings.parquet`, `cross_border__summary.parquet`, …). A folder is written under a
temporary name and renamed into place, so a reader sees whole results or none. Parquet keeps the store
engine-neutral: any engine that can produce the same data frames can fill it. When the store cannot
be written (a read-only folder), results are computed in memory for this process only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from . import __version__, coverage, observed, queries, ropa, rules
from .assets import asset_dir
from .engine import Engine
from .month import Month
from .parameters import Parameters

STORE_SUFFIX = ".results"
FINDINGS = "findings"
RECORD = "ropa/record"
#: The observation frames of observed.Observation that are stored (as observed/<name>).
OBSERVATION = ("subjects", "uploads", "fill", "seen", "extras", "gaps")
DEFAULT_COUNTRY = "IN"


#: Query folders that are not month statistics: roll-ups (kept by load), one subject (explore notebook).
NOT_MONTHLY = ("rollups/", "explore/")


def statistic_queries() -> list[queries.Query]:
    """The named queries stored with a month: every query that is not a rule, a roll-up or an explore query."""
    return [q for name, q in queries.all_queries().items()
            if "rule" not in q.meta and not name.startswith(NOT_MONTHLY)]


def focus_country(policy) -> str:
    """The third country the 12-month trend follows: the first transfer country the policy declares."""
    transfers = policy.data.get("transfers") or []
    return str(transfers[0]["country"]) if transfers else DEFAULT_COUNTRY


def query_parameters(month: Month, params: Parameters, policy) -> dict[str, Any]:
    """Every parameter a named query may declare, for this month; each query binds those it declares."""
    return {**rules.query_parameters(month, params),
            "trailing_start": month.trailing(12)[0].period_start, "country": focus_country(policy)}


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of every query file and every module of the package: what computed the results."""
    digest = hashlib.sha256()
    roots = [asset_dir("queries"), Path(__file__).resolve().parent]
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".sql", ".py") and p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def policy_parts(month: Month, policy, history=None) -> dict[str, Any]:
    """The policy part of a month's key: every version in force during the month (each event is judged
    by one of them; the last also judges the state), and the versions before it (the record dates each
    activity from the version that first declared it)."""
    if history is None:
        return {"policy": [{"version": policy.version, "sha256": policy.sha256}]}
    return {"policy": [{"version": v.version, "sha256": v.sha256} for v in history.in_force(month)],
            "policy_before": [v.sha256 for v in history.versions if v.valid_to <= month.period_start]}


def key_parts(data: str, month: Month, params: Parameters, policy, history=None) -> dict[str, Any]:
    """What a month's results are computed from; `data` is the data's fingerprint (Engine.fingerprint:
    the same for a source and the database loaded from it, whichever engine computes)."""
    return {
        "month": month.label,
        "data": data,
        **policy_parts(month, policy, history),
        "parameters": params.as_dict(),
        "tool_version": __version__,
        "code": code_fingerprint(),
    }


def key_of(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()[:32]


def _file_name(name: str) -> str:
    return name.replace("/", "__") + ".parquet"


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

    @cached_property
    def findings(self) -> rules.Findings:
        return rules.Findings(month=self.month, params=self.params, findings=self.frames[FINDINGS].copy(),
                              not_assessed=[dict(d) for d in self.meta["not_assessed"]])

    @cached_property
    def observation(self) -> observed.Observation:
        f = {n: self.frames.get(f"observed/{n}") for n in OBSERVATION}
        controllers = self.frames.get("ropa/upload_controllers")
        held = None if "uploads" not in self.present_tables() else \
            (int(controllers["controllers"].iloc[0]) if controllers is not None and len(controllers) else 0)
        return observed.Observation(month=self.month, present=self.present_tables(), subjects=f["subjects"],
                                    uploads=f["uploads"], fill=f["fill"], seen=f["seen"], extras=f["extras"],
                                    gaps=f["gaps"], upload_controllers=held)

    @property
    def record(self) -> pd.DataFrame:
        return self.frames[RECORD].copy()


def compute(engine: Engine, month: Month, params: Parameters, policy,
            history=None) -> tuple[dict[str, pd.DataFrame], dict]:
    """Every frame of a month's results, and what the meta.json says about them (engine-neutral)."""
    started = datetime.now(timezone.utc)
    coverage.check_month(engine, month)
    late = coverage.uncovered(engine, month)
    # an event table that starts after the month's first day is, for this month, as good as absent
    present = engine.present_tables() - set(late)
    result = rules.evaluate(engine, month, params, late)
    frames: dict[str, pd.DataFrame] = {FINDINGS: result.findings}
    bound = query_parameters(month, params, policy)
    not_computed = []
    for q in statistic_queries():
        if any(t not in present and not t.startswith("_") for t in q.requires):
            not_computed.append(q.name)
            continue
        frames[q.name] = engine.run(q.name, **bound)
    computed = _Computed(frames, present)
    obs = observed.observe(computed, policy, month)
    for name in OBSERVATION:
        value = getattr(obs, name)
        if value is None:
            not_computed.append(f"observed/{name}")
        else:
            frames[f"observed/{name}"] = value
    frames[RECORD] = ropa.build(computed, policy, month, obs, history=history)
    meta = {
        "month": month.label,
        "parameters": params.as_dict(),
        "policy": {"version": policy.version, "sha256": policy.sha256},
        "policy_versions": history.used(month) if history is not None else [
            {"version": policy.version, "sha256": policy.sha256}],
        "present": sorted(present),
        "uncovered": late,
        "tables": coverage.table_states(engine),
        "ignored": coverage.ignored(engine),
        "data_end": coverage.format_instant(coverage.data_end(engine)),
        "table_rows": engine.table_rows(),
        "not_assessed": result.not_assessed,
        "not_computed": sorted(not_computed),
        "load_info": engine.load_info(),
        "inputs": engine.inputs(),
        "computed_by": engine.name,
        "computed_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round((datetime.now(timezone.utc) - started).total_seconds(), 3),
    }
    return frames, meta


class _Computed:
    """The frames just computed, answering observed.* as an engine would (no second query)."""

    def __init__(self, frames: dict[str, pd.DataFrame], present: set[str]):
        self.frames, self.present = frames, present

    def run(self, name: str, **params: Any) -> pd.DataFrame:
        return self.frames[name]

    def present_tables(self) -> set[str]:
        return set(self.present)


class Store:
    """The month-results folder of one database (`<db>.results/`)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    @classmethod
    def beside(cls, db_path: str | Path) -> "Store":
        return cls(Path(str(db_path) + STORE_SUFFIX))

    def folder(self, parts: dict[str, Any]) -> Path:
        return self.root / (parts["data"][:16] or "unknown") / parts["month"] / key_of(parts)

    def get(self, parts: dict[str, Any], month: Month, params: Parameters,
            tables: Sequence[str] | None = None) -> MonthResults | None:
        folder = self.folder(parts)
        if not (folder / "meta.json").is_file():
            return None
        return read(folder, month, params, tables)

    def put(self, parts: dict[str, Any], frames: dict[str, pd.DataFrame], meta: dict) -> Path | None:
        """Write the results; None when the store cannot be written (the caller keeps them in memory)."""
        final = self.folder(parts)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
        except OSError:
            return None
        try:
            write(tmp, parts, frames, meta)
            try:
                os.rename(tmp, final)
            except OSError:
                if not (final / "meta.json").is_file():  # not a race another process won
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return final

    def prune(self, keep: set[str]) -> None:
        """Remove the results of every loaded data state but those whose fingerprint is in keep."""
        if not self.root.is_dir():
            return
        prefixes = {k[:16] for k in keep}
        for entry in self.root.iterdir():
            if entry.is_dir() and entry.name not in prefixes:
                shutil.rmtree(entry, ignore_errors=True)


def write(folder: Path, parts: dict[str, Any], frames: dict[str, pd.DataFrame], meta: dict) -> None:
    import duckdb

    con = duckdb.connect()
    try:
        for name, df in frames.items():
            con.register("frame", df)
            cols = con.execute("DESCRIBE frame").fetchall()
            # a column of nothing but missing values has DuckDB type NULL, which Parquet cannot hold
            select = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' if t == '"NULL"' else f'"{c}"'
                               for c, t, *_ in cols)
            con.execute(f"COPY (SELECT {select} FROM frame) TO $path (FORMAT parquet)",
                        {"path": str(folder / _file_name(name))})
            con.unregister("frame")
    finally:
        con.close()
    doc = {"key": key_of(parts), "parts": parts, "frames": sorted(frames), **meta}
    (folder / "meta.json").write_text(json.dumps(doc, indent=1, default=str, ensure_ascii=False) + "\n",
                                      encoding="utf-8")


def read(folder: Path, month: Month, params: Parameters, tables: Sequence[str] | None = None) -> MonthResults:
    """The results stored in folder: every table, or only `tables` (the findings command needs one)."""
    import duckdb

    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    con = duckdb.connect()
    try:
        frames = {name: con.execute("SELECT * FROM read_parquet($p)", {"p": str(folder / _file_name(name))}).df()
                  for name in meta["frames"] if tables is None or name in tables}
    finally:
        con.close()
    return MonthResults(month=month, params=params, key=meta["key"], meta=meta, frames=frames)


def month_results(engine: Engine, month: Month, params: Parameters, policy,
                  store: Store | None = None, tables: Sequence[str] | None = None,
                  history=None) -> MonthResults:
    """The month's results: read from the store when they were computed from the same data, policy,
    parameters and code; otherwise computed now, stored, and read back from what was stored.
    `tables`: read only these (default: all). `policy` is the version in force at the month's last
    instant; `history` (a PolicyHistory, whose tables the engine holds for this month) names every
    version the month was judged by."""
    parts = key_parts(engine.fingerprint(), month, params, policy, history)
    if store is not None:
        found = store.get(parts, month, params, tables)
        if found is not None:
            return found
    frames, meta = compute(engine, month, params, policy, history)
    folder = store.put(parts, frames, meta) if store is not None else None
    if folder is not None:
        return read(folder, month, params, tables)
    with tempfile.TemporaryDirectory(prefix="gdpr-analytics-results-") as tmp:
        write(Path(tmp), parts, frames, meta)  # the same round trip as a stored result: same types
        return read(Path(tmp), month, params, tables)
