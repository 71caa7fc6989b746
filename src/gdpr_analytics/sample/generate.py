"""Synthetic MyStamp data for trying, testing and benchmarking the suite (`gdpr-analytics sample`).

Everything is generated in DuckDB SQL over `range()`, joined to the small Belgian reference lists of
`sample_names.py`; Python only sets parameters and loops over tables and months, never over rows.

Determinism. Every random choice is `rnd(key, 'salt')`: a hash of (seed, salt) mixed with a row key
(a row index, or a hash of the columns the choice depends on). No `random()`, no order-dependent
aggregate, and every file is written ORDER BY its key, so a seed gives the same bytes on every run
whatever the thread scheduling (tests/sample/test_sample.py regenerates `data_samples/` and compares bytes).

What the data looks like (defaults: 2,000 customers, 30,000 access events, data up to 2026-10-31):
- customers created over six years (growing), Dutch-, French- and other-named, addresses in Belgian
  municipalities (a few in NL, FR, LU), e-mails derived from the names, Belgian phones and mobiles,
  birth dates for about 60 %, gender F/M/X, VAT numbers `BE0xxx.xxx.xxx` (valid mod-97) for Pro
  accounts (about 10 %); `customer_id` is pseudonymous (`C0000123`), in order of creation;
- orders (six years) and uploads (the photos, images, drawings and texts printed on the stamps);
  orders placed in the app carry their Brussels wall-clock time with an explicit `+01:00`/`+02:00`;
- the nightly erasure job erases a customer's personal data and uploads 3 years after the last order
  (or after creation when there was none), and erasure requests are honoured;
- the processor access log over the 13 months up to `end` (bpost staff from BE, AWS service accounts
  from IE, Infosys and TCS mostly from India, some from BE/NL) in the actors' own business hours, with
  ServiceNow-style tickets (`INC…`, `CHG…`), source IPs, mostly single-record reads, some bulk;
- marketing sends (monthly newsletters, ad-platform audiences, on-site banners, quarterly post and
  phone campaigns) and data-subject requests over the last two years.

Planted findings. Each rule of SPEC §5 is broken at a low rate (well under 5 % of its subjects), and
for the month that contains `end` at least one finding per rule is forced, so the default sample has
findings for all 16 rules in 2026-10: missed erasures (RET-001/002/003), leftovers after erasure
(RET-004, RET-002), TCS reading erased customers (RET-005), an undeclared processor `wipro` (XB-001),
AWS from the US and TCS from GB (XB-002), TCS exports/deletes and Infosys on customer data (XB-003),
bulk exports from India (XB-004), Indian access without a ticket (XB-005), transfers with no transfer
impact assessment recorded (XB-006: the sample ships no evidence file), sends after an objection,
personalised sends and sends to erased customers (MKT-001/002/003), late and overdue requests
(DSR-001) and consumers with a VAT number (MIN-001).

Formats. `csv`: `<table>.csv` (header, comma, RFC 4180 quoting, empty = NULL, ISO 8601 timestamps in
UTC without offset except the app orders). `parquet`: `<table>.parquet` with the contract's types and
`access_log/month=YYYY-MM/data_0.parquet`, one file per month (the access log is generated one month
at a time, which bounds memory at any scale).
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from ..core import resources
from ..core.errors import UsageError
from ..core.progress import progress as _progress
from ..ingest.contract import TABLES
from .names import (
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LANGUAGE_MIX,
    LAST_NAMES,
    MUNICIPALITIES,
    STREETS,
    TRADES,
)

DEFAULT_CUSTOMERS = 2000
DEFAULT_EVENTS = 30_000  # access_log rows; keeps data_samples/ under 5 MB (about 4.5 MB)
DEFAULT_END = date(2026, 10, 31)
DEFAULT_SEED = 42
FORMATS = ("csv", "parquet")

HISTORY_YEARS = 6  # orders, uploads and customers
ACCESS_MONTHS = 13  # access log: the month of `end` and the 12 before it
MARKETING_MONTHS = 24  # marketing sends and data-subject requests
SLOTS = 1024  # weighted choices from a small table: join on slot = floor(rnd * SLOTS)

# --------------------------------------------------------------------------------------------------
# Macros. rnd(k, salt): uniform in [0, 1) from the seed, a salt and a row key k (any integer).
# --------------------------------------------------------------------------------------------------

_MACROS = [
    "CREATE TEMP MACRO rnd(k, salt) AS "
    "hash(xor(hash(salt, getvariable('seed')), k::UBIGINT)) / 18446744073709551616.0",
    "CREATE TEMP MACRO rint(k, salt, n) AS CAST(floor(rnd(k, salt) * n) AS BIGINT)",
    # share(k): a low-discrepancy sequence in [0, 1) (Fibonacci hashing, integer arithmetic: exact
    # everywhere): any run of consecutive keys spreads evenly over [0, 1), unlike rnd
    "CREATE TEMP MACRO share(k) AS ((CAST(k AS BIGINT) * 40503) % 65536) / 65536.0",
    # a timestamp a fraction f of the way from a to b, whole seconds
    "CREATE TEMP MACRO ts_between(a, b, f) AS make_timestamp("
    "(epoch_us(a) + CAST(floor(f * (epoch_us(b) - epoch_us(a))) AS BIGINT)) // 1000000 * 1000000)",
    "CREATE TEMP MACRO plus_s(a, s) AS a + to_seconds(CAST(s AS BIGINT))",
    # log-uniform integer in [lo, hi]
    "CREATE TEMP MACRO logu(k, salt, lo, hi) AS "
    "CAST(floor(exp(ln(lo) + rnd(k, salt) * (ln(hi + 1) - ln(lo)))) AS BIGINT)",
    # minutes Brussels is ahead of UTC at UTC instant ts (EU rule: last Sunday of March and of
    # October, 01:00 UTC); checked against the tz database in tests/sample/test_sample.py
    "CREATE TEMP MACRO last_sunday(y, m) AS make_date(y, m, 31) - CAST(dayofweek(make_date(y, m, 31)) AS INTEGER)",
    "CREATE TEMP MACRO brussels_offset(ts) AS CASE WHEN "
    "ts >= last_sunday(year(ts), 3) + INTERVAL 1 HOUR AND ts < last_sunday(year(ts), 10) + INTERVAL 1 HOUR "
    "THEN 120 ELSE 60 END",
    # the same UTC day at a Brussels wall-clock time people are awake (07:00-23:30, busiest mid-afternoon)
    "CREATE TEMP MACRO daytime(ts, k, salt) AS plus_s(date_trunc('day', ts), "
    "(420 + floor((rnd(k, salt) + rnd(k, salt || '2')) / 2 * 990) - brussels_offset(ts)) * 60 + rint(k, salt || 's', 60))",
    "CREATE TEMP MACRO iso(ts) AS strftime(ts, '%Y-%m-%dT%H:%M:%S')",
    # text without accents, spaces or punctuation, for e-mail addresses
    "CREATE TEMP MACRO mailpart(txt) AS regexp_replace(lower(strip_accents(txt)), '[^a-z0-9]', '', 'g')",
    "CREATE TEMP MACRO digits(k, salt, n) AS lpad(CAST(rint(k, salt, CAST(10 ** n AS BIGINT)) AS VARCHAR), n, '0')",
]

# --------------------------------------------------------------------------------------------------
# Reference tables and their slot tables (weighted choice by equality join).
# --------------------------------------------------------------------------------------------------


def _slots_sql(name: str, groups: str, payload: str) -> str:
    """<name>_slots(<groups>, slot, <payload>) from <name>(<groups>, ord, weight, <payload>):
    SLOTS slots per group, each row owning a share of slots proportional to its weight."""
    g = f"{groups}, " if groups else ""
    part = f"PARTITION BY {groups}" if groups else ""
    return f"""
    CREATE TEMP TABLE {name}_slots AS
    WITH w AS (
        SELECT *, sum(weight) OVER ({part} ORDER BY ord ROWS UNBOUNDED PRECEDING) AS w_hi,
               sum(weight) OVER ({part}) AS w_all
        FROM {name}
    ), b AS (
        SELECT *, (w_hi - weight) * {SLOTS} // w_all AS s_lo, w_hi * {SLOTS} // w_all AS s_hi FROM w
    )
    SELECT {g}s.range AS slot, {payload}
    FROM b JOIN range({SLOTS}) s ON s.range >= b.s_lo AND s.range < b.s_hi
    """


def _reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    def table(name: str, columns: str, rows: list[tuple]) -> None:
        con.execute(f"CREATE TEMP TABLE {name} ({columns})")
        con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(rows[0]))})", rows)

    # names: popularity falls with the position in the list (weight 1000 / (position + 8))
    def ranked(rows: list[tuple], group_len: int) -> list[tuple]:
        out, seen = [], {}
        for r in rows:
            k = seen.get(r[:group_len], 0)
            seen[r[:group_len]] = k + 1
            out.append((*r, k, 1000 // (k + 8)))
        return out

    table("first_names", "lang VARCHAR, gender VARCHAR, name VARCHAR, ord INTEGER, weight INTEGER",
          ranked(FIRST_NAMES, 2))
    table("last_names", "lang VARCHAR, name VARCHAR, ord INTEGER, weight INTEGER", ranked(LAST_NAMES, 1))
    table("streets", "lang VARCHAR, name VARCHAR, ord INTEGER, weight INTEGER", ranked(STREETS, 1))
    table("municipalities", "country VARCHAR, postal_code VARCHAR, city_nl VARCHAR, city_fr VARCHAR, "
          "region VARCHAR, zone VARCHAR, weight INTEGER, ord INTEGER",
          [(*m, k) for k, m in enumerate(MUNICIPALITIES)])
    table("languages", "region VARCHAR, lang VARCHAR, weight INTEGER, ord INTEGER",
          [(*m, k) for k, m in enumerate(LANGUAGE_MIX)])
    table("email_domains", "domain VARCHAR, weight INTEGER, ord INTEGER",
          [(*m, k) for k, m in enumerate(EMAIL_DOMAINS)])
    table("trades", "trade VARCHAR, weight INTEGER, ord INTEGER", [(t, 1, k) for k, t in enumerate(TRADES)])
    con.execute(_slots_sql("first_names", "lang, gender", "name"))
    con.execute(_slots_sql("last_names", "lang", "name"))
    con.execute(_slots_sql("streets", "lang", "name"))
    con.execute(_slots_sql("municipalities", "", "country, postal_code, city_nl, city_fr, region, zone"))
    con.execute(_slots_sql("languages", "region", "lang"))
    con.execute(_slots_sql("email_domains", "", "domain"))
    con.execute(_slots_sql("trades", "", "trade"))


# --------------------------------------------------------------------------------------------------
# Customers, orders, uploads
# --------------------------------------------------------------------------------------------------

# Step 1: who the customers are and how they behave (before their orders exist).
_CUSTOMERS_BASE = f"""
CREATE TEMP TABLE c_base AS
WITH r AS (
    SELECT range AS i,
           -- position in the customer base; sign-ups grow linearly over the six years:
           -- density 1 + 2t, so t solves (t + t^2) / 2 = position
           (range + rnd(range, 'c.pos')) / getvariable('n_customers') AS pos
    FROM range(getvariable('n_customers'))
), t AS (
    SELECT *, daytime(ts_between(getvariable('t0') + INTERVAL 1 DAY, getvariable('end_ts') - INTERVAL 1 DAY,
                                 (sqrt(1 + 8 * pos) - 1) / 2), i, 'c.time') AS created_at
    FROM r
), m AS (
    SELECT t.*, mu.country, mu.postal_code, mu.city_nl, mu.city_fr, mu.region, mu.zone
    FROM t JOIN municipalities_slots mu ON mu.slot = rint(t.i, 'c.city', {SLOTS})
), l AS (
    SELECT m.*, la.lang,
           CASE WHEN rnd(m.i, 'c.pro') < 0.10 THEN 'pro' ELSE 'consumer' END AS account_type,
           CASE WHEN rnd(m.i, 'c.gender') < 0.49 THEN 'F' WHEN rnd(m.i, 'c.gender') < 0.98 THEN 'M' ELSE 'X' END AS gender
    FROM m JOIN languages_slots la ON la.region = m.region AND la.slot = rint(m.i, 'c.lang', {SLOTS})
)
SELECT l.i, printf('C%07d', row_number() OVER (ORDER BY l.created_at, l.i)) AS customer_id, l.account_type, l.created_at,
       fn.name AS first_name, ln.name AS last_name, l.gender, l.lang,
       l.country, l.postal_code, l.region, l.zone,
       CASE WHEN l.region = 'VL' OR (l.region IN ('BX', 'NL') AND l.lang = 'nl') THEN l.city_nl ELSE l.city_fr END AS city,
       CASE WHEN l.region IN ('VL', 'NL') OR (l.region = 'BX' AND l.lang = 'nl') THEN 'nl' ELSE 'fr' END AS street_lang,
       -- orders: 12 % never order; the others a geometric-like number, Pro customers more
       CASE WHEN rnd(l.i, 'c.noorder') < 0.12 THEN 0
            ELSE 1 + least(60, CAST(floor(-ln(1 - rnd(l.i, 'c.norders'))
                                         * CASE l.account_type WHEN 'pro' THEN 6.0 ELSE 1.6 END) AS INTEGER))
       END AS n_orders,
       -- how long the customer stays active (days)
       -ln(1 - rnd(l.i, 'c.life')) * CASE l.account_type WHEN 'pro' THEN 1300 ELSE 650 END AS life_days,
       -- erasure request (Art. 17) some time in the last two years
       CASE WHEN rnd(l.i, 'c.erq') < 0.012
            THEN daytime(ts_between(greatest(l.created_at + INTERVAL 1 DAY, getvariable('dsr_start')),
                                    getvariable('end_ts') - INTERVAL 1 DAY, rnd(l.i, 'c.erq.t')), l.i, 'c.erq.time')
       END AS erq_at,
       rnd(l.i, 'c.obj') < 0.07 AS objects
