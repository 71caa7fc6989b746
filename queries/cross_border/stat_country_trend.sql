-- name: cross_border/stat_country_trend
-- answers: For one access country (India by default), how many events, actors, customers and records did each processor account for in each of the trailing 12 months?
-- params: trailing_start, as_of, country
-- requires: access_log
-- notice: §5, §6 (Infosys and TCS access the data from India)
-- gdpr: Art. 44, Art. 46(2)(c), Art. 30(1)(e)
-- note: every month of the window appears for every processor seen from the country in the window (0 where there was no access)
WITH months AS (
    SELECT m AS month_start, m + INTERVAL 1 MONTH AS month_end
    FROM generate_series($trailing_start, $as_of - INTERVAL 1 MONTH, INTERVAL 1 MONTH) AS t(m)
), e AS (
    SELECT *
    FROM access_log
    WHERE occurred_at >= $trailing_start AND occurred_at < $as_of
      AND source_country = $country
), processors AS (
    SELECT DISTINCT processor FROM e
)
SELECT
    strftime(m.month_start, '%Y-%m') AS month,
    p.processor,
    count(e.event_id) AS events,
    count(DISTINCT e.actor_id) AS actors,
    count(DISTINCT e.customer_id) AS customers,
    coalesce(sum(e.record_count), 0)::BIGINT AS records
FROM months AS m
CROSS JOIN processors AS p
LEFT JOIN e ON e.processor = p.processor
           AND e.occurred_at >= m.month_start AND e.occurred_at < m.month_end
GROUP BY m.month_start, p.processor
ORDER BY m.month_start, p.processor
