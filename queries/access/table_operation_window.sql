-- name: access/table_operation_window
-- answers: In one window of a span's first or last day, the operations on a whole table (events with no customer_id on the resource) from window_from and before window_to: per day, processor, country and action, how many events, on how many records, how many with a ticket?
-- params: resource, window_from, window_to
-- requires: access_log
-- notice: §5, §6
-- gdpr: Art. 15(1)(c), Art. 15(2)
-- note: access packs only: what access/table_operation_edges answers for every window in one pass, for a single window, with its instants bound so that an engine reading a log stored in time order skips every other day (a pack for one subject has at most ten windows)
SELECT CAST(CAST(a.occurred_at AS DATE) AS VARCHAR) AS day, a.processor, a.source_country, a.action,
       count(*) AS events, CAST(sum(a.record_count) AS BIGINT) AS records, count(a.ticket_id) AS with_ticket
FROM access_log AS a
WHERE a.customer_id IS NULL
  AND a.resource = $resource
  AND a.occurred_at >= $window_from AND a.occurred_at < $window_to
GROUP BY CAST(a.occurred_at AS DATE), a.processor, a.source_country, a.action
