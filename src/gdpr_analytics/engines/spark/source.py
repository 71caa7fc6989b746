"""A source folder read in place by Spark, with the data contract's checks (SPEC §3, §9).

The same steps as the DuckDB loader, on Spark: each table's entry (ingest/source.py) is staged as read — a CSV
file as text with the contract's column names (checks.column_names: case and surrounding blanks
ignored), Parquet files with `_file` and `file_row_number`, hive partition folders as columns — then
`ingest.checks.Checker`'s checks run on it (the same SQL, translated by sql/portable.py, and the same messages:
file, table, column, how many rows, the first offending rows with their CSV line or Parquet file and
row), and the typed table is the same SELECT (checks.typed_select).

Spark replaces bytes that are not UTF-8 silently, so a CSV file is first streamed through
diagnose.first_bad_byte (the whole file, at disk speed) and rejected as the loader rejects it; a file
Spark cannot parse is explained by diagnose.explain, as the loader's.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlparse

from ...core.errors import DataError
from ...core.errors import first_line as _first_line
from ...ingest import diagnose
from ...ingest.checks import Checker, column_names, parquet_columns, q, relative_label
from ...ingest.source import Entry
from ...sql import portable

#: The column holding a CSV record's index (0 = the first record after the header), as DuckDB's rowid.
ROWID = "rowid"


def spark_type(duckdb_type: str) -> str:
    """A contract or bookkeeping type (DuckDB's name) as Spark names it: TIMESTAMP is naive UTC."""
    t = duckdb_type.upper()
    return {"VARCHAR": "STRING", "TIMESTAMP": "TIMESTAMP_NTZ"}.get(t, t)


def spark_ddl(ddl: str) -> str:
    """`name TYPE, …` with DuckDB's types as Spark's (a bookkeeping table's columns)."""
    parts = []
    for item in ddl.split(","):
        name, typ = item.strip().split(None, 1)
        parts.append(f"`{name}` {spark_type(typ)}")
    return ", ".join(parts)


class SparkChecker(Checker):
    """checks.Checker on a Spark session: stages an entry as a temp view and runs the checks there. Every
    query is a Spark job, so a table's checks, its key's repeats, its span and a count of every column
    (which makes Spark parse every field of a CSV record) are one aggregate, one pass."""

    KEY_REPEATS_WITH_CHECKS = True

    def check(self, entry: Entry, rel: str, cols: list[str], also=()):
        """The checks in one pass; a CSV record Spark cannot parse fails that pass, and is explained as
        the loader explains it (diagnose.explain: a broken quote, a row with the wrong number of fields)."""
        every = [f"count({q(c)})" for c in cols if c != ROWID] if entry.kind == "csv" else []
        try:
            checked = super().check(entry, rel, cols, [*also, *every])
        except DataError:
            raise
        except Exception as exc:  # noqa: BLE001 - Spark raises its own exception classes
            if entry.kind != "csv":
                raise
            what = diagnose.explain(entry.path, len(cols)) or "cannot be read as CSV: " + _first_line(exc)
            raise DataError(f"{entry.label}: table {entry.table.name}: {what}") from None
        return replace(checked, also=checked.also[:len(also)])

    def __init__(self, spark, source: Path):
        super().__init__(None, source)
        self.spark = spark

    def _one(self, sql: str) -> tuple:
        return tuple(self.spark.sql(portable.to_spark(sql)).collect()[0])

    def _all(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.spark.sql(portable.to_spark(sql)).collect()]

    def _table(self, name: str) -> str:
        return q(name)

    def native(self, rel: str, table) -> frozenset[str]:
        """None: Spark's TIMESTAMP is an instant in the session's zone, so every column takes the casts."""
        return frozenset()

    def _local(self, file: str) -> Path:
        return Path(unquote(urlparse(file).path)) if "://" in file or file.startswith("file:") else Path(file)

    def stage(self, entry: Entry, name: str) -> tuple[str, list[str]]:
        """Create the temp view `name` holding the input as read; return (its name, the input's columns)."""
        if entry.kind == "csv":
            df = self._csv(entry)
            cols = [c for c in df.columns if c != ROWID]
        else:
            df, cols = self._parquet(entry)
        df.createOrReplaceTempView(name)
        return q(name), cols

    def _csv(self, entry: Entry):
        from pyspark.sql import functions as F
        from pyspark.sql.types import StringType, StructField, StructType

        label, table = entry.label, entry.table.name
        try:
            written = diagnose.header(entry.path)
            bad = diagnose.first_bad_byte(entry.path)  # Spark would replace it silently
        except diagnose.Problem as exc:
            raise DataError(f"{label}: table {table}: {exc}") from None
        if bad:
            raise DataError(f"{label}: table {table}: {bad}")
        names = [n if n else f"column{i}" for i, n in enumerate(column_names(entry, label, written))]
        schema = StructType([StructField(n, StringType()) for n in names])
        # one file is one partition (multiLine files are not split): monotonically_increasing_id numbers
        # its records 0, 1, … in file order, like DuckDB's rowid
        # a malformed record fails the checks' pass, which counts every column (`check`)
        return (self.spark.read.schema(schema)
                .options(header=True, multiLine=True, mode="FAILFAST", quote='"', escape='"', encoding="UTF-8",
                         enforceSchema=True, ignoreLeadingWhiteSpace=False, ignoreTrailingWhiteSpace=False)
                .csv(str(entry.path))
                .withColumn(ROWID, F.monotonically_increasing_id()))

    def _parquet(self, entry: Entry):
        """The Parquet files, each file's columns renamed as checks.column_names says, with `_file`,
        `file_row_number` and the hive partition keys; files that spell their columns alike are read together."""
        import duckdb
        from pyspark.sql import functions as F

        for f in entry.files:
            if f.stat().st_size == 0:
                raise DataError(f"{relative_label(f, self.source)}: table {entry.table.name}: the file is empty "
                                "(0 bytes); a Parquet file holds at least its columns, even with no row")
        con = duckdb.connect()  # the files' footers, read where the files are
        try:
            written_by_file = parquet_columns(con, entry.files)
        except duckdb.Error as exc:
            raise DataError(f"{entry.label}: table {entry.table.name}: cannot be read as Parquet: "
                            f"{_first_line(exc)}") from None
        finally:
            con.close()
        groups: dict[tuple[str, ...], list[Path]] = {}
        for f, written in written_by_file.items():
            groups.setdefault(tuple(written), []).append(f)
        frames, cols = [], []
        for written, files in groups.items():
            names = column_names(entry, relative_label(files[0], self.source), list(written))
            reader = self.spark.read
            if entry.path.is_dir():
                reader = reader.option("basePath", str(entry.path))
            df = reader.parquet(*[str(f) for f in files])
            hive = [k for k in sorted(entry.hive_keys) if k.lower() not in {w.lower() for w in written}]
            df = df.select(*[F.col(f"`{w}`").alias(n) for w, n in zip(written, names)],
                           *[F.col(f"`{k}`") for k in hive if k in df.columns],
                           F.col("_metadata.file_path").alias("_file"),
                           F.col("_metadata.row_index").alias("file_row_number"))
            frames.append(df)
            cols.extend(c for c in df.columns if c not in cols)
        out = frames[0]
        for df in frames[1:]:
            out = out.unionByName(df, allowMissingColumns=True)
        try:
            out.limit(1).collect()
        except Exception as exc:  # noqa: BLE001
            raise DataError(f"{entry.label}: table {entry.table.name}: cannot be read as Parquet: "
                            f"{_first_line(exc)}") from None
        return out, cols

    def rows_per_file(self, entry: Entry, rel: str) -> dict[Path, int]:
        if len(entry.files) == 1:
            return {}
        return {self._local(f): int(n) for f, n in self._all(f"SELECT _file, count(*) FROM {rel} GROUP BY _file")}
