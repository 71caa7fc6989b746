-- name: rights/stat_dsr_closed
-- answers: Which data-subject requests were closed in the month, how many days after receipt, and was that after the deadline?
-- params: period_start, as_of
-- requires: dsr_requests
-- notice: §8, §9
-- gdpr: Art. 12(3)
SELECT
    request_id,
    "right",
    extended,
    received_at,
    received_at + CASE WHEN extended THEN INTERVAL 3 MONTH ELSE INTERVAL 1 MONTH END AS deadline,
    closed_at,
    outcome,
    date_diff('day', CAST(received_at AS DATE), CAST(closed_at AS DATE)) AS days_to_close,
    closed_at > received_at + CASE WHEN extended THEN INTERVAL 3 MONTH ELSE INTERVAL 1 MONTH END AS late
FROM dsr_requests
WHERE received_at < $as_of
  AND closed_at >= $period_start AND closed_at < $as_of
ORDER BY closed_at, request_id
