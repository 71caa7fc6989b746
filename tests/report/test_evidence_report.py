"""A report built with the controller's evidence: the record says which fields are documented (citing the
document), the index says every field is stated, documented or not applicable, and everything built from an
evidence file marked `example: true` says so at its top. Without evidence, the index names the table of the
data no activity declares."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from gdpr_analytics.core.assets import default_policy_path
from gdpr_analytics.policy.history import load_history

EXAMPLE = default_policy_path().with_name("evidence.example.yml")


def _text(path: Path) -> str:
    raw = re.sub(r"<script.*?</script>|<style.*?</style>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", raw)))


@pytest.fixture(scope="module")
def evidence_report(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sources import connect, context

    from gdpr_analytics.analysis.context import Coverage
    from gdpr_analytics.report.build import run_report

    history = load_history(None, EXAMPLE)
    out = tmp_path_factory.mktemp("evidence-report")
    with connect(sample_db, history) as engine:
        month = Coverage.of(engine).last_month().label
        folder = Path(run_report(engine, context(engine, month, history), out=out))
    return folder / month if (folder / month).is_dir() else folder


@pytest.mark.slow
def test_with_the_example_evidence_every_field_is_stated_documented_or_not_applicable(evidence_report: Path):
    index = _text(evidence_report / "index.html")
    # the banner comes first, before the verdict
    assert index.index("Example documentation. The controller's internal evidence read for this report "
                       "(evidence.example.yml) is marked as a fictitious example") < index.index("high-severity")
    # 9 activities (P1-P6, PR1 and the evidence's I1, I2) x 32 fields = 288 entries
    assert ("Every Art. 30 field of every activity is stated, documented or not applicable: of 288 entries "
            "(activity × Art. 30 field), 88 are stated in the privacy notice, 146 documented internally by the "
            "controller, 54 not applicable and 0 to complete.") in index
    page = _text(evidence_report / "01_records_of_processing.html")
    assert "Example documentation. The controller's internal evidence read for this page" in page
    assert "I1 — EXAMPLE logging of access to personal data (documented internally, not in the privacy notice)" in page
    # a documented field cites its document and date
    assert "[documented internally: EXAMPLE DPIA screening, MyStamp (EX-DPIA-01, 2024-02-20)]" in page
    from openpyxl import load_workbook

    wb = load_workbook(evidence_report / "ropa.xlsx", read_only=True)
    for ws in wb.worksheets:
        first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True))[0]
        assert first.startswith("EXAMPLE DOCUMENTATION: the controller's internal evidence"), ws.title


@pytest.mark.slow
def test_without_evidence_the_index_counts_what_is_to_complete_and_names_the_undeclared_table(sample_report):
    index = _text(sample_report.folder / "index.html")
    assert "Example documentation" not in index
    assert "Not complete: of 224 entries (activity × Art. 30 field), 84 are stated in the privacy notice" in index
    # the sample's access log (staff IDs, source IPs) is declared by no activity of the notice
    assert "The data holds 1 table or channel no activity declares (table access_log): to complete." in index
    page = _text(sample_report.folder / "01_records_of_processing.html")
    assert "table held but declared by no activity access_log" in page
