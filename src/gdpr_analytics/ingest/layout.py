"""The layout of the database `load` writes, beside the contract's tables: the access log's parts, the
roll-ups (rollups.py) and the loader's bookkeeping. The Spark engine gives the same bookkeeping as
views over a source read in place, so the analysis reads both alike.

  _load_tables(table_name, present, rows, earliest, latest)  which tables the source held (absent
                                                      optional tables exist empty, with present = false),
                                                      and their first and last instant (coverage.py)
  _load_inputs(table_name, file, size, sha256, rows, part, min_key, max_key, min_time, max_time)
                                                      every input file read; for the access log, the
                                                      part holding it and its key and time ranges
  _load_extra_columns(table_name, file, column_name, non_null)  columns outside the contract (not loaded)
  _load_after_end(table_name, column_name, later, first_keys)  instants after the data end (coverage.py)
  _load_ignored(file, size)                          entries of the source that are not tables
  _known_gaps(table_name, member, gap_from, gap_to, reason)  the gaps source.yml declares (ledger.py)
  _load_info(key, value)                             loaded_at, source, tool version, layout, load mode,
                                                      data fingerprint, data_end, data_end_from,
                                                      source.yml's SHA-256 (`info_rows`)

A database of another `LAYOUT` is rebuilt whole by `load` and refused by the commands that read one,
with "load again" (engines/duckdb.py).
"""

from __future__ import annotations

from .. import __version__

LAYOUT = "6"
#: The access log is held one table per input file, named after the file's path, behind the view access_log.
PART_PREFIX = "_access_log_part_"
#: The bookkeeping tables and their columns (DuckDB types; the Spark engine maps them).
BOOKKEEPING = {
    "_load_tables": "table_name VARCHAR, present BOOLEAN, rows BIGINT, earliest TIMESTAMP, latest TIMESTAMP",
    "_load_inputs": "table_name VARCHAR, file VARCHAR, size BIGINT, sha256 VARCHAR, rows BIGINT, "
                    "part VARCHAR, min_key VARCHAR, max_key VARCHAR, min_time TIMESTAMP, max_time TIMESTAMP",
    "_load_extra_columns": "table_name VARCHAR, file VARCHAR, column_name VARCHAR, non_null BIGINT",
    "_load_info": "key VARCHAR, value VARCHAR",
    "_load_ignored": "file VARCHAR, size BIGINT",
    "_load_after_end": "table_name VARCHAR, column_name VARCHAR, later BIGINT, first_keys VARCHAR",
    "_known_gaps": "table_name VARCHAR, member VARCHAR, gap_from DATE, gap_to DATE, reason VARCHAR",
}
INPUT_COLUMNS = tuple(c.split()[0] for c in BOOKKEEPING["_load_inputs"].split(", "))


def info_rows(*, loaded_at: str, source: str, engine: tuple[str, str], load_mode: str, data_sha256: str,
              data_end: str, data_end_from: str, source_yml_sha256: str) -> list[tuple[str, str]]:
    """The rows of _load_info, as either engine writes them; `engine` is (its version's key, version);
    no data_end row when no table holds an instant."""
    return [
        ("loaded_at", loaded_at),
        ("source", source),
        ("tool_version", __version__),
        engine,
        ("layout", LAYOUT),
        ("load_mode", load_mode),
        ("data_sha256", data_sha256),
        *([("data_end", data_end)] if data_end else []),
        ("data_end_from", data_end_from),
        ("source_yml_sha256", source_yml_sha256),
    ]
