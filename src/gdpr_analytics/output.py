"""Writing tables for people: CSV safe to open in a spreadsheet, files replaced atomically."""

from __future__ import annotations

import io
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator

import pandas as pd

# OWASP "CSV injection": a cell starting with one of these is taken as a formula by spreadsheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix a text value that a spreadsheet would read as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def format_value(value: Any) -> Any:
    """CSV text for one value: timestamps as ISO 8601 UTC with Z, missing as empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat") and hasattr(value, "hour"):
        ts = pd.Timestamp(value)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(value if isinstance(value, str) else value)


def write_csv(df: pd.DataFrame, target: str | Path | IO[str]) -> None:
    """Write df as RFC 4180 CSV (header, comma, \\n line ends), every value neutralised."""
    if isinstance(target, (str, Path)):
        with atomic_write(Path(target)) as fh:
            _write(df, fh)
    else:
        _write(df, target)


def csv_text(df: pd.DataFrame) -> str:
    buf = io.StringIO()
    _write(df, buf)
    return buf.getvalue()


def _field(text: str) -> str:
    # RFC 4180 quoting. Python's csv module leaves a lone CR unquoted when lines end in LF,
    # which splits the row for every reader, so quoting is decided here.
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _write(df: pd.DataFrame, fh: IO[str]) -> None:
    fh.write(",".join(_field(neutralise(str(c))) for c in df.columns) + "\n")
    for row in df.itertuples(index=False, name=None):
        fh.write(",".join(_field(str(format_value(v))) for v in row) + "\n")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_write(path: Path, mode: str = "w") -> Iterator[IO]:
    """Write to a temporary file beside path and move it into place only when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        kwargs = {"encoding": "utf-8", "newline": ""} if "b" not in mode else {}
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