FROM l
JOIN first_names_slots fn ON fn.lang = l.lang AND fn.gender = l.gender AND fn.slot = rint(l.i, 'c.first', {SLOTS})
JOIN last_names_slots ln ON ln.lang = l.lang AND ln.slot = rint(l.i, 'c.last', {SLOTS})
"""

# Step 2: orders. The first order comes with the account (mostly within the hour); later ones spread
# over the customer's active life, which ends early when they ask to be erased.
_ORDERS = """
CREATE TEMP TABLE o_all AS
WITH c AS (
    SELECT *, least(plus_s(created_at, life_days * 86400), coalesce(erq_at, getvariable('end_ts')),
                    getvariable('end_ts')) AS active_end
    FROM c_base WHERE n_orders > 0
), k AS (
    SELECT i, customer_id, account_type, created_at, active_end, erq_at, unnest(range(n_orders)) AS k FROM c
), t AS (
    SELECT *, hash(i, k) AS ok,
           CASE WHEN k = 0 AND rnd(hash(i, k), 'o.quick') < 0.85
                THEN plus_s(created_at, 120 + rint(hash(i, k), 'o.first', 3600))
                WHEN k = 0 THEN plus_s(created_at, rint(hash(i, k), 'o.first', 30 * 86400))
                ELSE greatest(plus_s(created_at, 300),
                              daytime(ts_between(created_at, active_end, rnd(hash(i, k), 'o.when')), hash(i, k), 'o.time'))
           END AS ordered_at
    FROM k
)
SELECT i, customer_id, k, ok, ordered_at,
       CASE WHEN account_type = 'pro' AND rnd(ok, 'o.product') < 0.92 THEN 'mystamp_pro' ELSE 'mystamp' END AS product,
       CASE WHEN rnd(ok, 'o.channel') < 0.20 THEN 'app' ELSE 'web' END AS channel,
       CASE WHEN account_type = 'pro' THEN 5 + CAST(floor(rnd(ok, 'o.qty') ** 2 * 195) AS INTEGER)
            ELSE 1 + CAST(floor(rnd(ok, 'o.qty') ** 3 * 10) AS INTEGER) END AS quantity,
       CASE WHEN ordered_at >= getvariable('end_ts') - INTERVAL 3 DAY
            THEN CASE WHEN rnd(ok, 'o.status') < 0.7 THEN 'paid' ELSE 'shipped' END
            WHEN rnd(ok, 'o.status') < 0.055 THEN 'cancelled'
            WHEN rnd(ok, 'o.status') < 0.09 THEN 'refunded'
            ELSE 'shipped' END AS status
FROM t
WHERE ordered_at < least(getvariable('end_ts'), coalesce(erq_at, getvariable('end_ts')))
  AND (k = 0 OR ordered_at < active_end)
