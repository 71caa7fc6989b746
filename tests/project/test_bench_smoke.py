"""The benchmark harness (benchmarks/run.py) end to end at a tiny size, and its parts.

`make bench` (1M customers / 50M events) is not part of `make test`; this runs every measurement path
of it on 300 customers / 3,000 events / 2 months, one run each, and checks the JSON it writes.

The Spark rows (`findings`/`report --engine spark`) take over a minute each even at this size (JVM start,
Spark's jobs), so the smoke run leaves them out (`--skip spark,spark_report`) unless
GDPR_BENCH_SMOKE_SPARK=1; their "not measured: why" path (no pyspark, no Java) is checked apart, fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "benchmarks"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import measure  # noqa: E402
import run as bench  # noqa: E402
import targets  # noqa: E402
import three_rules  # noqa: E402

TINY = ["--customers", "300", "--events", "3000", "--months", "2", "--reps", "1"]
TARGET_ROWS = ["generation", "load_full", "append", "findings", "pandas", "report",
               "run_all", "make_report", "access_one", "access_requests"]
SPARK_ROWS = ["spark_findings_cold", "spark_findings_warm", "spark_report"]
#: GDPR_BENCH_SMOKE_SPARK=1: the smoke run measures the Spark rows too (about 3 minutes more)
WITH_SPARK = os.environ.get("GDPR_BENCH_SMOKE_SPARK", "").strip() not in ("", "0")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> tuple[dict, str]:
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "results.json"
    spark = [] if WITH_SPARK else ["--skip", "spark,spark_report"]
    proc = subprocess.run([sys.executable, str(BENCH / "run.py"), *TINY, *spark, "--data", str(tmp / "data"),
                           "--out", str(out)], capture_output=True, text=True, timeout=1200 if WITH_SPARK else 900,
                          env=measure.clean_env({"GDPR_BENCH_DATA": ""}))
    assert proc.returncode == 0, f"benchmarks/run.py failed:\n{proc.stdout}\n{proc.stderr[-3000:]}"
    return json.loads(out.read_text(encoding="utf-8")), proc.stdout


@pytest.mark.slow
def test_smoke_run_measures_every_figure(smoke):
    result, stdout = smoke
    assert result["schema"] == bench.SCHEMA
    assert result["machine"]["cores"] == os.cpu_count() and result["machine"]["ram_gb"] > 0
    assert result["scale"] == {"customers": 300, "events": 3000, "months": 2, "month": "2026-10", "reps": 1,
                               "spark_reps": 1}
    rows = {r["id"]: r for r in result["rows"]}
    for row_id in TARGET_ROWS + ["floor", "findings_cold", "three_rules_package", "kernel_start"]:
        assert row_id in rows, f"row {row_id} missing"
        r = rows[row_id]
        assert r["status"] == "ok", f"{row_id}: {r['status']}: {r['note']}"
        assert r["seconds"] > 0
    for row_id in TARGET_ROWS:
        r = rows[row_id]
        assert r["peak_mb"] > 0 and len(r["runs"]) == 1
        assert r["bar"] == targets.describe(targets.TARGETS[row_id].bar)
        # the rate of access packs needs 2 open access requests, which the tiny data may not hold
        assert r["verdict"] in ("✓ goal", "✓", "✗") or (row_id == "access_requests" and r["verdict"] == "?")
    assert rows["findings_cold"]["ratio"] > 0 and rows["findings"]["ratio"] > 0
    assert rows["findings_cold"]["bar"] == "" and rows["findings_cold"]["verdict"] == ""
    assert result["checks"]["findings: the load stored the month results of 2026-10 in full.duckdb.results"]
    assert rows["pandas"]["speedup"] > 0
    # the report's kernels are counted with it: more than the findings process alone
    assert rows["report"]["peak_mb"] > rows["findings_cold"]["peak_mb"]
    notebooks = sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for stem in notebooks:
        assert rows[f"report:{stem}:execute"]["seconds"] > 0
        assert f"report:{stem}:export" in rows
    # every check held: the append gives the full load's findings, pandas the package's answers, ...
    assert result["checks"] and all(result["checks"].values()), result["checks"]
    assert set(result["checks"]) >= {"append: findings identical to a full load",
                                     "pandas: same (rule_id, subject_id, occurred_at)",
                                     "make_report: report written"}
    # the table is printed, with the machine
    assert "cores" in stdout and "make report on the bundled sample" in stdout
    assert result["table"] in stdout
    # the Spark rows: measured with GDPR_BENCH_SMOKE_SPARK=1 (or said not measured, and why), else left out
    why = bench.spark_unavailable()
    for row_id in SPARK_ROWS:
        r = rows[row_id]
        assert r["bar"] == "" and r["verdict"] in ("", "✗")
        if not WITH_SPARK:
            assert r["status"] == "skipped" and r["note"] == "left out (--skip)"
        elif why:
            assert r["status"] == "skipped" and r["note"] == f"not measured: {why}"
        else:
            assert r["status"] == "ok" and r["seconds"] > 0 and r["peak_mb"] > 0 and r["vs_duckdb"] > 0, r
    if WITH_SPARK and not why:
        assert rows["duckdb_from_source"]["seconds"] == pytest.approx(
            rows["load_full"]["seconds"] + rows["findings"]["seconds"])
        # the JVM is a child of the command: counted in the peak; warm reads stored results without it
        assert rows["spark_findings_cold"]["peak_mb"] > rows["spark_findings_warm"]["peak_mb"] + 200
        assert result["checks"]["spark_findings_warm: no JVM started"]
        assert result["checks"]["spark_findings_cold: findings identical to DuckDB's"]
        assert "spark local[" in stdout



def test_memory_counts_children(tmp_path):
    """The peak is the whole process tree's: a child holding 200 MB shows in its parent's run."""
    child = "b = bytearray(200_000_000); import time; time.sleep(0.5)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}], check=True)"
    r = measure.run([sys.executable, "-c", parent], label="tree", logs=tmp_path, log=measure.Log(live=False))
    assert r.ok and r.peak_mb >= 200
    assert r.processes and not r.leftover  # the processes' names are recorded (for "a JVM ran")


def test_descendant_left_running_is_ended(tmp_path, monkeypatch):
    """A child that outlives its command (a JVM left behind) is ended by its pid after LINGER seconds."""
    monkeypatch.setattr(measure, "LINGER", 0.5)
    parent = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
              " time.sleep(0.3)")
    r = measure.run([sys.executable, "-c", parent], label="orphan", logs=tmp_path, log=measure.Log(live=False))
    assert r.ok and len(r.leftover) == 1
    pid = int(r.leftover[0].split()[-1])
    assert not measure.psutil.pid_exists(pid) or measure.psutil.Process(pid).status() == measure.psutil.STATUS_ZOMBIE


def test_spark_rows_not_measured_say_why(tmp_path, monkeypatch, capsys):
    """Without pyspark or Java the Spark rows are in the table, "not measured" with the reason; the run
    neither crashes nor leaves them out (every other step left out here: only the generation runs)."""
    monkeypatch.setattr(bench, "spark_unavailable", lambda: "Java is not installed (test)")
    others = ",".join(s[0] for s in bench.STEPS if not s[0].startswith("spark") and s[0] != "generation")
    out = tmp_path / "results.json"
    code = bench.main([*TINY, "--skip", others, "--data", str(tmp_path / "data"), "--out", str(out)])
    stdout = capsys.readouterr().out
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out.read_text(encoding="utf-8"))["rows"]}
    for row_id in SPARK_ROWS:
        assert rows[row_id]["status"] == "skipped", rows[row_id]
        assert rows[row_id]["note"] == "not measured: Java is not installed (test)"
        assert "spark local[" in rows[row_id]["figure"]
    assert "not measured: Java is not installed (test)" in stdout


def test_spark_unavailable_names_what_is_missing(monkeypatch, tmp_path):
    real = bench.importlib.util.find_spec
    monkeypatch.setattr(bench.importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a))
    assert "pyspark is not installed" in bench.spark_unavailable()
    monkeypatch.setattr(bench.importlib.util, "find_spec", lambda name, *a: object())
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    assert "Java is not installed" in bench.spark_unavailable() and "JAVA_HOME" in bench.spark_unavailable()
    monkeypatch.delenv("JAVA_HOME")
    monkeypatch.setattr(bench.shutil, "which", lambda name, *a, **k: None)
    assert "no java on PATH" in bench.spark_unavailable()


def test_notebook_times_tolerate_new_manifest_keys():
    manifest = {
        "timings": [{"step": "executing 01_a.ipynb", "seconds": 3.0}, {"step": "exporting 01_a.html", "seconds": 0.5},
                    {"step": "exporting 02_b.html", "seconds": 0.25, "started": "…"}, {"step": "publishing"}],
        "notebooks": [{"notebook": "notebooks/02_b.ipynb", "duration_s": 2.0, "worker": 1, "export_s": 0.4}],
        "something_new": {},
    }
    assert bench.notebook_times(manifest) == {"01_a": {"execute": 3.0, "export": 0.5},
                                              "02_b": {"execute": 2.0, "export": 0.4}}


def test_verdicts_follow_the_targets():
    assert targets.verdict("load_full", {"seconds": 30, "peak_mb": 3000}) == "✓ goal"
    assert targets.verdict("load_full", {"seconds": 50, "peak_mb": 3000}) == "✓"
    assert targets.verdict("load_full", {"seconds": 30, "peak_mb": 5000}) == "✗"
    assert targets.verdict("pandas", {"speedup": 12}) == "✓"
    assert targets.verdict("pandas", {"speedup": 25}, checks_ok=False) == "✗"
    assert targets.verdict("findings", {"ratio": 1.4}) == "✓ goal"
    assert targets.verdict("findings", {"ratio": 1.8}) == "✓"
    assert targets.verdict("findings", {"ratio": 2.1}) == "✗"
    assert targets.verdict("findings", {"ratio": None}) == "?"
    assert targets.verdict("findings_cold", {"ratio": 9.0}) == ""
    assert targets.verdict(None, {"seconds": 1}) == ""


def _boundary_db(path: Path) -> None:
    """Rows at the edges of RET-001, XB-002 and DSR-001 for month 2023-02 (as_of 2023-03-01)."""
    con = duckdb.connect(str(path))
    con.execute("""
        CREATE TABLE customers AS SELECT * FROM (VALUES
            ('c-leap',  TIMESTAMP '2019-01-01', NULL::TIMESTAMP),           -- 2020-02-29 + 3 y = 2023-02-28
            ('c-march', TIMESTAMP '2019-01-01', NULL),                      -- deadline 2023-03-01: not yet
            ('c-erased-at-as-of', TIMESTAMP '2019-01-01', TIMESTAMP '2023-03-01'),  -- still held at as_of
            ('c-erased', TIMESTAMP '2019-01-01', TIMESTAMP '2023-01-01'),
            ('c-later', TIMESTAMP '2023-03-01', NULL),                      -- created at as_of: not yet there
            ('c-none', TIMESTAMP '2019-01-01', NULL)                        -- no orders: not RET-001
        ) AS t(customer_id, created_at, erased_at);
        CREATE TABLE orders AS SELECT * FROM (VALUES
            ('c-leap', TIMESTAMP '2020-02-29 12:00:00'), ('c-leap', TIMESTAMP '2019-05-01'),
            ('c-march', TIMESTAMP '2020-03-01'), ('c-erased-at-as-of', TIMESTAMP '2019-06-01'),
            ('c-erased', TIMESTAMP '2019-06-01'), ('c-later', TIMESTAMP '2019-06-01'),
            ('c-leap', TIMESTAMP '2023-03-01')                              -- after as_of: ignored
        ) AS t(customer_id, ordered_at);
        CREATE TABLE access_log AS SELECT * FROM (VALUES
            ('e1', TIMESTAMP '2023-02-10', ' TCS ', 'US'),   -- declared, trimmed, third country not declared
            ('e2', TIMESTAMP '2023-02-10', 'tcs', 'IN'),     -- declared for TCS
            ('e3', TIMESTAMP '2023-02-10', 'Infosys', 'BE'), -- EEA
            ('e4', TIMESTAMP '2023-02-10', 'acme', 'US'),    -- undeclared processor: XB-001, not XB-002
            ('e5', TIMESTAMP '2023-02-10', 'aws', 'IN'),     -- IN not declared for aws
            ('e6', TIMESTAMP '2023-03-01', 'aws', 'IN'),     -- next month
            ('e7', TIMESTAMP '2023-01-31 23:59:59', 'aws', 'US')  -- previous month
        ) AS t(event_id, occurred_at, processor, source_country);
        ALTER TABLE access_log ADD COLUMN resource VARCHAR DEFAULT 'customers';
        ALTER TABLE access_log ADD COLUMN action VARCHAR DEFAULT 'read';
        CREATE TABLE dsr_requests AS SELECT * FROM (VALUES
            ('r-on-time', TIMESTAMP '2023-01-31 10:00:00', false, TIMESTAMP '2023-02-28 10:00:00'),
            ('r-late', TIMESTAMP '2023-01-31 10:00:00', false, TIMESTAMP '2023-02-28 10:00:01'),
            ('r-ext-open', TIMESTAMP '2022-11-30 09:00:00', true, NULL),     -- deadline 2023-02-28 09:00
            ('r-ext-ok', TIMESTAMP '2022-12-15', true, NULL),                -- deadline 2023-03-15
            ('r-open-closed-later', TIMESTAMP '2023-01-10', false, TIMESTAMP '2023-03-05'),
            ('r-closed-before', TIMESTAMP '2022-12-01', false, TIMESTAMP '2023-01-20'),  -- late, but not in M
            ('r-future', TIMESTAMP '2023-03-01', false, NULL)
        ) AS t(request_id, received_at, extended, closed_at);
        ALTER TABLE dsr_requests ADD COLUMN "right" VARCHAR DEFAULT 'access';
    """)
    con.close()


def test_pandas_peer_matches_the_rule_queries_at_the_boundaries(tmp_path):
    db = tmp_path / "boundaries.duckdb"
    _boundary_db(db)
    policy = REPO / "policies" / "mystamp.yml"
    ours = three_rules.package_side(str(db), "2023-02", policy)
    peer = three_rules.pandas_side(str(db), "2023-02", policy)
    three_rules.write(ours, tmp_path / "ours.csv")
    three_rules.write(peer, tmp_path / "peer.csv")
    assert (tmp_path / "ours.csv").read_text() == (tmp_path / "peer.csv").read_text()
    found = set((tmp_path / "ours.csv").read_text().splitlines()[1:])
    assert found == {
        "DSR-001,r-ext-open,2023-02-28T09:00:00.000000",
        "DSR-001,r-late,2023-02-28T10:00:00.000000",
        "DSR-001,r-open-closed-later,2023-02-10T00:00:00.000000",
        "RET-001,c-erased-at-as-of,2022-06-01T00:00:00.000000",
        "RET-001,c-leap,2023-02-28T12:00:00.000000",
        "XB-002,e1,2023-02-10T00:00:00.000000",
        "XB-002,e5,2023-02-10T00:00:00.000000",
    }
