"""What is wrong with a CSV file, in our words (SPEC §3: UTF-8, a header row, commas, RFC 4180 quoting).

Two steps, so that a good file costs next to nothing:
- `header` runs before DuckDB reads the file and looks only at its first MiB (decompressed): an empty
  file, UTF-16, a byte that is not UTF-8, a header line delimited by something else than commas. It
  returns the header's names as written, which DuckDB would change (it renames `CUSTOMER_ID` to
  `CUSTOMER_ID_1` beside `customer_id`).
- `explain` runs only when DuckDB could not read the file (DuckDB checks every byte is UTF-8, so a good
  file never reaches it): it streams the whole file through an incremental UTF-8 decoder, at disk
  speed, to name the line, byte and column of the first bad byte; then parses the first million lines
  with Python's csv module to name a broken quote or a row with the wrong number of fields.

Each finding is a `Problem` whose text the loader prefixes with the file and the table. Lines are
counted as an editor counts them (the header is line 1); a column counts characters from 1.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zlib
from pathlib import Path
from typing import BinaryIO

from ..core.words import plural

PREFIX = 1 << 20  # bytes looked at before DuckDB reads the file
CHUNK = 1 << 20  # bytes read at once when streaming the whole file
STRUCTURE_LINES = 1_000_000  # lines parsed with Python's csv module after a failed read
EMPTY = "a table needs at least its header row"
DELIMITERS = {",": "commas (,)", ";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}
_BOM = "\ufeff"


class Problem(Exception):
    """Something wrong with a file, in one line, without the file's name."""


def open_binary(path: Path) -> BinaryIO:
    """The file's bytes, decompressed when its name ends in .gz."""
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def header(path: Path) -> list[str]:
    """The names of the header row as written; a Problem for an empty, non-UTF-8 or not comma-separated file."""
    if path.stat().st_size == 0:
        raise Problem(f"the file is empty (0 bytes); {EMPTY}")
    head = _read_head(path)
    if not head:
        raise Problem(f"the file is empty (0 bytes once decompressed); {EMPTY}")
    first = head.split(b"\n", 1)[0]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in first:
        raise Problem("not UTF-8: the file looks like UTF-16 (save it as UTF-8)")
    decoder = _Utf8Position()
    text = decoder.feed(head, final=len(head) < PREFIX)
    if decoder.bad is not None:
        raise Problem(decoder.bad)
    line = text.split("\n", 1)[0].removeprefix(_BOM).rstrip("\r")
    if not line.strip():
        raise Problem("line 1 is blank: the header row must be the first line")
    counts = _delimiters(line)
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    if best != ",":
        raise Problem(f"not comma-separated: the header line is delimited by {DELIMITERS[best]}, not commas; "
                      "save the file with commas as the delimiter")
    try:
        return next(csv.reader(io.StringIO(text.removeprefix(_BOM)), strict=True))
    except (csv.Error, StopIteration) as exc:
        raise Problem(f"line 1: {_csv_reason(str(exc))}") from None


def explain(path: Path, columns: int) -> str | None:
    """After DuckDB failed to read path: the first byte that is not UTF-8, else the first record that
    breaks RFC 4180 or does not have `columns` fields (within the first STRUCTURE_LINES lines), else None."""
    try:
        bad = first_bad_byte(path)
        return bad or _structure(path, columns)
    except (OSError, EOFError, zlib.error) as exc:
        return _unreadable(exc)


def first_bad_byte(path: Path) -> str | None:
    """Stream the whole file: where its first byte that is not UTF-8 is, or None."""
    decoder = _Utf8Position()
    with open_binary(path) as fh:
        while chunk := fh.read(CHUNK):
            decoder.feed(chunk, final=False)
            if decoder.bad is not None:
                return decoder.bad
    decoder.feed(b"", final=True)
    return decoder.bad


class _Utf8Position:
    """An incremental UTF-8 decoder that knows the line and column it has reached."""

    def __init__(self) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.line = 1
        self.column = 0  # characters of the current line decoded so far
        self.bad: str | None = None
        self.first = True  # nothing decoded yet

    def feed(self, data: bytes, final: bool) -> str:
        try:
            text = self.decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            # exc.object is the decoder's pending bytes + data; everything before exc.start is valid UTF-8
            self._advance(codecs.decode(exc.object[:exc.start], "utf-8"))
            self.bad = (f"not UTF-8: line {self.line}, byte 0x{exc.object[exc.start]:02X} at column "
                        f"{self.column + 1} (the file looks like Windows-1252 or Latin-1; save it as UTF-8)")
            return ""
        self._advance(text)
        return text

    def _advance(self, text: str) -> None:
        if self.first and text:
            text = text.removeprefix(_BOM)  # an editor does not show the byte order mark
            self.first = False
        newlines = text.count("\n")
        if newlines:
            self.line += newlines
            self.column = len(text) - text.rfind("\n") - 1
        else:
            self.column += len(text)


def _read_head(path: Path) -> bytes:
    try:
        with open_binary(path) as fh:
            return fh.read(PREFIX)
    except (OSError, EOFError, zlib.error) as exc:
        raise Problem(_unreadable(exc)) from None


def _unreadable(exc: Exception) -> str:
    if isinstance(exc, gzip.BadGzipFile):
        return "not gzip-compressed, though its name ends in .gz"
    if isinstance(exc, (EOFError, zlib.error)):
        return f"the gzip data is damaged ({exc})"
    return f"cannot be read ({exc})"


def _delimiters(line: str) -> dict[str, int]:
    """How often each candidate delimiter occurs in a header line, outside double quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return counts


def _csv_reason(message: str) -> str:
    if "expected after" in message:
        return ('a closing quote is followed by more text in the same field (a quote inside a value is '
                'written as two quotes "")')
    if "unexpected end of data" in message:
        return 'a quoted field is not closed before the end of the file (is a closing quote missing?)'
    if "field larger than field limit" in message:
        return (f"a field runs on for more than {csv.field_size_limit():,} characters "
                "(is a closing quote missing?)")
    return message


def _structure(path: Path, columns: int) -> str | None:
    with open_binary(path) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text, strict=True)
        start = 1
        try:
            for row in reader:
                if reader.line_num > STRUCTURE_LINES:
                    return None
                if row and len(row) != columns:
                    hint = " (a value holding a comma must be quoted)" if len(row) > columns else ""
                    return f"line {start} has {plural(len(row), 'field')} where the header has {columns}{hint}"
                start = reader.line_num + 1
        except csv.Error as exc:
            return f"line {start}: {_csv_reason(str(exc))}"
    return None


def duckdb_reason(message: str) -> str:
    """DuckDB's error about a CSV file, cut to what it says is wrong (never the line's content)."""
    lines = [x.strip() for x in message.strip().splitlines() if x.strip()]
    if not lines:
        return "unknown error"
    first = lines[0]
    if "CSV Error on Line:" in first:
        number = first.rsplit(":", 1)[1].strip()
        reason = next((x for x in lines[1:] if not x.startswith("Original Line")), "")
        return f"line {number}: {reason}".rstrip(": ")
    if "Error when sniffing file" in first:
        return "its first rows do not parse as comma-separated values with double quotes (RFC 4180)"
    return first
