"""Tables as CSV text for people: RFC 4180, safe to open in a spreadsheet (no value read as a formula),
instants as `YYYY-MM-DDTHH:MM:SSZ`, written atomically (files.atomic_write).

A pandas frame is written by `write_csv` and `csv_text`; a frame stored as Parquet (analysis/store.py) by
`parquet_csv_text`, the same text, without pandas (what `findings` prints from stored results)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .files import atomic_write
from .instants import INSTANT

if TYPE_CHECKING:
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
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat") and hasattr(value, "hour"):
        ts = pd.Timestamp(value)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts.strftime(INSTANT)
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


def rows_csv_text(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """The text `csv_text` gives, for a few rows of plain values (str, int, bool, None: an access pack's rows
    held), formatted value by value: no frame and no DuckDB connection per file, and an integer column with
    a missing value stays an integer."""
    def cell(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        return _field(neutralise(v) if isinstance(v, str) else str(v))

    lines = [",".join(_field(neutralise(str(c))) for c in columns)]
    lines.extend(",".join(cell(row.get(c)) for c in columns) for row in rows)
    return "\n".join(lines) + "\n"


def _field(text: str) -> str:
    # RFC 4180 quoting. Python's csv module leaves a lone CR unquoted when lines end in LF,
    # which splits the row for every reader, so quoting is decided here.
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


# The same neutralisation and quoting as `neutralise` and `_field`, in SQL, for whole columns at once.
_MACROS = (
    r"""CREATE OR REPLACE TEMP MACRO csv_field(v) AS CASE WHEN regexp_matches(v, '[,"\r\n]')
        THEN '"' || replace(v, '"', '""') || '"' ELSE v END""",
    r"""CREATE OR REPLACE TEMP MACRO csv_text(v) AS coalesce(csv_field(
        CASE WHEN left(v, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || v ELSE v END), '')""",
)


def _write(df: pd.DataFrame, fh: IO[str]) -> None:
    """Header, then one line per row. Text and timestamp columns are formatted by DuckDB, a column at a
    time (findings.csv has tens of thousands of rows); any other column value by value (`write_rows`)."""
    import duckdb
    import pandas as pd

    fh.write(",".join(_field(neutralise(str(c))) for c in df.columns) + "\n")
    if df.empty:
        return
    frame, exprs = {}, []
    for i, c in enumerate(df.columns):
        name, col = f"c{i}", df[c]
        if pd.api.types.is_datetime64_any_dtype(col):
            frame[name] = col
            exprs.append(f"coalesce(strftime({name}, '{INSTANT}'), '')")
        elif isinstance(col.dtype, pd.StringDtype):
            frame[name] = col
            exprs.append(f"csv_text({name})")
        else:
            frame[name] = col.map(lambda v: _field(str(format_value(v)))).astype(object)
            exprs.append(name)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        for macro in _MACROS:
            con.execute(macro)
        con.register("frame", pd.DataFrame(frame, index=df.index))
        lines = con.execute(f"SELECT concat_ws(',', {', '.join(exprs)}) FROM frame").fetchall()
    finally:
        con.close()
    fh.write("\n".join(line for (line,) in lines) + "\n")


def parquet_csv_text(path: Path, con=None) -> str | None:
    """The text `csv_text` gives for the frame a Parquet file holds (as analysis/store.py writes frames),
    formatted by DuckDB straight from the file, without pandas: a text column by the `csv_text` macro, a
    timestamp by strftime, as `_write` formats them. None when a column is of another type (the caller
    writes the frame instead). `con`: a DuckDB connection to work on (closed here; default: a new one)."""
    import duckdb

    con = con if con is not None else duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        for macro in _MACROS:
            con.execute(macro)
        columns = con.execute("DESCRIBE SELECT * FROM read_parquet($p)", {"p": str(path)}).fetchall()
        exprs = []
        for name, kind, *_ in columns:
            quoted = '"' + name.replace('"', '""') + '"'
            if kind == "VARCHAR":
                exprs.append(f"csv_text({quoted})")
            elif kind.startswith("TIMESTAMP"):
                exprs.append(f"coalesce(strftime({quoted}, '{INSTANT}'), '')")
            else:
                return None
        header = ",".join(_field(neutralise(str(name))) for name, *_ in columns) + "\n"
        lines = con.execute(f"SELECT concat_ws(',', {', '.join(exprs)}) FROM read_parquet($p)",
                            {"p": str(path)}).fetchall() if exprs else []
    finally:
        con.close()
    return header + "".join(line + "\n" for (line,) in lines)


def write_rows(df: pd.DataFrame, fh: IO[str]) -> None:
    """The same text as `_write`, one value at a time (the reference the tests compare against)."""
    fh.write(",".join(_field(neutralise(str(c))) for c in df.columns) + "\n")
    for row in df.itertuples(index=False, name=None):
        fh.write(",".join(_field(str(format_value(v))) for v in row) + "\n")
