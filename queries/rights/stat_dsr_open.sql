-- name: rights/stat_dsr_open
-- answers: Which data-subject requests are still open at as_of, how old are they, and which are past their deadline?
-- params: as_of
-- requires: dsr_requests
-- notice: §8, §9
-- gdpr: Art. 12(3)
WITH r AS (
    SELECT *,
        received_at + CASE WHEN extended THEN INTERVAL 3 MONTH ELSE INTERVAL 1 MONTH END AS deadline
    FROM dsr_requests
    WHERE received_at < $as_of
      AND (closed_at IS NULL OR closed_at >= $as_of)
)
SELECT
    request_id,
    "right",
    extended,
    received_at,
    deadline,
    date_diff('day', CAST(received_at AS DATE), CAST($as_of AS DATE)) AS age_days,
    deadline < $as_of AS overdue
FROM r
ORDER BY overdue DESC, received_at, request_id
