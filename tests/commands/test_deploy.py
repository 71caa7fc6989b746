"""The scheduler recipes of deploy/ (README, "Running unattended").

Each recipe must run exactly the two documented commands and treat their exit statuses as the README
says: the cron wrapper is run with a stand-in command for every status (and once with the real one),
the systemd units are checked with `systemd-analyze verify`, `security` and `calendar`, and the Airflow
DAG is read with `ast` and imported against a stand-in `airflow` package laid out as Airflow 2's and as
Airflow 3's (Airflow is not a dependency; README, Airflow, says why it is not installed in CI).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import types
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
README = REPO / "README.md"
VENV_COMMAND = Path(sys.executable).with_name("gdpr-analytics")

# The documented commands (README, "Running unattended"), with the placeholder paths.
GDPR_ANALYTICS = "/opt/gdpr-analytics/.venv/bin/gdpr-analytics"
SOURCE = "/srv/mystamp/export"
DB = "/var/lib/gdpr-analytics/mystamp.duckdb"
OUT = "/srv/gdpr-reports"
LOAD = [GDPR_ANALYTICS, "load", "--source", SOURCE, "--db", DB]
REPORT = [GDPR_ANALYTICS, "report", "--db", DB, "--month", "latest", "--out", OUT,
          "--wait", "3600", "--fail-on", "new-high"]
BACKFILL_MONTHS = "2025-11..2026-10"
STATUSES = {0, 1, 2, 3, 75}
STEP_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ report \d{4}-\d\d: ", re.M)


# -- the README -----------------------------------------------------------------------------------


def readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def test_readme_section_follows_the_monthly_report():
    text = README.read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[headings.index("The monthly report") + 1] == "Running unattended"


def test_readme_documents_the_commands_statuses_and_backfill():
    section = readme_section("Running unattended")
    lines = section.splitlines()
    assert shlex.join(LOAD) in lines and shlex.join(REPORT) in lines
    table = {int(m.group(1)) for m in re.finditer(r"^\| (\d+) \|", section, re.M)}
    assert table == STATUSES
    assert f"--month {BACKFILL_MONTHS}" in section
    for recipe in ("deploy/cron/gdpr-analytics.crontab", "deploy/systemd/gdpr-analytics-report.service",
                   "deploy/airflow/gdpr_analytics_dag.py"):
        assert f"`{recipe}`" in section or recipe.split("/")[-1] in section, recipe
        assert (REPO / recipe).is_file()


def test_the_real_command_line_accepts_the_documented_commands():
    """A renamed option in cli.py must not leave the recipes calling one that no longer exists."""
    from gdpr_analytics.cli import build_parser

    parser = build_parser()
    load = parser.parse_args(LOAD[1:])
    assert (load.command, str(load.source), str(load.db)) == ("load", SOURCE, DB)
    report = parser.parse_args(REPORT[1:])
    assert (report.command, report.month, str(report.out)) == ("report", "latest", OUT)
    assert (report.wait, report.fail_on) == (3600, "new-high")
    assert parser.parse_args(["report", "--db", DB, "--month", BACKFILL_MONTHS, "--out", OUT]).month == BACKFILL_MONTHS


def test_airflow_is_not_a_dependency():
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    environment = (REPO / "environment.yml").read_text(encoding="utf-8")
    assert "airflow" not in pyproject.lower() and "airflow" not in environment.lower()


# -- cron -----------------------------------------------------------------------------------------

CRONTAB = DEPLOY / "cron" / "gdpr-analytics.crontab"
WRAPPER = DEPLOY / "cron" / "gdpr-analytics-monthly"
INSTALLED_WRAPPER = "/opt/gdpr-analytics/deploy/cron/gdpr-analytics-monthly"


def read_crontab() -> tuple[dict[str, str], list[list[str]]]:
    """A /etc/cron.d file: its environment lines and its jobs (5 time fields, the user, the command)."""
    env, jobs = {}, []
    for line in CRONTAB.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        assignment = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)", line)
        if assignment:
            env[assignment.group(1)] = assignment.group(2)
        else:
            jobs.append(line.split(None, 6))
    return env, jobs


def test_crontab_runs_the_wrapper_monthly_as_a_dedicated_user():
    text = CRONTAB.read_text(encoding="utf-8")
    assert text.endswith("\n"), "cron ignores a last line without a newline"
    env, jobs = read_crontab()
    assert len(jobs) == 1
    minute, hour, day, month, weekday, user, command = jobs[0]
    assert (minute, hour, day, month, weekday) == ("0", "6", "2", "*", "*")
    assert user == "gdpr-analytics"
    assert command == INSTALLED_WRAPPER and "%" not in command  # cron turns % into a newline
    assert INSTALLED_WRAPPER.removeprefix("/opt/gdpr-analytics/") == WRAPPER.relative_to(REPO).as_posix()
    assert os.access(WRAPPER, os.X_OK)
    assert {k: env[k] for k in ("GDPR_ANALYTICS", "GDPR_SOURCE", "GDPR_DB", "GDPR_OUT")} == \
        {"GDPR_ANALYTICS": GDPR_ANALYTICS, "GDPR_SOURCE": SOURCE, "GDPR_DB": DB, "GDPR_OUT": OUT}
    assert env["SHELL"] == "/bin/sh" and "MAILTO" in env and "GDPR_LOG" in env
    assert "GDPR_ANALYTICS_MEMORY_LIMIT" in env


def test_wrapper_is_posix_sh_with_set_eu():
    text = WRAPPER.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh\n") and "\nset -eu\n" in text
    subprocess.run(["sh", "-n", str(WRAPPER)], check=True)


STUB = """#!/bin/sh
for arg in "$@"; do printf '%s\\t' "$arg"; done >>"$STUB_CALLS"; echo >>"$STUB_CALLS"
echo "2026-11-26T20:55:14Z $1: stand-in line" >&2
case "$1" in load) exit "$STUB_LOAD" ;; report) exit "$STUB_REPORT" ;; esac
"""


def run_wrapper(tmp_path: Path, command: Path, **extra: str) -> subprocess.CompletedProcess:
    """The wrapper as cron runs it: the crontab's environment only, then the paths this test needs."""
    env, _ = read_crontab()
    env.update(GDPR_ANALYTICS=str(command), GDPR_LOG=str(tmp_path / "monthly.log"), **extra)
    return subprocess.run([str(WRAPPER)], env=env, capture_output=True, text=True, cwd=tmp_path)