"""

# Step 3: the customers as they stand at `end`: erasure (retention job, requests), objections, the
# personal data (NULL once erased), and the planted breaches.
_CUSTOMERS = f"""
CREATE TEMP TABLE c_final AS
WITH last AS (
    SELECT i, max(ordered_at) AS last_order_at FROM o_all GROUP BY i
), d AS (
    SELECT c.*, last.last_order_at,
           coalesce(last.last_order_at, c.created_at) + INTERVAL 3 YEAR AS deadline
    FROM c_base c LEFT JOIN last USING (i)
), j AS (
    SELECT d.*,
           -- the nightly erasure job (01:30 UTC) erases what passed its deadline the day before
           plus_s(date_trunc('day', deadline) + INTERVAL 1 DAY + INTERVAL 90 MINUTE, rint(i, 'c.job', 2400)) AS job_at,
           -- the job misses a few customers (RET-001 with orders, RET-003 without)
           rnd(i, 'c.miss') < 0.03 AS missed
    FROM d
), q AS (
    -- an erasure request counts only while the customer is still there; it is closed 2-20 days later
    SELECT j.*,
           CASE WHEN erq_at < job_at AND erq_at < getvariable('end_ts') THEN erq_at END AS erq_ok,
           CASE WHEN erq_at < job_at AND erq_at < getvariable('end_ts')
                THEN plus_s(erq_at, 2 * 86400 + rint(i, 'c.erq.close', 18 * 86400)) END AS erq_closed_at
    FROM j
), forced AS (
    -- at least one missed erasure with and one without orders, due before the last month
    SELECT (SELECT arg_min(i, hash(i, getvariable('seed'), 'f.ret001')) FROM q
            WHERE last_order_at IS NOT NULL AND deadline < getvariable('month_start') AND erq_ok IS NULL) AS ret001,
           (SELECT arg_min(i, hash(i, getvariable('seed'), 'f.ret003')) FROM q
            WHERE last_order_at IS NULL AND deadline < getvariable('month_start') AND erq_ok IS NULL) AS ret003
), e AS (
    SELECT q.*,
           CASE WHEN least(CASE WHEN missed OR i IN (f.ret001, f.ret003) THEN NULL ELSE job_at END,
                           erq_closed_at) < getvariable('end_ts')
                THEN least(CASE WHEN missed OR i IN (f.ret001, f.ret003) THEN NULL ELSE job_at END, erq_closed_at)
           END AS erased_at
    FROM q, forced f
), forced2 AS (
    SELECT (SELECT arg_min(i, hash(i, getvariable('seed'), 'f.ret004')) FROM e WHERE erased_at IS NOT NULL) AS ret004,
           (SELECT arg_min(i, hash(i, getvariable('seed'), 'f.min001')) FROM e
            WHERE erased_at IS NULL AND account_type = 'consumer') AS min001
), p AS (
    SELECT e.*,
           -- leftovers after erasure (RET-004): an e-mail copy or a mobile number survives
           erased_at IS NOT NULL AND (rnd(i, 'c.leftover') < 0.01 OR i = f2.ret004) AS leftover,
           -- a consumer who typed a VAT number anyway (MIN-001)
           account_type = 'pro' AND rnd(i, 'c.vat') < 0.96
             OR account_type = 'consumer' AND (rnd(i, 'c.vat') < 0.003 OR i = f2.min001) AS has_vat,
           CASE WHEN objects THEN greatest(plus_s(created_at, 3600), daytime(ts_between(created_at,
                coalesce(erased_at, getvariable('end_ts')) - INTERVAL 1 DAY, rnd(i, 'c.obj.t')), i, 'c.obj.time')) END AS objection_at,
           rnd(i, 'c.mail.sep') AS r_sep
    FROM e, forced2 f2
), pd AS (
    -- the personal data as collected
    SELECT p.*,
           CASE WHEN country = 'FR' THEN CAST(1 + rint(i, 'c.nr', 120) AS VARCHAR) || ' ' || st.name
                WHEN country = 'LU' THEN CAST(1 + rint(i, 'c.nr', 120) AS VARCHAR) || ', ' || st.name
                ELSE st.name || ' ' || CAST(1 + CAST(floor(rnd(i, 'c.nr') ** 2 * 180) AS INTEGER) AS VARCHAR)
           END AS street0,
           CASE WHEN account_type = 'pro' THEN
                     mailpart(first_name) || '@' || mailpart(last_name) || '-' || tr.trade || '.'
                     || CASE country WHEN 'BE' THEN 'be' WHEN 'NL' THEN 'nl' WHEN 'FR' THEN 'fr' ELSE 'lu' END
                ELSE CASE WHEN r_sep < 0.55 THEN mailpart(first_name) || '.' || mailpart(last_name)
                          WHEN r_sep < 0.70 THEN mailpart(first_name) || mailpart(last_name)
                          WHEN r_sep < 0.78 THEN mailpart(first_name) || '_' || mailpart(last_name)
                          ELSE left(mailpart(first_name), 1) || mailpart(last_name) END
                     || CASE WHEN rnd(i, 'c.mail.nr') < 0.3 THEN digits(i, 'c.mail.d', 2) ELSE '' END
                     || '@' || dom.domain
           END AS email0,
           CASE WHEN rnd(i, 'c.birth') < CASE account_type WHEN 'pro' THEN 0.35 ELSE 0.62 END
                THEN CAST(created_at AS DATE)
                     - CAST(floor((18 + rnd(i, 'c.age') ** 1.4 * 67) * 365.25) AS INTEGER) END AS birth0,
           CASE WHEN rnd(i, 'c.phone') < CASE account_type WHEN 'pro' THEN 0.7 ELSE 0.25 END THEN
                CASE country
                    WHEN 'BE' THEN '+32 ' || zone || ' ' ||
                        CASE WHEN length(zone) = 1
                             THEN digits(i, 'c.ph1', 3) || ' ' || digits(i, 'c.ph2', 2) || ' ' || digits(i, 'c.ph3', 2)
                             ELSE digits(i, 'c.ph1', 2) || ' ' || digits(i, 'c.ph2', 2) || ' ' || digits(i, 'c.ph3', 2) END
                    WHEN 'NL' THEN '+31 ' || zone || ' ' || digits(i, 'c.ph1', 3) || ' ' || digits(i, 'c.ph2', 4)
                    WHEN 'FR' THEN '+33 ' || zone || ' ' || digits(i, 'c.ph1', 2) || ' ' || digits(i, 'c.ph2', 2)
                                   || ' ' || digits(i, 'c.ph3', 2) || ' ' || digits(i, 'c.ph4', 2)
                    ELSE '+352 ' || digits(i, 'c.ph1', 2) || ' ' || digits(i, 'c.ph2', 2) || ' ' || digits(i, 'c.ph3', 2)
                END END AS phone0,
           CASE WHEN rnd(i, 'c.mobile') < 0.76 THEN
                CASE country
                    WHEN 'BE' THEN '+32 4' || CAST([70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 83, 84, 85, 86, 87, 88, 89,
                                                    91, 92, 93, 94, 95, 96, 97, 98, 99, 65, 66, 67, 68][1 + rint(i, 'c.mob', 30)] AS VARCHAR)
                                   || ' ' || digits(i, 'c.mb1', 2) || ' ' || digits(i, 'c.mb2', 2) || ' ' || digits(i, 'c.mb3', 2)
                    WHEN 'NL' THEN '+31 6 ' || digits(i, 'c.mb1', 4) || ' ' || digits(i, 'c.mb2', 4)
                    WHEN 'FR' THEN '+33 6 ' || digits(i, 'c.mb1', 2) || ' ' || digits(i, 'c.mb2', 2) || ' '
                                   || digits(i, 'c.mb3', 2) || ' ' || digits(i, 'c.mb4', 2)
                    ELSE '+352 621 ' || digits(i, 'c.mb1', 3) || ' ' || digits(i, 'c.mb2', 3)
                END END AS mobile0,
           -- Belgian enterprise number: 0 + 7 digits + mod-97 check digits
           2000000 + rint(i, 'c.vat.nr', 7000000) AS vat7
    FROM p
    JOIN streets_slots st ON st.lang = p.street_lang AND st.slot = rint(p.i, 'c.street', {SLOTS})
    JOIN email_domains_slots dom ON dom.slot = rint(p.i, 'c.domain', {SLOTS})
    JOIN trades_slots tr ON tr.slot = rint(p.i, 'c.trade', {SLOTS})
), addr AS (
    SELECT pd.*,
           CASE WHEN rnd(i, 'c.box') < 0.003 THEN
                     -- a residence name on its own line (quotes and a line break in the CSV field)
                     CASE street_lang WHEN 'nl' THEN 'Residentie "' ELSE 'Résidence "' END
                     || ['Ter Linden', 'Les Tilleuls', 'Belvédère', 'De Zonnewijzer', 'Les Jardins'][1 + rint(i, 'c.res', 5)]
                     || '"' || chr(10) || street0
                WHEN rnd(i, 'c.box') < 0.02 THEN street0 || ', ' || CASE street_lang WHEN 'nl' THEN 'bus ' ELSE 'bte ' END
                     || CAST(1 + rint(i, 'c.boxnr', 30) AS VARCHAR)
                WHEN rnd(i, 'c.box') < 0.12 THEN street0 || ' ' || CASE street_lang WHEN 'nl' THEN 'bus ' ELSE 'bte ' END
                     || CAST(1 + rint(i, 'c.boxnr', 30) AS VARCHAR)
                ELSE street0 END AS street1,
           'BE0' || CAST(vat7 AS VARCHAR) || lpad(CAST(97 - vat7 % 97 AS VARCHAR), 2, '0') AS vat10
    FROM pd
)
SELECT i, customer_id, account_type, created_at, erased_at, erq_ok, erq_closed_at, last_order_at, deadline,
       CASE WHEN objection_at < getvariable('end_ts') THEN objection_at END AS marketing_objection_at,
       erased_at IS NULL AS live,
       CASE WHEN erased_at IS NULL THEN first_name END AS first_name,
       CASE WHEN erased_at IS NULL THEN last_name END AS last_name,
       CASE WHEN erased_at IS NULL THEN street1 END AS street,
       CASE WHEN erased_at IS NULL THEN postal_code END AS postal_code,
       CASE WHEN erased_at IS NULL THEN city END AS city,
       CASE WHEN erased_at IS NULL THEN country END AS country_code,
       CASE WHEN erased_at IS NULL OR (leftover AND rnd(i, 'c.leftover.kind') < 0.7) THEN email0 END AS email,
       CASE WHEN erased_at IS NULL THEN birth0 END AS birth_date,
       CASE WHEN erased_at IS NULL THEN gender END AS gender,
       CASE WHEN erased_at IS NULL THEN phone0 END AS phone,
       CASE WHEN erased_at IS NULL OR (leftover AND rnd(i, 'c.leftover.kind') >= 0.7) THEN mobile0 END AS mobile,
       CASE WHEN erased_at IS NULL AND has_vat
            THEN substr(vat10, 1, 6) || '.' || substr(vat10, 7, 3) || '.' || substr(vat10, 10, 3) END AS vat_number
