-- name: retention/stat_overdue_age
-- answers: For every customer (RET-001) and upload (RET-002) held past its deadline at as_of, how many days past the deadline is it?
-- params: as_of, retention_years
-- requires: customers, orders
-- optional: uploads (no upload rows when the source had no uploads table)
-- notice: §7
-- gdpr: Art. 5(1)(e)
-- note: days are calendar days in UTC, date_diff('day', CAST(deadline AS DATE), CAST(as_of AS DATE)), as in the RET findings' detail; the deadline of an upload is its customer's deadline, or the customer's erasure if that came first
WITH last_order AS (
    SELECT customer_id, max(ordered_at) AS last_ordered_at
    FROM orders
    WHERE ordered_at < $as_of
    GROUP BY customer_id
), customer_state AS (
    SELECT
        c.customer_id,
        coalesce(c.erased_at < $as_of, false) AS erased,
        c.erased_at,
        l.last_ordered_at,
        coalesce(l.last_ordered_at, c.created_at) + INTERVAL 1 YEAR * $retention_years AS deadline
    FROM customers AS c
    LEFT JOIN last_order AS l USING (customer_id)
    WHERE c.created_at < $as_of
), due AS (
    SELECT 'customer' AS subject_type, customer_id AS subject_id, deadline
    FROM customer_state
    WHERE NOT erased AND last_ordered_at IS NOT NULL AND deadline < $as_of
    UNION ALL
    SELECT
        'upload' AS subject_type,
        u.upload_id AS subject_id,
        CASE WHEN s.erased THEN least(s.erased_at, s.deadline) ELSE s.deadline END AS deadline
    FROM uploads AS u
    JOIN customer_state AS s USING (customer_id)
    WHERE u.uploaded_at < $as_of
      AND (u.erased_at IS NULL OR u.erased_at >= $as_of)
      AND (s.erased OR s.deadline < $as_of)
)
SELECT subject_type, subject_id, deadline, date_diff('day', CAST(deadline AS DATE), CAST($as_of AS DATE)) AS days_past_deadline
FROM due
ORDER BY subject_type, days_past_deadline DESC, subject_id