@pytest.mark.parametrize("load_status, report_status, heading", [
    (0, 0, None),
    (0, 3, "gdpr-analytics ALERT: the report holds new high-severity findings"),
    (0, 75, "gdpr-analytics NOT RUN: another run held the lock"),
    (0, 1, "gdpr-analytics FAILED (exit status 1)"),
    (0, 2, "gdpr-analytics FAILED (exit status 2)"),
    (1, None, "gdpr-analytics FAILED (exit status 1)"),
])
def test_wrapper_mails_only_when_someone_should_look(tmp_path, load_status, report_status, heading):
    stub = tmp_path / "gdpr-analytics"
    stub.write_text(STUB)
    stub.chmod(0o755)
    (tmp_path / "monthly.log").write_text("a line of last month's run\n")
    proc = run_wrapper(tmp_path, stub, STUB_CALLS=str(tmp_path / "calls"),
                       STUB_LOAD=str(load_status), STUB_REPORT=str(report_status or 0))

    calls = [line.split("\t")[:-1] for line in (tmp_path / "calls").read_text().splitlines()]
    expected_calls = [LOAD[1:]] + ([REPORT[1:]] if load_status == 0 else [])
    assert calls == expected_calls
    status = load_status or report_status
    assert proc.returncode == status
    assert proc.stderr == ""
    log = (tmp_path / "monthly.log").read_text()
    assert log.startswith("a line of last month's run\n") and log.count("stand-in line") == len(calls)
    if heading is None:
        assert proc.stdout == ""  # nothing printed, nothing mailed
    else:
        first, *rest = proc.stdout.splitlines()
        assert first.startswith(heading)
        # this run's log lines follow, not last month's
        assert "a line of last month's run" not in proc.stdout
        assert sum("stand-in line" in line for line in rest) == len(calls)


