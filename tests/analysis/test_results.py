"""Month results are computed once per (data, policy, parameters, code), stored beside the database, and
read back by the findings command, the report and the notebooks; anything else gives another key."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sources import connect, write_source

from gdpr_analytics.analysis import results, statistics
from gdpr_analytics.analysis.context import MonthContext
from gdpr_analytics.analysis.store import Store
from gdpr_analytics.commands.load import latest_month_results
from gdpr_analytics.core.month import Month
from gdpr_analytics.core.parameters import Parameters
from gdpr_analytics.engines.base import results_beside
from gdpr_analytics.ingest.load import load_to_file
from gdpr_analytics.policy.history import PolicyHistory
from gdpr_analytics.policy.model import load_policy

MONTH = Month.parse("2026-10")


def _store_of(db: Path) -> Store:
    return Store(results_beside(db))


def _source(folder: Path, erased: str | None = None) -> Path:
    # C1: last order 2023-09-15 -> RET-001 from 2026-09 on; C2 ordered in 2026; one tcs event from GB
    # (XB-002; and XB-006: tcs|GB has no TIA) in October
    return write_source(
        folder, exported_at="2026-11-01T00:00:00Z",
        customers=[{"customer_id": "C1", "erased_at": erased}, {"customer_id": "C2", "account_type": "pro"}],
        orders=[{"order_id": "O1", "customer_id": "C1", "ordered_at": "2023-09-15T09:00:00"},
                {"order_id": "O2", "customer_id": "C2", "ordered_at": "2026-01-10T09:00:00"}],
        access_log=[{"event_id": "E1", "occurred_at": "2026-10-01T10:00:00", "processor": "tcs",
                     "source_country": "GB", "resource": "orders"}])


@pytest.fixture()
def loaded(tmp_path):
    db = tmp_path / "db.duckdb"
    load_to_file(_source(tmp_path / "src"), db, show=False)
    return db


def _results(db: Path, params: Parameters | None = None, policy=None, store: Store | None = None):
    history = PolicyHistory.single(policy or load_policy())
    with connect(db, history) as engine:
        ctx = MonthContext.build(engine, MONTH, history, **(params or Parameters()).as_dict())
        return results.month_results(engine, ctx, store or Store(results_beside(db)))


def test_computed_once_then_read_from_the_store(loaded, monkeypatch):
    first = _results(loaded)
    assert list(zip(first.findings.findings.rule_id, first.findings.findings.subject_id)) == [
        ("RET-001", "C1"), ("XB-002", "E1"), ("XB-006", "tcs|GB")]
    folder = _store_of(loaded).folder(first.meta["parts"])
    assert folder.parent.parent.parent == Path(str(loaded) + ".results")
    assert (folder / "meta.json").is_file() and (folder / "findings.parquet").is_file()

    def fail(*args, **kwargs):
        raise AssertionError("computed a second time")

    monkeypatch.setattr(results, "compute", fail)
    again = _results(loaded)
    assert again.key == first.key
    pd.testing.assert_frame_equal(again.findings.findings, first.findings.findings)
    for name, df in first.frames.items():
        pd.testing.assert_frame_equal(again.frames[name], df, obj=name)


def test_every_statistic_is_stored_or_named_not_computed(loaded):
    res = _results(loaded)
    names = {q.name for q in statistics.statistic_queries()}
    # uploads, marketing_sends and dsr_requests are absent: the queries that need them are not computed
    assert set(res.meta["not_computed"]) == {
        "marketing/stat_objections_trend", "marketing/stat_sends_by_channel", "rights/stat_dsr_by_right",
        "rights/stat_dsr_closed", "rights/stat_dsr_open", "ropa/uploads_held", "ropa/upload_controllers",
        "observed/uploads"}
    assert names - set(res.meta["not_computed"]) <= set(res.frames)
    assert res.table("rights/stat_dsr_open") is None
    with pytest.raises(KeyError, match="no stored result named 'nope'"):
        res.table("nope")
    # the month's access table comes from the roll-up: one tcs read from GB
    summary = res.table("cross_border/summary")
    assert summary[["processor", "source_country", "third_country", "events"]].values.tolist() == [
        ["tcs", "GB", True, 1]]


@pytest.mark.parametrize("change", ["parameters", "policy", "data"])
def test_anything_else_gives_another_key(loaded, tmp_path, change):
    first = _results(loaded)
    params, policy = Parameters(), load_policy()
    if change == "parameters":
        params = Parameters(retention_years=4)  # C1's deadline moves to 2027-09: no RET-001
        expected = [("XB-002", "E1"), ("XB-006", "tcs|GB")]
    elif change == "policy":
        text = (Path(policy.path)).read_text(encoding="utf-8").replace(
            "countries: [EEA, IN]\n    scope:\n      - resource: customers",
            "countries: [EEA, IN, GB]\n    scope:\n      - resource: customers")
        assert text != Path(policy.path).read_text(encoding="utf-8")
        (tmp_path / "policy.yml").write_text(text, encoding="utf-8")
        policy = load_policy(tmp_path / "policy.yml")  # declares GB for tcs: no XB-002 (still no TIA)
        expected = [("RET-001", "C1"), ("XB-006", "tcs|GB")]
    else:
        load_to_file(_source(tmp_path / "src", erased="2026-10-20T00:00:00"), loaded, show=False)
        expected = [("XB-002", "E1"), ("XB-006", "tcs|GB")]  # C1 erased in October: no RET-001
    second = _results(loaded, params, policy)
    assert second.key != first.key
    assert list(zip(second.findings.findings.rule_id, second.findings.findings.subject_id)) == expected


def test_another_adequacy_list_gives_another_key(loaded, monkeypatch):
    from dataclasses import replace

    first = _results(loaded)
    other = replace(results.load_adequacy(), sha256="0" * 64)  # a corrected list of the Commission's decisions
    monkeypatch.setattr(results, "load_adequacy", lambda: other)
    assert _results(loaded).key != first.key


def test_an_unwritable_store_computes_in_memory_with_the_same_types(loaded, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store would be")
    in_memory = _results(loaded, store=Store(blocker / "results"))
    stored = _results(loaded)
    assert not (blocker / "results").exists()
    for name, df in stored.frames.items():
        pd.testing.assert_frame_equal(in_memory.frames[name], df, obj=name)


def test_load_keeps_the_results_of_the_current_and_previous_data_only(loaded, tmp_path):
    from gdpr_analytics.cli import main

    store = _store_of(loaded)
    _results(loaded)
    states = []
    for erased in ("2026-10-20T00:00:00", "2026-10-21T00:00:00"):
        _source(tmp_path / "src", erased=erased)
        assert main(["load", "--source", str(tmp_path / "src"), "--db", str(loaded), "--no-month-results"]) == 0
        states.append(_results(loaded).meta["parts"]["data"][:16])
    assert sorted(p.name for p in store.root.iterdir()) == sorted(states)


def test_the_findings_command_reads_the_stored_results(loaded, capsys, monkeypatch):
    from gdpr_analytics.cli import main

    assert main(["findings", "--db", str(loaded), "--month", "2026-10"]) == 0
    first = capsys.readouterr().out
    monkeypatch.setattr(results, "compute", lambda *a, **k: pytest.fail("computed a second time"))
    assert main(["findings", "--db", str(loaded), "--month", "2026-10"]) == 0
    assert capsys.readouterr().out == first
    assert first.splitlines()[1].startswith("RET-001,high,customer,C1,2026-09-15T09:00:00Z,")


#: What computes a month (imported by `results.compute`), which printing a stored month does without.
COMPUTING = ("pandas", "numpy", "pyarrow", "gdpr_analytics.analysis.rules", "gdpr_analytics.analysis.observed",
             "gdpr_analytics.analysis.ropa", "gdpr_analytics.analysis.statistics")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_findings_from_stored_results_imports_nothing_that_computes_and_prints_the_same(loaded, fmt):
    """The first `findings` computes and stores the month; the second, in a fresh process, prints it from the
    store without importing pandas or the analysis, and the same bytes, stdout and stderr."""
    import subprocess
    import sys

    script = ("import sys\nfrom gdpr_analytics.cli import main\n"
              f"status = main(['findings', '--db', {str(loaded)!r}, '--month', '2026-10', '--format', {fmt!r}])\n"
              f"print('IMPORTED', sorted(m for m in sys.modules if m.split('.')[0] in {COMPUTING[:3]!r} "
              f"or m in {COMPUTING[3:]!r}), file=sys.stderr)\nsys.exit(status)")
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    first, second = runs
    assert "IMPORTED []" not in first.stderr  # it computed
    assert second.stderr.splitlines()[-1] == "IMPORTED []"
    assert second.stdout == first.stdout and second.stderr.splitlines()[:-1] == first.stderr.splitlines()[:-1]
    if fmt == "csv":
        assert second.stdout.splitlines()[1].startswith("RET-001,high,customer,C1,2026-09-15T09:00:00Z,")


def test_the_stored_findings_json_is_the_computed_one(loaded):
    """findings_json of the frames month_results reads equals stored_findings_json read without pandas."""
    from gdpr_analytics.report.findings import findings_json, stored_findings_json

    history = PolicyHistory.single(load_policy())
    with connect(loaded, history) as engine:
        ctx = MonthContext.build(engine, MONTH, history)
        res = results.month_results(engine, ctx)
        stored = results.stored_month(engine, ctx)
        meta = res.meta
        assert stored_findings_json(stored, ctx) == findings_json(
            res.findings, ctx, tables=meta["tables"], data_end=meta["data_end"], data_start=meta.get("data_start"),
            after_data_end=meta.get("after_data_end", []), assessed_with_gaps=res.assessed_with_gaps)
        assert [f["occurred_at"] for f in stored_findings_json(stored, ctx)["findings"]][:1] == ["2026-09-15T09:00:00Z"]


def test_the_load_command_computes_the_latest_month_so_findings_only_reads(tmp_path, capsys, monkeypatch):
    """`load` ends by computing the latest month the data covers (data end 2026-11-01T00:00:00Z: 2026-10)
    under the key `findings` uses with its defaults; `findings` then computes nothing and prints what a
    database loaded without them computes."""
    from gdpr_analytics.cli import main

    src, db, plain = _source(tmp_path / "src"), tmp_path / "db.duckdb", tmp_path / "plain.duckdb"
    assert main(["load", "--source", str(src), "--db", str(db)]) == 0
    assert "month results of 2026-10 ready for findings, report and notebooks" in capsys.readouterr().err
    months = [p.name for p in _store_of(db).root.glob("*/*")]
    assert months == ["2026-10"]
    assert main(["load", "--source", str(src), "--db", str(plain), "--no-month-results"]) == 0
    assert not _store_of(plain).root.exists()
    capsys.readouterr()
    assert main(["findings", "--db", str(plain), "--month", "2026-10"]) == 0
    expected = capsys.readouterr().out
    monkeypatch.setattr(results, "compute", lambda *a, **k: pytest.fail("findings computed what load had stored"))
    assert main(["findings", "--db", str(db), "--month", "2026-10"]) == 0
    assert capsys.readouterr().out == expected
    assert expected.splitlines()[1:] and expected.splitlines()[1].startswith("RET-001,high,customer,C1,")


def test_a_data_end_inside_a_month_prepares_the_month_before(tmp_path):
    """Data ending 2026-10-31T23:59:59Z (no source.yml: the data end is the next day's first instant,
    2026-11-01) covers 2026-10; data ending on 2026-10-30 covers only 2026-09."""
    from gdpr_analytics.policy.history import load_history

    for last, month in (("2026-10-31T23:59:59", "2026-10"), ("2026-10-30T12:00:00", "2026-09")):
        src = write_source(tmp_path / month, customers=[{"customer_id": "C1"}],
                           orders=[{"order_id": "O1", "customer_id": "C1", "ordered_at": "2023-09-15T09:00:00"}],
                           access_log=[{"event_id": "E1", "occurred_at": last}])
        db = tmp_path / f"{month}.duckdb"
        done = load_to_file(src, db, show=False, last_step=latest_month_results(db, load_history()))
        assert done.after[0].startswith(f"month results of {month} ready for findings, report and notebooks (")
        assert [p.name for p in _store_of(db).root.glob("*/*")] == [month]


def test_a_failure_while_preparing_the_month_leaves_the_database_as_it_was(loaded, tmp_path, monkeypatch):
    import hashlib

    from gdpr_analytics.commands import load as latest_month
    from gdpr_analytics.policy.history import load_history

    before = hashlib.sha256(loaded.read_bytes()).hexdigest()

    def boom(*args, **kwargs):
        raise RuntimeError("interrupted while computing the month")

    monkeypatch.setattr(latest_month, "month_results", boom)
    with pytest.raises(RuntimeError, match="interrupted"):
        load_to_file(_source(tmp_path / "src2", erased="2026-10-20T00:00:00"), loaded, show=False,
                     last_step=latest_month_results(loaded, load_history()))
    assert hashlib.sha256(loaded.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in loaded.parent.iterdir() if p.name.startswith(".")) == []


def test_a_policy_that_does_not_reach_the_latest_month_loads_and_says_why(tmp_path):
    """One version, in force from 2026-10-15: 2026-10's first day has no version, so the load is whole
    but no month results are computed, and it says why."""
    from gdpr_analytics.core.assets import default_policy_path
    from gdpr_analytics.policy.history import load_history

    folder = tmp_path / "policy"
    folder.mkdir()
    text = default_policy_path().read_text(encoding="utf-8")
    (folder / "v1.yml").write_text(text.replace("policy:\n", "policy:\n  effective_from: \"2026-10-15\"\n", 1),
                                   encoding="utf-8")
    db = tmp_path / "db.duckdb"
    result = load_to_file(_source(tmp_path / "src"), db, show=False,
                          last_step=latest_month_results(db, load_history(folder)))
    assert len(result.after) == 1 and result.after[0].startswith("month results not computed: 2026-10: policy ")
    assert "2026-10-15" in result.after[0]
    assert "month results not computed: 2026-10: policy" in result.summary()
    assert result.counts["customers"] == 2 and not _store_of(db).root.exists()
