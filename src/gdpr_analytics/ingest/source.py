"""A source folder (SPEC §3): which entry holds each table, and every input file with its size and SHA-256.

An entry is `<table>.csv`, `<table>.csv.gz`, `<table>.parquet` or a folder `<table>/` of Parquet files
(hive partitions such as `month=2026-10/` allowed). The loader reads a snapshot table (customers,
orders, …) as one unit, whatever its files; the access log is read one file at a time (`units`), so a
new export adds, replaces or removes single partitions.

Beside the tables a source may hold `source.yml` (when the data was exported, SPEC §10). Anything else
that looks like a table (`.csv`, `.csv.gz`, `.parquet`, a folder of Parquet files) but names none is an
error naming the closest table; other files (a README) are ignored, and listed (`Source.ignored`).
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import DataError, UsageError
from ..core.files import sha256_file
from .contract import TABLES, Table

_HIVE = re.compile(r"^([^=/]+)=[^/]*$")
_SUFFIXES = (".csv.gz", ".csv", ".parquet")  # longest first
#: The optional file of a source that says when it was exported (SPEC §10); see coverage.exported_at.
META_FILE = "source.yml"
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


@dataclass(frozen=True)
class Ignored:
    """An entry of the source that is not a table (a README, notes): not read, listed in `_load_ignored`."""

    file: str  # path relative to the source folder, POSIX separators; a folder ends in "/"
    size: int  # bytes (a folder: of every file in it)


@dataclass
class Source:
    """What a source folder holds: the entry of every table present, source.yml, and what is ignored."""

    path: Path
    entries: dict[str, Entry]
    meta: Path | None  # source.yml, when the folder holds one
    ignored: list[Ignored]


def scan(source: Path) -> Source:
    """Every entry of source: a table's, source.yml, or ignored. An error for a file or folder that looks
    like a table (.csv, .csv.gz, .parquet, a folder of Parquet files) but names none, a CSV file inside a
    table's folder, a table given twice, and a missing required table."""
    if not source.exists():
        raise UsageError(f"--source {source}: no such folder (a source is a folder with one entry per table)")
    if not source.is_dir():
        raise UsageError(f"--source {source} is a file, not a folder (a source is a folder with one entry per "
                         f"table; --source {source.parent} if the file is one of its tables)")
    table_files = {f"{t}{suffix}" for t in TABLES for suffix in _SUFFIXES}
    misnamed, ignored, meta = [], [], None
    for p in sorted(source.iterdir()):
        name = p.name
        if p.is_file() and name in table_files:
            pass
        elif p.is_dir() and name in TABLES:
            ignored.extend(_not_parquet(p, source))
        elif name == META_FILE and p.is_file():
            meta = p
        elif not name.startswith(".") and (_table_suffix(name) and p.is_file()
                                           or p.is_dir() and next(p.rglob("*.parquet"), None)):
            misnamed.append(p)
        else:
            ignored.append(Ignored(name + ("/" if p.is_dir() else ""), _size(p)))
    if misnamed:
        raise DataError("; ".join(_names_no_table(p) for p in misnamed))
    return Source(source, _entries(source), meta, sorted(ignored, key=lambda i: i.file))


def closest_table(name: str) -> str:
    """The table whose name is most like name (a file or folder name without its suffix): one whose name
    holds it or is held by it (`upload`, `dsr`), else the most similar (difflib's ratio)."""
    stem = name.lower().replace("-", "_").replace(" ", "_")
    return max(TABLES, key=lambda t: (stem in t or t in stem, difflib.SequenceMatcher(None, stem, t).ratio()))


def _names_no_table(p: Path) -> str:
    suffix = _table_suffix(p.name) if p.is_file() else ""
    stem = p.name[:len(p.name) - len(suffix)]
    label = p.name + ("/" if p.is_dir() else "")
    return f"{label}: names no table; did you mean {closest_table(stem)}? (tables: {', '.join(TABLES)})"


def _table_suffix(name: str) -> str:
    """The suffix of a file name that makes it look like a table (any case), or ""."""
    return next((name[-len(s):] for s in _SUFFIXES if name.lower().endswith(s)), "")


def _not_parquet(folder: Path, source: Path) -> list[Ignored]:
    """The files of a table's folder that are not Parquet (ignored); an error for a CSV file there."""
    out = []
    for f in sorted(folder.rglob("*")):
        if not f.is_file() or f.name.endswith(".parquet"):
            continue
        rel = relative(f, source)
        if _table_suffix(f.name) and not f.name.startswith("."):
            raise DataError(f"{rel}: the folder {folder.name}/ is read for Parquet files only; convert this file "
                            f"to Parquet, or give the table as one file {folder.name}.csv")
        out.append(Ignored(rel, f.stat().st_size))
    return out


def _size(p: Path) -> int:
    if p.is_dir():
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    return p.stat().st_size if p.exists() else 0


def _entries(source: Path) -> dict[str, Entry]:
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


def input_files(entries: dict[str, Entry], source: Path) -> dict[str, InputFile]:
    """Every file of every entry, by relative path, with its size and SHA-256."""
    out = {}
    for name, entry in entries.items():
        for f in entry.files:
            rel = relative(f, source)
            out[rel] = InputFile(name, rel, f.stat().st_size, sha256_file(f))
    return out


def meta_file(src: Source) -> InputFile | None:
    """source.yml as an input (it decides the data end): counted in the data's fingerprint."""
    if src.meta is None:
        return None
    return InputFile("", META_FILE, src.meta.stat().st_size, sha256_file(src.meta))


def fingerprint(files: list[InputFile]) -> str:
    """One SHA-256 for a set of input files: what the loaded data was made from."""
    text = "\n".join(f"{f.table}\t{f.file}\t{f.sha256}" for f in sorted(files, key=lambda f: (f.table, f.file)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
