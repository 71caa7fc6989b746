"""What the Spark engine keeps between runs, in the results folder, so that a run reads what changed and
the month it answers for, not the whole history (SPEC §9):

- **the facts of each checked input file** (`FileFacts`): its rows, its span (earliest and latest record
  instant), the latest value of each instant column, the non-null values of each column outside the
  contract, and its key's least and greatest value. A file's facts are written only once the file passed
  every check of its own (contract, types, repeated keys within it, non-UTF-8 bytes). They are keyed by
  the table, the file's path in the source, its SHA-256 and the code's fingerprint: a file whose bytes
  changed has another key and is checked again.
- **the files of a table checked together** (`CheckedSet`): the file keys whose key values were found
  unique across them, and the files of each parent table their references were checked against. Keyed
  by the source folder, the table and the code.
- **the roll-ups of each month** of the access log: keyed by the month, the files holding events of that
  month and the code, so a month is rolled up once and again only when one of its files changes.

Each is written under a temporary name and renamed into place, so a reader sees it whole or not at all;
one that cannot be read is treated as absent (the work is done again). Without a results folder nothing
is kept.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb


def key_of(*parts: Any) -> str:
    """A stable key (32 hex digits) for the given JSON-able parts."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:32]


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass
class FileFacts:
    """What the checks found in one input file (see the module's docstring)."""

    rows: int
    span: tuple = (None, None)  # earliest and latest record instant
    latest: list = field(default_factory=list)  # the latest value of each TIMESTAMP column, in contract order
    extra: dict = field(default_factory=dict)  # column outside the contract -> non-null values
    key: tuple = (None, None)  # the key's least and greatest value

    def to_json(self) -> dict:
        d = asdict(self)
        d["span"] = [_iso(v) for v in self.span]
        d["latest"] = [_iso(v) for v in self.latest]
        d["key"] = list(self.key)
        return d

    @classmethod
    def from_json(cls, d: dict) -> "FileFacts":
        return cls(rows=int(d["rows"]), span=tuple(_instant(v) for v in d["span"]),
                   latest=[_instant(v) for v in d["latest"]], extra={k: int(n) for k, n in d["extra"].items()},
                   key=tuple(d["key"]))

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether a record instant of the file lies in [start, end)."""
        first, last = self.span
        return first is not None and first < end and last >= start


@dataclass
class CheckedSet:
    """The files of a table checked together (see the module's docstring)."""

    files: list[str]  # file keys
    parents: dict[str, str]  # parent table -> the fingerprint of its files when the references were checked


class Kept:
    """The stores under `folder` (None: nothing is kept)."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def _path(self, kind: str, key: str, suffix: str) -> Path | None:
        return None if self.folder is None else self.folder / kind / f"{key}{suffix}"

    def _read_json(self, kind: str, key: str) -> dict | None:
        path = self._path(kind, key, ".json")
        if path is None or not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _write(self, path: Path | None, write) -> None:
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                write(tmp)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        except (OSError, duckdb.Error):
            pass  # a results folder that cannot be written: the work is done again next time

    def facts(self, key: str) -> FileFacts | None:
        d = self._read_json("files", key)
        try:
            return None if d is None else FileFacts.from_json(d)
        except (KeyError, TypeError, ValueError):
            return None

    def put_facts(self, key: str, facts: FileFacts) -> None:
        text = json.dumps(facts.to_json(), sort_keys=True)
        self._write(self._path("files", key, ".json"), lambda p: p.write_text(text, encoding="utf-8"))

    def checked_set(self, key: str) -> CheckedSet | None:
        d = self._read_json("sets", key)
        try:
            return None if d is None else CheckedSet(files=list(d["files"]), parents=dict(d["parents"]))
        except (KeyError, TypeError, ValueError):
            return None

    def put_checked_set(self, key: str, checked: CheckedSet) -> None:
        text = json.dumps(asdict(checked), sort_keys=True)
        self._write(self._path("sets", key, ".json"), lambda p: p.write_text(text, encoding="utf-8"))

    def rollups(self, key: str, tables: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple]] | None:
        """The stored rows of each roll-up table (name -> its columns and their DuckDB types) of one month,
        or None."""
        path = self._path("rollups", key, ".duckdb")
        if path is None or not path.is_file():
            return None
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(f"ATTACH '{path}' AS kept (READ_ONLY)")
            return {name: con.execute(f"SELECT * FROM kept.{name}").fetchall() for name in tables}
        except duckdb.Error:
            return None
        finally:
            con.close()

    def put_rollups(self, key: str, tables: dict[str, list[tuple[str, str]]], rows: dict[str, list[tuple]]) -> None:
        def write(tmp: Path) -> None:
            con = duckdb.connect()
            try:
                con.execute("SET TimeZone = 'UTC'")
                con.execute(f"ATTACH '{tmp}' AS out")
                for name, columns in tables.items():
                    con.execute(f"CREATE TABLE out.{name} ({', '.join(f'{c} {t}' for c, t in columns)})")
                    if rows[name]:
                        marks = ", ".join("?" for _ in columns)
                        con.executemany(f"INSERT INTO out.{name} VALUES ({marks})", rows[name])
                con.execute("DETACH out")
            finally:
                con.close()

        self._write(self._path("rollups", key, ".duckdb"), write)
