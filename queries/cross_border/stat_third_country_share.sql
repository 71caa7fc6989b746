-- name: cross_border/stat_third_country_share
-- answers: In each of the trailing 12 months, what share of access events came from outside the EEA?
-- params: trailing_start, as_of
-- requires: access_log
-- notice: §6 (transfers outside the EEA)
-- gdpr: Art. 44
-- note: read from the monthly roll-up rollups/access_country
WITH months AS (
    -- the months from trailing_start to the one before as_of (at most 12)
    SELECT $trailing_start + INTERVAL 1 MONTH * k AS month_start
    FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11)) AS t(k)
    WHERE $trailing_start + INTERVAL 1 MONTH * k < $as_of
), r AS (
    SELECT month_start, events, source_country NOT IN (SELECT country FROM policy_eea) AS third_country
    FROM _rollup_access_country
    WHERE month_start >= $trailing_start AND month_start < $as_of
)
SELECT
    strftime(m.month_start, '%Y-%m') AS month,
    CAST(coalesce(sum(r.events), 0) AS BIGINT) AS events,
    CAST(coalesce(sum(r.events) FILTER (WHERE r.third_country), 0) AS BIGINT) AS third_country_events,
    round(100.0 * coalesce(sum(r.events) FILTER (WHERE r.third_country), 0) / nullif(sum(r.events), 0), 1)
        AS third_country_pct
FROM months AS m
LEFT JOIN r ON r.month_start = m.month_start
GROUP BY m.month_start
ORDER BY m.month_start
