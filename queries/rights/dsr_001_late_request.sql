-- name: rights/dsr_001_late_request
-- answers: Which data-subject requests were closed in the month after their deadline, or are still open at as_of past their deadline?
-- rule: DSR-001
-- severity: high
-- subject: request
-- title: Data-subject request answered late or overdue
-- params: period_start, as_of
-- requires: dsr_requests
-- notice: §8, §9 (rights exercised with the Data Protection Office)
-- gdpr: Art. 12(3)
-- occurred_at: the deadline (received + 1 month, or + 3 months when extended)
WITH r AS (
    SELECT *,
        received_at + CASE WHEN extended THEN INTERVAL 3 MONTH ELSE INTERVAL 1 MONTH END AS deadline
    FROM dsr_requests
    WHERE received_at < $as_of
)
SELECT
    request_id AS subject_id,
    deadline AS occurred_at,
    "right" || ' request received ' || strftime(received_at, '%Y-%m-%d') || 'T' || strftime(received_at, '%H:%M:%S') || 'Z'
        || CASE WHEN extended THEN ' (deadline extended)' ELSE '' END
        || '; deadline ' || strftime(deadline, '%Y-%m-%d') || 'T' || strftime(deadline, '%H:%M:%S') || 'Z' || '; '
        || CASE
            WHEN closed_at >= $period_start AND closed_at < $as_of
                THEN 'closed ' || strftime(closed_at, '%Y-%m-%d') || 'T' || strftime(closed_at, '%H:%M:%S') || 'Z' || ', '
                     || date_diff('day', CAST(deadline AS DATE), CAST(closed_at AS DATE))
                     || CASE WHEN date_diff('day', CAST(deadline AS DATE), CAST(closed_at AS DATE)) = 1
                             THEN ' day late' ELSE ' days late' END
            ELSE 'still open at the end of the month, ' || date_diff('day', CAST(deadline AS DATE), CAST($as_of AS DATE))
                 || CASE WHEN date_diff('day', CAST(deadline AS DATE), CAST($as_of AS DATE)) = 1
                         THEN ' day' ELSE ' days' END
                 || ' past the deadline'
        END AS detail
FROM r
WHERE (closed_at >= $period_start AND closed_at < $as_of AND closed_at > deadline)
   OR ((closed_at IS NULL OR closed_at >= $as_of) AND deadline < $as_of)
