"""environment.yml and pyproject.toml name the same dependencies, with the same lower bounds."""

import os
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _split(spec: str) -> tuple[str, str]:
    m = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^]]*\])?\s*(.*)$", spec.strip())
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


#: What conda lists beside pyspark for the extra `spark`: pip's `pyspark[connect]` brings the Spark
#: Connect client's packages, conda-forge's pyspark does not; and conda can install the JRE.
CONNECT_CLIENT = {"grpcio", "grpcio-status", "googleapis-common-protos", "zstandard"}


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = dict(_split(s) for s in project["dependencies"] + extras["test"] + extras["spark"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = dict(_split(s) for s in env["dependencies"] if isinstance(s, str) and not s.startswith(("python", "pip")))
    assert listed.pop("openjdk") == ">=17"
    assert {k: listed.pop(k) for k in CONNECT_CLIENT if k in listed}.keys() == CONNECT_CLIENT
    assert listed == wanted


def test_environment_yml_lists_the_spark_connect_client_as_pyspark_requires_it():
    """The Connect client's packages and lower bounds in environment.yml are those pyspark's own extra
    `connect` names (read from the installed pyspark's metadata)."""
    import importlib.metadata as md

    pytest.importorskip("pyspark")
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = dict(_split(s) for s in env["dependencies"] if isinstance(s, str))
    required = {}
    for req in md.requires("pyspark") or []:
        spec, _, marker = req.partition(";")
        if 'extra == "connect"' in marker:
            name, bound = _split(spec)
            required[name] = bound
    assert {k: listed[k] for k in CONNECT_CLIENT} == {k: required[k] for k in CONNECT_CLIENT}


def test_make_test_runs_each_file_in_its_xdist_group(request):
    """`make test` shares its work by pytest-xdist's groups (tests/conftest.py: the JVM tests together, every
    other file on one worker). pytest 9 builds test ids xdist 3.8 cannot tag with their group, and grouping then
    stops without a word (pytest-dev/pytest-xdist#1386): under `--dist loadgroup` this test's id must carry it."""
    group = "tests/project/test_environment.py"
    assert [m.args[0] for m in request.node.iter_markers("xdist_group")] == [group]
    if os.environ.get("PYTEST_XDIST_WORKER") and request.config.getvalue("loadgroup"):
        assert request.node.nodeid.endswith(f"@{group}"), request.node.nodeid


def test_every_test_on_the_spark_engine_is_in_the_jvm_group(request):
    """A test run on the Spark engine by a parameter (the rule_engine fixture, an engine name), alone or beside
    other parameters, starts a JVM: it belongs with the other JVM tests, not on the worker running its file."""
    items = request.session.items
    on_spark = [i for i in items if "spark" in getattr(getattr(i, "callspec", None), "params", {}).values()]
    beside = [i for i in on_spark if len(i.callspec.params) > 1 or not i.nodeid.endswith("[spark]")]
    if not beside:
        pytest.fail("the session holds no test on Spark with another parameter: run the whole suite")
    for item in on_spark:
        assert [m.args[0] for m in item.iter_markers("xdist_group")] == ["spark"], item.nodeid
