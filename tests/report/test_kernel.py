"""report/kernel.py: the report's kernels are shut down without an interrupt (the cause of ipykernel's
`KeyboardInterrupt caught in kernel`), an interrupt at any other time still reaches the kernel, and the
kernel's own output goes to kernel.log."""

from __future__ import annotations

import asyncio
import signal

import pytest

from gdpr_analytics.report.kernel import LOG_NAME, LoggedKernelManager


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
