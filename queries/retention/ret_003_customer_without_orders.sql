-- name: retention/ret_003_customer_without_orders
-- answers: Which customers never ordered, are not erased at as_of, and have had their account for longer than the retention period?
-- rule: RET-003
-- severity: low
-- subject: customer
-- title: Account without orders older than the retention period (review)
-- params: as_of, retention_years
-- requires: customers, orders
-- notice: §7 (no order to count the 3 years from)
-- gdpr: Art. 5(1)(e)
-- occurred_at: account creation + retention period
SELECT
    c.customer_id AS subject_id,
    c.created_at + INTERVAL 1 YEAR * $retention_years AS occurred_at,
    'no order before the end of the month; account created '
        || strftime(c.created_at, '%Y-%m-%d') || 'T' || strftime(c.created_at, '%H:%M:%S') || 'Z'
        || ' and not erased: review whether the data is still needed' AS detail
FROM customers AS c
WHERE c.created_at < $as_of
  AND (c.erased_at IS NULL OR c.erased_at >= $as_of)
  AND c.created_at + INTERVAL 1 YEAR * $retention_years < $as_of
  AND NOT EXISTS (
      SELECT 1 FROM orders AS o WHERE o.customer_id = c.customer_id AND o.ordered_at < $as_of
  )
