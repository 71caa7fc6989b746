"""The engine seam: a command opens its engine once (engines.factory.opened) and a failure inside an engine
reaches the command as one line, whichever engine raised it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sources import write_source

from gdpr_analytics.core.errors import EngineError, UsageError
from gdpr_analytics.engines import factory
from gdpr_analytics.engines.duckdb import DuckDBEngine
from gdpr_analytics.ingest.load import load_to_file

SOURCE = dict(customers=[{"customer_id": "C1"}],
              orders=[{"order_id": "O1", "customer_id": "C1", "ordered_at": "2023-07-01T00:00:00"}],
              access_log=[{"event_id": "E1", "occurred_at": "2026-10-31T10:00:00"}])


@pytest.fixture()
def db(tmp_path) -> Path:
    path = tmp_path / "db.duckdb"
    load_to_file(write_source(tmp_path / "src", **SOURCE), path, show=False)
    return path


def test_a_duckdb_failure_is_one_engine_error_line(db):
    with DuckDBEngine(db) as engine, pytest.raises(EngineError) as err:
        engine.query("SELECT * FROM no_such_table")
    assert str(err.value).startswith("DuckDB: Catalog Error: Table with name no_such_table does not exist")
    assert "\n" not in str(err.value)


def test_a_spark_failure_is_one_engine_error_line(spark, tmp_path):
    from gdpr_analytics.engines.spark.engine import SparkEngine

    engine = SparkEngine(write_source(tmp_path / "src", **SOURCE), spark=spark)
    try:
        with pytest.raises(EngineError) as err:
            engine.query("SELECT * FROM no_such_table")
    finally:
        engine.close()
    assert str(err.value).startswith("Spark: ") and "no_such_table" in str(err.value)
    assert "\n" not in str(err.value)


def test_a_snapshot_is_read_and_removed_and_the_location_is_the_database(db):
    with factory.opened(db=db, snapshot=True) as engine:
        snaps = list(db.parent.glob(f".{db.name}.snapshot-*"))
        assert snaps == [db.with_name(f".{db.name}.snapshot-{os.getpid()}")]
        assert engine.reads == snaps[0] and engine.location == db.absolute()
        assert engine.results == Path(f"{db.absolute()}.results")
    assert not list(db.parent.glob(f".{db.name}.snapshot-*"))


def test_a_source_loaded_for_duckdb_is_a_temporary_database(tmp_path):
    src = write_source(tmp_path / "src", **SOURCE)
    with factory.opened(source=src) as engine:
        loaded = engine.reads
        assert engine.transient and loaded.is_file() and engine.present_tables() == {"customers", "orders",
                                                                                       "access_log"}
    assert not loaded.exists()


@pytest.mark.parametrize("kind, given, message", [
    ("spark", {"db": "x.duckdb"}, "--engine spark reads a source folder in place"),
    ("duckdb", {"db": "x.duckdb", "remote": "sc://h:1"}, "--spark-remote: only with --engine spark"),
    ("duckdb", {"db": "x.duckdb", "results": "r"}, "--results: only with --engine spark"),
    ("spark", {"source": "s", "remote": "h:1"}, "--spark-remote must be sc://HOST:PORT, got 'h:1'"),
])
def test_engine_options_that_do_not_go_together_are_bad_usage(kind, given, message):
    with pytest.raises(UsageError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        with factory.opened(kind, **given):
            pass


def test_the_report_command_opens_one_engine_for_the_whole_run(db, tmp_path, monkeypatch):
    """Three months, one engine (on the run's snapshot); the months' contexts are built once each."""
    from gdpr_analytics import cli
    from gdpr_analytics.analysis import context
    from gdpr_analytics.report import notebooks

    opened, built = [], []
    init, build = DuckDBEngine.__init__, context.MonthContext.build.__func__

    def counting_init(self, *args, **kw):
        opened.append(args[0])
        init(self, *args, **kw)

    def counting_build(cls, engine, month, *args, **kw):
        built.append(month.label)
        return build(cls, engine, month, *args, **kw)

    monkeypatch.setattr(DuckDBEngine, "__init__", counting_init)
    monkeypatch.setattr(context.MonthContext, "build", classmethod(counting_build))
    monkeypatch.setattr(notebooks, "default_notebooks", lambda: [])
    assert cli.main(["report", "--db", str(db), "--month", "2026-08..2026-10", "--out", str(tmp_path / "out")]) == 0
    assert len(opened) == 1 and opened[0].name.startswith(f".{db.name}.snapshot-")
    assert built == ["2026-08", "2026-09", "2026-10"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir()) == ["2026-08", "2026-09", "2026-10"]
