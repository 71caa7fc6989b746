"""Files and processes: atomic replacement, SHA-256, permissions as the umask allows, whether a process
that left something behind is still alive."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


def sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_write(path: Path, mode: str = "w") -> Iterator[IO]:
    """Write to a temporary file beside path and move it into place only when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        kwargs = {"encoding": "utf-8", "newline": ""} if "b" not in mode else {}
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def readable(folder: Path) -> None:
    """A folder and everything in it as readable as the umask allows (temporary files are created 0600).
    A folder keeps its setgid bit: created in a setgid report folder (deploy/systemd/gdpr-analytics.tmpfiles)
    it hands the folder's group on to whatever is written in it later, as its parent does."""
    mask = umask()
    for p in [folder, *folder.rglob("*")]:
        if p.is_dir():
            os.chmod(p, (0o777 & ~mask) | (p.stat().st_mode & stat.S_ISGID))
        else:
            os.chmod(p, 0o666 & ~mask)


def alive(pid: int) -> bool:
    """Whether process pid still runs (a file named after it may be its work in progress)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
