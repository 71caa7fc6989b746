"""The Spark engine on Spark Connect (SPEC §9), through the real `gdpr-analytics` command: a Spark Connect
server started from pyspark's own distribution (tests/spark_connect_server.py, once for this file), its
application on a Spark standalone cluster of this machine (a master and a worker; the executors run in JVMs
the worker launches, as on a real cluster), computes the findings of the hand-made scenario (tests/scenario.py: every table, findings of most rules)
for 2026-10, which must be the DuckDB engine's bytes; SPARK_REMOTE
names the server as --spark-remote does; a remote nobody listens on fails at once, in one line.

Skipped where Java or pyspark is missing, unless in CI (CI=1/true), where that fails the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, in_ci
from spark_connect_server import ConnectServer, StandaloneCluster, free_port, unavailable

pytestmark = pytest.mark.slow

COMMAND = str(Path(sys.executable).with_name("gdpr-analytics"))
SAMPLE = REPO / "data_samples"
MONTH = "2026-10"
HEADER = "rule_id,severity,subject_type,subject_id,occurred_at,detail"
RUN_TIMEOUT = 600  # s: one findings run on a busy 2-core machine takes about a minute
UNREACHABLE_TIMEOUT = 20  # s: the command, pyspark's import included, must give up on a closed port sooner

def run(*args, remote_env: str | None = None, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
    """The real command; SPARK_REMOTE is what `remote_env` says (unset by default, whatever the caller's)."""
    env = {k: v for k, v in os.environ.items() if k != "SPARK_REMOTE"}
    if remote_env is not None:
        env["SPARK_REMOTE"] = remote_env
    return subprocess.run([COMMAND, *map(str, args)], check=False, capture_output=True, text=True, env=env,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"exit status {proc.returncode}; stderr:\n{proc.stderr}"
    return proc


def require(why: str | None) -> None:
    if why:
        if in_ci():
            pytest.fail(f"Spark Connect cannot be tested in CI: {why}")
        pytest.skip(f"Spark Connect cannot be tested here: {why}")


def load_mode(results: Path) -> str:
    """load_info.load_mode of the one month result stored under `results` (how the engine read the source)."""
    metas = sorted(results.rglob("meta.json"))
    assert len(metas) == 1, f"expected one stored month result under {results}, found {metas}"
    return json.loads(metas[0].read_text(encoding="utf-8"))["load_info"]["load_mode"]


def duckdb_findings(source: Path, month: str, folder: Path) -> subprocess.CompletedProcess:
    """`load` then `findings --db`: the DuckDB engine's findings CSV of `month`."""
    db = folder / "s.duckdb"
    ok(run("load", "--source", source, "--db", db))
    return ok(run("findings", "--db", db, "--month", month))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """A Spark standalone cluster (a master and a worker, their own JVMs) for this file's server."""
    require(unavailable())
    cl = StandaloneCluster(tmp_path_factory.mktemp("spark-standalone"), cores=2, memory="1g")
    try:
        cl.start(timeout=120)
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield cl
    finally:
        cl.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, cluster):
    """One Spark Connect server for this file, its application on the standalone cluster (executors in the
    worker's JVMs, as on a real cluster), stopped (its whole process group) at the end."""
    # the server is the tests' own: configured for their small data as the session of conftest.spark is
    # (expressions interpreted, no adaptive re-planning; the same answers, 58 instead of 70 CPU-s), as an operator
    # configures a cluster for its data
    srv = ConnectServer(tmp_path_factory.mktemp("spark-connect-server"), confs={
        "spark.sql.shuffle.partitions": "4", "spark.sql.codegen.wholeStage": "false",
        "spark.sql.codegen.factoryMode": "NO_CODEGEN", "spark.sql.adaptive.enabled": "false"},
        master=cluster.master_url)
    try:
        srv.start(timeout=120)
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scenario import write_scenario

    return write_scenario(tmp_path_factory.mktemp("scenario") / "src")


def test_findings_on_spark_connect_are_the_duckdb_engines_bytes(cluster, server, scenario, tmp_path):
    on_duckdb = duckdb_findings(scenario, MONTH, tmp_path)
    want = on_duckdb.stdout
    # not vacuous: findings of ten rules (tests/scenario.py works them out)
    assert want.startswith(HEADER + "\n") and len({line.split(",")[0] for line in want.splitlines()[1:]}) >= 10

    results = tmp_path / "results"
    got = ok(run("findings", "--engine", "spark", "--spark-remote", server.url, "--source", scenario,
                 "--month", MONTH, "--results", results))
    assert got.stdout == want
    assert got.stderr == on_duckdb.stderr  # the same "not assessed" lines, and nothing else
    # computed on the server, not in a local Spark of the command's own, by executors the cluster's worker
    # launched (JVMs of their own)
    assert load_mode(results) == f"read in place by Spark (Spark Connect {server.url})"
    assert cluster.executors_launched() >= 1


def test_spark_remote_in_the_environment_names_the_server(tmp_path):
    # SPARK_REMOTE is read as --spark-remote is: the command goes to the server it names (here a closed port,
    # so it fails at once naming it) instead of a local Spark; the run above shows the answer through a server
    require(unavailable())
    closed = f"sc://localhost:{free_port()}"
    proc = run("findings", "--engine", "spark", "--source", SAMPLE, "--month", MONTH, "--results",
               tmp_path / "results", remote_env=closed, timeout=UNREACHABLE_TIMEOUT)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach Spark Connect" in lines[0] and closed in lines[0], proc.stderr


def test_an_unreachable_remote_fails_at_once_in_one_line(tmp_path):
    require(unavailable())
    closed = f"sc://localhost:{free_port()}"  # a port bound then released: nobody listens on it
    proc = run("findings", "--engine", "spark", "--spark-remote", closed, "--source", SAMPLE, "--month", MONTH,
               "--results", tmp_path / "results", timeout=UNREACHABLE_TIMEOUT)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gdpr-analytics: error: ") and "cannot reach Spark Connect" in lines[0]
    assert closed in lines[0]
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").rglob("meta.json"))
