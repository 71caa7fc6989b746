-- name: rollups/access_month
-- answers: For each month from month_start to month_end (exclusive), how many access events did each processor make from each country on each resource with each action, by how many distinct actors, touching how many distinct customers and records, and how many without a ticket? (the roll-up `load` keeps in _rollup_access_month)
-- params: month_start, month_end
-- requires: access_log
-- notice: §5, §6
-- gdpr: Art. 30(1)(d), Art. 30(1)(e), Art. 44
-- note: distinct counts are per month (grouped by month); `load` runs it one month at a time and recomputes the months a new, changed or removed access log file touches; the Spark engine runs it once over every month of the access log
SELECT
    CAST(date_trunc('month', occurred_at) AS TIMESTAMP) AS month_start,
    processor,
    source_country,
    resource,
    action,
    count(*) AS events,
    count(DISTINCT actor_id) AS actors,
    count(DISTINCT customer_id) AS customers,
    CAST(coalesce(sum(record_count), 0) AS BIGINT) AS records,
    count(*) FILTER (WHERE ticket_id IS NULL) AS without_ticket
FROM access_log
WHERE occurred_at >= $month_start AND occurred_at < $month_end
GROUP BY date_trunc('month', occurred_at), processor, source_country, resource, action
