-- name: rollups/access_country
-- answers: For each month from month_start to month_end (exclusive), how many access events did each processor make from each country, by how many distinct actors, touching how many distinct customers and records? (the roll-up `load` keeps in _rollup_access_country, read by the 12-month trends)
-- params: month_start, month_end
-- requires: access_log
-- notice: §5, §6
-- gdpr: Art. 30(1)(e), Art. 44
-- note: distinct actors and customers per processor and country cannot be summed from rollups/access_month, hence this second roll-up
SELECT
    CAST(date_trunc('month', occurred_at) AS TIMESTAMP) AS month_start,
    processor,
    source_country,
    count(*) AS events,
    count(DISTINCT actor_id) AS actors,
    count(DISTINCT customer_id) AS customers,
    CAST(coalesce(sum(record_count), 0) AS BIGINT) AS records
FROM access_log
WHERE occurred_at >= $month_start AND occurred_at < $month_end
GROUP BY date_trunc('month', occurred_at), processor, source_country
