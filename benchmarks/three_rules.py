"""RET-001, XB-002 and DSR-001 through the package (DuckDB SQL of queries/) or in pandas: the peer.

    python benchmarks/three_rules.py --side package --db FILE --month YYYY-MM --out FILE
    python benchmarks/three_rules.py --side pandas  --db FILE --month YYYY-MM --out FILE

Each side is one whole process reading the same database. `package` opens it with
`gdpr_analytics.engines.duckdb.DuckDBEngine(db, history=…)` and runs the three rule queries with `engine.run`. `pandas`
reads the columns the three rules need into DataFrames (DuckDB `.df()`; the access log already cut to
the month by DuckDB, as 50M events would not fit in memory as DataFrames) and computes the rules with
pandas (SPEC §5; the EEA and each processor's declared countries from the policy YAML; calendar years
and months with `pd.DateOffset`, which clips 29 February and 31 January as DuckDB intervals do).
Both write the sorted (rule_id, subject_id, occurred_at) rows to --out with the same code, so the
benchmark can check that the answers are the same. Each also prints the seconds it spent reading and
computing, libraries already imported (the interpreter and imports cost both sides about the same).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from gdpr_analytics.engines.duckdb import DuckDBEngine
from gdpr_analytics.policy.history import load_history

REPO = Path(__file__).resolve().parents[1]
#: rule -> its query file under queries/ (a glob, so a renamed title does not break the benchmark)
RULE_QUERIES = {"RET-001": "retention/ret_001_*.sql", "XB-002": "cross_border/xb_002_*.sql",
                "DSR-001": "rights/dsr_001_*.sql"}
RETENTION_YEARS = 3  # SPEC §5 default, the package's Parameters() default
COLUMNS = ["rule_id", "subject_id", "occurred_at"]


def month_bounds(label: str) -> tuple[datetime, datetime]:
    y, m = map(int, label.split("-"))
    return datetime(y, m, 1), datetime(y + (m == 12), m % 12 + 1, 1)


def query_name(rule_id: str) -> str:
    found = sorted((REPO / "queries").glob(RULE_QUERIES[rule_id]))
    if len(found) != 1:
        raise SystemExit(f"expected one query file queries/{RULE_QUERIES[rule_id]}, found {len(found)}")
    return found[0].relative_to(REPO / "queries").with_suffix("").as_posix()


def package_side(db: str, month: str, policy_path: Path) -> pd.DataFrame:
    start, as_of = month_bounds(month)
    params = {"period_start": start, "as_of": as_of, "retention_years": RETENTION_YEARS,
              "bulk_export_threshold": 1000}
    with DuckDBEngine(db, history=load_history(policy_path)) as engine:
        frames = [engine.run(query_name(rule_id), **params).assign(rule_id=rule_id) for rule_id in RULE_QUERIES]
    return pd.concat([f[COLUMNS] for f in frames], ignore_index=True)


def pandas_side(db: str, month: str, policy_path: Path) -> pd.DataFrame:
    policy = yaml.safe_load(policy_path.read_text(encoding="utf-8"))
    eea = set(policy["eea"])
    declared = {p["key"] for p in policy["processors"]}
    allowed = {f"{p['key']}|{c}" for p in policy["processors"]
               for entry in p["countries"] for c in (eea if entry == "EEA" else [entry])}
    start, as_of = (pd.Timestamp(t) for t in month_bounds(month))

    con = duckdb.connect(db, read_only=True)
    customers = con.execute("SELECT customer_id, created_at, erased_at FROM customers").df()
    orders = con.execute("SELECT customer_id, ordered_at FROM orders").df()
    events = con.execute("SELECT event_id, occurred_at, processor, source_country FROM access_log "
                         "WHERE occurred_at >= $s AND occurred_at < $e",
                         {"s": start.to_pydatetime(), "e": as_of.to_pydatetime()}).df()
    dsr = con.execute("SELECT request_id, received_at, extended, closed_at FROM dsr_requests").df()
    con.close()

    # RET-001: customers with orders, not erased at as_of, last order + retention period < as_of
    last = orders[orders["ordered_at"] < as_of].groupby("customer_id", sort=False)["ordered_at"].max()
    held = customers[(customers["created_at"] < as_of)
                     & (customers["erased_at"].isna() | (customers["erased_at"] >= as_of))]
    due = pd.DataFrame({"subject_id": held["customer_id"].to_numpy()})
    due["occurred_at"] = due["subject_id"].map(last) + pd.DateOffset(years=RETENTION_YEARS)
    ret = due[due["occurred_at"] < as_of].assign(rule_id="RET-001")

    # XB-002: a declared processor (trimmed, lower case) from a non-EEA country not declared for it
    proc = events["processor"].str.strip(" ").str.lower()
    country = events["source_country"]
    xb_mask = proc.isin(declared) & ~country.isin(eea) & ~(proc + "|" + country).isin(allowed)
    xb = pd.DataFrame({"rule_id": "XB-002", "subject_id": events.loc[xb_mask, "event_id"],
                       "occurred_at": events.loc[xb_mask, "occurred_at"]})

    # DSR-001: deadline received + 1 month (3 if extended); closed in the month after it, or open past it
    r = dsr[dsr["received_at"] < as_of]
    extended = r["extended"].fillna(False).astype(bool)
    deadline = (r["received_at"] + pd.DateOffset(months=1)).where(~extended, r["received_at"] + pd.DateOffset(months=3))
    closed = r["closed_at"]
    late = (((closed >= start) & (closed < as_of) & (closed > deadline))
            | ((closed.isna() | (closed >= as_of)) & (deadline < as_of)))
    dsr_rows = pd.DataFrame({"rule_id": "DSR-001", "subject_id": r.loc[late, "request_id"],
                             "occurred_at": deadline[late]})
    return pd.concat([ret[COLUMNS], xb[COLUMNS], dsr_rows[COLUMNS]], ignore_index=True)


def write(df: pd.DataFrame, out: Path) -> int:
    """The rows as CSV, sorted, instants as ISO 8601 with microseconds: the same text for the same set."""
    df = df.assign(subject_id=df["subject_id"].astype(str),
                   occurred_at=pd.to_datetime(df["occurred_at"]).dt.strftime("%Y-%m-%dT%H:%M:%S.%f"))
    df = df.sort_values(COLUMNS, kind="mergesort")
    df.to_csv(out, index=False, lineterminator="\n")
    return len(df)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--side", choices=("package", "pandas"), required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--month", required=True, help="YYYY-MM")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--policy", type=Path, default=REPO / "policies" / "mystamp.yml")
    args = ap.parse_args()
    side = package_side if args.side == "package" else pandas_side
    started = time.perf_counter()
    df = side(args.db, args.month, args.policy)
    seconds = time.perf_counter() - started
    counts = df.groupby("rule_id").size().to_dict()
    print(json.dumps({"rows": write(df, args.out), "per_rule": {k: int(v) for k, v in counts.items()},
                      "seconds": round(seconds, 4)}))


if __name__ == "__main__":
    main()
