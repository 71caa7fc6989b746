"""The benchmark's data: the generated source (reused while the generator is unchanged), the source
without its newest month, and a fresh copy of the repository for `make report`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: the generator's code: a change to any of these makes a new data set
GENERATOR_FILES = ("src/gdpr_analytics/sample/generate.py", "src/gdpr_analytics/sample/names.py",
                   "src/gdpr_analytics/ingest/contract.py")
STAMP = "bench-source.json"  # written beside the data once generation has succeeded


def generator_key(customers: int, events: int, months: int) -> str:
    """SHA-256 of the generator's files and the arguments: equal keys, byte-identical data."""
    h = hashlib.sha256()
    for name in GENERATOR_FILES:
        h.update(name.encode() + b"\0" + (REPO / name).read_bytes() + b"\0")
    h.update(json.dumps({"customers": customers, "events": events, "months": months, "format": "parquet"},
                        sort_keys=True).encode())
    return h.hexdigest()


def source_dir(root: Path, customers: int, events: int, months: int) -> Path:
    key = generator_key(customers, events, months)
    return root / f"source-{customers}c-{events}e-{months}m-{key[:12]}"


def is_complete(source: Path) -> bool:
    """Generated in full by an earlier run (the stamp is written last)."""
    return (source / STAMP).is_file()


def write_stamp(source: Path, info: dict) -> None:
    (source / STAMP).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


def partitions(source: Path) -> list[Path]:
    """The access log's month partitions, oldest first."""
    found = sorted(p for p in (source / "access_log").glob("month=*") if p.is_dir())
    if not found:
        raise SystemExit(f"{source}/access_log/ has no month=YYYY-MM partitions (generate with --format parquet)")
    return found


def month_of(partition: Path) -> str:
    return partition.name.split("=", 1)[1]


def link_tree(src: Path, dst: Path) -> None:
    """Real folders, symlinked files (the loader lists files with rglob, which does not enter
    symlinked folders)."""
    if src.is_dir():
        dst.mkdir(parents=True, exist_ok=True)
        for child in src.iterdir():
            link_tree(child, dst / child.name)
    else:
        dst.symlink_to(src.absolute())


def source_without_newest(source: Path, dst: Path) -> tuple[Path, Path]:
    """dst: every table of source but only the first N-1 month partitions of the access log, as
    symlinks. Returns (the newest partition of source, where it goes in dst)."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for entry in sorted(source.iterdir()):
        if entry.name == STAMP or entry.name.startswith("."):
            continue
        if entry.name != "access_log":
            link_tree(entry, dst / entry.name)
    *older, newest = partitions(source)
    for p in older:
        link_tree(p, dst / "access_log" / p.name)
    return newest, dst / "access_log" / newest.name


def copy_database(src: Path, dst: Path) -> None:
    """Copy a database file (and its WAL if any) to dst, removing whatever dst had beside it."""
    for p in (dst, dst.with_name(dst.name + ".wal")):
        p.unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    wal = src.with_name(src.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, dst.with_name(dst.name + ".wal"))


def repo_copy(dst: Path) -> Path:
    """The repository's tracked files (as they are in the work tree) copied to dst: a fresh clone
    without build/, reports/ output or .venv."""
    if dst.exists():
        shutil.rmtree(dst)
    files = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], check=True, capture_output=True).stdout
    for name in filter(None, files.decode().split("\0")):
        src = REPO / name
        if src.is_file():  # deleted but not yet committed: skip
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / name)
    return dst


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        os.unlink(path)
