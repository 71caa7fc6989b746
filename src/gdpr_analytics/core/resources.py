"""How much of the machine DuckDB may use: memory limit, threads and a spill folder, set explicitly.

DuckDB's own defaults (80 % of RAM, every core, spill beside the database) let one command take
11 GB on a 24 GB machine. Every connection the package opens gets these settings instead, so each
command stays under 4 GB here and a smaller machine spills to disk instead of failing.

Defaults: memory limit 2 GB (what DuckDB's buffer manager may hold; the Python process around it
adds a few hundred MB), as many threads as cores, spill folder `gdpr-analytics-spill` in the
system's temporary folder. Overridden by the environment:

    GDPR_ANALYTICS_MEMORY_LIMIT   e.g. 1GB, 6GB
    GDPR_ANALYTICS_THREADS        e.g. 1
    GDPR_ANALYTICS_TEMP_DIR       a folder with room to spill

or by the command line options --memory-limit, --threads and --temp-dir, which set these variables.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

DEFAULT_MEMORY_LIMIT = "2GB"
ENV_MEMORY = "GDPR_ANALYTICS_MEMORY_LIMIT"
ENV_THREADS = "GDPR_ANALYTICS_THREADS"
ENV_TEMP = "GDPR_ANALYTICS_TEMP_DIR"
_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.I)


@dataclass(frozen=True)
class Resources:
    memory_limit: str
    threads: int
    temp_directory: Path

    def config(self) -> dict[str, str]:
        """The DuckDB configuration of a new connection."""
        return {"memory_limit": self.memory_limit, "threads": str(self.threads),
                "temp_directory": str(self.temp_directory)}


def memory_limit(text: str) -> str:
    if not _SIZE.match(text or ""):
        raise UsageError(f"memory limit must be a size such as 2GB or 512MB, got {text!r}")
    return text.strip().upper().replace(" ", "")


def current() -> Resources:
    """The settings in force: the environment, else the defaults."""
    threads_text = os.environ.get(ENV_THREADS, "").strip()
    if threads_text:
        if not threads_text.isdigit() or int(threads_text) < 1:
            raise UsageError(f"{ENV_THREADS} must be a whole number >= 1, got {threads_text!r}")
        threads = int(threads_text)
    else:
        threads = os.cpu_count() or 1
    temp = Path(os.environ.get(ENV_TEMP) or Path(tempfile.gettempdir()) / "gdpr-analytics-spill")
    return Resources(memory_limit=memory_limit(os.environ.get(ENV_MEMORY) or DEFAULT_MEMORY_LIMIT),
                     threads=threads, temp_directory=temp)


def override(memory: str | None = None, threads: int | None = None, temp_dir: str | Path | None = None) -> None:
    """Set the command line's choices for this process and the notebooks' kernels it starts."""
    if memory:
        os.environ[ENV_MEMORY] = memory_limit(memory)
    if threads:
        os.environ[ENV_THREADS] = str(int(threads))
    if temp_dir:
        os.environ[ENV_TEMP] = str(Path(temp_dir).absolute())
