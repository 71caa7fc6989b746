-- name: explore/subject_timeline
-- answers: For one data subject (by pseudonymous customer_id): account type, creation, erasure, objection to marketing, orders and uploads held, first and last order — the facts the retention and marketing rules use, without personal data.
-- params: customer_id
-- requires: customers, orders
-- optional: uploads (no upload counts when the source had no uploads table)
-- notice: §7
-- gdpr: Art. 5(1)(e), Art. 17, Art. 21
-- note: for analysts (notebooks/explore.ipynb); not part of the month results
SELECT
    c.customer_id,
    c.account_type,
    c.created_at,
    c.erased_at,
    c.marketing_objection_at,
    (SELECT count(*) FROM orders AS o WHERE o.customer_id = c.customer_id) AS orders,
    (SELECT min(ordered_at) FROM orders AS o WHERE o.customer_id = c.customer_id) AS first_order_at,
    (SELECT max(ordered_at) FROM orders AS o WHERE o.customer_id = c.customer_id) AS last_order_at,
    (SELECT count(*) FROM uploads AS u WHERE u.customer_id = c.customer_id) AS uploads,
    (SELECT count(*) FROM uploads AS u WHERE u.customer_id = c.customer_id AND u.erased_at IS NULL) AS uploads_not_erased
FROM customers AS c
WHERE c.customer_id = $customer_id
