"""The portable SQL subset (portable.py): every file of queries/ stays inside it, the checker catches
each construct known to differ between DuckDB and Spark, and no translated file calls a function Spark
lacks (asked of a real Spark session: its function registry)."""

import pytest

from gdpr_analytics.ingest.checks import row_checks, typed_select
from gdpr_analytics.ingest.contract import TABLES
from gdpr_analytics.ingest.coverage import span_sql
from gdpr_analytics.sql import portable, queries

QUERIES = sorted(queries.all_queries().items())


def _generated() -> list[tuple[str, str]]:
    """The SQL the engines generate from the contract (the loader's checks and typed SELECT, the span)."""
    out = []
    for t in TABLES.values():
        out.append((f"typed {t.name}", f"SELECT {typed_select(t)} FROM raw_{t.name}"))
        out.append((f"span {t.name}", span_sql(t, t.name)))
        for col, what, cond in row_checks(t):
            out.append((f"check {t.name}.{col} {what}", f"SELECT count(*) FROM raw_{t.name} WHERE {cond}"))
    return out


GENERATED = _generated()


def test_there_are_queries_to_check():
    # the pack: 15 rules, their statistics, roll-ups, the ROPA's observations, explore helpers
    assert len(QUERIES) >= 36
    assert len(GENERATED) > 3 * len(TABLES)


@pytest.mark.parametrize("name,query", QUERIES, ids=[n for n, _ in QUERIES])
def test_every_query_file_is_in_the_portable_subset(name, query):
    assert portable.problems(query.sql) == []


@pytest.mark.parametrize("what,sql", GENERATED, ids=[w for w, _ in GENERATED])
def test_the_contract_checks_are_in_the_portable_subset(what, sql):
    assert portable.problems(sql) == []


# Each construct the checker must refuse, with a word its message must contain.
OUTSIDE = [
    ("SELECT m FROM generate_series(DATE '2026-01-01', DATE '2026-03-01', INTERVAL 1 MONTH) AS t(m)",
     "generate_series"),
    ("SELECT to_years(3)", "to_years"),
    ("SELECT timezone('Europe/Brussels', occurred_at) FROM access_log", "timezone"),
    ("UNPIVOT customers ON email, phone INTO NAME col VALUE v", "UNPIVOT"),
    ("SELECT strftime(occurred_at, '%Y-%m-%dT%H:%M:%SZ') FROM access_log", "strftime pattern"),
    ("SELECT date_diff('day', requested_at, closed_at) FROM requests", "date_diff"),
    ("SELECT trim(processor) FROM access_log", "trim()"),
    ("SELECT regexp_full_match(source_country, '[A-Z]{2}') FROM access_log", "regexp_full_match"),
    ("SELECT [1, 2, 3]", "list literals"),
    ("SELECT list_transform([1], x -> x + 1)", "lambda"),
]


@pytest.mark.parametrize("sql,word", OUTSIDE, ids=[w for _, w in OUTSIDE])
def test_a_construct_outside_the_subset_is_named(sql, word):
    found = portable.problems(sql)
    assert found, f"not caught: {sql}"
    assert any(word.lower() in f.lower() for f in found), found


def test_the_allowed_forms_pass_and_translate():
    ok = ("SELECT date_diff('day', CAST(a AS DATE), CAST(b AS DATE)) AS d, "
          "strftime(a, '%Y-%m-%d') || 'T' || strftime(a, '%H:%M:%S') || 'Z' AS iso, "
          f"trim(p, '{portable.BLANKS}') AS p2, a + INTERVAL 1 YEAR * $n AS later FROM t")
    assert portable.problems(ok) == []
    spark = portable.to_spark(ok, frozenset())
    assert ":n" in spark and "$n" not in spark  # named parameters as Spark names them
    assert "DATEDIFF" in spark.upper()


def test_a_timestamp_parameter_is_naive_utc_on_spark():
    text = portable.to_spark("SELECT * FROM access_log WHERE occurred_at < $month_end AND n = $k",
                             frozenset({"month_end"}))
    assert "CAST(:month_end AS TIMESTAMP_NTZ)" in text
    assert "CAST(:k" not in text


def test_no_translated_query_calls_a_function_spark_lacks(spark):
    known = {r[0].lower() for r in spark.sql("SHOW FUNCTIONS").collect()}
    assert {"date_diff", "add_months", "from_utc_timestamp", "count"} <= known  # the registry is real
    missing = {}
    for name, query in QUERIES:
        lacks = portable.spark_functions(portable.to_spark(query.sql)) - known
        if lacks:
            missing[name] = sorted(lacks)
    for what, sql in GENERATED:
        lacks = portable.spark_functions(portable.to_spark(sql)) - known
        if lacks:
            missing[what] = sorted(lacks)
    assert missing == {}


def test_the_function_check_would_catch_a_missing_function(spark):
    known = {r[0].lower() for r in spark.sql("SHOW FUNCTIONS").collect()}
    # copied through verbatim by sqlglot (it does not know it), and absent on Spark
    assert "to_years" in portable.spark_functions(portable.to_spark("SELECT to_years(3)")) - known


def test_at_time_zone_needs_a_timestamptz_cast():
    assert any("AT TIME ZONE" in p for p in portable.problems(
        "SELECT occurred_at AT TIME ZONE 'Asia/Kolkata' FROM access_log"))
    assert portable.problems(
        "SELECT CAST(occurred_at AS TIMESTAMPTZ) AT TIME ZONE 'Asia/Kolkata' FROM access_log") == []