FROM addr
"""

# Step 4: uploads. One to three per order, uploaded just before ordering, and some drafts that never
# became an order. Erased with the customer, except a few left behind in storage (RET-002).
_UPLOADS = """
CREATE TEMP TABLE u_final AS
WITH per_order AS (
    SELECT o.i, o.customer_id, o.order_id, o.ordered_at, o.ok,
           unnest(range(CASE WHEN rnd(o.ok, 'u.n') < 0.85 THEN 1 WHEN rnd(o.ok, 'u.n') < 0.95 THEN 2 ELSE 3 END)) AS k
    FROM orders_out o
), from_orders AS (
    SELECT p.i, p.customer_id, p.order_id, hash(p.ok, p.k) AS uk,
           ts_between(greatest(c.created_at, plus_s(p.ordered_at, -3 * 3600)), plus_s(p.ordered_at, -30),
                      rnd(hash(p.ok, p.k), 'u.before')) AS uploaded_at
    FROM per_order p JOIN c_final c USING (i)
), drafts AS (
    SELECT c.i, c.customer_id, NULL::VARCHAR AS order_id, hash(c.i, 'draft') AS uk,
           greatest(plus_s(c.created_at, 60),
                    daytime(ts_between(c.created_at, coalesce(c.erased_at, getvariable('end_ts')) - INTERVAL 1 DAY,
                                       rnd(c.i, 'u.draft.t')), c.i, 'u.draft.time')) AS uploaded_at
    FROM c_final c
    WHERE rnd(c.i, 'u.draft') < CASE WHEN c.last_order_at IS NULL THEN 0.4 ELSE 0.12 END
), u AS (
    SELECT * FROM from_orders UNION ALL SELECT * FROM drafts
), kinds AS (
    SELECT u.*,
           CASE WHEN rnd(uk, 'u.kind') < 0.72 THEN 'photo' WHEN rnd(uk, 'u.kind') < 0.86 THEN 'image'
                WHEN rnd(uk, 'u.kind') < 0.93 THEN 'drawing' ELSE 'text' END AS kind
    FROM u
), forced AS (
    SELECT arg_min(uk, hash(uk, getvariable('seed'), 'f.ret002')) AS ret002
    FROM kinds JOIN c_final c USING (i) WHERE c.erased_at IS NOT NULL
)
SELECT k.customer_id, k.order_id, k.uploaded_at, k.kind, k.uk,
       CASE kind WHEN 'photo' THEN CASE WHEN rnd(uk, 'u.persons') < 0.85 THEN true WHEN rnd(uk, 'u.persons') < 0.97 THEN false END
                 WHEN 'image' THEN CASE WHEN rnd(uk, 'u.persons') < 0.30 THEN true WHEN rnd(uk, 'u.persons') < 0.95 THEN false END
                 WHEN 'drawing' THEN CASE WHEN rnd(uk, 'u.persons') < 0.20 THEN true WHEN rnd(uk, 'u.persons') < 0.95 THEN false END
                 ELSE CASE WHEN rnd(uk, 'u.persons') < 0.95 THEN false END END AS depicts_persons,
       CASE kind WHEN 'photo' THEN logu(uk, 'u.size', 400000, 12000000)
                 WHEN 'image' THEN logu(uk, 'u.size', 50000, 4000000)
                 WHEN 'drawing' THEN logu(uk, 'u.size', 100000, 3000000)
                 ELSE logu(uk, 'u.size', 40, 600) END AS size_bytes,
       CASE WHEN c.erased_at IS NOT NULL AND (rnd(uk, 'u.leftover') < 0.01 OR uk = f.ret002) THEN NULL
            ELSE c.erased_at END AS erased_at
FROM kinds k JOIN c_final c USING (i), forced f
"""

# --------------------------------------------------------------------------------------------------
# Marketing sends and data-subject requests (last two years)
# --------------------------------------------------------------------------------------------------

_CAMPAIGNS = """
CREATE TEMP TABLE campaigns AS
WITH months AS (
    SELECT m AS month_start, month(m) AS mo
    FROM generate_series(getvariable('mkt_start'), getvariable('month_start'), INTERVAL 1 MONTH) g(m)
), c AS (
    SELECT month_start, 'NL' AS code, 'email' AS channel, 4 AS day, 0.16 AS share FROM months
    UNION ALL SELECT month_start, 'AD', 'ad_platform', 11, 0.06 FROM months
    UNION ALL SELECT month_start, 'WEB', 'onsite', 18, 0.03 FROM months
    UNION ALL SELECT month_start, 'POST', 'post', 8, 0.10 FROM months WHERE mo IN (3, 6, 9, 11)
    UNION ALL SELECT month_start, 'TEL', 'phone', 14, 0.012 FROM months WHERE mo IN (1, 5, 10)
)
SELECT 'CMP-' || strftime(month_start, '%Y%m') || '-' || code AS campaign_id, channel, share,
       plus_s(month_start + to_days(day), 7 * 3600 + rint(hash(month_start, code), 'm.start', 3 * 3600)) AS starts_at,
       month_start = getvariable('month_start') AS last_month
