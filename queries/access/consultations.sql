-- name: access/consultations
-- answers: For each data subject of an access pack, every access-log event on their data (customer_id = the subject) before as_of, oldest first?
-- params: as_of
-- requires: access_log
-- notice: §5, §6
-- gdpr: Art. 15(1)(c), Art. 15(2); C-579/21 (dates and purposes of each consultation)
-- note: access packs only; one pass over the log for every subject of the run (pack_subjects); actor_id is read so that --with-actors can include it, source_ip never
SELECT a.customer_id, a.event_id, a.occurred_at, a.processor, a.actor_id, a.source_country, a.action, a.resource,
       a.record_count, a.ticket_id
FROM access_log AS a
JOIN pack_subjects AS s ON a.customer_id = s.customer_id
WHERE a.occurred_at < $as_of
ORDER BY a.customer_id, a.occurred_at, a.event_id