@pytest.mark.slow
def test_wrapper_with_the_real_command_alerts_on_new_high_findings(tmp_path):
    """Load, report the latest complete month (2026-10), status 3 for its new high findings, and the
    timestamped step lines in the log, not in the mail's headline."""
    from sources import write_source

    source = write_source(
        tmp_path / "export",
        customers=[{"customer_id": "C1"}],
        orders=[{"customer_id": "C1", "ordered_at": "2023-10-01T00:00:00"}],  # RET-001, high, new
        access_log=[{"event_id": "E1", "occurred_at": "2026-10-31T08:00:00"}],
    )
    out = tmp_path / "reports"
    proc = run_wrapper(tmp_path, VENV_COMMAND, GDPR_SOURCE=str(source), GDPR_DB=str(tmp_path / "db" / "m.duckdb"),
                       GDPR_OUT=str(out))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert proc.stdout.startswith("gdpr-analytics ALERT: the report holds new high-severity findings")
    assert (out / "2026-10" / "summary.json").is_file() and (out / "2026-10" / "index.html").is_file()
    assert STEP_LINE.search((tmp_path / "monthly.log").read_text())


# -- systemd --------------------------------------------------------------------------------------

SYSTEMD = DEPLOY / "systemd"
SERVICE = SYSTEMD / "gdpr-analytics-report.service"
TIMER = SYSTEMD / "gdpr-analytics-report.timer"
NOTIFY = SYSTEMD / "gdpr-analytics-notify@.service"
ENV_FILE = SYSTEMD / "gdpr-analytics.env"
INSTALLED_ENV_FILE = "/etc/gdpr-analytics/gdpr-analytics.env"


def read_unit(path: Path) -> dict[str, list[str]]:
    """'Section.Key' -> every value assigned, in order (continuation lines joined)."""
    unit: dict[str, list[str]] = {}
    section, pending = "", ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        unit.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return unit


def read_env_file(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def expand(command: str, env: dict[str, str]) -> list[str]:
    """An Exec line as systemd runs it: ${NAME} replaced by the environment file's value."""
    return [re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], word) for word in shlex.split(command)]


def one(unit: dict[str, list[str]], key: str) -> str:
    values = unit.get(key, [])
    assert len(values) == 1, f"{key}: {values}"
    return values[0]


def test_service_runs_load_then_report_with_the_environment_file():
    unit, env = read_unit(SERVICE), read_env_file(ENV_FILE)
    assert one(unit, "Service.Type") == "oneshot"
    assert one(unit, "Service.User") == "gdpr-analytics"
    assert one(unit, "Service.EnvironmentFile") == INSTALLED_ENV_FILE
    assert expand(one(unit, "Service.ExecStartPre"), env) == LOAD
    assert expand(one(unit, "Service.ExecStart"), env) == REPORT
    assert "GDPR_ANALYTICS_MEMORY_LIMIT" in env


def test_service_alerts_on_3_and_75():
    """Status 3 (new high findings) and 75 (locked) fail the unit, which starts the notifier."""
    unit = read_unit(SERVICE)
    success = " ".join(unit.get("Service.SuccessExitStatus", [])).split()
    assert "3" not in success and "75" not in success
    on_failure = one(unit, "Unit.OnFailure")
    assert on_failure == "gdpr-analytics-notify@%n.service"
    assert (SYSTEMD / on_failure.replace("%n", "")).is_file()
    notify = read_unit(NOTIFY)
    assert one(notify, "Service.EnvironmentFile") == INSTALLED_ENV_FILE
    assert "GDPR_NOTIFY_TO" in read_env_file(ENV_FILE) and "$$GDPR_NOTIFY_TO" in one(notify, "Service.ExecStart")


def test_service_sandbox_lets_it_write_the_database_spill_and_report_folders():
    unit, env = read_unit(SERVICE), read_env_file(ENV_FILE)
    assert one(unit, "Service.ProtectSystem") == "strict"  # nothing else is writable
    state = Path("/var/lib") / one(unit, "Service.StateDirectory")
    cache = Path("/var/cache") / one(unit, "Service.CacheDirectory")
    writable = [state, cache, *map(Path, " ".join(unit["Service.ReadWritePaths"]).split())]

    def may_write(path: str) -> bool:
        return any(Path(path) == w or w in Path(path).parents for w in writable)

    assert Path(env["GDPR_DB"]).parent == state
    assert may_write(env["GDPR_OUT"]) and env["GDPR_OUT"] in unit["Service.ReadWritePaths"]
    assert Path(env["GDPR_ANALYTICS_TEMP_DIR"]) == cache
    assert may_write(one(unit, "Service.Environment").removeprefix("HOME="))
    assert not may_write(env["GDPR_SOURCE"])
    for path in (SOURCE, OUT, str(state)):
        assert path in one(unit, "Unit.RequiresMountsFor").split()


