"""The four report notebooks: how they are committed, how thin they are, and that they execute.

Structure tests are fast. Execution tests (marked slow) run every notebook through papermill's Python
API, as report.py does, on the loaded sample (data_samples/, when present) and on the hand-made
scenario of test_stats_queries.py, with and without its optional tables.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from notebook_runs import NAMES, NOTEBOOKS, PARAMETERS, check_executed, execute, outputs_html, visible_text  # noqa: E402
from scenario import load_scenario

from gdpr_analytics.report import notebooks as report

OPTIONAL = ("uploads", "marketing_sends", "dsr_requests")

#: Personal values of the scenario that must never reach an output (names, e-mail, phones, address,
#: VAT numbers, birth dates).
PERSONAL_VALUES = ["Peeters", "ann@example.org", "+3221234567", "+32470123456", "Rue 1", "BE0123456789",
                   "BE0987654321", "1980-02-03", "bo@example.org", "Dee"]
HOSTILE = "<script>alert('xss')</script>"


def load(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def test_the_four_report_notebooks_and_the_explore_notebook():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == NAMES + ["explore"]
    assert [p.stem for p in report.default_notebooks()] == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_exactly_one_parameters_cell_with_the_seven_names(name):
    nb = load(name)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{name}: {len(tagged)} cells tagged parameters"
    cell = tagged[0]
    assert cell.cell_type == "code"
    tree = ast.parse(cell.source)
    assigned = {}
    for node in tree.body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, f"{name}: only plain assignments"
        assigned[node.targets[0].id] = ast.literal_eval(node.value)
    assert assigned == PARAMETERS
    assert list(assigned) == list(PARAMETERS)


@pytest.mark.parametrize("name", NAMES + ["explore"])
def test_committed_without_outputs_or_execution_counts(name):
    nb = load(name)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: cell {cell.id} has outputs"
    assert "papermill" not in nb.metadata and "widgets" not in nb.metadata
    assert nb.metadata["kernelspec"]["name"] == "gdpr-analytics"  # share/jupyter/kernels/gdpr-analytics


@pytest.mark.parametrize("name", NAMES)
def test_cells_are_thin_and_the_page_has_title_methodology_and_provenance_last(name):
    nb = load(name)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    code = [c for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
    assert ("notebook.open_page(month, db_path, policy_path, retention_years, bulk_export_threshold, results_path,\n"
            "                          evidence_path=evidence_path)") in code[0].source
    # one header per page: the auditor page's own; the full provenance closes the page
    assert code[-1].source == "page.header()", "the provenance (page.header) is the last output"
    for cell in code[1:]:
        tree = ast.parse(cell.source)
        assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr), f"{name}: {cell.source!r} is not one call"
        call = tree.body[0].value
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
        assert isinstance(call.func.value, ast.Name) and call.func.value.id == "page", cell.source
    headings = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()
                if line.startswith("## ")]
    assert headings[-2:] == ["## Methodology", "## About this report"]
    tail = nb.cells[[i for i, c in enumerate(nb.cells) if c.source.startswith("## Methodology")][0]:]
    assert any(c.cell_type == "code" and c.source.startswith("page.methodology(") for c in tail)


@pytest.mark.parametrize("name", NAMES)
def test_every_named_query_of_a_notebook_exists(name):
    from gdpr_analytics.sql import queries

    text = "\n".join(c.source for c in load(name).cells if c.cell_type == "code")
    for q in re.findall(r'page\.(?:show_query|chart_query)\("([^"]+)"', text):
        queries.get(q)


# -- the helpers the cells call -----------------------------------------------------------------------

def test_tables_escape_every_value_and_refuse_personal_columns():
    import pandas as pd

    from gdpr_analytics.notebook import frame_html

    out = frame_html(pd.DataFrame({"processor": [HOSTILE], "events": [1]}))
    assert HOSTILE not in out and "&lt;script&gt;alert(" in out
    with pytest.raises(ValueError, match="email"):
        frame_html(pd.DataFrame({"customer_id": ["C1"], "email": ["a@b.c"]}))


def test_tables_right_align_numbers_with_separators_and_keep_ids_years_and_months():
    """As the index shows 30,000: counts grouped by thousands and right-aligned; an ID such as 100234, a
    year and a month string as they are; a missing ticket says so, any other missing value is empty."""
    import pandas as pd

    from gdpr_analytics.notebook import frame_html

    df = pd.DataFrame({"event_id": ["100234", "E2"], "actor_id": [100234, 7], "ticket_id": [None, "T-1"],
                       "records": [30000, 1234567.0], "share_pct": [97.25, float("nan")], "year": [2026, 2025],
                       "month": ["2026-10", "2026-09"], "late": [True, False]})
    cells = re.findall(r'<td( class="num")?>([^<]*)</td>', frame_html(df))
    assert cells == [("", "100234"), ("", "100234"), ("", "no ticket"), (' class="num"', "30,000"),
                     (' class="num"', "97.25"), ("", "2026"), ("", "2026-10"), ("", "yes"),
                     ("", "E2"), ("", "7"), ("", "T-1"), (' class="num"', "1,234,567"), ("", ""), ("", "2025"),
                     ("", "2026-09"), ("", "no")]
    headers = re.findall(r'<th( class="num")?>([^<]*)</th>', frame_html(df))
    assert [h for h, _ in headers] == ["", "", "", ' class="num"', ' class="num"', "", "", ""]
    assert "None" not in frame_html(pd.DataFrame({"ticket_id": [None], "resource": [None], "n": [None]}))


def test_tables_longer_than_a_screen_are_folded():
    import pandas as pd

    from gdpr_analytics.notebook import FOLD_ROWS, frame_html

    short = frame_html(pd.DataFrame({"n": range(FOLD_ROWS)}))
    assert "<details" not in short and short.count("<tr") == FOLD_ROWS + 1  # and the header row
    long = frame_html(pd.DataFrame({"n": range(300)}), max_rows=200)
    assert long.startswith('<details class="ga-fold"><summary>300 rows: show the table</summary><table')
    assert long.count("<tr") == 201 and "Showing the first 200 of 300 rows." in long
    assert long.endswith("</details>")


def test_charts_use_an_offline_renderer_without_cdn():
    import plotly.io as pio

    from gdpr_analytics import charts

    assert charts.use_offline_renderer() == "plotly_mimetype+notebook"
    notebook_renderer = pio.renderers["notebook"]
    assert notebook_renderer.connected is False and notebook_renderer.include_plotlyjs is False
    import pandas as pd

    fig = charts.bar(pd.DataFrame({"processor": [HOSTILE], "events": [3]}), x="processor", y="events")
    bundle = notebook_renderer.to_mimebundle(fig.to_dict())
    assert "<script src=" not in bundle["text/html"] and "cdn" not in bundle["text/html"].lower()
    assert HOSTILE not in bundle["text/html"]


# -- execution ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scenario_db(tmp_path_factory) -> Path:
    """The scenario, plus rows whose values are markup (they must come out escaped)."""
    more = {
        "access_log": [{"event_id": "E99", "occurred_at": "2026-10-07T10:00:00", "processor": HOSTILE,
                        "actor_id": HOSTILE, "source_country": "CN", "action": "export", "resource": "customers",
                        "record_count": "2000", "ticket_id": None}],
        "marketing_sends": [{"send_id": "S99", "customer_id": "C3", "sent_at": "2026-10-08T00:00:00",
                             "campaign_id": HOSTILE, "personalised": "true"}],
    }
    return load_scenario(tmp_path_factory.mktemp("nb-scenario"), more=more)


@pytest.fixture(scope="module")
def executed(scenario_db, tmp_path_factory) -> dict[str, nbformat.NotebookNode]:
    out = tmp_path_factory.mktemp("nb-run")
    return {name: execute(name, scenario_db, out) for name in NAMES}


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes_on_the_scenario(executed, name):
    check_executed(name, executed[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_outputs_escape_data_and_show_no_personal_data(executed, name):
    nb = executed[name]
    for h in outputs_html(nb):
        assert HOSTILE not in h, f"{name}: unescaped markup from the data"
    text = visible_text(nb)
    leaked = [v for v in PERSONAL_VALUES if re.search(rf"(?<![\w@.+-]){re.escape(v)}(?![\w@.-])", text)]
    assert not leaked, f"{name} shows personal data: {leaked}"


@pytest.mark.slow
def test_the_scenario_figures_reach_the_pages(executed):
    records = visible_text(executed["01_records_of_processing"])
    assert "MyStamp customers (consumers): 3" in records
    assert "field filled but not declared" in records and "optional field always filled" in records
    assert "Asia/Kolkata" in visible_text(executed["03_cross_border"])
    rights = visible_text(executed["04_rights_and_marketing"])
    assert "not assessed" not in rights.lower()


@pytest.mark.slow
def test_absent_optional_tables_are_not_assessed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nb-minimal")
    db = load_scenario(tmp, without=OPTIONAL)
    for name in ("01_records_of_processing", "02_retention", "04_rights_and_marketing"):
        nb = execute(name, db, tmp)
        check_executed(name, nb)
        text = visible_text(nb)
        assert "Not assessed." in text, name
    assert "DSR-001 high Data-subject request answered late or overdue not assessed" in text
    assert "MKT-001: table marketing_sends absent from the source" in text


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes_on_the_sample(sample_report, name):
    """The notebooks as the report executed them on the sample's last month (the session's sample report:
    executing them again here would run the same papermill on the same database): no error, nothing on
    stderr, the provenance header; plotly.js is not in them (the month folder holds it once)."""
    nb = nbformat.read(sample_report.folder / "notebooks" / f"{name}.ipynb", as_version=4)
    assert nb.metadata["papermill"]["parameters"]["month"] == sample_report.month
    check_executed(name, nb, plotly_embedded=False)


@pytest.mark.slow
def test_a_notebook_opened_alone_on_a_read_only_database_works(sample_db, tmp_path):
    """No stored results, and nowhere to store them (the store would be under a file): the notebook
    computes the month in memory, opens the database read-only, and changes nothing on disk."""
    blocker = tmp_path / "read-only"
    blocker.write_text("a file where the results folder would be")
    before = sample_db.stat().st_mtime_ns
    nb = execute("02_retention", sample_db, tmp_path, month="2026-09", results_path=str(blocker / "results"))
    check_executed("02_retention", nb)
    assert not (blocker.parent / "results").exists() and sample_db.stat().st_mtime_ns == before


def test_path_parameters_are_found_from_the_notebooks_folder(tmp_path, monkeypatch):
    from gdpr_analytics.core.errors import UsageError
    from gdpr_analytics.notebook import found_path

    monkeypatch.chdir(tmp_path)
    # relative to the working folder when something is there, else to the notebooks' folder
    (tmp_path / "here.duckdb").write_bytes(b"")
    assert found_path("db_path", "here.duckdb") == tmp_path / "here.duckdb"
    assert found_path("db_path", "../pyproject.toml") == (NOTEBOOKS.parent / "pyproject.toml").resolve()
    with pytest.raises(UsageError) as err:
        found_path("db_path", "../build/nowhere.duckdb")
    assert str(err.value) == (
        f"db_path '../build/nowhere.duckdb': nothing at {tmp_path / '../build/nowhere.duckdb'} (from the working "
        f"folder) nor at {NOTEBOOKS / '../build/nowhere.duckdb'} (from the notebooks' folder); give the database "
        "`gdpr-analytics load` wrote (make report writes build/sample.duckdb)")


@pytest.mark.slow
def test_papermill_from_another_folder_with_the_notebooks_relative_path(sample_db, tmp_path):
    """What an analyst types from the repository root (or anywhere): the notebook's relative db_path is
    taken from the notebooks' folder, not from where papermill runs; the kernel the notebook names is
    ours, so the run ends quietly: no `[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel` (the
    interrupt jupyter_client sends at shutdown), no kernel warning about TCP (report/kernel.py)."""
    import os

    relative = os.path.relpath(sample_db, NOTEBOOKS)
    assert not (tmp_path / relative).exists()
    out = tmp_path / "out.ipynb"
    proc = subprocess.run([str(Path(sys.executable).with_name("papermill")), str(NOTEBOOKS / "02_retention.ipynb"),
                           str(out), "-p", "month", "2026-09", "-p", "db_path", relative, "--no-progress-bar"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "KeyboardInterrupt" not in proc.stderr and "[IPKernelApp]" not in proc.stderr, proc.stderr
    assert "Executing notebook with kernel: gdpr-analytics" in proc.stderr
    nb = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert len(outputs) >= 10 and not [o for o in outputs if o["output_type"] == "error"]
    assert "2026-09" in json.dumps(outputs)


def test_fifteen_rules_get_fifteen_colours():
    """The cross-month "Findings per rule" chart: every rule its own colour (the template's ten colours
    repeated, so DSR-001 and XB-001 were both blue)."""
    import pandas as pd

    from gdpr_analytics import charts

    rules = [f"R-{k:03d}" for k in range(15)]
    df = pd.DataFrame([{"month": m, "rule": r, "findings": 1} for m in ("2026-09", "2026-10") for r in rules])
    fig = charts.lines(df, x="month", color="rule", value="findings", title="Findings per rule")
    colours = [t.line.color for t in fig.data]
    assert len(fig.data) == 15 and len(set(colours)) == 15 and None not in colours
    assert charts.palette(10) == list(charts.pio.templates[charts.TEMPLATE].layout.colorway)[:10]
