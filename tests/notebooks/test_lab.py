"""`make lab`: JupyterLab on notebooks/ with the sample database, never asking to fetch news or look for
updates (privacy offices are often offline)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode("utf-8")


@pytest.mark.slow
def test_make_lab_serves_the_notebooks_offline(tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "lab.log").open("w")
    args = f"--no-browser --allow-root --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --IdentityProvider.token=t"
    proc = subprocess.Popen(["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=REPO, stdout=log, stderr=log,
                            start_new_session=True)
    try:
        deadline, page = time.monotonic() + 120, None
        while page is None:
            assert proc.poll() is None, (tmp_path / "lab.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "lab.log").read_text()
            try:
                page = _get(f"{base}/lab?token=t")
            except OSError:
                time.sleep(0.5)
        config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                      page, re.S).group(1))
        assert config["news"] == {"disabled": True}
        settings = json.loads(_get(f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification?token=t"))
        assert settings["settings"]["fetchNews"] == "false" and settings["settings"]["checkForUpdates"] is False
        assert "Extension Manager is 'readonly'" in (tmp_path / "lab.log").read_text()
        listing = json.loads(_get(f"{base}/api/contents?token=t"))
        names = {item["name"] for item in listing["content"]}
        assert {"01_records_of_processing.ipynb", "explore.ipynb"} <= names
        assert (REPO / "build" / "sample.duckdb").is_file()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
