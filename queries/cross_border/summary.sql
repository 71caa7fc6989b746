-- name: cross_border/summary
-- answers: How much access did each processor make in the month, from which country, on which resource and action? (cross_border.csv)
-- params: period_start, as_of
-- requires: access_log
-- notice: §5, §6
-- gdpr: Art. 30(1)(e), Art. 44
SELECT
    e.processor,
    e.source_country,
    e.resource,
    e.action,
    e.source_country NOT IN (SELECT country FROM policy_eea) AS third_country,
    count(*) AS events,
    count(DISTINCT e.actor_id) AS actors,
    count(DISTINCT e.customer_id) AS customers,
    coalesce(sum(e.record_count), 0)::BIGINT AS records
FROM access_log AS e
WHERE e.occurred_at >= $period_start AND e.occurred_at < $as_of
GROUP BY ALL
ORDER BY e.processor, e.source_country, e.resource, e.action
