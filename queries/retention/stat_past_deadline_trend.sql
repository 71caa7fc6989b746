-- name: retention/stat_past_deadline_trend
-- answers: At each of the 12 month ends up to as_of, how many customers, accounts without orders and uploads were held past their retention deadline, as the data stood at that month end (RET-001, RET-003, RET-002)?
-- params: as_of, retention_years
-- requires: customers, orders
-- optional: uploads (uploads_past_deadline is NULL, not 0, when the source had no uploads table)
-- notice: §7 (erased 3 years after the last order)
-- gdpr: Art. 5(1)(e), Art. 17(1)(a)
-- note: one pass: each customer's orders give the spans (lo, hi] of month ends at which the customer is due (last order + retention period passed and not erased; no order and account older than the period; erased), each upload the part of its customer's spans while it is held; the 12 month ends are then counted in those spans. tests/test_stats_queries.py checks every point against the RET rules run with that month end as as_of
WITH month_ends AS (
    -- the 12 month ends from as_of - 11 months to as_of
    SELECT $as_of - INTERVAL 1 MONTH * k AS month_end
    FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11)) AS t(k)
), o AS (
    -- every order before as_of, with the same customer's next order (NULL after the last one)
    SELECT customer_id, ordered_at, lead(ordered_at) OVER (PARTITION BY customer_id ORDER BY ordered_at) AS next_at
    FROM orders
    WHERE ordered_at < $as_of
), first_order AS (
    SELECT customer_id, min(ordered_at) AS first_at FROM o GROUP BY customer_id
), spans AS (
    -- disjoint spans (lo, hi] of month ends at which the customer is due; hi 9999-12-31 = still due
    -- RET-001: o is the last order before the month end, its deadline has passed, the customer is not erased
    SELECT o.customer_id, 'deadline' AS kind, greatest(o.ordered_at + INTERVAL 1 YEAR * $retention_years, c.created_at) AS lo,
           coalesce(least(o.next_at, c.erased_at), TIMESTAMP '9999-12-31 00:00:00') AS hi
    FROM o JOIN customers AS c ON c.customer_id = o.customer_id
    UNION ALL
    -- RET-003: no order before the month end, the account is older than the period, not erased
    SELECT c.customer_id, 'no_order' AS kind, c.created_at + INTERVAL 1 YEAR * $retention_years AS lo,
           coalesce(least(f.first_at, c.erased_at), TIMESTAMP '9999-12-31 00:00:00') AS hi
    FROM customers AS c LEFT JOIN first_order AS f ON f.customer_id = c.customer_id
    UNION ALL
    -- erased before the month end: due for RET-002 (the uploads must be gone)
    SELECT customer_id, 'erased' AS kind, greatest(erased_at, created_at) AS lo, TIMESTAMP '9999-12-31 00:00:00' AS hi
    FROM customers
    WHERE erased_at IS NOT NULL
), window_spans AS (
    SELECT * FROM spans
    WHERE lo < hi AND lo < $as_of AND hi >= $as_of - INTERVAL 11 MONTH
), upload_spans AS (
    -- RET-002: the part of a due span while the upload is held (uploaded before, not erased at the month end)
    SELECT greatest(s.lo, u.uploaded_at) AS lo,
           least(s.hi, coalesce(u.erased_at, TIMESTAMP '9999-12-31 00:00:00')) AS hi
    FROM uploads AS u JOIN window_spans AS s ON s.customer_id = u.customer_id
), customers_due AS (
    SELECT
        m.month_end,
        count(*) FILTER (WHERE s.kind = 'deadline') AS customers,
        count(*) FILTER (WHERE s.kind = 'no_order') AS without_orders
    FROM month_ends AS m
    JOIN window_spans AS s ON m.month_end > s.lo AND m.month_end <= s.hi
    GROUP BY m.month_end
), uploads_due AS (
    SELECT m.month_end, count(*) AS uploads
    FROM month_ends AS m
    JOIN upload_spans AS s ON m.month_end > s.lo AND m.month_end <= s.hi
    GROUP BY m.month_end
)
SELECT
    strftime(m.month_end - INTERVAL 1 MONTH, '%Y-%m') AS month,
    m.month_end,
    coalesce(c.customers, 0) AS customers_past_deadline,
    coalesce(c.without_orders, 0) AS accounts_without_orders_past_period,
    CASE WHEN (SELECT present FROM _load_tables WHERE table_name = 'uploads')
         THEN coalesce(u.uploads, 0) END AS uploads_past_deadline
FROM month_ends AS m
LEFT JOIN customers_due AS c ON c.month_end = m.month_end
LEFT JOIN uploads_due AS u ON u.month_end = m.month_end
ORDER BY m.month_end
