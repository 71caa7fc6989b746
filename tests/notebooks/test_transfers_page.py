"""The cross-border page's transfers section (notebook.Page.documentation_notice and Page.transfers), shown
from a kernel-free Page: what it says at its top with no evidence, with the example evidence and with a
controller's own file, and that what it shows is escaped."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
import yaml
from sources import write_source

from gdpr_analytics import notebook
from gdpr_analytics.core.assets import asset_dir
from gdpr_analytics.ingest.load import load_to_file

EXAMPLE = asset_dir("policies") / "evidence.example.yml"
EVIL = "<b>x</b>"


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("transfers-page")
    src = write_source(base / "src", exported_at="2026-11-01T00:00:00Z", customers=[{"customer_id": "C1"}],
                       access_log=[{"event_id": "E0", "occurred_at": "2026-09-30T08:00:00"},  # covers October
                                   {"event_id": "E1", "occurred_at": "2026-10-02T08:00:00", "processor": "tcs",
                                    "source_country": "IN", "resource": "orders"},
                                   {"event_id": "E2", "occurred_at": "2026-10-03T08:00:00", "processor": EVIL,
                                    "source_country": "IN"}])
    db = base / "db.duckdb"
    load_to_file(src, db, show=False)
    return db


def shown(monkeypatch, page, method: str) -> str:
    """The HTML a Page method displays."""
    out: list[str] = []
    monkeypatch.setattr(notebook, "display", lambda obj: out.append(obj.data if hasattr(obj, "data") else str(obj)))
    getattr(page, method)()
    return "".join(out)


def test_without_evidence_the_page_says_so_and_shows_what_is_to_complete(db, monkeypatch):
    page = notebook.open_page("2026-10", db)
    top = shown(monkeypatch, page, "documentation_notice")
    assert "Internal documentation: none given." in top and "No evidence file was given (--evidence)" in top
    body = shown(monkeypatch, page, "transfers")
    assert "to complete" in body and "not documented" in body
    # the page tables escape every value (an apostrophe is &#39;): compare the text the browser shows
    assert "no adequacy decision (the Commission's list as checked on 2026-12-03)" in html.unescape(body)
    assert EVIL not in body and "&lt;b&gt;x&lt;/b&gt;" in body  # the processor as data, escaped
    assert "checked on 2026-12-03" in body and "commission.europa.eu" in body  # where adequacy comes from


def test_with_the_example_evidence_the_page_says_at_its_top_that_it_is_fictitious(db, monkeypatch):
    page = notebook.open_page("2026-10", db, evidence_path=str(EXAMPLE))
    top = shown(monkeypatch, page, "documentation_notice")
    assert "EXAMPLE documentation." in top and "marked as a fictitious example" in top
    assert "evidence.example.yml" in top
    body = shown(monkeypatch, page, "transfers")
    assert "EX-TIA-TCS" in body and "documented internally" in body


def test_with_the_controller_s_own_evidence_the_page_names_the_file(db, monkeypatch, tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["evidence"]["example"] = False
    own = tmp_path / "evidence.yml"
    own.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    page = notebook.open_page("2026-10", db, evidence_path=str(own))
    top = shown(monkeypatch, page, "documentation_notice")
    assert "EXAMPLE documentation." not in top and "fictitious" not in top
    assert "from the controller&#x27;s evidence file evidence.yml" in top
