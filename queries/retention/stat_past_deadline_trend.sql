-- name: retention/stat_past_deadline_trend
-- answers: At each of the 12 month ends up to as_of, how many customers, accounts without orders and uploads were held past their retention deadline, as the data stood at that month end (RET-001, RET-003, RET-002)?
-- params: as_of, retention_years
-- requires: customers, orders
-- optional: uploads (uploads_past_deadline is NULL, not 0, when the source had no uploads table)
-- notice: §7 (erased 3 years after the last order)
-- gdpr: Art. 5(1)(e), Art. 17(1)(a)
-- note: one query; the 12 month ends are a generated series, each month end plays the role of as_of
WITH month_ends AS (
    SELECT me AS month_end
    FROM generate_series($as_of - INTERVAL 11 MONTH, $as_of, INTERVAL 1 MONTH) AS t(me)
), customer_state AS (
    -- every customer that existed at each month end, with its last order before that month end
    SELECT
        m.month_end,
        c.customer_id,
        coalesce(c.erased_at < m.month_end, false) AS erased,
        c.erased_at,
        max(o.ordered_at) AS last_ordered_at,
        coalesce(max(o.ordered_at), c.created_at) + to_years($retention_years) AS deadline
    FROM month_ends AS m
    JOIN customers AS c ON c.created_at < m.month_end
    LEFT JOIN orders AS o ON o.customer_id = c.customer_id AND o.ordered_at < m.month_end
    GROUP BY m.month_end, c.customer_id, c.created_at, c.erased_at
), customers_due AS (
    SELECT
        month_end,
        count(*) FILTER (WHERE NOT erased AND last_ordered_at IS NOT NULL AND deadline < month_end) AS customers,
        count(*) FILTER (WHERE NOT erased AND last_ordered_at IS NULL AND deadline < month_end) AS without_orders
    FROM customer_state
    GROUP BY month_end
), uploads_due AS (
    SELECT s.month_end, count(*) AS uploads
    FROM customer_state AS s
    JOIN uploads AS u ON u.customer_id = s.customer_id
    WHERE u.uploaded_at < s.month_end
      AND (u.erased_at IS NULL OR u.erased_at >= s.month_end)
      AND (s.erased OR s.deadline < s.month_end)
    GROUP BY s.month_end
)
SELECT
    strftime(m.month_end - INTERVAL 1 MONTH, '%Y-%m') AS month,
    m.month_end,
    coalesce(c.customers, 0) AS customers_past_deadline,
    coalesce(c.without_orders, 0) AS accounts_without_orders_past_period,
    CASE WHEN (SELECT present FROM _load_tables WHERE table_name = 'uploads')
         THEN coalesce(u.uploads, 0) END AS uploads_past_deadline
FROM month_ends AS m
LEFT JOIN customers_due AS c USING (month_end)
LEFT JOIN uploads_due AS u USING (month_end)
ORDER BY m.month_end
