"""Running the report notebooks as the report does (papermill's Python API) and reading what they show:
the notebooks' tests (notebooks/) and the policy history's (policy/) use these."""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
NAMES = ["01_records_of_processing", "02_retention", "03_cross_border", "04_rights_and_marketing"]
PARAMETERS = {"month": "2026-10", "db_path": "../build/sample.duckdb", "policy_path": None, "evidence_path": None,
              "results_path": None, "retention_years": None, "bulk_export_threshold": 1000}


def execute(name: str, db: Path, out_dir: Path, month: str = "2026-10", **params) -> nbformat.NotebookNode:
    import papermill

    out = out_dir / f"{name}.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"), str(out), kernel_name="python3", cwd=str(NOTEBOOKS),
        parameters={**PARAMETERS, "month": month, "db_path": str(db), **params}, progress_bar=False,
        execution_timeout=600,
    )
    return nbformat.read(out, as_version=4)


def outputs_html(nb: nbformat.NotebookNode) -> list[str]:
    return [o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", [])]


def visible_text(nb: nbformat.NotebookNode) -> str:
    """What a reader sees of the outputs: markup dropped, scripts (plotly.js, figure JSON) left out."""
    parts = []
    for h in outputs_html(nb):
        h = re.sub(r"<script.*?</script>", " ", h, flags=re.S)
        parts.append(html.unescape(re.sub(r"<[^>]+>", " ", h)))
    return re.sub(r"\s+", " ", " ".join(parts))


def header_output(nb: nbformat.NotebookNode) -> str:
    """The output of the page.header() cell (the page's provenance, at its end)."""
    for c in nb.cells:
        if c.cell_type == "code" and c.source == "page.header()" and c.outputs:
            return c.outputs[0].get("data", {}).get("text/html", "")
    return ""


def check_executed(name: str, nb: nbformat.NotebookNode, plotly_embedded: bool = True) -> None:
    """No error, nothing on stderr, the provenance header, no script from another host; plotly.js embedded
    exactly once where a chart is drawn (`plotly_embedded`: papermill's own output; the report's notebooks
    leave it to the month folder's plotly.min.js)."""
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, f"{name}: {errors[0].ename}: {errors[0].evalue}"
    streams = [o.text for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream"
               and o.name == "stderr"]
    assert not streams, f"{name} wrote to stderr: {streams[0][:200]}"
    head = header_output(nb)
    for wanted in ("Reporting month", "Evaluated as at (as_of)", "Parameters", "Policy", "Input files",
                   "SHA-256", "Libraries", "Generated at"):
        assert wanted in head, f"{name}: header lacks {wanted}"
    assert "papermill" in nb.metadata
    scripts = [h for h in outputs_html(nb) if "<script" in h]
    assert not any(re.search(r"<script[^>]+src=", h) for h in scripts), f"{name}: a script loads from elsewhere"
    plotly_js = [h for h in scripts if "PlotlyConfig" in h and len(h) > 1_000_000]
    if not plotly_embedded:
        assert plotly_js == [], f"{name}: plotly.js embedded in a report's notebook"
    elif "newPlot" in "".join(scripts):
        assert len(plotly_js) == 1, f"{name}: plotly.js must be embedded exactly once"
