"""The kernels the notebooks run in: shut down without an interrupt, the report's own log kept out of our stderr.

jupyter_client's `shutdown_kernel` sends the kernel SIGINT before it asks it to shut down, whatever the
kernel is doing; when the signal lands while ipykernel is still handling a message (papermill's last
request, a comm), ipykernel logs `KeyboardInterrupt caught in kernel` as an ERROR, which is where the noise
of some runs came from. By then every cell has run and nothing is left to interrupt, so this manager
does not interrupt a kernel it is shutting down: the polite shutdown request follows at once, and a
kernel that does not end within jupyter_client's wait is killed as before. An interrupt asked for at
any other time (a cell past its timeout) is sent as usual.

The kernel's own stdout and stderr (never a cell's output, which travels over the messaging channels) go
to `kernel.log` in its working folder, not to our stderr; a report that fails because the kernel died
quotes that log's last line.

The same holds outside the report. The notebooks name the kernel `gdpr-analytics`
(share/jupyter/kernels/gdpr-analytics/kernel.json, installed into the environment's share/jupyter/kernels
with the package): this interpreter's ipykernel, its log at ERROR (so not ipykernel's warning that a local
kernel talks over TCP), started through `QuietProvisioner` (registered under that name in pyproject.toml),
which sends no SIGINT to a kernel its manager is shutting down. So a hand-run `papermill`, `jupyter
nbconvert --execute` or JupyterLab, each with jupyter_client's default manager, ends its kernel as the
report does.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

LOG_NAME = "kernel.log"


class LoggedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel writes its stdout and stderr to <cwd>/kernel.log and is not
    interrupted when it is shut down."""

    _log_file = None

    async def _async_interrupt_kernel(self) -> None:  # type: ignore[override]
        if self.shutting_down:  # set by shutdown_kernel before it interrupts: every cell has run
            return
        await AsyncKernelManager._async_interrupt_kernel(self)

    interrupt_kernel = _async_interrupt_kernel

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


class QuietProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, except that it sends no SIGINT to a kernel its manager is shutting
    down (the kernel spec `gdpr-analytics` names it); an interrupt at any other time is sent as usual."""

    async def send_signal(self, signum: int) -> None:
        if signum == signal.SIGINT and getattr(self.parent, "shutting_down", False):
            return
        await super().send_signal(signum)


def last_log_line(folder: Path) -> str:
    """The last non-empty line the kernel wrote to its log in folder ("" when none)."""
    try:
        lines = (folder / LOG_NAME).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return next((line.strip() for line in reversed(lines) if line.strip()), "")
