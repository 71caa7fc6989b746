-- name: retention/stat_access_after_erasure
-- answers: Which processors touched customer or upload data of already-erased customers in the month (the events behind RET-005), on which resource and action, and how long after the erasure?
-- params: period_start, as_of
-- requires: customers, access_log
-- notice: §7
-- gdpr: Art. 17(1), Art. 5(1)(e)
SELECT
    e.processor,
    e.resource,
    e.action,
    count(*) AS events,
    count(DISTINCT e.customer_id) AS customers,
    min(date_diff('day', CAST(c.erased_at AS DATE), CAST(e.occurred_at AS DATE))) AS min_days_after_erasure,
    max(date_diff('day', CAST(c.erased_at AS DATE), CAST(e.occurred_at AS DATE))) AS max_days_after_erasure
FROM access_log AS e
JOIN customers AS c ON c.customer_id = e.customer_id
WHERE e.occurred_at >= $period_start AND e.occurred_at < $as_of
  AND e.resource IN ('customers', 'uploads')
  AND c.erased_at < e.occurred_at
GROUP BY e.processor, e.resource, e.action
ORDER BY events DESC, e.processor, e.resource, e.action
