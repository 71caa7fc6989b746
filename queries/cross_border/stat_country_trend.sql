-- name: cross_border/stat_country_trend
-- answers: For one access country (India by default), how many events, actors, customers and records did each processor account for in each of the trailing 12 months?
-- params: trailing_start, as_of, country
-- requires: access_log
-- notice: §5, §6 (Infosys and TCS access the data from India)
-- gdpr: Art. 44, Art. 46(2)(c), Art. 30(1)(e)
-- note: every month of the window appears for every processor seen from the country in the window (0 where there was no access); read from the monthly roll-up rollups/access_country
WITH months AS (
    -- the months from trailing_start to the one before as_of (at most 12)
    SELECT $trailing_start + INTERVAL 1 MONTH * k AS month_start
    FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11)) AS t(k)
    WHERE $trailing_start + INTERVAL 1 MONTH * k < $as_of
), r AS (
    SELECT *
    FROM _rollup_access_country
    WHERE month_start >= $trailing_start AND month_start < $as_of
      AND source_country = $country
), processors AS (
    SELECT DISTINCT processor FROM r
)
SELECT
    strftime(m.month_start, '%Y-%m') AS month,
    p.processor,
    coalesce(r.events, 0) AS events,
    coalesce(r.actors, 0) AS actors,
    coalesce(r.customers, 0) AS customers,
    coalesce(r.records, 0) AS records
FROM months AS m
CROSS JOIN processors AS p
LEFT JOIN r ON r.processor = p.processor AND r.month_start = m.month_start
ORDER BY m.month_start, p.processor
