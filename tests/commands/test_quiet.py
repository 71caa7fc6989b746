"""Quiet, correct runs: a reader that stops early ends the findings command quietly, and an executed
notebook of a report re-runs from anywhere with papermill, given the database's path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sources import write_source

from gdpr_analytics.ingest.load import load_to_file

CLI = [sys.executable, "-m", "gdpr_analytics.cli"]


def test_findings_into_head_ends_quietly(tmp_path):
    # 3,000 events of an undeclared processor: about 600 kB of JSON, far more than a pipe holds
    events = [{"event_id": f"E{i:05d}", "occurred_at": f"2026-10-{i % 31 + 1:02d}T10:00:00", "processor": "wipro"}
              for i in range(3000)]
    db = tmp_path / "db.duckdb"
    load_to_file(write_source(tmp_path / "src", access_log=events, uploads=[], marketing_sends=[], dsr_requests=[],
                              exported_at="2026-11-01T00:00:00Z"),
                 db, show=False)
    for fmt in ("json", "csv"):
        run = subprocess.run(["bash", "-c", 'set -o pipefail; "$@" | head -n 2', "-", *CLI, "findings", "--db",
                              str(db), "--month", "2026-10", "--format", fmt],
                             capture_output=True, text=True, timeout=120)
        # nothing but the documented notes (CSV only: JSON carries them in its "tables")
        notes = "" if fmt == "json" else "".join(
            f"gdpr-analytics: table {t}: present, 0 rows (assessed: nothing to find)\n"
            for t in ("customers", "orders", "uploads", "marketing_sends", "dsr_requests"))
        assert (run.returncode, run.stderr) == (0, notes), fmt
        assert len(run.stdout.splitlines()) == 2


@pytest.mark.slow
def test_an_executed_notebook_reruns_for_another_month_from_its_folder(sample_report, tmp_path):
    executed = sample_report.folder / "notebooks" / "02_retention.ipynb"
    nb = json.loads(executed.read_text(encoding="utf-8"))
    params = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    source = "".join(params["source"])
    # by name (auditors receive the notebook): the database it ran on, and how to run it again
    assert f'db_path = "{sample_report.db.name}"' in source and str(sample_report.db) not in source
    assert "-p db_path PATH" in source
    out = tmp_path / "rerun.ipynb"
    run = subprocess.run([str(Path(sys.executable).parent / "papermill"), str(executed.name), str(out),
                          "-p", "db_path", str(sample_report.db), "-p", "month", "2026-09", "--no-progress-bar"],
                         cwd=executed.parent,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    rerun = json.loads(out.read_text(encoding="utf-8"))
    injected = next(c for c in rerun["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    assert "".join(injected["source"]).strip().endswith('month = "2026-09"')
    outputs = [o for c in rerun["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert "Reporting month</th><td style=\"text-align:left\">2026-09" in json.dumps(outputs).replace("\\\"", '"')
