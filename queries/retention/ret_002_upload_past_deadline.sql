-- name: retention/ret_002_upload_past_deadline
-- answers: Which uploads (photos, images, drawings, texts) are still not erased at as_of although their customer is erased or past the retention deadline?
-- rule: RET-002
-- severity: high
-- subject: upload
-- title: Upload kept after its customer's erasure or deadline
-- params: as_of, retention_years
-- requires: customers, orders, uploads
-- notice: §7 (photos and data of depicted persons erased 3 years after the last order)
-- gdpr: Art. 5(1)(e), Art. 28(3)(g)
-- occurred_at: the instant the upload was due: the customer's retention deadline (last order, or account creation when there is no order, + retention period), or the customer's erasure if that came first
WITH last_order AS (
    SELECT customer_id, max(ordered_at) AS last_ordered_at
    FROM orders
    WHERE ordered_at < $as_of
    GROUP BY customer_id
), customer_state AS (
    SELECT
        c.customer_id,
        c.erased_at,
        coalesce(c.erased_at < $as_of, false) AS customer_erased,
        l.last_ordered_at,
        coalesce(l.last_ordered_at, c.created_at) + INTERVAL 1 YEAR * $retention_years AS deadline
    FROM customers AS c
    LEFT JOIN last_order AS l USING (customer_id)
    WHERE c.created_at < $as_of
)
SELECT
    u.upload_id AS subject_id,
    CASE WHEN s.customer_erased THEN least(s.erased_at, s.deadline) ELSE s.deadline END AS occurred_at,
    u.kind || ' of customer ' || u.customer_id || ' not erased at the end of the month; '
        || CASE
            WHEN s.customer_erased THEN 'the customer was erased on ' || strftime(s.erased_at, '%Y-%m-%d') || 'T' || strftime(s.erased_at, '%H:%M:%S') || 'Z'
            WHEN s.last_ordered_at IS NULL THEN 'the customer has no order and the account is older than the retention period (deadline '
                || strftime(s.deadline, '%Y-%m-%d') || 'T' || strftime(s.deadline, '%H:%M:%S') || 'Z' || ')'
            ELSE 'the customer''s retention deadline ' || strftime(s.deadline, '%Y-%m-%d') || 'T' || strftime(s.deadline, '%H:%M:%S') || 'Z' || ' has passed'
        END AS detail
FROM uploads AS u
JOIN customer_state AS s USING (customer_id)
WHERE u.uploaded_at < $as_of
  AND (u.erased_at IS NULL OR u.erased_at >= $as_of)
  AND (s.customer_erased OR s.deadline < $as_of)
