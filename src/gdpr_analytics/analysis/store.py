"""Where month results are kept: Parquet files and a meta.json per month and key, in a folder beside the
data (`<db>.results/`, `<source>.results/`, or the folder a command names).

Layout: `<root>/<data fingerprint[:16]>/<YYYY-MM>/<key>/` holding `meta.json` and one Parquet file per
frame (`findings.parquet`, `cross_border__summary.parquet`, …). A folder is written under a temporary
name and renamed into place, so a reader sees whole results or none. Parquet keeps the store
engine-neutral: any engine that produces the same frames fills it alike. The key is the SHA-256 of what
the results were computed from (results.key_parts), including `code_fingerprint`: every module of the
package and every query file, wherever the package is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ..core.assets import code_fingerprint  # noqa: F401 - part of the key (results.key_parts)

if TYPE_CHECKING:  # frames are pandas'; `frame_file` and `read_rows` serve a reader that needs no pandas
    import pandas as pd


def key_of(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()[:32]


def _file_name(name: str) -> str:
    return name.replace("/", "__") + ".parquet"


def frame_file(folder: Path, name: str) -> Path:
    """The Parquet file of one stored frame."""
    return folder / _file_name(name)


def read_meta(folder: Path) -> dict:
    return json.loads((folder / "meta.json").read_text(encoding="utf-8"))


def read_rows(folder: Path, name: str, con=None) -> tuple[list[tuple[str, str]], list[tuple]]:
    """One stored frame as ([(column, DuckDB type)], rows as tuples), read without pandas. `con`: a DuckDB
    connection to read with (closed here; default: a new one)."""
    import duckdb

    con = con if con is not None else duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        rel = con.execute("SELECT * FROM read_parquet($p)", {"p": str(frame_file(folder, name))})
        rows = rel.fetchall()
        return [(d[0], str(d[1])) for d in rel.description], rows
    finally:
        con.close()


class Store:
    """The month-results folder of one data location."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def folder(self, parts: dict[str, Any]) -> Path:
        return self.root / (parts["data"][:16] or "unknown") / parts["month"] / key_of(parts)

    def get(self, parts: dict[str, Any], tables: Sequence[str] | None = None) -> tuple[dict, dict] | None:
        """(meta, frames) stored under parts, or None."""
        folder = self.folder(parts)
        if not (folder / "meta.json").is_file():
            return None
        return read(folder, tables)

    def put(self, parts: dict[str, Any], frames: dict[str, pd.DataFrame], meta: dict) -> Path | None:
        """Write the results; None when the store cannot be written (the caller keeps them in memory)."""
        final = self.folder(parts)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
        except OSError:
            return None
        try:
            write(tmp, parts, frames, meta)
            try:
                os.rename(tmp, final)
            except OSError:
                if not (final / "meta.json").is_file():  # not a race another process won
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return final

    def prune(self, keep: set[str]) -> None:
        """Remove the results of every loaded data state but those whose fingerprint is in keep."""
        if not self.root.is_dir():
            return
        prefixes = {k[:16] for k in keep}
        for entry in self.root.iterdir():
            if entry.is_dir() and entry.name not in prefixes:
                shutil.rmtree(entry, ignore_errors=True)


def write(folder: Path, parts: dict[str, Any], frames: dict[str, pd.DataFrame], meta: dict) -> None:
    import duckdb

    con = duckdb.connect()
    try:
        for name, df in frames.items():
            con.register("frame", df)
            cols = con.execute("DESCRIBE frame").fetchall()
            # a column of nothing but missing values has DuckDB type NULL, which Parquet cannot hold
            select = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' if t == '"NULL"' else f'"{c}"'
                               for c, t, *_ in cols)
            con.execute(f"COPY (SELECT {select} FROM frame) TO $path (FORMAT parquet)",
                        {"path": str(folder / _file_name(name))})
            con.unregister("frame")
    finally:
        con.close()
    doc = {"key": key_of(parts), "parts": parts, "frames": sorted(frames), **meta}
    (folder / "meta.json").write_text(json.dumps(doc, indent=1, default=str, ensure_ascii=False) + "\n",
                                      encoding="utf-8")


def read(folder: Path, tables: Sequence[str] | None = None) -> tuple[dict, dict[str, pd.DataFrame]]:
    """(meta, frames) stored in folder: every frame, or only `tables` (the findings command needs one)."""
    import duckdb

    meta = read_meta(folder)
    con = duckdb.connect()
    try:
        frames = {name: con.execute("SELECT * FROM read_parquet($p)", {"p": str(folder / _file_name(name))}).df()
                  for name in meta["frames"] if tables is None or name in tables}
    finally:
        con.close()
    return meta, frames


def round_trip(parts: dict[str, Any], frames: dict[str, pd.DataFrame], meta: dict,
               tables: Sequence[str] | None = None) -> tuple[dict, dict[str, pd.DataFrame]]:
    """What a stored copy would read back (the same types), through a temporary folder: for results
    computed where the store cannot be written."""
    with tempfile.TemporaryDirectory(prefix="gdpr-analytics-results-") as tmp:
        write(Path(tmp), parts, frames, meta)
        return read(Path(tmp), tables)
