-- name: marketing/stat_objections_trend
-- answers: In each of the trailing 12 months, how many customers objected to marketing, and how many sends went to customers who had already objected?
-- params: trailing_start, as_of
-- requires: customers, marketing_sends
-- notice: §3 (purpose 4: the data subject can object at any time)
-- gdpr: Art. 21(2), Art. 21(3)
WITH months AS (
    -- the months from trailing_start to the one before as_of (at most 12)
    SELECT $trailing_start + INTERVAL 1 MONTH * k AS month_start, $trailing_start + INTERVAL 1 MONTH * (k + 1) AS month_end
    FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11)) AS t(k)
    WHERE $trailing_start + INTERVAL 1 MONTH * k < $as_of
), objections AS (
    SELECT m.month_start, count(c.customer_id) AS objections
    FROM months AS m
    LEFT JOIN customers AS c
        ON c.marketing_objection_at >= m.month_start AND c.marketing_objection_at < m.month_end
       AND c.created_at < $as_of
    GROUP BY m.month_start
), sends AS (
    SELECT
        m.month_start,
        count(s.send_id) AS sends,
        count(s.send_id) FILTER (WHERE c.marketing_objection_at <= s.sent_at) AS sends_after_objection
    FROM months AS m
    LEFT JOIN marketing_sends AS s ON s.sent_at >= m.month_start AND s.sent_at < m.month_end
    LEFT JOIN customers AS c ON c.customer_id = s.customer_id
    GROUP BY m.month_start
)
SELECT strftime(month_start, '%Y-%m') AS month, o.objections, s.sends, s.sends_after_objection
FROM objections AS o
JOIN sends AS s USING (month_start)
ORDER BY month_start
