"""The house: the package's rooms and the way imports run between them (pyproject.toml's import-linter
contracts). The contracts hold for the package, and they fail when an import runs up a floor or closes
a circle inside a room (checked on a copy of the package with one such import added)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT = str(Path(sys.executable).with_name("lint-imports"))


def lint(package_parent: Path, workdir: Path) -> subprocess.CompletedProcess:
    """lint-imports with the repository's contracts on the gdpr_analytics found under package_parent."""
    shutil.copy(REPO / "pyproject.toml", workdir / "pyproject.toml")
    return subprocess.run([LINT, "--no-cache", "--config", str(workdir / "pyproject.toml")], cwd=workdir,
                          capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(package_parent), "PATH": "/usr/bin:/bin"})


def copy_of_the_package(tmp_path: Path) -> Path:
    parent = tmp_path / "src"
    shutil.copytree(REPO / "src" / "gdpr_analytics", parent / "gdpr_analytics",
                    ignore=shutil.ignore_patterns("__pycache__", "templates", "_assets"))
    return parent


def test_the_package_keeps_both_contracts(tmp_path):
    run = lint(REPO / "src", tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Contracts: 2 kept, 0 broken." in run.stdout


def test_an_import_running_up_a_floor_breaks_the_layers(tmp_path):
    parent = copy_of_the_package(tmp_path)
    month = parent / "gdpr_analytics" / "core" / "month.py"
    month.write_text(month.read_text(encoding="utf-8") + "\nfrom ..report import build  # noqa\n", encoding="utf-8")
    run = lint(parent, tmp_path)
    assert run.returncode == 1
    assert "Imports run down the house" in run.stdout and "BROKEN" in run.stdout
    assert "gdpr_analytics.core.month -> gdpr_analytics.report.build" in run.stdout


def test_a_circle_inside_a_room_breaks_the_acyclic_contract(tmp_path):
    parent = copy_of_the_package(tmp_path)
    contract = parent / "gdpr_analytics" / "ingest" / "contract.py"  # load.py imports contract.py
    contract.write_text(contract.read_text(encoding="utf-8") + "\nfrom . import load  # noqa\n", encoding="utf-8")
    run = lint(parent, tmp_path)
    assert run.returncode == 1
    assert "No circle of imports among the modules of any room BROKEN" in " ".join(run.stdout.split())


@pytest.mark.parametrize("room", ["core", "sql", "ingest", "policy", "engines", "analysis", "report", "sample",
                                  "commands"])
def test_every_room_says_what_it_holds(room):
    doc = (REPO / "src" / "gdpr_analytics" / room / "__init__.py").read_text(encoding="utf-8")
    assert doc.startswith('"""') and len(doc) > 80, f"{room}/__init__.py: no docstring saying what the room holds"
