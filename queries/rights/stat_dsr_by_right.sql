-- name: rights/stat_dsr_by_right
-- answers: For each right, how many data-subject requests were received and closed in the month, how many days did closing take, how many were closed late, and how many are open and overdue at as_of?
-- params: period_start, as_of
-- requires: dsr_requests
-- notice: §8, §9 (rights exercised with the Data Protection Office)
-- gdpr: Art. 12(3), Art. 15-22
-- note: deadline = received_at + 1 month, or + 3 months when extended (as DSR-001); days are calendar days in UTC
WITH r AS (
    SELECT *,
        received_at + CASE WHEN extended THEN INTERVAL 3 MONTH ELSE INTERVAL 1 MONTH END AS deadline,
        closed_at >= $period_start AND closed_at < $as_of AS closed_in_month,
        closed_at IS NULL OR closed_at >= $as_of AS open_at_as_of
    FROM dsr_requests
    WHERE received_at < $as_of
)
SELECT
    "right",
    count(*) FILTER (WHERE received_at >= $period_start) AS received_in_month,
    count(*) FILTER (WHERE closed_in_month) AS closed_in_month,
    median(date_diff('day', CAST(received_at AS DATE), CAST(closed_at AS DATE))) FILTER (WHERE closed_in_month) AS median_days_to_close,
    max(date_diff('day', CAST(received_at AS DATE), CAST(closed_at AS DATE))) FILTER (WHERE closed_in_month) AS max_days_to_close,
    count(*) FILTER (WHERE closed_in_month AND closed_at > deadline) AS closed_late,
    count(*) FILTER (WHERE open_at_as_of) AS open_at_end,
    count(*) FILTER (WHERE open_at_as_of AND deadline < $as_of) AS open_overdue
FROM r
GROUP BY "right"
HAVING count(*) FILTER (WHERE received_at >= $period_start OR closed_in_month OR open_at_as_of) > 0
ORDER BY "right"
