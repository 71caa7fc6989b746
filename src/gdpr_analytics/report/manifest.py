"""manifest.json: what a report was made from and of, so that anyone can check it later.

Parameters, month, policy (file name, version, SHA-256), the database and source by name with the data's
fingerprint, inputs (name, rows, SHA-256), every output file of the month folder except manifest.json
itself (name, SHA-256, bytes), tool and library versions, start and end times (UTC, ISO 8601), and how
long each step took. Auditors receive it: it names files, never a path of the machine that ran the
report; the SHA-256 say which files they were.
"""

from __future__ import annotations

import json
import platform
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .. import __version__
from ..core.files import sha256_file
from ..core.instants import format_instant

MANIFEST_FILE = "manifest.json"
LIBRARIES = ("duckdb", "pandas", "plotly", "papermill", "nbconvert", "nbformat", "ipykernel",
             "jupyter_client", "openpyxl", "pyyaml")


def versions() -> dict[str, str]:
    found = {"gdpr-analytics": __version__, "python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def outputs(folder: Path) -> list[dict[str, Any]]:
    """Every file under folder except manifest.json, sorted by relative path (POSIX separators)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.relative_to(folder).as_posix() != MANIFEST_FILE)
    return [{"name": p.relative_to(folder).as_posix(), "sha256": sha256_file(p), "bytes": p.stat().st_size}
            for p in files]


def build(*, folder: Path, month, params, policy, inputs: list[dict], database: dict[str, Any],
          started_at: datetime, finished_at: datetime, status_baseline: str | None,
          notebooks: list[dict[str, Any]], timings: list[dict[str, Any]] | None = None,
          policy_versions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """`policy` is the version in force at the month's last instant; `policy_versions` every version the
    month was judged by, each with its SHA-256 (policy.history.PolicyHistory.used, less the path)."""
    return {
        "tool": "gdpr-analytics",
        "tool_version": __version__,
        "month": month.label,
        "period_start": format_instant(month.period_start),
        "as_of": format_instant(month.as_of),
        "parameters": params.as_dict(),
        "policy": {"file": policy.path.name, "version": policy.version, "sha256": policy.sha256},
        "policy_versions": [{k: v for k, v in version.items() if k != "path"} for version in policy_versions]
        if policy_versions is not None else [{"file": policy.path.name, "version": policy.version,
                                              "sha256": policy.sha256}],
        "database": database,
        "inputs": [{"name": i["file"], "table": i["table"], "rows": int(i["rows"]), "sha256": i["sha256"]}
                   for i in inputs],
        "status_baseline": status_baseline,
        "notebooks": notebooks,
        "outputs": outputs(folder),
        "versions": versions(),
        "started_at": format_instant(started_at),
        "finished_at": format_instant(finished_at),
        "timings": timings or [],
    }


def write(folder: Path, manifest: dict[str, Any]) -> Path:
    path = folder / MANIFEST_FILE
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def verify(folder: Path) -> list[str]:
    """Differences between manifest.json and the files of folder (empty when everything matches)."""
    manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    listed = {o["name"]: o for o in manifest["outputs"]}
    actual = {o["name"]: o for o in outputs(folder)}
    problems = [f"{n}: not in the folder" for n in listed if n not in actual]
    problems += [f"{n}: not in the manifest" for n in actual if n not in listed]
    problems += [f"{n}: SHA-256 or size differs" for n in listed
                 if n in actual and (listed[n]["sha256"], listed[n]["bytes"]) != (actual[n]["sha256"], actual[n]["bytes"])]
    return problems
