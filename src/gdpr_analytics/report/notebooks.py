"""The report's notebooks: which they are, the kernel they run in, and running one with papermill.

papermill's Python API (never its CLI, which would coerce `-p acct 00123` to 123): parameters with their
real types, kernel `python3` of this environment (`check_kernel`), the kernel's own working folder and
log (kernel.py), explicit start and cell timeouts. A failure becomes one GdprAnalyticsError line naming
the notebook and the cell.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from ..core.assets import asset_dir
from ..core.errors import GdprAnalyticsError, first_line, one_line

KERNEL = "python3"
CELL_TIMEOUT = 900  # seconds one notebook cell may run before the report fails
START_TIMEOUT = 60  # seconds for the kernel to start
#: Report notebooks: notebooks/NN_*.ipynb, in name order.
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"


def default_jobs() -> int:
    """Notebooks executed at the same time: one per core, at most four (each runs its own kernel)."""
    return max(1, min(4, os.cpu_count() or 1))


def default_notebooks() -> list[Path]:
    found = sorted(asset_dir("notebooks").glob(NOTEBOOK_GLOB))
    if not found:
        raise GdprAnalyticsError(f"no report notebooks ({NOTEBOOK_GLOB}) in {asset_dir('notebooks')}")
    return found


def check_kernel(name: str = KERNEL) -> None:
    """The kernel must run this interpreter, so the notebooks see the same packages and versions.
    jupyter_client replaces a bare `python`/`python3` in the kernel spec with sys.executable."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise GdprAnalyticsError(f"no Jupyter kernel named {name!r}: run `{sys.executable} -m ipykernel install "
                                 "--sys-prefix`") from None
    exe = spec.argv[0] if spec.argv else ""
    bare = {"python", f"python{sys.version_info[0]}", "python%d.%d" % sys.version_info[:2]}
    if exe in bare or os.path.abspath(exe) == os.path.abspath(sys.executable):
        return
    raise GdprAnalyticsError(
        f"Jupyter kernel {name!r} ({spec.resource_dir}) runs {exe}, not this environment's {sys.executable}: "
        f"run `{sys.executable} -m ipykernel install --sys-prefix` or remove that kernel spec")


def _line(text: str) -> str:
    return one_line(text, 300)


def execute_notebook(src: Path, dst: Path, parameters: dict[str, Any], workdir: Path, *,
                     cell_timeout: int = CELL_TIMEOUT):
    """Execute one notebook with papermill into dst, its kernel in workdir (which receives the kernel's own
    log, see kernel.py); a failure becomes one GdprAnalyticsError line."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from .kernel import LoggedKernelManager, last_log_line

    try:
        # The kernel starts in workdir through nbclient's resources, not papermill's `cwd`, which changes
        # the whole process's working folder and so cannot be used by two notebooks at once.
        return pm.execute_notebook(
            str(src), str(dst), parameters=parameters, kernel_name=KERNEL, language="python",
            resources={"metadata": {"path": str(workdir)}}, kernel_manager_class=LoggedKernelManager,
            execution_timeout=cell_timeout, start_timeout=START_TIMEOUT,
            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            # the kernel's own log (not cell output) goes to its kernel.log: only its errors, not
            # ipykernel's warning that a local kernel talks over TCP
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except PapermillExecutionError as exc:
        code = first_line(exc.source)
        raise GdprAnalyticsError(_line(
            f"notebook {src.name} failed in cell In [{exc.exec_count}] (`{code[:80]}`): "
            f"{exc.ename}: {first_line(exc.evalue)}")) from None
    except TimeoutError as exc:
        preview = re.search(r"preview of the cell contents:\s*-+\s*\n(.*?)\n", str(exc), re.S)
        cell = f" (`{preview.group(1).strip()[:80]}`)" if preview else ""
        raise GdprAnalyticsError(_line(
            f"notebook {src.name}: a cell{cell} ran longer than {cell_timeout} s")) from None
    except Exception as exc:  # kernel died or did not start, unreadable notebook, ...
        said = last_log_line(workdir)
        raise GdprAnalyticsError(_line(
            f"notebook {src.name} could not be executed: {type(exc).__name__}: {first_line(exc)}"
            + (f" (the kernel's last words: {said})" if said else ""))) from exc


def _assignments(parameters: dict[str, Any], comment: str) -> str:
    """The cell papermill would inject for these parameters (its own translator: the same text)."""
    from papermill.translators import translate_parameters

    return translate_parameters(KERNEL, "python", parameters, comment).rstrip("\n")


def without_local_paths(nb, parameters: dict[str, Any], name: str) -> None:
    """An executed notebook as auditors receive it: no path of this machine. Its `parameters` cell and
    papermill's injected cell hold `parameters` (the month, the rule parameters, the database and policy by
    name, None where the notebook's default finds them), papermill's record names the notebook, not where
    it was read from and written to. To run it again: `papermill <it> out.ipynb -p db_path PATH -p month
    YYYY-MM` (a relative path is found from the working folder or the notebooks' folder)."""
    note = ("# To run it again, give the paths: papermill <this notebook> out.ipynb -p db_path PATH "
            "[-p policy_path PATH] -p month YYYY-MM\n")
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and "parameters" in tags:
            cell.source = note + _assignments(parameters, "As this month was run (paths by name only)")
        elif cell.cell_type == "code" and "injected-parameters" in tags:
            cell.source = _assignments(parameters, "Parameters")
    record = nb.metadata.get("papermill")
    if record is not None:
        record["parameters"] = dict(parameters)
        record["input_path"] = name
        record["output_path"] = f"notebooks/{name}"
