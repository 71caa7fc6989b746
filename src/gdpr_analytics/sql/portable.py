"""The SQL subset both engines run identically, and its translation to Spark SQL (SPEC §9).

The files of queries/ are written in DuckDB's dialect, restricted to constructs that sqlglot translates
to Spark SQL with the same meaning. `to_spark` translates one text (cached: each file is translated once
per process); `problems` names every construct of a text that is outside the subset, which
tests/sql/test_portable.py runs on every file (and on the SQL the engines generate for the contract checks).

Outside the subset, and what to write instead (each seen to go wrong on DuckDB 1.4 / Spark 4.x):
- `generate_series(…) AS t(m)`: sqlglot loses the column alias. Write
  `$start + INTERVAL 1 MONTH * k FROM (VALUES (0), (1), …) AS t(k)`.
- `to_years(n)`, `timezone(zone, ts)` and any function sqlglot does not know (copied through verbatim,
  missing on Spark). Write `ts + INTERVAL 1 YEAR * $n` and `CAST(ts AS TIMESTAMPTZ) AT TIME ZONE zone`
  (Spark: FROM_UTC_TIMESTAMP, the local wall-clock time on both).
- `UNPIVOT`, `PIVOT`: DuckDB's short form is copied as is. Write one SELECT per column, UNION ALL.
- `strftime` with a letter outside its directives (`'%Y-%m-%dT%H:%M:%SZ'`): Spark's pattern would
  read the `T` and `Z` as fields. Write `strftime(x, '%Y-%m-%d') || 'T' || strftime(x, '%H:%M:%S') || 'Z'`.
- `date_diff` on timestamps: DuckDB counts calendar-day boundaries, Spark whole 24-hour periods. Write
  `date_diff('day', CAST(a AS DATE), CAST(b AS DATE))`: calendar days (UTC) on both.
- `trim(x)` without characters: DuckDB strips every Unicode space separator (U+00A0 among them), Spark
  spaces only. Write `trim(x, '<the blanks>')` with the characters given (`BLANKS`: the Unicode space
  separators, exactly what DuckDB's trim strips, so DuckDB's answers are unchanged; tab and newline are
  not blanks).
- `regexp_full_match`: write `regexp_matches` with an anchored pattern (Spark: RLIKE).
Timestamps are naive UTC on both (DuckDB TIMESTAMP, Spark TIMESTAMP_NTZ); a bound datetime parameter is
cast to TIMESTAMP_NTZ on Spark (`to_spark(sql, timestamps=…)`), so no value ever passes through the
session's time zone.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: The Unicode space separators (category Zs): what DuckDB's trim() strips. Portable SQL names them.
BLANKS = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
#: strftime directives the subset allows, and the characters that may stand between them.
_STRFTIME_OK = re.compile(r"^(%[YmdHMS]|[-: ])*$")
#: DuckDB-only functions and constructs (sqlglot node names) that sqlglot would translate wrongly.
DENIED_NODES = {
    "GenerateSeries": "generate_series (write VALUES (0), (1), … and INTERVAL 1 MONTH * k)",
    "ExplodingGenerateSeries": "generate_series (write VALUES (0), (1), … and INTERVAL 1 MONTH * k)",
    "Pivot": "PIVOT/UNPIVOT (write one SELECT per column, UNION ALL)",
    "RegexpFullMatch": "regexp_full_match (write regexp_matches with ^…$)",
    "Unnest": "unnest (no Spark equivalent with the same shape)",
    "Struct": "struct literals",
    "List": "list literals",
    "Array": "list literals ([…]: an ARRAY on Spark, a LIST on DuckDB)",
    "Lambda": "lambda functions",
}


def _parse(sql: str):
    import sqlglot

    return sqlglot.parse(sql, read="duckdb")


def problems(sql: str) -> list[str]:
    """Every construct of sql (DuckDB dialect) outside the portable subset, one line each."""
    from sqlglot import exp

    found = []
    for tree in _parse(sql):
        if tree is None:
            continue
        for node in tree.walk():
            kind = type(node).__name__
            if isinstance(node, exp.Anonymous):
                found.append(f"{node.name}(): a function sqlglot does not know, copied through to Spark as is")
            elif kind in DENIED_NODES:
                found.append(DENIED_NODES[kind])
            elif isinstance(node, exp.Trim) and node.args.get("expression") is None:
                found.append("trim() without characters (write trim(x, BLANKS): Spark strips spaces only)")
            elif isinstance(node, exp.TimeToStr):
                fmt = node.args.get("format")
                text = fmt.name if isinstance(fmt, exp.Literal) else None
                if text is None or not _STRFTIME_OK.match(text):
                    found.append(f"strftime pattern {text!r} (only %Y %m %d %H %M %S and - : space; "
                                 "concatenate literal letters with ||)")
            elif isinstance(node, (exp.DateDiff, exp.TimestampDiff)):
                unit = (node.args.get("unit").name if node.args.get("unit") is not None else "").lower()
                args = [node.this, node.expression]
                if unit.startswith("day") and not all(_is_date_cast(a) for a in args):
                    found.append("date_diff('day', …) on timestamps (cast both to DATE: calendar days on both)")
            elif isinstance(node, exp.AtTimeZone):
                if not (isinstance(node.this, exp.Cast) and node.this.to.this == exp.DataType.Type.TIMESTAMPTZ):
                    found.append("AT TIME ZONE on a value that is not CAST(… AS TIMESTAMPTZ)")
    return found


def _is_date_cast(node) -> bool:
    from sqlglot import exp

    return isinstance(node, exp.Cast) and node.to.this == exp.DataType.Type.DATE


@lru_cache(maxsize=None)
def to_spark(sql: str, timestamps: frozenset[str] = frozenset()) -> str:
    """sql (portable, DuckDB dialect, `$name` parameters) as Spark SQL (`:name` parameters); each
    parameter named in `timestamps` cast to TIMESTAMP_NTZ (naive UTC, like DuckDB's TIMESTAMP)."""
    from sqlglot import exp

    out = []
    for tree in _parse(sql):
        if tree is None:
            continue
        if timestamps:
            def ntz(node):
                if isinstance(node, exp.Placeholder) and node.name in timestamps \
                        and not isinstance(node.parent, exp.Cast):
                    return exp.cast(node.copy(), exp.DataType.build("TIMESTAMP_NTZ", dialect="spark"))
                if isinstance(node, exp.Parameter) and node.name in timestamps:
                    return exp.cast(exp.Placeholder(this=node.name), exp.DataType.build("TIMESTAMP_NTZ", dialect="spark"))
                return node
            tree = tree.transform(ntz)
        out.append(tree.sql(dialect="spark"))
    return ";\n".join(out)


def spark_functions(spark_sql: str) -> set[str]:
    """The names of the functions a Spark SQL text calls (lower case), as Spark's parser would see them."""
    import sqlglot
    from sqlglot import exp

    names = set()
    for tree in sqlglot.parse(spark_sql, read="spark"):
        if tree is None:
            continue
        for node in tree.find_all(exp.Func):
            if isinstance(node, exp.Cast):
                continue  # CAST, TRY_CAST: syntax, not functions of the registry
            if isinstance(node, exp.Anonymous):
                names.add(node.name.lower())
            else:
                text = node.sql(dialect="spark")
                m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*\(", text)
                if m:
                    names.add(m.group(1).lower())
    return names
