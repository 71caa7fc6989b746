"""A source folder (SPEC §3): which entry holds each table, and every input file with its size and SHA-256.

An entry is `<table>.csv`, `<table>.csv.gz`, `<table>.parquet` or a folder `<table>/` of Parquet files
(hive partitions such as `month=2026-10/` allowed). The loader reads a snapshot table (customers,
orders, …) as one unit, whatever its files; the access log is read one file at a time (`units`), so a
new export adds, replaces or removes single partitions.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .contract import TABLES, Table
from .errors import DataError

_HIVE = re.compile(r"^([^=/]+)=[^/]*$")
#: The table read one file at a time; every other table is a snapshot, replaced whole.
PARTITIONED = "access_log"


@dataclass
class Entry:
    """One table's input, or one file of it: a CSV file (plain or gzip), a Parquet file, or Parquet files."""

    table: Table
    kind: str  # "csv" or "parquet"
    path: Path  # the file, or the folder
    files: list[Path] = field(default_factory=list)
    hive_keys: set[str] = field(default_factory=set)
    name: str = ""  # how messages name it; default: the file name, or the folder name with "/"

    @property
    def label(self) -> str:
        return self.name or (self.path.name + ("/" if self.path.is_dir() else ""))


@dataclass(frozen=True)
class InputFile:
    """A file of the source as the loader records it (in `_load_inputs`)."""

    table: str
    file: str  # path relative to the source folder, POSIX separators
    size: int
    sha256: str


def discover(source: Path) -> dict[str, Entry]:
    """The entry of every table present in source; an error for a missing required table."""
    if not source.is_dir():
        raise DataError(f"source {source} is not a folder")
    found: dict[str, Entry] = {}
    for table in TABLES.values():
        candidates = []
        for suffix, kind in ((".csv", "csv"), (".csv.gz", "csv"), (".parquet", "parquet")):
            p = source / f"{table.name}{suffix}"
            if p.is_file():
                candidates.append(Entry(table, kind, p, [p]))
        folder = source / table.name
        if folder.is_dir():
            files = sorted(f for f in folder.rglob("*.parquet") if f.is_file())
            if not files:
                raise DataError(f"source {source}: folder {table.name}/ holds no .parquet files")
            keys = {m.group(1) for f in files for part in f.relative_to(folder).parts[:-1]
                    if (m := _HIVE.match(part))}
            candidates.append(Entry(table, "parquet", folder, files, keys))
        if len(candidates) > 1:
            names = ", ".join(c.label for c in candidates)
            raise DataError(f"source {source}: table {table.name} is given more than once ({names}); keep one")
        if candidates:
            found[table.name] = candidates[0]
        elif table.required:
            raise DataError(
                f"source {source}: required table {table.name} is missing (expected {table.name}.csv, "
                f"{table.name}.csv.gz, {table.name}.parquet or a folder {table.name}/ of Parquet files)"
            )
    return found


def units(entry: Entry, source: Path) -> list[Entry]:
    """What the loader reads at once: the whole entry for a snapshot table; each file of the access log."""
    if entry.table.name != PARTITIONED or len(entry.files) == 1 and entry.path.is_file():
        return [entry]
    return [Entry(entry.table, entry.kind, f, [f], entry.hive_keys, name=relative(f, source))
            for f in entry.files]


def relative(path: Path, source: Path) -> str:
    return path.relative_to(source).as_posix()


def sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def input_files(entries: dict[str, Entry], source: Path) -> dict[str, InputFile]:
    """Every file of every entry, by relative path, with its size and SHA-256."""
    out = {}
    for name, entry in entries.items():
        for f in entry.files:
            rel = relative(f, source)
            out[rel] = InputFile(name, rel, f.stat().st_size, sha256_file(f))
    return out


def fingerprint(files: list[InputFile]) -> str:
    """One SHA-256 for a set of input files: what the loaded data was made from."""
    text = "\n".join(f"{f.table}\t{f.file}\t{f.sha256}" for f in sorted(files, key=lambda f: (f.table, f.file)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
