-- name: access/table_operations
-- answers: For each data subject of an access pack, the operations on whole tables (events with no customer_id) on a resource holding their data, while it held it, that may have included their data?
-- params: as_of
-- requires: access_log
-- notice: §5, §6
-- gdpr: Art. 15(1)(c), Art. 15(2)
-- note: access packs only; pack_spans(customer_id, resource, held_from, held_to) is registered by the command: per subject, each resource holding their data (customers from the record's creation; orders, uploads, marketing, requests from their first row there) until their erasure or as_of
SELECT p.customer_id, a.event_id, a.occurred_at, a.processor, a.actor_id, a.source_country, a.action, a.resource,
       a.record_count, a.ticket_id
FROM access_log AS a
JOIN pack_spans AS p ON a.resource = p.resource
WHERE a.customer_id IS NULL
  AND a.occurred_at >= p.held_from AND a.occurred_at < p.held_to
  AND a.occurred_at < $as_of
ORDER BY p.customer_id, a.occurred_at, a.event_id