def test_timer_starts_the_service_monthly_and_catches_up():
    timer = read_unit(TIMER)
    assert one(timer, "Timer.Unit") == SERVICE.name
    assert one(timer, "Timer.Persistent") == "true"
    assert one(timer, "Timer.OnCalendar") == "*-*-02 06:00:00 UTC"
    assert one(timer, "Install.WantedBy") == "timers.target"


def systemd_analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path is None:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd); the units were "
                    "checked by the other tests of this file only")
    return path


def installable_copies(tmp_path: Path) -> list[Path]:
    """The units as installed, with the two host paths that do not exist here rewritten to real
    files: the gdpr-analytics of this environment and a copy of the environment file."""
    assert VENV_COMMAND.is_file()
    env_copy = tmp_path / ENV_FILE.name
    shutil.copy(ENV_FILE, env_copy)
    copies = []
    for unit in (SERVICE, TIMER, NOTIFY):
        text = unit.read_text(encoding="utf-8")
        assert GDPR_ANALYTICS in text or unit != SERVICE
        text = text.replace(GDPR_ANALYTICS, str(VENV_COMMAND)).replace(INSTALLED_ENV_FILE, str(env_copy))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
        copies.append(tmp_path / unit.name)
    return copies


def verify(tool: str, units: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run([tool, "verify", "--man=no", *map(str, units)], capture_output=True, text=True)


def about_our_units(output: str) -> list[str]:
    return [line for line in output.splitlines() if "gdpr-analytics" in line]


def test_systemd_analyze_verify_passes_without_a_warning(tmp_path):
    tool = systemd_analyze()
    proc = verify(tool, installable_copies(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # an unknown or misspelt key is only a warning with status 0: none may mention our units
    assert about_our_units(proc.stdout + proc.stderr) == []


def test_systemd_analyze_verify_would_catch_a_mistake(tmp_path):
    """The check above is strict enough to see a misspelt key and a missing executable."""
    tool = systemd_analyze()
    units = installable_copies(tmp_path)
    timer = tmp_path / TIMER.name
    timer.write_text(timer.read_text().replace("Persistent=", "Persistant="))
    assert about_our_units(verify(tool, units).stderr)
    service = tmp_path / SERVICE.name
    service.write_text(service.read_text().replace(str(VENV_COMMAND), str(tmp_path / "missing")))
    assert verify(tool, units).returncode != 0


def test_systemd_analyze_security_rates_the_service_ok(tmp_path):
    tool = systemd_analyze()
    service = installable_copies(tmp_path)[0]
    proc = subprocess.run([tool, "security", "--offline=true", "--threshold=20", str(service)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr  # overall exposure 2.0 or less


def test_systemd_calendar_is_the_2nd_at_6_utc():
    tool = systemd_analyze()
    spec = one(read_unit(TIMER), "Timer.OnCalendar")
    proc = subprocess.run([tool, "calendar", "--iterations=3", spec], capture_output=True, text=True, check=True)
    elapses = re.findall(r"(?:Next elapse|Iter\. #\d): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", proc.stdout)
    assert len(elapses) == 3 and all(e[8:] == "02 06:00:00" for e in elapses), proc.stdout


# -- auditors' read access ------------------------------------------------------------------------

SYSUSERS = SYSTEMD / "gdpr-analytics.sysusers"
TMPFILES = SYSTEMD / "gdpr-analytics.tmpfiles"


def _ids(root: Path, table: str) -> dict[str, int]:
    """name -> id from <root>/etc/passwd or group."""
    lines = (root / "etc" / table).read_text(encoding="utf-8").splitlines()
    return {f[0]: int(f[2]) for f in (line.split(":") for line in lines if line)}


def test_the_report_folder_is_made_readable_by_the_auditors_group(tmp_path):
    """systemd-sysusers and systemd-tmpfiles applied to a scratch root (--root): the service user and the
    group gdpr-auditors exist, the user is in the group, and GDPR_OUT is 2750 gdpr-analytics:gdpr-auditors."""
    tools = [shutil.which("systemd-sysusers"), shutil.which("systemd-tmpfiles")]
    if None in tools:
        pytest.skip("systemd-sysusers or systemd-tmpfiles is not installed (Debian: apt-get install systemd)")
    if os.geteuid() != 0:
        pytest.skip("systemd-tmpfiles gives the folder its owner only when run as root")
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    subprocess.run([tools[0], f"--root={root}", str(SYSUSERS)], check=True, capture_output=True)
    subprocess.run([tools[1], "--create", f"--root={root}", str(TMPFILES)], check=True, capture_output=True)
    users, groups = _ids(root, "passwd"), _ids(root, "group")
    members = {f[0]: f[3].split(",") for f in (line.split(":") for line in
                                                (root / "etc" / "group").read_text().splitlines() if line)}
    assert "gdpr-analytics" in members["gdpr-auditors"]
    out = read_env_file(ENV_FILE)["GDPR_OUT"]
    assert out in " ".join(read_unit(SERVICE)["Service.ReadWritePaths"]).split()
    st = (root / out.lstrip("/")).stat()
    assert (st.st_uid, st.st_gid) == (users["gdpr-analytics"], groups["gdpr-auditors"])
    assert oct(st.st_mode & 0o7777) == oct(0o2750)
    assert one(read_unit(SERVICE), "Service.UMask") == "0027"  # the service's files: 0640, folders 0750


def test_readme_tells_the_operator_how_auditors_get_read_access():
    section = readme_section("Running unattended")
    for text in ("gdpr-auditors", "gdpr-analytics.sysusers", "gdpr-analytics.tmpfiles", "usermod -aG gdpr-auditors"):
        assert text in section, text


# -- Airflow --------------------------------------------------------------------------------------

DAG_FILE = DEPLOY / "airflow" / "gdpr_analytics_dag.py"


def dag_tree() -> ast.Module:
    source = DAG_FILE.read_text(encoding="utf-8")
    compile(source, str(DAG_FILE), "exec")
    return ast.parse(source)


def module_constants(tree: ast.Module) -> dict[str, object]:
    """The module's top-level assignments of literals and f-strings of them, evaluated."""
    simple = [node for node in tree.body if isinstance(node, ast.Assign)
              and all(isinstance(n, (ast.Constant, ast.JoinedStr, ast.FormattedValue, ast.Name, ast.Load))
                      for n in ast.walk(node.value))]
    namespace: dict[str, object] = {}
    exec(compile(ast.Module(body=simple, type_ignores=[]), str(DAG_FILE), "exec"), {"__builtins__": {}}, namespace)
    return namespace


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def test_dag_runs_the_documented_commands_load_then_report():
    tree = dag_tree()
    constants = module_constants(tree)
    commands = {}
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call) and keyword(n, "bash_command")):
        command = keyword(call, "bash_command")
        text = constants[command.id] if isinstance(command, ast.Name) else ast.literal_eval(command)
        commands[ast.literal_eval(keyword(call, "task_id"))] = shlex.split(text)
    assert commands == {"load": LOAD, "report": REPORT}
    chains = [ast.unparse(n.value) for n in tree.body[-1].body if isinstance(n, ast.Expr)] \
        if isinstance(tree.body[-1], ast.With) else []
    assert "load >> report" in chains


def test_dag_schedule_is_monthly_without_catchup():
    tree = dag_tree()
    dag = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "DAG")
    assert ast.literal_eval(keyword(dag, "schedule")) == "0 6 2 * *"
    assert ast.literal_eval(keyword(dag, "catchup")) is False
    assert ast.literal_eval(keyword(dag, "max_active_runs")) == 1


def fake_airflow(monkeypatch, major: int = 2) -> types.SimpleNamespace:
    """Just enough of Airflow's API for the DAG file: BashOperator runs bash_command with bash, keeps the
    process on subprocess_hook.sub_process and raises as Airflow's does (skip for skip_on_exit_code,
    AirflowException for any other non-zero status).

    major=2: the exceptions in airflow.exceptions, BashOperator in airflow.operators.bash. major=3 (as
    Airflow 3.3): the exceptions in airflow.sdk.exceptions, airflow.exceptions still answering with them
    but with a DeprecationWarning, as Airflow's does; BashOperator in the standard provider."""

    class AirflowException(Exception):
        pass

    class AirflowSkipException(AirflowException):
        pass

    class AirflowFailException(AirflowException):
        pass

    class DAG:
        current = None

        def __init__(self, dag_id, **kwargs):
            self.dag_id, self.kwargs, self.tasks = dag_id, kwargs, {}

        def __enter__(self):
            DAG.current = self
            return self

        def __exit__(self, *exc):
            DAG.current = None

    class BashOperator:
        def __init__(self, *, task_id, bash_command, skip_on_exit_code=99, env=None, append_env=False, **kwargs):
            self.task_id, self.bash_command, self.skip_on_exit_code = task_id, bash_command, skip_on_exit_code
            self.env, self.append_env, self.kwargs, self.downstream = env, append_env, kwargs, []
            self.subprocess_hook = types.SimpleNamespace(sub_process=None)
            if DAG.current is not None:
                DAG.current.tasks[task_id] = self

        def __rshift__(self, other):
            self.downstream.append(other.task_id)
            return other

        def execute(self, context):
            process = subprocess.Popen(["bash", "-c", self.bash_command])
            self.subprocess_hook.sub_process = process
            process.wait()
            if process.returncode == self.skip_on_exit_code:
                raise AirflowSkipException(f"exit code {process.returncode}")
            if process.returncode != 0:
                raise AirflowException(f"non-zero exit code {process.returncode}")

    errors = dict(AirflowException=AirflowException, AirflowSkipException=AirflowSkipException,
                  AirflowFailException=AirflowFailException)
    airflow = types.ModuleType("airflow")
    airflow.DAG = DAG
    exceptions = types.ModuleType("airflow.exceptions")
    bash = types.ModuleType("airflow.operators.bash")
    bash.BashOperator = BashOperator
    modules = {"airflow": airflow, "airflow.exceptions": exceptions}
    if major == 2:
        exceptions.__dict__.update(errors)
        modules.update({"airflow.operators": types.ModuleType("airflow.operators"), "airflow.operators.bash": bash})
    else:
        sdk_exceptions = types.ModuleType("airflow.sdk.exceptions")
        sdk_exceptions.__dict__.update(errors)

        def deprecated(name):
            if name not in errors:
                raise AttributeError(name)
            warnings.warn(f"airflow.exceptions.{name} is deprecated. Use airflow.sdk.exceptions.{name} instead.",
                          DeprecationWarning, stacklevel=2)
            return errors[name]

        exceptions.__getattr__ = deprecated
        modules.update({"airflow.sdk": types.ModuleType("airflow.sdk"), "airflow.sdk.exceptions": sdk_exceptions,
                        "airflow.providers.standard.operators.bash": bash})
        for parent in ("airflow.providers", "airflow.providers.standard", "airflow.providers.standard.operators"):
            modules[parent] = types.ModuleType(parent)
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    for name in ("airflow.sdk", "airflow.providers", "airflow.operators"):  # absent from the other layout
        if name not in modules:
            monkeypatch.delitem(sys.modules, name, raising=False)
    return types.SimpleNamespace(**errors)


def import_dag():
    spec = importlib.util.spec_from_file_location("gdpr_analytics_dag", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a deprecation warning fails the import
        spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("major", [2, 3])
def test_dag_retries_only_status_75_and_fails_on_3(monkeypatch, major):
    """On either Airflow's layout of modules, imported without a warning (Airflow 3 deprecates
    airflow.exceptions.AirflowSkipException for airflow.sdk.exceptions')."""
    errors = fake_airflow(monkeypatch, major)
    module = import_dag()

    dag = module.dag
    assert list(dag.tasks) == ["load", "report"] and dag.tasks["load"].downstream == ["report"]
    assert dag.kwargs["default_args"]["retries"] > 0
    for task in dag.tasks.values():
        assert task.append_env and "GDPR_ANALYTICS_MEMORY_LIMIT" in task.env

    def run(status: int, **kwargs):
        task = module.GdprAnalyticsOperator(task_id=f"t{status}", bash_command=f"exit {status}", **kwargs)
        return task.execute({})

    assert run(0) is None
    with pytest.raises(errors.AirflowException) as locked:
        run(75)
    assert type(locked.value) is errors.AirflowException  # up for retry
    for final in (1, 2, 3):
        with pytest.raises(errors.AirflowFailException, match=f"status {final}"):  # failed, no retry
            run(final)
    with pytest.raises(errors.AirflowSkipException):  # "warn but don't fail"
        run(3, skip_on_exit_code=3)
