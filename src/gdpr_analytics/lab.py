"""The Jupyter server of `make lab`: notebooks open as the kernel will describe them, so opening one does
not mark it modified.

When a notebook's kernel connects, JupyterLab writes the kernel's description into the notebook's metadata:
`kernelspec` (its display name) and `language_info` (name, version, mimetype, lexer, …). The committed
notebooks hold only what every machine shares (`language_info: {name: python}`); the full description
names this interpreter's version (3.11.7 here, another elsewhere), so JupyterLab found a difference on
every machine and marked each notebook modified as soon as it opened, before the analyst changed anything.
`NotebookContents` hands JupyterLab each notebook of this environment's kernel with that description
already in place, read from the kernel spec and ipykernel (the kernel runs this interpreter: its spec
starts `python`, which jupyter_client replaces with the server's own): JupyterLab then finds nothing to
change. The files on disk are untouched until the analyst saves. The Makefile's `lab` target selects it (--ServerApp.contents_manager_class).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

KERNEL = "gdpr-analytics"  # the kernel every notebook of notebooks/ names (report/kernel.py)


@lru_cache(maxsize=1)
def kernel_metadata() -> dict[str, Any]:
    """{kernelspec, language_info} as JupyterLab writes them when this environment's gdpr-analytics kernel
    connects; {} when the kernel is not installed (JupyterLab then asks for a kernel, and writes what it may)."""
    from ipykernel.ipkernel import IPythonKernel
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        return {}
    return {"kernelspec": {"display_name": spec.display_name, "language": spec.language, "name": KERNEL},
            "language_info": dict(IPythonKernel.language_info)}


def described(notebook: dict[str, Any]) -> dict[str, Any]:
    """The notebook's content with the kernel's description in its metadata, when it runs that kernel."""
    metadata = notebook.setdefault("metadata", {})
    if metadata.get("kernelspec", {}).get("name", KERNEL) == KERNEL:
        metadata.update(kernel_metadata())
    return notebook


class NotebookContents(AsyncLargeFileManager):
    """The server's default contents manager, with each notebook `described` as it is read."""

    async def get(self, path: str, content: bool = True, type: str | None = None, format: str | None = None,
                  **kwargs: Any) -> dict[str, Any]:
        model = await super().get(path, content=content, type=type, format=format, **kwargs)
        if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
            described(model["content"])
        return model
