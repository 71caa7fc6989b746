-- name: cross_border/stat_third_country_share
-- answers: In each of the trailing 12 months, what share of access events came from outside the EEA?
-- params: trailing_start, as_of
-- requires: access_log
-- notice: §6 (transfers outside the EEA)
-- gdpr: Art. 44
WITH months AS (
    SELECT m AS month_start, m + INTERVAL 1 MONTH AS month_end
    FROM generate_series($trailing_start, $as_of - INTERVAL 1 MONTH, INTERVAL 1 MONTH) AS t(m)
), e AS (
    SELECT occurred_at, source_country NOT IN (SELECT country FROM policy_eea) AS third_country
    FROM access_log
    WHERE occurred_at >= $trailing_start AND occurred_at < $as_of
)
SELECT
    strftime(m.month_start, '%Y-%m') AS month,
    count(e.occurred_at) AS events,
    count(e.occurred_at) FILTER (WHERE e.third_country) AS third_country_events,
    round(100.0 * count(e.occurred_at) FILTER (WHERE e.third_country) / nullif(count(e.occurred_at), 0), 1)
        AS third_country_pct
FROM months AS m
LEFT JOIN e ON e.occurred_at >= m.month_start AND e.occurred_at < m.month_end
GROUP BY m.month_start
ORDER BY m.month_start
