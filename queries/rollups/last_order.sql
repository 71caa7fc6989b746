-- name: rollups/last_order
-- answers: For each customer with orders, when were the first and the last order? (the roll-up `load` keeps in _rollup_last_order, rebuilt with the orders table; RET-001 reads it)
-- params: none
-- requires: orders
-- notice: §7 (erased 3 years after the last order)
-- gdpr: Art. 5(1)(e)
-- note: the last order before a month's end is last_ordered_at whenever that is before the month's end; only the customers who ordered again later need their orders read (retention/ret_001)
SELECT customer_id, min(ordered_at) AS first_ordered_at, max(ordered_at) AS last_ordered_at
FROM orders
GROUP BY customer_id