FROM c
WHERE plus_s(month_start + to_days(day), 7 * 3600) < getvariable('end_ts') - INTERVAL 1 DAY
"""

_SENDS = """
CREATE TEMP TABLE s_final AS
WITH pairs AS (
    SELECT c.i, c.customer_id, c.created_at, c.erased_at, c.marketing_objection_at, c.email, c.phone, c.mobile,
           m.campaign_id, m.channel, m.starts_at, m.last_month, hash(c.i, m.campaign_id) AS sk
    FROM c_final c JOIN campaigns m ON c.created_at < m.starts_at
    WHERE rnd(hash(c.i, m.campaign_id), 'm.target') < m.share
), t AS (
    SELECT *,
           CASE channel WHEN 'onsite' THEN plus_s(starts_at, rint(sk, 'm.at', 10 * 86400))
                        WHEN 'post' THEN starts_at
                        ELSE plus_s(starts_at, rint(sk, 'm.at', 4 * 3600)) END AS sent_at
    FROM pairs
), ok AS (
    SELECT * FROM t
    WHERE sent_at < getvariable('end_ts')
      AND (channel <> 'phone' OR coalesce(phone, mobile) IS NOT NULL)
      -- suppression lists: objections and erasures, with rare slips (MKT-001, MKT-003)
      AND (marketing_objection_at IS NULL OR marketing_objection_at > sent_at
           OR (channel = 'email' AND rnd(sk, 'm.slip.obj') < 0.04))
      AND (erased_at IS NULL OR erased_at > sent_at
           OR (channel = 'ad_platform' AND rnd(sk, 'm.slip.erased') < 0.01))
), forced_pick AS (
    -- in the last month: one send after an objection, one to an erased customer (SPEC §5 MKT-001/003)
    SELECT (SELECT arg_min(i, hash(i, getvariable('seed'), 'f.mkt001')) FROM c_final
            WHERE marketing_objection_at < getvariable('month_start') AND erased_at IS NULL) AS mkt001,
           (SELECT arg_min(i, hash(i, getvariable('seed'), 'f.mkt003')) FROM c_final
            WHERE erased_at < getvariable('month_start')) AS mkt003
), forced AS (
    SELECT c.i, c.customer_id, m.campaign_id, m.channel, hash(c.i, m.campaign_id) AS sk,
           plus_s(m.starts_at, 1800 + rint(c.i, 'm.f.at', 3600)) AS sent_at
    FROM forced_pick f
    JOIN c_final c ON c.i = f.mkt001 OR c.i = f.mkt003
    JOIN campaigns m ON m.last_month AND m.channel = CASE WHEN c.i = f.mkt001 THEN 'email' ELSE 'ad_platform' END
    WHERE plus_s(m.starts_at, 5400) < getvariable('end_ts')
), all_sends AS (
    SELECT i, customer_id, campaign_id, channel, sk, sent_at FROM ok
    UNION
    SELECT i, customer_id, campaign_id, channel, sk, sent_at FROM forced
), p AS (
    SELECT *, (SELECT arg_min(sk, hash(sk, getvariable('seed'), 'f.mkt002')) FROM all_sends
               WHERE channel = 'ad_platform' AND sent_at >= getvariable('month_start')) AS mkt002
    FROM all_sends
)
SELECT customer_id, sent_at, channel, campaign_id, sk,
       -- a retargeting test that used personal profiles (MKT-002)
       (channel IN ('ad_platform', 'onsite') AND rnd(sk, 'm.personal') < 0.006) OR sk = mkt002 AS personalised
