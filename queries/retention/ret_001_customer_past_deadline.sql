-- name: retention/ret_001_customer_past_deadline
-- answers: Which customers with orders are still not erased at as_of although their last order is more than the retention period before as_of?
-- rule: RET-001
-- severity: high
-- subject: customer
-- title: Customer kept past the retention deadline
-- params: as_of, retention_years
-- requires: customers, orders
-- notice: §7 (erased 3 years after the last order)
-- gdpr: Art. 5(1)(e), Art. 17(1)(a)
-- occurred_at: the retention deadline (last order + retention period)
-- note: reads _rollup_last_order (rollups/last_order), which `load` rebuilds with the orders table; as_of moves to neither side of the interval, so 29 February and month ends are judged as by the orders themselves
WITH last_order AS (
    -- each customer's last order before as_of: the roll-up's last order when that is before as_of (every
    -- customer, for the newest month); the orders read only for customers who ordered again since.
    -- Kept: only those past the deadline, a few thousand rows to join, not all
    SELECT customer_id, last_ordered_at
    FROM _rollup_last_order
    WHERE last_ordered_at < $as_of
      AND last_ordered_at + INTERVAL 1 YEAR * $retention_years < $as_of
    UNION ALL
    SELECT customer_id, max(ordered_at) AS last_ordered_at
    FROM orders
    WHERE ordered_at < $as_of
      AND customer_id IN (SELECT customer_id FROM _rollup_last_order WHERE last_ordered_at >= $as_of)
    GROUP BY customer_id
    HAVING max(ordered_at) + INTERVAL 1 YEAR * $retention_years < $as_of
), due AS (
    SELECT c.customer_id, l.last_ordered_at, l.last_ordered_at + INTERVAL 1 YEAR * $retention_years AS deadline
    FROM customers AS c
    JOIN last_order AS l USING (customer_id)
    WHERE c.created_at < $as_of
      AND (c.erased_at IS NULL OR c.erased_at >= $as_of)
)
SELECT
    customer_id AS subject_id,
    deadline AS occurred_at,
    'last order ' || strftime(last_ordered_at, '%Y-%m-%d') || 'T' || strftime(last_ordered_at, '%H:%M:%S') || 'Z'
        || '; retention deadline ' || strftime(deadline, '%Y-%m-%d') || 'T' || strftime(deadline, '%H:%M:%S') || 'Z'
        || '; not erased at the end of the month, '
        || date_diff('day', CAST(deadline AS DATE), CAST($as_of AS DATE))
        || CASE WHEN date_diff('day', CAST(deadline AS DATE), CAST($as_of AS DATE)) = 1 THEN ' day' ELSE ' days' END
        || ' past the deadline' AS detail
FROM due
WHERE deadline < $as_of
