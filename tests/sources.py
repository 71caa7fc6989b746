"""Build tiny source folders by hand for tests (rows as dicts, every unspecified column defaulted), and open
them as the commands do: `connect` (a loaded database, with the policy registered), `context` (a month's
context on an engine), `evaluate_source` (a month's findings on either engine)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable

from gdpr_analytics.ingest.contract import TABLES

DEFAULTS = {
    "customers": {"account_type": "consumer", "created_at": "2018-01-01T00:00:00", "country_code": "BE"},
    "orders": {"product": "mystamp", "channel": "web", "quantity": "1", "total_eur": "9.90", "status": "shipped"},
    "uploads": {"kind": "photo", "depicts_persons": "true", "size_bytes": "1000"},
    "access_log": {"processor": "bpost", "actor_id": "A1", "source_country": "BE", "action": "read",
                   "resource": "customers", "record_count": "1", "ticket_id": "CHG1"},
    "marketing_sends": {"channel": "email", "campaign_id": "CMP1", "personalised": "false"},
    "dsr_requests": {"right": "access", "extended": "false"},
}


def write_table(folder: Path, table: str, rows: Iterable[dict], columns: list[str] | None = None) -> Path:
    cols = columns or TABLES[table].column_names
    path = folder / f"{table}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for i, row in enumerate(rows):
            full = {**DEFAULTS.get(table, {}), **row}
            key = TABLES[table].key
            full.setdefault(key, f"{table[:3].upper()}{i + 1}")
            w.writerow(["" if full.get(c) is None else full.get(c, "") for c in cols])
    return path


def write_source(folder: Path, exported_at: str | None = None, **tables: list[dict]) -> Path:
    """Write the given tables; customers, orders and access_log are always written (empty if not given).
    `exported_at`: also write source.yml with that instant, the data end (SPEC §10): a test about a month
    its few rows do not reach to the end gives the export's instant, as a real export would."""
    folder.mkdir(parents=True, exist_ok=True)
    if exported_at is not None:
        (folder / "source.yml").write_text(f"exported_at: {exported_at}\n", encoding="utf-8")
    for required in ("customers", "orders", "access_log"):
        tables.setdefault(required, [])
    for name, rows in tables.items():
        write_table(folder, name, rows)
    return folder


def connect(db: Path, history=None, month=None):
    """A database written by `load`, read-only, with the policy's tables (default policy) registered."""
    from gdpr_analytics.engines.duckdb import DuckDBEngine
    from gdpr_analytics.policy.history import load_history

    return DuckDBEngine(db, history=history or load_history(), month=month)


def context(engine, month: str, history=None, **params):
    """The month's context on the engine (default policy), with the parameters given or the policy's. Unlike
    a command (MonthContext.build), it judges every rule whatever the data covers: the rule tests judge
    months their few rows do not cover (from the month's first day to its end); what a month the data does
    not cover gives has tests of its own (analysis/test_coverage.py)."""
    from dataclasses import replace

    from gdpr_analytics.analysis.context import Coverage, MonthContext
    from gdpr_analytics.core.month import Month
    from gdpr_analytics.core.parameters import Parameters
    from gdpr_analytics.policy.history import load_history

    history, month = history or load_history(), Month.parse(month)
    policy = history.at_month_end(month)
    found = Coverage.of(engine)
    every_month = replace(found, tables={n: replace(t, earliest=None) for n, t in found.tables.items()})
    return MonthContext(month, history, policy, Parameters.for_policy(policy, **params), every_month)


def make_report(month, out: Path, *, db: Path | None = None, source: Path | None = None, policy_path=None, **kw):
    """report.build.run_report of `month` (YYYY-MM or a Month) on a database or a source folder, as the
    `report` command runs it (one engine, one month context)."""
    from gdpr_analytics.analysis.context import MonthContext
    from gdpr_analytics.core.month import Month
    from gdpr_analytics.engines.factory import opened
    from gdpr_analytics.policy.history import load_history
    from gdpr_analytics.report.build import run_report

    history = load_history(policy_path)
    month = month if isinstance(month, Month) else Month.parse(month)
    with opened(db=db, source=source) as engine:
        return run_report(engine, MonthContext.build(engine, month, history), out=out, **kw)


#: The engine evaluate_source uses: "duckdb" (load, then the database) or "spark" (the source read in
#: place); the rule tests run on both (conftest's `rule_engine` fixture sets it).
ENGINE = "duckdb"
_SPARK: dict = {}  # the Spark engine of the last source evaluated, and its answers by (month, parameters)


def evaluate_source(folder: Path, month: str, rule_ids: tuple[str, ...] | None = None, *,
                    evidence: Path | None = None, **params):
    """Evaluate month on folder with ENGINE (every rule, or only `rule_ids`), under the default policy read
    with the controller's `evidence` file when one is given: on DuckDB, loaded through the real loader into
    folder/../db; on Spark, read in place (one engine per source state, its answers kept for the test's
    next call)."""
    if ENGINE == "spark":
        return _evaluate_spark(folder, month, rule_ids, evidence, **params)
    from gdpr_analytics.analysis.rules import evaluate
    from gdpr_analytics.ingest.load import load_to_file
    from gdpr_analytics.policy.history import load_history

    db = folder.parent / f"{folder.name}.duckdb"
    load_to_file(folder, db, show=False)
    history = load_history(None, evidence)
    with connect(db, history=history) as engine:
        return evaluate(engine, context(engine, month, history=history, **params), rule_ids)


def _evaluate_spark(folder: Path, month: str, rule_ids: tuple[str, ...] | None, evidence: Path | None = None,
                    **params):
    from gdpr_analytics.analysis.rules import evaluate
    from gdpr_analytics.engines.spark.engine import SparkEngine
    from gdpr_analytics.engines.spark.session import local_session
    from gdpr_analytics.ingest.source import fingerprint, input_files, meta_file, scan
    from gdpr_analytics.policy.history import load_history

    src = scan(folder)
    files = list(input_files(src.entries, folder).values()) + ([meta_file(src)] if src.meta else [])
    key = (str(folder), fingerprint(files))
    if _SPARK.get("key") != key:
        close_spark()
        _SPARK.update(key=key, engine=SparkEngine(folder, load_history(), spark=local_session()), answers={},
                      evidence=None)
    answers = _SPARK["answers"]
    wanted = (month, rule_ids, str(evidence), tuple(sorted(params.items())))
    if wanted not in answers:
        engine = _SPARK["engine"]
        history = load_history(None, evidence)
        if _SPARK["evidence"] != str(evidence):  # the policy tables with this evidence's TIAs
            engine.register_policy(history)
            _SPARK["evidence"] = str(evidence)
        answers[wanted] = evaluate(engine, context(engine, month, history=history, **params), rule_ids)
    return answers[wanted]


def close_spark() -> None:
    if _SPARK.get("engine") is not None:
        _SPARK["engine"].close()
    _SPARK.clear()


def found(folder: Path, month: str, rule_id: str | None = None, *, evidence: Path | None = None,
          **params) -> list[tuple[str, str, str]]:
    """(rule_id, subject_id, occurred_at as ISO text) of every finding, optionally of one rule (then only
    that rule is evaluated: a Spark query costs a few tenths of a second); `evidence`: the controller's
    evidence file the policy is read with."""
    df = evaluate_source(folder, month, (rule_id,) if rule_id else None, evidence=evidence, **params).findings
    out = [(r.rule_id, r.subject_id, r.occurred_at.strftime("%Y-%m-%dT%H:%M:%S")) for r in df.itertuples()]
    return [f for f in out if rule_id is None or f[0] == rule_id]
