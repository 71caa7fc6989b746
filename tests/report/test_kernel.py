"""report/kernel.py: the report's kernels are shut down without an interrupt (the cause of ipykernel's
`KeyboardInterrupt caught in kernel`), an interrupt at any other time still reaches the kernel, and the
kernel's own output goes to kernel.log. The same for the `gdpr-analytics` kernel the notebooks name, under
jupyter_client's default manager (a hand-run papermill, nbconvert or JupyterLab): its provisioner is ours."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import pytest
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from gdpr_analytics.report.kernel import LOG_NAME, LoggedKernelManager, QuietProvisioner

REPO = Path(__file__).resolve().parents[2]


class Recording(LoggedKernelManager):
    """Records every signal the manager sends its kernel."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.sent: list[int] = []

    async def _async_signal_kernel(self, signum):
        self.sent.append(signum)
        await super()._async_signal_kernel(signum)


async def _run(tmp_path, *, interrupt_first: bool) -> Recording:
    km = Recording(kernel_name="python3")
    await km.start_kernel(cwd=str(tmp_path), extra_arguments=["--IPKernelApp.log_level=ERROR"])
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        reply = await kc.execute_interactive("import sys; print('to the cell'); x = 1", timeout=60)
        assert reply["content"]["status"] == "ok"
        if interrupt_first:
            await km.interrupt_kernel()
    finally:
        kc.stop_channels()
        await km.shutdown_kernel()
    return km


def _run_alone(coroutine):
    """Run the coroutine in an event loop of its own thread: an earlier test of the same worker (the browser
    tests' Playwright) may leave an event loop running in this one, where asyncio.run refuses to start."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.mark.slow
def test_a_kernel_is_shut_down_without_an_interrupt(tmp_path):
    km = _run_alone(_run(tmp_path, interrupt_first=False))
    assert signal.SIGINT not in km.sent
    assert not km.has_kernel
    log = (tmp_path / LOG_NAME).read_text(encoding="utf-8", errors="replace")
    assert "KeyboardInterrupt" not in log and "to the cell" not in log  # a cell's output is not the kernel's


@pytest.mark.slow
def test_an_interrupt_outside_a_shutdown_still_reaches_the_kernel(tmp_path):
    km = _run_alone(_run(tmp_path, interrupt_first=True))  # as nbclient does for a cell past its timeout
    assert km.sent.count(signal.SIGINT) == 1


def installed_kernel():
    """The kernel spec `gdpr-analytics` of this environment, which must be the repository's."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec("gdpr-analytics")
    except NoSuchKernel:
        pytest.fail("no Jupyter kernel `gdpr-analytics` in this environment: run `make install` (pip install -e .)")
    committed = json.loads((REPO / "share/jupyter/kernels/gdpr-analytics/kernel.json").read_text(encoding="utf-8"))
    assert json.loads((Path(spec.resource_dir) / "kernel.json").read_text(encoding="utf-8")) == committed
    return spec


async def _run_default_manager(tmp_path, *, interrupt_first: bool) -> AsyncKernelManager:
    km = AsyncKernelManager(kernel_name="gdpr-analytics")
    await km.start_kernel(cwd=str(tmp_path))
    assert isinstance(km.provisioner, QuietProvisioner)
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        reply = await kc.execute_interactive("x = 1", timeout=60)
        assert reply["content"]["status"] == "ok"
        if interrupt_first:
            await km.interrupt_kernel()
    finally:
        kc.stop_channels()
        await km.shutdown_kernel()
    return km


@pytest.mark.slow
@pytest.mark.parametrize("interrupt_first", [False, True])
def test_the_notebooks_kernel_under_the_default_manager_is_not_interrupted_at_shutdown(tmp_path, monkeypatch,
                                                                                         interrupt_first):
    """What papermill, nbconvert and JupyterLab start for the notebooks: no SIGINT reaches the kernel while it
    is shut down; an interrupt asked for before (a cell past its timeout, JupyterLab's stop button) does."""
    installed_kernel()
    sent: list[int] = []
    send = LocalProvisioner.send_signal

    async def recording(self, signum):  # what the provisioner really sends the kernel
        sent.append(signum)
        await send(self, signum)

    monkeypatch.setattr(LocalProvisioner, "send_signal", recording)
    km = _run_alone(_run_default_manager(tmp_path, interrupt_first=interrupt_first))
    assert not km.has_kernel
    assert sent.count(signal.SIGINT) == (1 if interrupt_first else 0)
