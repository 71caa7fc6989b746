-- name: rollups/table_ops_day
-- answers: For each UTC day from month_start to month_end (exclusive), how many operations on a whole table holding customers' data (events with no customer_id on customers, orders, uploads, marketing or requests) did each processor make from each country, per action: how many events, on how many records, how many with a ticket?
-- params: month_start, month_end
-- requires: access_log
-- notice: §5, §6
-- gdpr: Art. 15(1)(c), Art. 15(2)
-- note: the access packs' table operations (queries/access/table_operations.sql) read the days strictly inside a subject's span here instead of the millions of events (6.1M at 50M events); `load` recomputes the months a new, changed or removed access log file touches; processor and country as the log writes them, as a pack shows them
SELECT
    CAST(date_trunc('month', occurred_at) AS TIMESTAMP) AS month_start,
    CAST(occurred_at AS DATE) AS day,
    resource, processor, source_country, action,
    count(*) AS events,
    CAST(sum(record_count) AS BIGINT) AS records,
    count(ticket_id) AS with_ticket
FROM access_log
WHERE occurred_at >= $month_start AND occurred_at < $month_end
  AND customer_id IS NULL
  AND resource IN ('customers', 'orders', 'uploads', 'marketing', 'requests')
GROUP BY date_trunc('month', occurred_at), CAST(occurred_at AS DATE), resource, processor, source_country, action
