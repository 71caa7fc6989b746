"""DuckDB's memory limit, threads and spill folder are set explicitly on every connection, overridable
from the environment or the command line."""

from __future__ import annotations

import duckdb
import pytest
from sources import connect

from gdpr_analytics.core import resources
from gdpr_analytics.core.errors import UsageError
from gdpr_analytics.ingest.load import load_to_file


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in (resources.ENV_MEMORY, resources.ENV_THREADS, resources.ENV_TEMP):
        monkeypatch.delenv(name, raising=False)


def test_defaults(monkeypatch, tmp_path):
    monkeypatch.setattr(resources.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(resources.tempfile, "gettempdir", lambda: str(tmp_path))
    r = resources.current()
    assert (r.memory_limit, r.threads, r.temp_directory) == ("2GB", 2, tmp_path / "gdpr-analytics-spill")


def test_the_environment_and_the_command_line_override(monkeypatch, tmp_path):
    resources.override("512 mb", 1, tmp_path / "spill")
    r = resources.current()
    assert (r.memory_limit, r.threads, r.temp_directory) == ("512MB", 1, tmp_path / "spill")


@pytest.mark.parametrize("bad", ["lots", "2 GBs", "-1GB", ""])
def test_a_bad_memory_limit_is_a_usage_error(monkeypatch, bad):
    monkeypatch.setenv(resources.ENV_MEMORY, bad or " ")
    with pytest.raises(UsageError, match="memory limit must be a size such as 2GB or 512MB"):
        resources.current()


def test_every_connection_gets_the_settings(sample_db, monkeypatch, tmp_path):
    monkeypatch.setenv(resources.ENV_MEMORY, "300MB")
    monkeypatch.setenv(resources.ENV_THREADS, "1")
    monkeypatch.setenv(resources.ENV_TEMP, str(tmp_path / "spill"))
    with connect(sample_db) as engine:
        got = engine.query("SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t, "
                           "current_setting('temp_directory') AS d").iloc[0].tolist()
    assert got[0] in ("286.1 MiB", "300.0 MB") and got[1] == 1 and got[2] == str(tmp_path / "spill")


def test_a_memory_limit_far_below_the_default_gives_the_same_database(sample_source, sample_db, monkeypatch, tmp_path):
    monkeypatch.setenv(resources.ENV_MEMORY, "40MB")
    monkeypatch.setenv(resources.ENV_THREADS, "1")
    monkeypatch.setenv(resources.ENV_TEMP, str(tmp_path / "spill"))
    small = tmp_path / "small.duckdb"
    load_to_file(sample_source, small, show=False)
    for table in ("customers", "orders", "access_log", "_rollup_access_month"):
        a = duckdb.connect(str(small), read_only=True)
        b = duckdb.connect(str(sample_db), read_only=True)
        try:
            assert sorted(a.execute(f"SELECT * FROM {table}").fetchall(), key=repr) == \
                   sorted(b.execute(f"SELECT * FROM {table}").fetchall(), key=repr), table
        finally:
            a.close()
            b.close()
