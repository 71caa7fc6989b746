-- name: access/table_operation_edges
-- answers: For each data subject of an access pack, the operations on whole tables (events with no customer_id) on a resource holding their data on the first and last day of the span in which it held it, from the span's first instant and before its last: per day, processor, country and action, how many events, on how many records, how many with a ticket?
-- params: as_of
-- requires: access_log
-- notice: §5, §6
-- gdpr: Art. 15(1)(c), Art. 15(2)
-- note: access packs only; pack_edges(customer_id, resource, window_from, window_to) is registered by the command: per span at most two windows, [held_from, the next day's first instant or held_to) and, when the span ends on a later day, [that day's first instant, held_to). One pass over the log for every window of the run; for a few windows, access/table_operation_window reads each alone, where the log's order by time lets the engine skip the rest
SELECT e.customer_id, a.resource, CAST(CAST(a.occurred_at AS DATE) AS VARCHAR) AS day, a.processor,
       a.source_country, a.action,
       count(*) AS events, CAST(sum(a.record_count) AS BIGINT) AS records, count(a.ticket_id) AS with_ticket
FROM access_log AS a
JOIN pack_edges AS e ON a.resource = e.resource AND a.occurred_at >= e.window_from AND a.occurred_at < e.window_to
WHERE a.customer_id IS NULL
  AND a.occurred_at < $as_of
GROUP BY e.customer_id, a.resource, CAST(a.occurred_at AS DATE), a.processor, a.source_country, a.action
