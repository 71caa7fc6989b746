-- name: explore/subject_access
-- answers: Which access events touched one data subject (by pseudonymous customer_id), when, by which processor, from where, on what?
-- params: customer_id
-- requires: access_log
-- notice: §5, §6
-- gdpr: Art. 15(1)(c), Art. 30(1)(d)
-- note: for analysts (notebooks/explore.ipynb); not part of the month results
SELECT event_id, occurred_at, processor, source_country, resource, action, record_count, ticket_id
FROM access_log
WHERE customer_id = $customer_id
ORDER BY occurred_at, event_id
