"""Never a false "clean": a month whose access log misses two days and is thin on a third is reported as
*assessed with gaps* by `findings`, the index, summary.json, the manifest, the page header, the
cross-border page's ledger and the cross-month overview, in Chromium; no page says "every rule was
assessed"; and `report --fail-on gaps` exits 3 (tests/gaps.py builds the source; tests/analysis/
test_ledger.py works its ledger out by hand)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gaps import write_gap_source

from gdpr_analytics.ingest.load import load_to_file

COMMAND = str(Path(sys.executable).with_name("gdpr-analytics"))
GAP_DAYS = "2026-10-13 tcs missing (0 events, expected 20); 2026-10-14 tcs missing (0 events, expected 20); " \
           "2026-10-20 tcs thin (3 events, expected 20)"
ACCESS_RULES = ("RET-005", "XB-001", "XB-002", "XB-003", "XB-004", "XB-005", "XB-006")


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([COMMAND, *map(str, args)], capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def gap_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("gap-report")
    db = root / "gaps.duckdb"
    load_to_file(write_gap_source(root / "src"), db, show=False)
    out = root / "reports"
    proc = run("report", "--db", db, "--month", "2026-10", "--out", out, "--fail-on", "gaps")
    return db, out, proc


def test_findings_names_each_rule_assessed_with_gaps(gap_report):
    db, _, _ = gap_report
    proc = run("findings", "--db", db, "--month", "2026-10")
    assert proc.returncode == 0
    lines = [line for line in proc.stderr.splitlines() if "assessed with gaps" in line]
    assert lines == [f"gdpr-analytics: {r} assessed with gaps: {GAP_DAYS}" for r in ACCESS_RULES]
    doc = json.loads(run("findings", "--db", db, "--month", "2026-10", "--format", "json").stdout)
    assert [g["rule_id"] for g in doc["assessed_with_gaps"]] == list(ACCESS_RULES)
    assert doc["assessed_with_gaps"][0]["days"][2] == {"day": "2026-10-20", "processor": "tcs", "state": "thin",
                                                       "events": 3, "expected": 20.0}


def test_fail_on_gaps_exits_3_and_every_output_says_so(gap_report):
    _, out, proc = gap_report
    assert proc.returncode == 3, proc.stderr
    assert "rules assessed with gaps in the logs in 2026-10 (--fail-on gaps)" in proc.stderr
    month = out / "2026-10"
    summary = json.loads((month / "summary.json").read_text(encoding="utf-8"))
    assert [g["rule_id"] for g in summary["assessed_with_gaps"]] == list(ACCESS_RULES)
    manifest = json.loads((month / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["assessed_with_gaps"] == summary["assessed_with_gaps"]
    assert [(g["table"], g["member"], g["from"], g["to"]) for g in manifest["known_gaps"]] == [
        ("access_log", "bpost", "2026-10-08", "2026-10-09")]
    for page in [month / "index.html", out / "index.html", *month.glob("0*.html")]:
        assert "every rule was assessed" not in page.read_text(encoding="utf-8").lower(), page.name


def test_the_pages_say_assessed_with_gaps_in_chromium(gap_report, visit, page_tools):
    _, out, _ = gap_report
    month = out / "2026-10"
    index = visit(month / "index.html", root=out)
    assert not index.problems, index.problems
    text = index.page.inner_text("body")
    assert (f"Assessed with gaps: {', '.join(ACCESS_RULES)} on the access log, which misses or holds too few "
            f"events on: {GAP_DAYS}. A rule's verdict covers only the days the logs hold") in text
    assert "every rule was assessed" not in text.lower()
    assert "log shipper down" in text  # the declared gap, with its reason
    overview = visit(out / "index.html", root=out)
    row = overview.page.inner_text("table.months")
    assert "assessed with gaps: RET-005, XB-001, XB-002, XB-003, XB-004, XB-005, XB-006" in row
    page = month / "03_cross_border.html"
    cross = visit(page, root=out, wait_ms=300)
    assert not cross.problems, cross.problems
    body = cross.page.inner_text("body")
    assert f"on the access log, which misses or holds too few events on: {GAP_DAYS}" in body
    expected, rendered, problems = page_tools.chart_problems(cross, page.read_text(encoding="utf-8"))
    assert expected == rendered and not problems, problems
    # the ledger's heatmap: three framed days (two missing, one thin), on the tcs row
    shapes = cross.page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot'))
        .map(d => (d.layout.title && d.layout.title.text || '') + '|' + (d.layout.shapes || []).length)""")
    assert any(s.startswith("Events per day, 2026-10") and s.endswith("|3") for s in shapes), shapes
