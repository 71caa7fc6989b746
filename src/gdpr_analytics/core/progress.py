"""Progress for long work: a bar on a terminal, one plain UTC-timestamped line per step otherwise
(so cron mail, journald and Airflow logs read well), nothing when asked to be quiet."""

from __future__ import annotations

import sys
import threading

from tqdm import tqdm

from .instants import now_text as stamp

_LOCK = threading.Lock()


def log_line(text: str) -> None:
    """One plain line on stderr, starting with the UTC time; whole, even when threads log at once."""
    with _LOCK:
        sys.stderr.write(f"{stamp()} {text}\n")
        sys.stderr.flush()


class _Lines:
    """tqdm's small API (set_postfix_str, update, close), written as timestamped lines."""

    def __init__(self, desc: str, total: int | None):
        self.desc, self.total, self.n = desc, total, 0

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        of = f" ({self.n + 1}/{self.total})" if self.total else ""
        log_line(f"{self.desc}: {text}{of}")

    def update(self, n: int = 1) -> None:
        self.n += n

    def close(self) -> None:
        pass

    def __enter__(self) -> "_Lines":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress(*, show: bool | None = None, desc: str = "", total: int | None = None, **kwargs):
    """show=None: a tqdm bar on a terminal, timestamped lines otherwise; True: a bar; False: nothing."""
    if show is None and not sys.stderr.isatty():
        return _Lines(desc, total)
    return tqdm(disable=not (show or show is None), leave=False, desc=desc, total=total, **kwargs)
