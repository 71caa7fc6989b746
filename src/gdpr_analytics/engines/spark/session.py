"""Spark sessions for the Spark engine: the process's local session (the JVM, started once, in UTC,
within core/resources.py's memory, threads and spill folder), or a Spark Connect session (`sc://HOST:PORT`,
or SPARK_REMOTE) that fails at once, in one line, when the server does not answer.

Spark runs in UTC: spark.sql.session.timeZone=UTC, and TZ=UTC for the JVM and this process. One JVM per
process; each engine works in a session of its own (its own temp views).
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
import warnings
from pathlib import Path

from ...core import resources
from ...core.errors import GdprAnalyticsError, UsageError, first_line

ENV_REMOTE = "SPARK_REMOTE"
LOCK = threading.RLock()
_SESSION = None  # the process's local Spark session (the JVM), started once


class SparkUnavailable(UsageError):
    """pyspark or Java is missing (install the extra: pip install 'gdpr-analytics[spark]')."""


def unavailable() -> str | None:
    """Why the Spark engine cannot run here (None when it can): pyspark not installed, or no Java."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed: pip install 'gdpr-analytics[spark]'"
    if os.environ.get(ENV_REMOTE):
        return None
    import shutil

    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "Java is not installed (Spark's local mode needs Java 17 or later, e.g. openjdk-17-jre-headless)"
    return None


def _utc() -> None:
    os.environ["TZ"] = "UTC"
    if hasattr(time, "tzset"):
        time.tzset()


def _import_pyspark():
    with warnings.catch_warnings():  # pyspark warns that pandas >= 3 is not fully supported: we use Arrow
        warnings.simplefilter("ignore", FutureWarning)
        from pyspark.sql import SparkSession
    return SparkSession


def _configure(spark) -> None:
    """What every session needs, local or remote: UTC, and hive partition values kept as text (as the
    DuckDB loader reads them; a Connect server keeps Spark's default, which would read `007` as 7)."""
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")


def local_session():
    """The process's local Spark session (started once: about 6 s), in UTC, within `resources`."""
    global _SESSION
    with LOCK:
        if _SESSION is not None:
            return _SESSION
        why = unavailable()
        if why:
            raise SparkUnavailable(f"--engine spark: {why}")
        _utc()
        # Spark's Python workers run this interpreter (the venv's), not whatever python3 is on PATH
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        SparkSession = _import_pyspark()
        res = resources.current()
        memory = res.memory_limit.lower().replace("ib", "").replace("b", "")
        log4j = Path(__file__).with_name("log4j2.properties")  # Spark's own logging off: errors come as exceptions
        java = f"-Duser.timezone=UTC -Dlog4j2.configurationFile=file:{log4j}"
        builder = (SparkSession.builder.master(f"local[{res.threads}]").appName("gdpr-analytics")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.driver.memory", memory)
                   .config("spark.driver.extraJavaOptions", java)
                   .config("spark.executor.extraJavaOptions", java)
                   .config("spark.local.dir", str(res.temp_directory))
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.shuffle.partitions", str(max(2, 2 * res.threads)))
                   .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false"))
        res.temp_directory.mkdir(parents=True, exist_ok=True)
        # the JVM writes a few lines to its stderr whatever the log configuration ("Using incubator
        # modules", "Setting default log level"): it gets a log file of its own instead of ours
        log = res.temp_directory / f"gdpr-analytics-spark-{os.getpid()}.log"
        saved = os.dup(2)
        try:
            with open(log, "ab") as fh:
                os.dup2(fh.fileno(), 2)
                try:
                    _SESSION = builder.getOrCreate()
                finally:
                    os.dup2(saved, 2)
        finally:
            os.close(saved)
        _SESSION.sparkContext.setLogLevel("OFF")
        return _SESSION


def session(remote: str | None = None, base=None):
    """A new session of its own (temp views apart): on Spark Connect when `remote` (or SPARK_REMOTE)
    names a server, else on `base` or the process's local session."""
    remote = remote or os.environ.get(ENV_REMOTE) or None
    if remote:
        return _connect(remote)
    spark = (base or local_session()).newSession()
    _configure(spark)
    return spark


def _connect(remote: str):
    """A Spark Connect session, configured; a server that does not answer fails at once, in one line.
    The client connects lazily and retries for about ten minutes by default: the first request (the
    configuration) runs under a short retry policy, and a failed client is closed, so that pyspark's
    exit handler does not retry its own clean-up for as long."""
    why = unavailable()
    if why:
        raise SparkUnavailable(f"--engine spark: {why}")
    _utc()
    SparkSession = _import_pyspark()
    from pyspark.sql.connect.client.retries import DefaultPolicy

    try:
        spark = SparkSession.builder.remote(remote).create()
    except Exception as exc:  # noqa: BLE001 - pyspark's own classes
        raise GdprAnalyticsError(f"cannot reach Spark Connect at {remote}: {_grpc_reason(exc)}") from None
    client = spark.client
    policies = client.get_retry_policies()
    client.set_retry_policies([DefaultPolicy(max_retries=3, initial_backoff=200, max_backoff=2000)])
    try:
        with warnings.catch_warnings():  # RETRIES_EXCEEDED: said in our line below
            warnings.simplefilter("ignore")
            _configure(spark)
    except Exception as exc:  # noqa: BLE001
        try:
            client.close()
        except Exception:  # noqa: BLE001
            pass
        raise GdprAnalyticsError(f"cannot reach Spark Connect at {remote}: {_grpc_reason(exc)}") from None
    client.set_retry_policies(policies)
    return spark


def _grpc_reason(exc: Exception) -> str:
    """A gRPC failure in a few words: its status and details (pyspark's text starts with a repr)."""
    code = getattr(exc, "getGrpcStatusCode", None)
    status = code() if callable(code) else None
    text = str(exc)
    m = re.search(r'details = "([^"]*)"', text)
    detail = m.group(1) if m else first_line(exc)
    name = getattr(status, "name", None)
    return f"{name}: {detail}" if name else detail
