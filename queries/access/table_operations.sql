-- name: access/table_operations
-- answers: For each data subject of an access pack, per month, the operations on whole tables (events with no customer_id) on a resource holding their data on the days strictly inside the span in which it held it, that may have included their data: on how many days, how many events, on how many records, how many with a ticket, judged by which policy version?
-- params: as_of
-- requires: access_log
-- notice: §5, §6
-- gdpr: Art. 15(1)(c), Art. 15(2)
-- note: access packs only; pack_spans(customer_id, resource, held_from, held_to) is registered by the command: per subject, each resource holding their data (customers from the record's creation; orders, uploads, marketing, requests from their first row there) until their erasure or as_of; pack_versions(version, valid_from, valid_to) the policy version judging each day (the one at as_of before the earliest). Reads the day roll-up `load` keeps (queries/rollups/table_ops_day.sql), not the events; the first and last day of a span are counted from the events by access/table_operation_edges
SELECT p.customer_id, r.resource, r.processor, r.source_country, r.action, v.version,
       CAST(CAST(date_trunc('month', r.day) AS DATE) AS VARCHAR) AS month,
       count(*) AS days,
       CAST(min(r.day) AS VARCHAR) AS first_day,
       CAST(max(r.day) AS VARCHAR) AS last_day,
       CAST(sum(r.events) AS BIGINT) AS events,
       CAST(sum(r.records) AS BIGINT) AS records,
       CAST(sum(r.with_ticket) AS BIGINT) AS with_ticket
FROM _rollup_table_ops_day AS r
JOIN pack_spans AS p ON r.resource = p.resource
JOIN pack_versions AS v ON r.day >= CAST(v.valid_from AS DATE) AND r.day < CAST(v.valid_to AS DATE)
WHERE r.day > CAST(p.held_from AS DATE) AND r.day < CAST(p.held_to AS DATE)
  AND r.day < CAST($as_of AS DATE)
GROUP BY p.customer_id, r.resource, r.processor, r.source_country, r.action, v.version, date_trunc('month', r.day)
