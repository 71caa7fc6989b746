"""The kernel a report notebook runs in, with its own log kept out of our stderr.

jupyter_client interrupts a kernel before shutting it down; when the interrupt lands while ipykernel is
handling a message, ipykernel logs `KeyboardInterrupt caught in kernel` as an ERROR on its stderr — which
is ours, so a successful report would print an error (cron mails it). The kernel's own stdout and stderr
(never a cell's output, which travels over the messaging channels) go to `kernel.log` in its working
folder instead; a report that fails because the kernel died quotes that log's last line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

LOG_NAME = "kernel.log"


class LoggedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel writes its stdout and stderr to <cwd>/kernel.log."""

    _log_file = None

    async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
        folder = Path(kw.get("cwd") or ".")
        self._log_file = open(folder / LOG_NAME, "ab")  # noqa: SIM115 (closed in cleanup_resources)
        kw.setdefault("stdout", self._log_file)
        kw.setdefault("stderr", self._log_file)
        await AsyncKernelManager.start_kernel(self, **kw)

    async def cleanup_resources(self, restart: bool = False) -> None:  # type: ignore[override]
        await AsyncKernelManager.cleanup_resources(self, restart=restart)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


def last_log_line(folder: Path) -> str:
    """The last non-empty line the kernel wrote to its log in folder ("" when none)."""
    try:
        lines = (folder / LOG_NAME).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return next((line.strip() for line in reversed(lines) if line.strip()), "")
