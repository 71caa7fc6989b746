-- name: retention/ret_005_access_after_erasure
-- answers: Which access events of the month touched the customer or upload data of a customer already erased at the time of the access?
-- rule: RET-005
-- severity: high
-- subject: access_event
-- title: Access to a customer's data after the customer was erased
-- params: period_start, as_of
-- requires: customers, access_log
-- notice: §7
-- gdpr: Art. 17(1), Art. 5(1)(e)
-- occurred_at: the access event's time
SELECT
    e.event_id AS subject_id,
    e.occurred_at,
    e.processor || ' ' || e.action || ' on ' || e.resource || ' of customer ' || e.customer_id
        || ', erased on ' || strftime(c.erased_at, '%Y-%m-%d') || 'T' || strftime(c.erased_at, '%H:%M:%S') || 'Z' AS detail
FROM access_log AS e
JOIN customers AS c ON c.customer_id = e.customer_id
WHERE e.occurred_at >= $period_start AND e.occurred_at < $as_of
  AND e.resource IN ('customers', 'uploads')
  AND c.erased_at < e.occurred_at