FROM p
"""

_REQUESTS = """
CREATE TEMP TABLE r_final AS
WITH erasure AS (
    SELECT i, customer_id, erq_ok AS received_at, 'erasure' AS "right", hash(i, 'erq') AS rk,
           erq_closed_at AS closed_at0, 'fulfilled' AS outcome0
    FROM c_final WHERE erq_ok IS NOT NULL AND erq_ok >= getvariable('dsr_start')
), objection AS (
    SELECT i, customer_id, marketing_objection_at, 'objection', hash(i, 'obj'),
           plus_s(marketing_objection_at, 3600 + rint(i, 'r.obj.close', 5 * 86400)), 'fulfilled'
    FROM c_final
    WHERE marketing_objection_at >= getvariable('dsr_start') AND rnd(i, 'r.obj.dsr') < 0.45
), other AS (
    SELECT i, customer_id,
           greatest(plus_s(created_at, 3600), daytime(ts_between(greatest(created_at, getvariable('dsr_start')),
                    coalesce(erased_at, getvariable('end_ts')) - INTERVAL 1 DAY, rnd(i, 'r.other.t')), i, 'r.other.time')) AS received_at,
           CASE WHEN rnd(i, 'r.right') < 0.52 THEN 'access' WHEN rnd(i, 'r.right') < 0.78 THEN 'rectification'
                WHEN rnd(i, 'r.right') < 0.90 THEN 'portability' WHEN rnd(i, 'r.right') < 0.97 THEN 'restriction'
                ELSE 'erasure' END,
           hash(i, 'other'), NULL::TIMESTAMP, NULL
    FROM c_final
    WHERE rnd(i, 'r.other') < 0.025 AND coalesce(erased_at, getvariable('end_ts')) > greatest(created_at, getvariable('dsr_start'))
), anonymous AS (
    -- requests from people who could not be identified as customers
    SELECT NULL::BIGINT, NULL::VARCHAR,
           daytime(ts_between(getvariable('dsr_start'), getvariable('end_ts') - INTERVAL 1 DAY, rnd(range, 'r.anon.t')), range, 'r.anon.time'),
           CASE WHEN rnd(range, 'r.anon.right') < 0.6 THEN 'access' ELSE 'erasure' END,
           hash(range, 'anon'), NULL::TIMESTAMP, NULL
    FROM range(getvariable('n_customers') // 400 + 1)
), forced AS (
    -- one request closed late in the last month (DSR-001)
    SELECT i, customer_id, plus_s(getvariable('month_start') - INTERVAL 40 DAY, 9 * 3600 + rint(i, 'r.f.t', 8 * 3600)),
           'access', hash(i, 'forced'),
           least(plus_s(getvariable('month_start') + INTERVAL 2 DAY, 10 * 3600), getvariable('end_ts') - INTERVAL 1 HOUR),
           'fulfilled'
    FROM c_final
    WHERE i = (SELECT arg_min(i, hash(i, getvariable('seed'), 'f.dsr001')) FROM c_final
               WHERE erased_at IS NULL AND created_at < getvariable('month_start') - INTERVAL 60 DAY)
), r AS (
    SELECT * FROM erasure UNION ALL SELECT * FROM objection UNION ALL SELECT * FROM other
    UNION ALL SELECT * FROM anonymous UNION ALL SELECT * FROM forced
), x AS (
    SELECT r.*, rnd(rk, 'r.ext') < 0.06 AND closed_at0 IS NULL AS extended,
           rnd(rk, 'r.late') AS r_late
    FROM r
), c AS (
    SELECT x.*,
           coalesce(closed_at0,
                    CASE WHEN r_late < 0.03   -- closed after the deadline
                         THEN plus_s(received_at + CASE WHEN extended THEN INTERVAL 3 MONTH ELSE INTERVAL 1 MONTH END,
                                     86400 + rint(rk, 'r.late.d', 20 * 86400))
                         WHEN r_late < 0.04 THEN NULL  -- forgotten: still open
                         WHEN extended THEN plus_s(received_at, 35 * 86400 + rint(rk, 'r.close', 50 * 86400))
                         ELSE plus_s(received_at, 86400 + rint(rk, 'r.close', 25 * 86400)) END) AS closed_at1
    FROM x
)
SELECT customer_id, received_at, "right", extended, rk,
       CASE WHEN closed_at1 < getvariable('end_ts') THEN closed_at1 END AS closed_at,
       CASE WHEN closed_at1 < getvariable('end_ts') THEN
            coalesce(outcome0, CASE WHEN customer_id IS NULL THEN 'refused'
                                    WHEN rnd(rk, 'r.outcome') < 0.88 THEN 'fulfilled'
                                    WHEN rnd(rk, 'r.outcome') < 0.96 THEN 'refused'
                                    ELSE 'manifestly_unfounded' END) END AS outcome
FROM c
WHERE received_at < getvariable('end_ts')
"""

# --------------------------------------------------------------------------------------------------
# Access log (generated one month at a time)
# --------------------------------------------------------------------------------------------------

# Actors: (processor, country, how many, id prefix, digits or fixed names, normal pool?)
_ACTORS = [
    ("bpost", "BE", 40, "bp", 6, True),
    ("tcs", "IN", 64, "tcs", 7, True),
    ("tcs", "BE", 10, "tcs", 7, True),
    ("tcs", "NL", 5, "tcs", 7, True),
    ("tcs", "GB", 3, "tcs", 7, False),
    ("infosys", "IN", 24, "infy", 6, True),
    ("infosys", "BE", 5, "infy", 6, True),
    ("aws", "IE", 6, "aws:", 0, True),
    ("aws", "US", 2, "aws:", 0, False),
    ("wipro", "IN", 4, "wipro", 6, False),
]
_AWS_NAMES = {"IE": ["svc-backup", "svc-patch-manager", "svc-cloudwatch", "svc-rds-maintenance",
                     "svc-ssm-session", "support-eu-ops"],
              "US": ["support-us-ops", "svc-global-ops"]}
_IP_PREFIXES = {
    "BE": ["193.191", "194.78", "81.246", "91.183"],
    "IN": ["14.140", "115.113", "203.199", "49.248"],
    "NL": ["145.131", "31.201"],
    "GB": ["81.145", "51.148"],
    "IE": ["52.208", "34.240", "54.72"],
    "US": ["54.85", "3.80", "52.4"],
}

_ACTOR_TABLES = f"""
CREATE TEMP TABLE actors AS
WITH a AS (
    -- k: number within (processor, country); kp: within the processor (keeps staff numbers unique)
    SELECT s.processor, s.country, s.prefix, s.digits, s.normal, s.n, g.range AS k,
           row_number() OVER (PARTITION BY s.processor ORDER BY s.country, g.range) AS kp,
           hash(s.processor, s.country, g.range) AS ak
    FROM actor_spec s JOIN range(100) g ON g.range < s.n
)
SELECT processor, country, normal, k, ak,
       CASE WHEN digits = 0 THEN prefix || (SELECT name FROM aws_names w WHERE w.country = a.country AND w.k = a.k)
            ELSE prefix || CAST(CAST(10 ** (digits - 1) AS BIGINT) * 2
                                + kp * (CAST(10 ** (digits - 1) AS BIGINT) // 120)
                                + rint(ak, 'a.id', CAST(10 ** (digits - 1) AS BIGINT) // 120) AS VARCHAR) END AS actor_id,
       (SELECT list(p ORDER BY j) FROM ip_prefixes ip WHERE ip.country = a.country) AS prefixes
FROM a;

-- one integer key per (actor pool, slot): pool * SLOTS + slot (see _ACTOR_POOLS)
CREATE TEMP TABLE actor_slots AS
WITH pools AS (
    SELECT processor, 'normal' AS pool, actor_id, country, ak, prefixes FROM actors WHERE normal
    UNION ALL SELECT processor, country, actor_id, country, ak, prefixes FROM actors
), r AS (
    SELECT pools.*, ap.code, row_number() OVER (PARTITION BY ap.code ORDER BY actor_id) - 1 AS k,
           count(*) OVER (PARTITION BY ap.code) AS n
    FROM pools JOIN actor_pools ap USING (processor, pool)
)
SELECT r.code * {SLOTS} + s.range AS akey, r.processor, r.actor_id, r.country,
       r.prefixes[1 + rint(r.ak, 'a.net', len(r.prefixes))] || '.' || CAST(rint(r.ak, 'a.net3', 256) AS VARCHAR) AS ip_prefix
FROM r JOIN range({SLOTS}) s ON s.range * r.n // {SLOTS} = r.k
"""

_ACCESS_DAYS = """
CREATE TEMP TABLE acc_days AS
WITH d AS (
    SELECT CAST(g.d AS DATE) AS day, CAST(row_number() OVER (ORDER BY g.d) - 1 AS BIGINT) AS di
    FROM generate_series(getvariable('acc_start'), getvariable('end_ts') - INTERVAL 1 DAY, INTERVAL 1 DAY) g(d)
), w AS (
    -- weekdays busy, weekends quiet, 30 % growth over the period (integer weights: exact)
    SELECT *, strftime(day, '%Y-%m') AS month,
           CAST(CASE dayofweek(day) WHEN 0 THEN 2 WHEN 6 THEN 4 ELSE 40 END AS BIGINT)
             * (100 + di * 30 // (SELECT count(*) FROM d)) AS weight
    FROM d
), c AS (
    SELECT *, sum(weight) OVER (ORDER BY di ROWS UNBOUNDED PRECEDING) AS w_hi, sum(weight) OVER () AS w_all FROM w
), live AS (
    SELECT CAST(created_at AS DATE) AS cd, count(*) AS n FROM c_final WHERE live GROUP BY 1
), live_c AS (
    SELECT cd, sum(n) OVER (ORDER BY cd) AS n FROM live
), erased AS (
    SELECT CAST(erased_at AS DATE) AS ed, count(*) AS n FROM c_final WHERE NOT live GROUP BY 1
), erased_c AS (
    SELECT ed, sum(n) OVER (ORDER BY ed) AS n FROM erased
)
SELECT c.day, c.di, c.month,
       CAST((c.w_hi - c.weight) * getvariable('n_events') // c.w_all AS BIGINT) AS lo,
       CAST(c.w_hi * getvariable('n_events') // c.w_all AS BIGINT) AS hi,
       brussels_offset(c.day + INTERVAL 12 HOUR) AS be_offset,
       coalesce((SELECT max(n) FROM live_c WHERE cd < c.day), 0) AS n_live,
       coalesce((SELECT max(n) FROM erased_c WHERE ed < c.day), 0) AS n_erased
FROM c
"""

# Customers an event may name: key = rank among the never-erased customers by creation, or
# (number of never-erased) + rank among the erased ones by erasure.
_POOLS = """
CREATE TEMP TABLE pick_pool AS
SELECT row_number() OVER (ORDER BY created_at, i) - 1 AS pkey, customer_id FROM c_final WHERE live
UNION ALL
SELECT (SELECT count(*) FROM c_final WHERE live) + row_number() OVER (ORDER BY erased_at, i) - 1, customer_id
FROM c_final WHERE NOT live
"""

# Violation classes of an event: rates per event, plus one forced event per class in the last month.
_VIOLATIONS = [("RET005", 0.0010), ("XB001", 0.0008), ("XB002", 0.0008), ("XB003", 0.0012),
               ("XB004", 0.0005), ("XB005", 0.0025)]

# (processor, pool) -> code of the actor pools; `normal` is the processor's everyday staff
_ACTOR_POOLS = [("bpost", "normal"), ("tcs", "normal"), ("infosys", "normal"), ("aws", "normal"),
                ("tcs", "IN"), ("infosys", "IN"), ("wipro", "IN"), ("aws", "US"), ("tcs", "GB")]


def _pool(processor: str, pool: str) -> int:
    return _ACTOR_POOLS.index((processor, pool))


# The month's skeleton, materialised so that the planner knows its size (it then builds the hash
# tables of the joins below on the small side).
_ACCESS_EVENTS = """
CREATE OR REPLACE TEMP TABLE acc_ev AS
SELECT day, di, be_offset, n_live, n_erased, lo_m AS month_lo, unnest(range(lo, hi)) AS i
FROM (SELECT *, min(lo) OVER () AS lo_m FROM acc_days WHERE month = getvariable('acc_month'))
"""

_ACCESS_MONTH = f"""
WITH e AS (
    SELECT * FROM acc_ev
), v AS (
    SELECT e.*, coalesce(f.viol, CASE
        {" ".join(f"WHEN rnd(e.i, 'a.viol') < {sum(r for _, r in _VIOLATIONS[:k + 1]):.6f} THEN '{name}'"
                  for k, (name, _) in enumerate(_VIOLATIONS))}
        END) AS viol,
        rnd(e.i, 'a.variant') AS rv
    FROM e LEFT JOIN acc_forced f USING (i)
), p AS (
    -- the actor pool (see _ACTOR_POOLS): who does it, from where
    SELECT v.*,
        CASE viol
            WHEN 'RET005' THEN {_pool("tcs", "IN")}
            WHEN 'XB001' THEN {_pool("wipro", "IN")}
            WHEN 'XB002' THEN CASE WHEN rv < 0.6 THEN {_pool("aws", "US")} ELSE {_pool("tcs", "GB")} END
            WHEN 'XB003' THEN CASE WHEN rv < 0.7 THEN {_pool("tcs", "IN")} ELSE {_pool("infosys", "IN")} END
            WHEN 'XB004' THEN {_pool("infosys", "IN")}
            WHEN 'XB005' THEN CASE WHEN rv < 0.7 THEN {_pool("tcs", "IN")} ELSE {_pool("infosys", "IN")} END
            -- the everyday staff by a low-discrepancy sequence, not by chance: each processor gets its share
            -- of every day to within an event or two, so no day of the sample is missing or thin by chance
            -- in the coverage ledger (analysis/ledger.py)
            ELSE CASE WHEN share(i) < 0.30 THEN {_pool("bpost", "normal")}
                      WHEN share(i) < 0.74 THEN {_pool("tcs", "normal")}
                      WHEN share(i) < 0.90 THEN {_pool("infosys", "normal")}
                      ELSE {_pool("aws", "normal")} END
        END * {SLOTS} + rint(i, 'a.actor', {SLOTS}) AS akey
    FROM v
), a AS (
    SELECT p.*, s.processor, s.actor_id, s.country AS source_country, s.ip_prefix
    FROM p JOIN actor_slots s USING (akey)
), r AS (
    SELECT a.*,
        CASE
            WHEN viol = 'RET005' THEN CASE WHEN rv < 0.7 THEN 'customers' ELSE 'uploads' END
            WHEN viol = 'XB003' THEN CASE WHEN rv < 0.4 THEN 'customers' WHEN rv < 0.7 THEN 'uploads' ELSE 'customers' END
            WHEN viol = 'XB004' OR processor IN ('aws', 'infosys') THEN 'infrastructure'
            WHEN viol = 'XB002' THEN 'customers'
            WHEN processor = 'bpost' THEN CASE WHEN rnd(i, 'a.res') < 0.30 THEN 'customers' WHEN rnd(i, 'a.res') < 0.58 THEN 'orders'
                WHEN rnd(i, 'a.res') < 0.70 THEN 'uploads' WHEN rnd(i, 'a.res') < 0.80 THEN 'requests'
                WHEN rnd(i, 'a.res') < 0.92 THEN 'marketing' ELSE 'infrastructure' END
            ELSE CASE WHEN rnd(i, 'a.res') < 0.34 THEN 'customers' WHEN rnd(i, 'a.res') < 0.64 THEN 'orders'
                WHEN rnd(i, 'a.res') < 0.78 THEN 'uploads' WHEN rnd(i, 'a.res') < 0.90 THEN 'requests' ELSE 'marketing' END
        END AS resource,
        CASE
            WHEN viol = 'RET005' THEN 'read'
            WHEN viol = 'XB003' THEN CASE WHEN rv < 0.4 THEN 'export' WHEN rv < 0.7 THEN 'delete' ELSE 'read' END
            WHEN viol = 'XB004' THEN 'export'
            WHEN processor = 'bpost' THEN CASE WHEN rnd(i, 'a.act') < 0.72 THEN 'read' WHEN rnd(i, 'a.act') < 0.92 THEN 'write'
                WHEN rnd(i, 'a.act') < 0.96 THEN 'export' WHEN rnd(i, 'a.act') < 0.97 THEN 'delete' ELSE 'admin' END
            WHEN processor IN ('aws', 'infosys') THEN CASE WHEN rnd(i, 'a.act') < 0.45 THEN 'admin'
                WHEN rnd(i, 'a.act') < 0.80 THEN 'read' ELSE 'write' END
            ELSE CASE WHEN rnd(i, 'a.act') < 0.78 THEN 'read' ELSE 'write' END
        END AS action
    FROM a
), n AS (
    SELECT r.*,
        CASE WHEN viol = 'XB004' THEN logu(i, 'a.bulk', 1500, 400000)
             WHEN resource = 'infrastructure' THEN 0
             WHEN action = 'export' THEN logu(i, 'a.bulk', 20, CASE WHEN viol = 'XB003' THEN 900 ELSE 20000 END)
             WHEN viol = 'RET005' OR action = 'delete' OR rnd(i, 'a.single') < 0.82 THEN 1
             ELSE logu(i, 'a.bulk', 2, 500) END AS record_count,
        -- local wall-clock minute of the actor's day; AWS service accounts work around the clock (UTC)
        CASE WHEN processor = 'aws' AND source_country = 'IE' THEN rint(i, 'a.min', 1440)
             WHEN source_country = 'US' THEN 480 + rint(i, 'a.min', 540)
             WHEN rnd(i, 'a.late') < 0.03 THEN 1110 + rint(i, 'a.min', 210)
             ELSE 480 + CAST(floor((rnd(i, 'a.min') + rnd(i, 'a.min2')) / 2 * 630) AS BIGINT) END AS local_min,
        CASE source_country WHEN 'IN' THEN 330 WHEN 'GB' THEN be_offset - 60 WHEN 'US' THEN be_offset - 360
             WHEN 'IE' THEN CASE WHEN processor = 'aws' THEN 0 ELSE be_offset - 60 END ELSE be_offset END AS utc_offset
    FROM r
), t AS (
    SELECT n.*,
        CASE WHEN record_count = 1 AND resource <> 'infrastructure'
                  AND CASE WHEN viol = 'RET005' THEN n_erased ELSE n_live END > 0 THEN
             CASE WHEN viol = 'RET005' THEN getvariable('n_live_total') + rint(i, 'a.cust', n_erased)
                  ELSE rint(i, 'a.cust', n_live) END END AS pkey,
        plus_s(CAST(day AS TIMESTAMP), (local_min - utc_offset) * 60 + rint(i, 'a.sec', 60)) AS occurred_at,
        hash(actor_id, day, local_min >= 780) AS tk
    FROM n
), k AS (
    SELECT t.*, pp.customer_id,
        CASE WHEN viol = 'XB005' OR processor = 'aws' THEN NULL
             WHEN processor = 'bpost' AND rnd(tk, 'a.tk.bp') >= CASE WHEN resource = 'infrastructure' THEN 0.9 ELSE 0.2 END THEN NULL
             WHEN source_country NOT IN ('IN', 'GB') AND rnd(i, 'a.tk.eea') < 0.05 THEN NULL
             WHEN rnd(tk, 'a.tk.kind') < 0.35 OR action = 'export'
                  THEN 'CHG' || lpad(CAST(30000 + di * 40 + rint(tk, 'a.tk.chg', 40) AS VARCHAR), 7, '0')
             ELSE 'INC' || lpad(CAST(2000000 + di * 2500 + rint(tk, 'a.tk.inc', 2500) AS VARCHAR), 7, '0') END AS ticket_id,
        CASE WHEN rnd(i, 'a.ip.null') < 0.005 THEN NULL
             ELSE ip_prefix || '.' || CAST(1 + rint(hash(actor_id, day), 'a.ip', 254) AS VARCHAR) END AS source_ip
    FROM t LEFT JOIN pick_pool pp USING (pkey)
)
SELECT 'EV' || printf('%010d', month_lo + row_number() OVER (ORDER BY occurred_at, i) - 1) AS event_id,
       occurred_at, processor, actor_id, source_country, source_ip, action, resource, customer_id,
       CAST(record_count AS INTEGER) AS record_count, ticket_id
FROM k
"""

# --------------------------------------------------------------------------------------------------
# Output: the contract's columns, in its order; timestamps as ISO 8601 text in CSV.
# --------------------------------------------------------------------------------------------------

_OUTPUT = {
    "customers": ("c_final", "customer_id"),
    "orders": ("orders_out", "order_id"),
    "uploads": ("uploads_out", "upload_id"),
    "marketing_sends": ("sends_out", "send_id"),
    "dsr_requests": ("requests_out", "request_id"),
}

_NUMBERED = """
CREATE TEMP TABLE orders_out AS
SELECT 'MS' || printf('%08d', 10000000 + row_number() OVER (ORDER BY ordered_at, ok, i, k)) AS order_id, *,
       CAST(quantity * (CASE product WHEN 'mystamp_pro' THEN 16.95 ELSE 18.95 END
                        + 0.50 * (year(ordered_at) - year(getvariable('t0')))) AS DECIMAL(10, 2)) AS total_eur
FROM o_all;
"""

_NUMBERED_AFTER = """
CREATE TEMP TABLE uploads_out AS
SELECT 'UP' || printf('%09d', row_number() OVER (ORDER BY uploaded_at, uk, customer_id, order_id)) AS upload_id, * FROM u_final;
CREATE TEMP TABLE sends_out AS
SELECT 'SN' || printf('%09d', row_number() OVER (ORDER BY sent_at, sk, customer_id)) AS send_id, * FROM s_final;
CREATE TEMP TABLE requests_out AS
SELECT 'DSR-' || strftime(received_at, '%Y') || '-'
       || printf('%05d', row_number() OVER (PARTITION BY year(received_at) ORDER BY received_at, rk)) AS request_id, *
FROM r_final;
"""


def _select(table: str, fmt: str) -> str:
    """The SELECT list of a table in contract order: typed for Parquet, text timestamps for CSV."""
    cols = []
    for col in TABLES[table].columns:
        name = f'"{col.name}"'
        if col.type == "TIMESTAMP" and fmt == "csv":
            if table == "orders" and col.name == "ordered_at":
                # app orders carry the Brussels wall-clock time and its offset: the same instant
                expr = ("CASE WHEN channel = 'app' THEN iso(ordered_at + to_minutes(brussels_offset(ordered_at))) "
                        "|| CASE brussels_offset(ordered_at) WHEN 120 THEN '+02:00' ELSE '+01:00' END "
                        "ELSE iso(ordered_at) END")
            else:
                expr = f"iso({name})"
        else:
            expr = f"CAST({name} AS {col.type})"
        cols.append(f"{expr} AS {name}")
    return ", ".join(cols)


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path, fmt: str, header: bool = True) -> None:
    if fmt == "csv":
        opts = f"FORMAT csv, HEADER {'true' if header else 'false'}, DELIMITER ','"
    else:
        opts = "FORMAT parquet, COMPRESSION zstd"
    con.execute(f"COPY ({query}) TO {_quote(path)} ({opts})")


def _clear(out: Path) -> None:
    """Remove earlier entries of the six tables (any format), so the loader finds exactly one each."""
    for table in TABLES:
        for suffix in (".csv", ".csv.gz", ".parquet"):
            (out / f"{table}{suffix}").unlink(missing_ok=True)
        if (out / table).is_dir():
            shutil.rmtree(out / table)


def _months(start: date, end: date) -> list[str]:
    months, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(y, m + 1, 1)


def _variables(customers: int, events: int, end: date, seed: int, months: int = ACCESS_MONTHS) -> dict[str, object]:
    end_ts = datetime.combine(end + timedelta(days=1), datetime.min.time())  # exclusive
    month_start = date(end.year, end.month, 1)
    t0 = end_ts.replace(year=end_ts.year - HISTORY_YEARS, day=min(end_ts.day, 28) if end_ts.month == 2 else end_ts.day)
    start = lambda months: datetime.combine(_add_months(month_start, -(months - 1)), datetime.min.time())
    return {
        "seed": seed, "n_customers": customers, "n_events": events, "end_ts": end_ts, "t0": t0,
        "month_start": datetime.combine(month_start, datetime.min.time()),
        "acc_start": start(months), "mkt_start": start(MARKETING_MONTHS), "dsr_start": start(MARKETING_MONTHS),
    }


def _connect(scratch: Path, variables: dict[str, object]) -> duckdb.DuckDBPyConnection:
    limits = resources.current()
    con = duckdb.connect(config={"temp_directory": str(scratch / "spill"), "preserve_insertion_order": True,
                                 "memory_limit": limits.memory_limit, "threads": str(limits.threads)})
    con.execute("SET enable_progress_bar = false")
    con.execute("SET TimeZone = 'UTC'")
    for name, value in variables.items():
        con.execute(f"SET VARIABLE {name} = ?", [value])
    for macro in _MACROS:
        con.execute(macro)
    return con


# (progress label, statements): the tables built before anything is written
_BUILD = [
    ("reference lists", [_reference_tables]),
    ("customers", [_CUSTOMERS_BASE]),
    ("orders", [_ORDERS, _CUSTOMERS, _NUMBERED]),
    ("uploads", [_UPLOADS]),
    ("marketing_sends", [_CAMPAIGNS, _SENDS]),
    ("dsr_requests", [_REQUESTS, _NUMBERED_AFTER]),
]


def _access_setup(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TEMP TABLE actor_spec (processor VARCHAR, country VARCHAR, n INTEGER, prefix VARCHAR, "
                "digits INTEGER, normal BOOLEAN)")
    con.executemany("INSERT INTO actor_spec VALUES (?, ?, ?, ?, ?, ?)", _ACTORS)
    con.execute("CREATE TEMP TABLE aws_names (country VARCHAR, k INTEGER, name VARCHAR)")
    con.executemany("INSERT INTO aws_names VALUES (?, ?, ?)",
                    [(c, k, n) for c, names in _AWS_NAMES.items() for k, n in enumerate(names)])
    con.execute("CREATE TEMP TABLE ip_prefixes (country VARCHAR, j INTEGER, p VARCHAR)")
    con.executemany("INSERT INTO ip_prefixes VALUES (?, ?, ?)",
                    [(c, j, p) for c, ps in _IP_PREFIXES.items() for j, p in enumerate(ps)])
    con.execute("CREATE TEMP TABLE actor_pools (processor VARCHAR, pool VARCHAR, code INTEGER)")
    con.executemany("INSERT INTO actor_pools VALUES (?, ?, ?)", [(p, q, k) for k, (p, q) in enumerate(_ACTOR_POOLS)])
    con.execute(_ACTOR_TABLES)
    con.execute(_ACCESS_DAYS)
    con.execute(_POOLS)
    con.execute("SET VARIABLE n_live_total = (SELECT count(*) FROM c_final WHERE live)")
    # forced violations: spread over the month that contains `end`
    con.execute(f"""
        CREATE TEMP TABLE acc_forced AS
        WITH b AS (SELECT min(lo) AS lo, max(hi) AS hi FROM acc_days
                   WHERE month = strftime(getvariable('month_start'), '%Y-%m')),
             v AS (SELECT * FROM (VALUES {", ".join(f"({k}, '{name}')" for k, (name, _) in enumerate(_VIOLATIONS))}) t(k, viol))
        SELECT DISTINCT ON (i) b.lo + (2 * v.k + 1) * (b.hi - b.lo) // {2 * len(_VIOLATIONS)} AS i, v.viol
        FROM b, v WHERE b.hi > b.lo ORDER BY i, v.k
    """)


def _access_month(con: duckdb.DuckDBPyConnection, month: str) -> None:
    """Prepare the month's events: after this, _access_month_query() selects them."""
    con.execute("SET VARIABLE acc_month = ?", [month])
    con.execute(_ACCESS_EVENTS)


def _access_month_query(fmt: str) -> str:
    return f"SELECT {_select('access_log', fmt)} FROM ({_ACCESS_MONTH}) ORDER BY event_id"


def generate(out: Path, customers: int = DEFAULT_CUSTOMERS, events: int = DEFAULT_EVENTS, end: date = DEFAULT_END,
             seed: int = DEFAULT_SEED, fmt: str = "csv", progress: bool | None = None,
             months: int = ACCESS_MONTHS) -> dict[str, int]:
    """Write customers, orders, uploads, access_log, marketing_sends, dsr_requests into out/ (csv or parquet);
    return rows per table. `months`: calendar months of access log, ending with the month of `end`."""
    if fmt not in FORMATS:
        raise UsageError(f"--format must be csv or parquet, got {fmt!r}")
    if isinstance(customers, bool) or not isinstance(customers, int) or customers < 1:
        raise UsageError(f"--customers must be a whole number >= 1, got {customers!r}")
    if isinstance(events, bool) or not isinstance(events, int) or events < 0:
        raise UsageError(f"--events must be a whole number >= 0, got {events!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise UsageError(f"--seed must be a whole number >= 0, got {seed!r}")
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
        raise UsageError(f"--months must be a whole number from 1 to 120, got {months!r}")
    if isinstance(end, datetime):
        end = end.date()
    if not isinstance(end, date) or not 1990 <= end.year <= 9000:
        raise UsageError(f"--end must be a date (YYYY-MM-DD), got {end!r}")

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    variables = _variables(customers, events, end, seed, months)
    months = _months(variables["acc_start"].date(), end)
    scratch = Path(tempfile.mkdtemp(prefix="gdpr-sample-"))  # DuckDB spill files, CSV chunks
    # written beside the target and moved into place at the end: an interrupted run leaves out/ as it was
    stage = Path(tempfile.mkdtemp(prefix=".sample-", dir=out))
    con = _connect(scratch, variables)
    bar = _progress(show=progress, total=len(_BUILD) + 1 + len(months), desc="sample", unit="step")
    counts: dict[str, int] = {}
    try:
        for label, statements in _BUILD:
            bar.set_postfix_str(label)
            for statement in statements:
                if callable(statement):
                    statement(con)
                else:
                    con.execute(statement)
            bar.update()

        bar.set_postfix_str("writing")
        for table, (source, key) in _OUTPUT.items():
            _copy(con, f"SELECT {_select(table, fmt)} FROM {source} ORDER BY {key}", stage / f"{table}.{fmt}", fmt)
            counts[table] = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
        _access_setup(con)
        bar.update()

        # the access log, one month at a time
        query = _access_month_query(fmt)
        if fmt == "csv":
            target = stage / "access_log.csv"
            with open(target, "wb") as sink:
                sink.write((",".join(TABLES["access_log"].column_names) + "\n").encode())
                for month in months:
                    bar.set_postfix_str(f"access_log {month}")
                    _access_month(con, month)
                    part = scratch / f"access_log-{month}.csv"
                    _copy(con, query, part, fmt, header=False)
                    with open(part, "rb") as chunk:
                        shutil.copyfileobj(chunk, sink, 1 << 20)
                    part.unlink()
                    bar.update()
        else:
            for month in months:
                bar.set_postfix_str(f"access_log {month}")
                _access_month(con, month)
                folder = stage / "access_log" / f"month={month}"
                folder.mkdir(parents=True, exist_ok=True)
                _copy(con, query, folder / "data_0.parquet", fmt)
                bar.update()
        counts["access_log"] = int(con.execute(
            "SELECT coalesce(max(hi), 0) - coalesce(min(lo), 0) FROM acc_days").fetchone()[0])
        con.close()
        _clear(out)
        for entry in sorted(stage.iterdir()):
            entry.rename(out / entry.name)
    finally:
        bar.close()
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(stage, ignore_errors=True)
    return {t: counts[t] for t in TABLES}
