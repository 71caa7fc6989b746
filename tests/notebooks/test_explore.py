"""notebooks/explore.ipynb and gdpr_analytics.explore: ad-hoc SQL on the read-only database with the
policy tables registered, and everything about one pseudonymous subject."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sources import write_source

from gdpr_analytics import explore
from gdpr_analytics.ingest.load import load_to_file

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "explore.ipynb"


@pytest.fixture()
def engine(tmp_path):
    src = write_source(
        tmp_path / "src", exported_at="2026-11-01T00:00:00Z",
        customers=[{"customer_id": "C1", "first_name": "Zoë", "email": "zoe@example.org"}, {"customer_id": "C2"}],
        orders=[{"order_id": "O1", "customer_id": "C1", "ordered_at": "2023-09-15T09:00:00"},
                {"order_id": "O2", "customer_id": "C1", "ordered_at": "2021-01-01T09:00:00"},
                {"order_id": "O3", "customer_id": "C2", "ordered_at": "2026-01-01T09:00:00"}],
        access_log=[
            # E1: tcs reads C1 from GB (XB-002); E2: another customer; E3: C1 in September
            {"event_id": "E1", "occurred_at": "2026-10-03T10:00:00", "processor": "tcs", "source_country": "GB",
             "resource": "customers", "customer_id": "C1"},
            {"event_id": "E2", "occurred_at": "2026-10-04T10:00:00", "customer_id": "C2"},
            {"event_id": "E3", "occurred_at": "2026-09-04T10:00:00", "customer_id": "C1"},
        ],
        marketing_sends=[{"send_id": "S1", "customer_id": "C1", "sent_at": "2026-10-05T08:00:00", "personalised": "true"},
                         {"send_id": "S2", "customer_id": "C2", "sent_at": "2026-10-01T08:00:00"}],  # sends cover Oct.
        dsr_requests=[{"request_id": "R1", "customer_id": "C1", "received_at": "2026-08-20T12:00:00"}],
    )
    db = tmp_path / "db.duckdb"
    load_to_file(src, db, show=False)
    e = explore.connect(db)
    yield e
    e.close()


def test_everything_about_one_subject(engine):
    s = explore.subject(engine, "C1", "2026-10")
    # RET-001: last order 2023-09-15 + 3 years < 2026-11-01; XB-002: E1 from GB; MKT-002: S1 personalised;
    # DSR-001: R1 received 2026-08-20, deadline 2026-09-20, still open at the end of October
    assert list(zip(s.findings.rule_id, s.findings.subject_id)) == [
        ("DSR-001", "R1"), ("MKT-002", "S1"), ("RET-001", "C1"), ("XB-002", "E1")]
    assert s.access.event_id.tolist() == ["E3", "E1"]
    assert s.sends.send_id.tolist() == ["S1"] and s.requests.request_id.tolist() == ["R1"]
    t = s.timeline.iloc[0]
    assert (t.orders, str(t.first_order_at), str(t.last_order_at)) == (2, "2021-01-01 09:00:00", "2023-09-15 09:00:00")
    assert not {"first_name", "email"} & set(s.timeline.columns)


def test_every_cursor_sees_the_policy_tables_and_the_data(engine):
    cur = engine.con.cursor()  # what jupysql runs on
    assert cur.execute("SELECT count(*) FROM policy_eea").fetchone() == (30,)
    assert cur.execute("SELECT count(*) FROM access_log WHERE source_country NOT IN "
                       "(SELECT country FROM policy_eea)").fetchone() == (1,)
    with pytest.raises(Exception, match="read-only|read only"):
        cur.execute("DELETE FROM gdpr.main.customers")


@pytest.mark.slow
def test_the_explore_notebook_runs_on_the_sample(sample_db, tmp_path):
    import papermill as pm

    out = tmp_path / "explore.ipynb"
    # run inside the checkout, whose pyproject.toml jupysql finds (and used to print a tip about)
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters={"db_path": str(sample_db)}, kernel_name="python3",
                        cwd=str(NOTEBOOK.parent), progress_bar=False)
    nb = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error" or o.get("name") == "stderr"]
    text = json.dumps(outputs)
    for noise in ("Tip: You may define configurations", "Did not find user configurations", "Loading configurations",
                  "configuration guideline", "Running query in"):
        assert noise not in text, noise
    connect = next(c for c in nb["cells"] if "load_sql" in "".join(c["source"]))
    assert connect["outputs"] == []  # jupysql loaded and connected without a word
    assert "Access events about the subject (all months)" in text and "EV0000000021" in text  # C0001351's first access event
