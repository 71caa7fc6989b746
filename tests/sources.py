"""Build tiny source folders by hand for tests: rows as dicts, every unspecified column defaulted."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable

from gdpr_analytics.contract import TABLES

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


#: The engine evaluate_source uses: "duckdb" (load, then the database) or "spark" (the source read in
#: place); the rule tests run on both (conftest's `rule_engine` fixture sets it).
ENGINE = "duckdb"
_SPARK: dict = {}  # the Spark engine of the last source evaluated, and its answers by (month, parameters)


def evaluate_source(folder: Path, month: str, **params):
    """Evaluate month on folder with ENGINE: on DuckDB, loaded through the real loader into folder/../db;
    on Spark, read in place (one engine per source state, its answers kept for the test's next call)."""
    if ENGINE == "spark":
        return _evaluate_spark(folder, month, **params)
    from gdpr_analytics.db import connect
    from gdpr_analytics.load import load_to_file
    from gdpr_analytics.month import Month
    from gdpr_analytics.parameters import Parameters
    from gdpr_analytics.rules import evaluate

    db = folder.parent / f"{folder.name}.duckdb"
    load_to_file(folder, db, show=False)
    con = connect(db)
    try:
        return evaluate(con, Month.parse(month), Parameters(**params))
    finally:
        con.close()


def _evaluate_spark(folder: Path, month: str, **params):
    from gdpr_analytics.month import Month
    from gdpr_analytics.parameters import Parameters
    from gdpr_analytics.policy import load_policy
    from gdpr_analytics.rules import evaluate
    from gdpr_analytics.source import fingerprint, input_files, meta_file, scan
    from gdpr_analytics.spark_engine import SparkEngine, local_session

    src = scan(folder)
    files = list(input_files(src.entries, folder).values()) + ([meta_file(src)] if src.meta else [])
    key = (str(folder), fingerprint(files))
    if _SPARK.get("key") != key:
        close_spark()
        _SPARK.update(key=key, engine=SparkEngine(folder, load_policy(), spark=local_session()), answers={})
    answers = _SPARK["answers"]
    wanted = (month, tuple(sorted(params.items())))
    if wanted not in answers:
        answers[wanted] = evaluate(_SPARK["engine"], Month.parse(month), Parameters(**params))
    return answers[wanted]


def close_spark() -> None:
    if _SPARK.get("engine") is not None:
        _SPARK["engine"].close()
    _SPARK.clear()


def found(folder: Path, month: str, rule_id: str | None = None, **params) -> list[tuple[str, str, str]]:
    """(rule_id, subject_id, occurred_at as ISO text) of every finding, optionally of one rule."""
    df = evaluate_source(folder, month, **params).findings
    out = [(r.rule_id, r.subject_id, r.occurred_at.strftime("%Y-%m-%dT%H:%M:%S")) for r in df.itertuples()]
    return [f for f in out if rule_id is None or f[0] == rule_id]
