"""An install that works anywhere: the wheel built from the repository carries the queries, the default
policy, the notebooks, the templates and the docs, and installed into a fresh virtual environment it runs
`sample`, `load`, `findings` and `report` from an empty folder, reading only what the wheel installed.

The fresh environment gets the wheel alone (`pip install --no-deps --no-index`); its dependencies are
this environment's, reached by a .pth file written after the install and a link to their data files
(share/jupyter) — resolving and copying them again cost half a minute of CPU and tested pip, not us — and
every requirement the wheel declares must be met there. Slow (the report runs its notebooks); `-m "not slow"` leaves it out."""

from __future__ import annotations

import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(args: list[str], cwd: Path, env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", out, REPO], cwd=out)
    (found,) = out.glob("gdpr_analytics-*.whl")
    return found


def test_the_wheel_carries_the_assets(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    queries = sorted((REPO / "queries").rglob("*.sql"))
    for path in queries:
        assert f"gdpr_analytics/_assets/queries/{path.relative_to(REPO / 'queries').as_posix()}" in names
    for wanted in ("gdpr_analytics/_assets/policies/mystamp.yml", "gdpr_analytics/_assets/docs/summary.schema.json",
                   "gdpr_analytics/_assets/notebooks/02_retention.ipynb", "gdpr_analytics/_assets/notebooks/explore.ipynb",
                   "gdpr_analytics/report/templates/gdpr_audit/index.html.j2",
                   "gdpr_analytics/report/templates/site/month_index.html.j2",
                   "gdpr_analytics/engines/spark/log4j2.properties", "gdpr_analytics/core/month.py"):
        assert wanted in names, wanted
    assert not [n for n in names if ".ipynb_checkpoints" in n or "__pycache__" in n]
    # the kernel the notebooks name, into <prefix>/share/jupyter/kernels, and the provisioner it names
    spec = "gdpr_analytics-0.1.0.data/data/share/jupyter/kernels/gdpr-analytics/kernel.json"
    assert zipfile.ZipFile(wheel).read(spec) == (REPO / "share/jupyter/kernels/gdpr-analytics/kernel.json").read_bytes()
    entry_points = zipfile.ZipFile(wheel).read("gdpr_analytics-0.1.0.dist-info/entry_points.txt").decode()
    assert "[jupyter_client.kernel_provisioners]\ngdpr-analytics = gdpr_analytics.report.kernel:QuietProvisioner" \
        in entry_points


#: run in the fresh environment: every requirement the installed wheel declares (extras aside) is met
REQUIREMENTS_MET = """
from importlib.metadata import PackageNotFoundError, requires, version
from packaging.requirements import Requirement
unmet = []
for text in requires("gdpr-analytics"):
    req = Requirement(text)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue
    try:
        found = version(req.name)
    except PackageNotFoundError:
        found = None
    if found is None or not req.specifier.contains(found, prereleases=True):
        unmet.append(f"{text} (found: {found})")
print(len(requires("gdpr-analytics")))
assert not unmet, unmet
"""


@pytest.mark.slow
def test_installed_into_a_fresh_environment_it_runs_from_an_empty_folder(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, clear=True).create(env_dir)
    python, command = env_dir / "bin" / "python", env_dir / "bin" / "gdpr-analytics"
    # the wheel alone, by this environment's pip into the fresh one (which has no pip of its own)
    run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index",
         "--no-compile", "--disable-pip-version-check", wheel], cwd=tmp_path)
    (site_packages,) = (env_dir / "lib").glob("python3*/site-packages")
    installed = sorted(p.name for p in site_packages.iterdir())
    assert [n.split("-")[0] for n in installed] == ["gdpr_analytics", "gdpr_analytics"], installed
    # then the dependencies: this environment's site-packages, after the fresh one's on sys.path (a folder
    # named in a .pth file is added as it is: the .pth files there, our editable install's among them, are
    # not read, so the checkout stays out of reach)
    (site_packages / "dependencies.pth").write_text("".join(f"{p}\n" for p in site.getsitepackages()),
                                                    encoding="utf-8")
    # and their data files (nbconvert's templates, the python3 kernel spec), where pip would have put them,
    # beside the gdpr-analytics kernel spec the wheel installed
    assert (env_dir / "share/jupyter/kernels/gdpr-analytics/kernel.json").is_file()
    ours = Path(sys.prefix) / "share" / "jupyter"
    for folder in (ours, ours / "kernels"):
        for source in folder.iterdir():
            target = env_dir / source.relative_to(sys.prefix)
            if not target.exists():
                target.symlink_to(source)
    empty = tmp_path / "empty"
    empty.mkdir()
    # nothing of the checkout: not on the path, not the working folder, no PYTHONPATH
    env = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    where = run([python, "-c", "from gdpr_analytics.core.assets import asset_dir, package_root; "
                 "print(asset_dir('queries')); print(asset_dir('notebooks')); print(package_root())"], empty, env)
    for line in where.stdout.splitlines():
        assert line.startswith(str(env_dir)), f"read from outside the installed package: {line}"
    assert int(run([python, "-c", REQUIREMENTS_MET], empty, env).stdout) >= 15
    run([command, "sample", "--out", "src", "--customers", "300", "--events", "3000"], empty, env)
    run([command, "load", "--source", "src", "--db", "mystamp.duckdb"], empty, env)
    findings = run([command, "findings", "--db", "mystamp.duckdb", "--month", "2026-10"], empty, env)
    assert findings.stdout.startswith("rule_id,severity,subject_type,subject_id,occurred_at,detail\n")
    assert len(findings.stdout.splitlines()) > 10
    run([command, "report", "--db", "mystamp.duckdb", "--month", "latest", "--out", "reports"], empty, env)
    month = empty / "reports" / "2026-10"
    assert (month / "index.html").is_file() and (month / "03_cross_border.html").is_file()
    assert (month / "findings.csv").read_text(encoding="utf-8") == findings.stdout
    assert sorted(p.name for p in empty.iterdir()) == ["mystamp.duckdb", "mystamp.duckdb.results", "reports", "src"]
