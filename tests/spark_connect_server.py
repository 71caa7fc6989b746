"""A local Spark Connect server for the tests, and a standalone cluster for it to run on, both started from
pyspark's own distribution.

`ConnectServer(folder).start()` runs pyspark's `bin/spark-submit --class
org.apache.spark.sql.connect.service.SparkConnectServer` in the foreground (what
`sbin/start-connect-server.sh --wait` runs, without the daemon script's pid files and log folder), in a
process group of its own, on a free port of 127.0.0.1, in UTC (TZ=UTC, -Duser.timezone=UTC,
spark.sql.session.timeZone=UTC), its JVM compiling with C1 only (quicker for short runs), with its
scratch space, warehouse, configuration folder and log in `folder`. `start()` returns once the port
accepts connections (or fails, with the log's last lines); `stop()` ends the process group it started:
SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


def pyspark_home() -> Path | None:
    """pyspark's folder (its SPARK_HOME: bin/, jars/), or None when pyspark is not installed."""
    try:
        import pyspark
    except ImportError:
        return None
    return Path(pyspark.__file__).resolve().parent


def unavailable() -> str | None:
    """Why a Spark Connect server cannot be started here (None when it can)."""
    home = pyspark_home()
    if home is None:
        return "pyspark is not installed: pip install 'gdpr-analytics[spark]'"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "Java is not installed (Spark needs Java 17 or later, e.g. openjdk-17-jre-headless)"
    if not (home / "bin" / "spark-submit").is_file():
        return f"{home}/bin/spark-submit is missing"
    if not list((home / "jars").glob("spark-connect_*.jar")):
        return f"pyspark has no Spark Connect server jar ({home}/jars/spark-connect_*.jar)"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _environment(folder: Path) -> dict[str, str]:
    """The environment of a Spark process we start: pyspark's own SPARK_HOME, an empty configuration folder
    (no spark-defaults.conf of the machine applies), UTC, this interpreter for any Python worker."""
    home = pyspark_home()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "PYSPARK_"))}
    conf_dir = folder / "conf"
    conf_dir.mkdir(parents=True, exist_ok=True)
    env.update(TZ="UTC", SPARK_HOME=str(home), SPARK_CONF_DIR=str(conf_dir),
               PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _stop_group(proc: subprocess.Popen | None, grace: float = 30.0) -> None:
    """End the process group `proc` leads (started with start_new_session): SIGTERM, then SIGKILL."""
    if proc is None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)  # the group proc leads: only what we started
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    try:  # children of the group still alive (e.g. an executor) once the JVM is gone
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class StandaloneCluster:
    """A Spark standalone cluster on this machine, from pyspark's own distribution: one master and one
    worker (what sbin/start-master.sh and sbin/start-worker.sh run, in the foreground: pyspark's wheel
    ships bin/spark-class but not those scripts), on free ports of 127.0.0.1, each in a process group of
    its own, logs in `folder`. An application on `master_url` gets its executors from the worker: JVMs
    of their own, launched by the worker, as on a real cluster."""

    MASTER_CLASS = "org.apache.spark.deploy.master.Master"
    WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"

    def __init__(self, folder: Path, cores: int = 2, memory: str = "1g"):
        self.folder = Path(folder)
        self.port = free_port()
        self.cores, self.memory = cores, memory
        self.procs: list[subprocess.Popen] = []

    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def _start(self, name: str, args: list[str]) -> Path:
        home = pyspark_home()
        assert home is not None
        log = self.folder / f"{name}.log"
        with open(log, "ab") as fh:
            self.procs.append(subprocess.Popen([str(home / "bin" / "spark-class"), *args], cwd=self.folder,
                                               env=_environment(self.folder), stdin=subprocess.DEVNULL,
                                               stdout=fh, stderr=subprocess.STDOUT, start_new_session=True))
        return log

    def start(self, timeout: float = 120.0) -> Self:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._start("master", [self.MASTER_CLASS, "--host", "127.0.0.1", "--port", str(self.port),
                               "--webui-port", str(free_port())])
        worker = self._start("worker", [self.WORKER_CLASS, "--host", "127.0.0.1", "--cores", str(self.cores),
                                        "--memory", self.memory, "--work-dir", str(self.folder / "work"),
                                        "--webui-port", str(free_port()), self.master_url])
        deadline = time.monotonic() + timeout
        while "Successfully registered with master" not in worker.read_text(encoding="utf-8", errors="replace"):
            dead = [p for p in self.procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the standalone cluster did not come up ({'a process exited' if dead else 'timeout'}"
                                   f"); {worker} ends with:\n{worker.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        return self

    def executors_launched(self) -> int:
        """How many executors the worker has launched (its log says so for each)."""
        text = (self.folder / "worker.log").read_text(encoding="utf-8", errors="replace")
        return text.count("Asked to launch executor")

    def stop(self) -> None:
        for proc in reversed(self.procs):  # the worker (and its executors) first, then the master
            _stop_group(proc)
        self.procs = []


class ConnectServer:
    def __init__(self, folder: Path, port: int | None = None, threads: int = 2, memory: str = "1g",
                 confs: dict[str, str] | None = None, master: str | None = None):
        self.folder = Path(folder)
        self.port = port or free_port()
        self.threads = threads
        self.memory = memory
        self.master = master  # a cluster's master URL; None: local mode, `threads` threads
        self.confs = dict(confs or {})
        self.log = self.folder / "connect-server.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"sc://localhost:{self.port}"

    def command(self) -> list[str]:
        home = pyspark_home()
        assert home is not None
        confs = {
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(self.port),
            "spark.sql.session.timeZone": "UTC",
            # C1 only: the tests' queries are many and small, and the server lives a minute; full JIT
            # compilation costs more than it gains there (the first findings run: ~35 s instead of ~55 s)
            "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
            "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
            "spark.local.dir": str(self.folder / "local"),
            "spark.sql.warehouse.dir": str(self.folder / "warehouse"),
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            # on a cluster: the driver where the executors reach it, and executors that fit the worker
            **({"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
                "spark.executor.memory": self.memory} if self.master else {}),
            **self.confs,
        }
        cmd = [str(home / "bin" / "spark-submit"), "--master", self.master or f"local[{self.threads}]",
               "--driver-memory", self.memory, "--name", "gdpr-analytics tests: Spark Connect"]
        for k, v in confs.items():
            cmd += ["--conf", f"{k}={v}"]
        return cmd + ["--class", SERVER_CLASS]

    def environment(self) -> dict[str, str]:
        return _environment(self.folder)

    def log_tail(self, lines: int = 40) -> str:
        """The log's first ERROR lines (with the line after each: the exception) and its last lines."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            return f"(no log: {exc})"
        errors = [i for i, line in enumerate(text) if " ERROR " in line][:3]
        first = [text[j] for i in errors for j in (i, i + 1) if j < len(text) - lines]
        return "\n".join((first + ["..."] if first else []) + text[-lines:])

    def start(self, timeout: float = 120.0) -> Self:
        (self.folder / "local").mkdir(parents=True, exist_ok=True)
        if accepts(self.port):
            raise RuntimeError(f"port {self.port} is already taken: cannot start a Spark Connect server on it")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.command(), cwd=self.folder, env=self.environment(),
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)  # its own process group: stop() ends it all
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.proc = None
                raise RuntimeError(f"the Spark Connect server exited with status {code} before it accepted "
                                   f"connections on port {self.port}; {self.log} ends with:\n{self.log_tail()}")
            if accepts(self.port):
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Spark Connect server did not accept connections on port {self.port} "
                                   f"within {timeout:.0f} s; {self.log} ends with:\n{self.log_tail()}")
            time.sleep(0.5)

    def stop(self, grace: float = 30.0) -> None:
        proc, self.proc = self.proc, None
        _stop_group(proc, grace)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
