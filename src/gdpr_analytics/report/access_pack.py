"""Writing an access pack (SPEC §13): one folder per subject, `DIR/<id>/`, holding `index.html` (one
self-contained page, no script, printable), `pack.json` (the same content for machines; schema in
docs/access-pack.schema.json) and `data/<table>.csv` (the rows held).

A pack is the one output that holds personal data, for its own subject only: folders are created 0700 and
files 0600 whatever the umask, the pack is built in a hidden staging folder beside its target and renamed
into place when complete (a failed run leaves no half pack), and `--out` may not lie inside a report folder
(a month folder or the folder of the cross-month index) so that no auditor page can link to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..analysis.access import HELD, Pack
from ..core.csvfile import rows_csv_text
from ..core.errors import UsageError
from ..ingest.contract import TABLES

TEMPLATES = Path(__file__).with_name("templates") / "access"
DIR_MODE, FILE_MODE = 0o700, 0o600


def check_out(out: Path) -> None:
    """--out must not be (inside) a report folder: a month folder holds summary.json or manifest.json, the
    folder of the cross-month index holds month folders that do."""
    for folder in [out, *out.parents]:
        if (folder / "summary.json").is_file() or (folder / "manifest.json").is_file():
            raise UsageError(f"--out {out} is inside the report folder {folder}: an access pack holds personal "
                             "data and is never written where auditors read; choose a folder of its own")
        if (folder / "index.html").is_file() and any((p / "summary.json").is_file() or (p / "manifest.json").is_file()
                                                     for p in folder.glob("????-??")):
            raise UsageError(f"--out {out} is inside the reports folder {folder}: an access pack holds personal "
                             "data and is never written where auditors read; choose a folder of its own")


def _mkdir(path: Path) -> None:
    path.mkdir(mode=DIR_MODE)
    os.chmod(path, DIR_MODE)


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, FILE_MODE)


def folder_name(name: str) -> str:
    """A subject's or request's id as a folder name: refused when it could leave --out."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise UsageError(f"{name!r} cannot name a pack folder")
    return name


@lru_cache(maxsize=1)
def environment():
    """The pack's Jinja2 environment, made once per process (a month's requests write hundreds of packs)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda n: "—" if n is None else f"{int(n):,}"
    env.filters["value"] = lambda v: "" if v is None else ("yes" if v is True else "no" if v is False else v)
    return env


def render_html(pack: Pack) -> str:
    tables = [(t, [c.name for c in TABLES[t].columns], pack.held[t]) for t, _, _ in HELD if t in pack.held]
    return environment().get_template("pack.html.j2").render(pack=pack, a=pack.art15, tables=tables)


def files_of(pack: Pack) -> dict[str, bytes]:
    """Every file of the pack (path relative to its folder -> bytes), pack.json last with the SHA-256 of
    every other file."""
    files: dict[str, bytes] = {}
    for table, _, _ in HELD:
        if table not in pack.held:
            continue
        columns = [c.name for c in TABLES[table].columns]
        files[f"data/{table}.csv"] = rows_csv_text(columns, pack.held[table]).encode("utf-8")
    files["index.html"] = render_html(pack).encode("utf-8")
    doc: dict[str, Any] = pack.as_json()
    doc["sha256"] = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}
    files["pack.json"] = (pack_json(doc) + "\n").encode("utf-8")
    return files


def pack_json(doc: dict[str, Any]) -> str:
    """The pack as indented JSON, except each table operation's `by_month`, one line of month counts (a subject
    of two years has some 140 entries of up to 24 months each: indented they would take seven lines each)."""
    mark = f"by-month-{secrets.token_hex(16)}-"
    compact: list[str] = []
    operations = []
    for group in doc["table_operations"]:
        group = dict(group)
        compact.append(json.dumps(group["by_month"], ensure_ascii=False, separators=(",", ":")))
        group["by_month"] = f"{mark}{len(compact) - 1}"
        operations.append(group)
    text = json.dumps({**doc, "table_operations": operations}, indent=2, ensure_ascii=False)
    return re.sub(f'"{mark}([0-9]+)"', lambda m: compact[int(m.group(1))], text)


def write_pack(pack: Pack, out: Path, name: str) -> Path:
    """Write the pack to out/<name>/ (replacing an earlier pack of that name), owner-only."""
    target = out / folder_name(name)
    staging = out / f".{name}.partial-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    _mkdir(staging)
    try:
        _mkdir(staging / "data")
        for rel, data in files_of(pack).items():
            _write(staging / rel, data)
        if target.exists():
            old = out / f".{name}.old-{os.getpid()}"
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def prepare_out(out: Path) -> None:
    check_out(out.resolve())
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder")
    if not out.exists():
        out.mkdir(parents=True, mode=DIR_MODE)
        os.chmod(out, DIR_MODE)
