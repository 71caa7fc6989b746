"""Who may write a database file in place, and who must not be written under (SPEC §8).

An incremental `load` writes the database file in place, in one DuckDB transaction (ingest/load.py). A
process reading the file meanwhile must neither see it change (a report run reads one state of the data
from its start to its end, through a hard link that shares the file's inode) nor fail because it is being
written. An advisory lock (flock(2)) on the file's inode says who is there:

- a reader holds it shared for as long as it reads: `engines.duckdb.DuckDBEngine` while it is open, a
  report run's snapshot for the whole run. A reader that finds a load writing in place waits for it
  (`READER_WAIT` seconds at most), then reads the state the load committed;
- a load writes in place only when it gets the lock exclusively at once. When it cannot (someone reads),
  it holds it shared and works on a copy that replaces the file by a rename, as before: the readers keep
  the inode they opened, unchanged.

The operating system releases a lock when its process ends, however it ends (kill -9 included). A lock is
taken on a descriptor of its own: flock locks belong to the open file, so closing another descriptor of
the same file (DuckDB's) releases nothing here. A path whose file is replaced (renamed over) while a lock
is awaited is opened again, so the lock held is always on the file the path names when it is granted.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import GdprAnalyticsError

#: How long a reader waits for a load that writes the database in place (an append takes seconds).
READER_WAIT = 600.0
_POLL = 0.05


class Held:
    """A lock on a database file: `exclusive` (a load may write in place) or shared; `fd` None when the file
    does not exist (nothing to protect)."""

    def __init__(self, fd: int | None, exclusive: bool):
        self.fd, self.exclusive = fd, exclusive

    def share(self) -> None:
        """Hold it shared from now on (a load that found nothing to write, and only reads)."""
        if self.fd is not None and self.exclusive:
            fcntl.flock(self.fd, fcntl.LOCK_SH)
            self.exclusive = False

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None


def _open(path: Path) -> int | None:
    """A descriptor of the file, or None when there is none to open (missing, or not readable: then DuckDB
    cannot open it either, and says so)."""
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None


def _still_named(fd: int, path: Path) -> bool:
    """Whether path still names the file fd holds (a load replaces a database by a rename)."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _acquire(path: Path, how: int, wait: float | None) -> int | None:
    """A descriptor of the file path names, locked `how`; None when there is no file. wait None: try once
    (BlockingIOError when held), else poll up to wait seconds."""
    deadline = None if wait is None else time.monotonic() + wait
    while True:
        fd = _open(path)
        if fd is None:
            return None
        try:
            while True:
                try:
                    fcntl.flock(fd, how | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if deadline is None:
                        raise
                    if time.monotonic() >= deadline:
                        raise GdprAnalyticsError(
                            f"database {path} is being written by a `gdpr-analytics load` that has not ended "
                            f"within {wait:g} s; try again when it has") from None
                    time.sleep(_POLL)
        except BaseException:
            os.close(fd)
            raise
        if _still_named(fd, path):
            return fd
        os.close(fd)  # replaced meanwhile: lock the file it names now


@contextmanager
def reading(path: str | Path, wait: float = READER_WAIT) -> Iterator[Held]:
    """Hold the database at path shared for the block, waiting (up to `wait` seconds) for a load that
    writes it in place."""
    held = Held(_acquire(Path(path), fcntl.LOCK_SH, wait), exclusive=False)
    try:
        yield held
    finally:
        held.release()


def hold_for_reading(path: str | Path, wait: float = READER_WAIT) -> Held:
    """As `reading`, for a reader whose lifetime is not a block (an open engine): the caller releases it."""
    return Held(_acquire(Path(path), fcntl.LOCK_SH, wait), exclusive=False)


@contextmanager
def writing(path: str | Path, wait: float = READER_WAIT) -> Iterator[Held]:
    """For a load: the database at path held exclusively when no one else holds it (`exclusive`: it may be
    written in place), else shared, once a load writing it in place has ended."""
    path = Path(path)
    try:
        held = Held(_acquire(path, fcntl.LOCK_EX, None), exclusive=True)
    except BlockingIOError:
        held = Held(_acquire(path, fcntl.LOCK_SH, wait), exclusive=False)
    try:
        yield held
    finally:
        held.release()
