-- name: explore/subject_requests
-- answers: Which data-subject requests did one data subject (by pseudonymous customer_id) make, and how were they handled?
-- params: customer_id
-- requires: dsr_requests
-- notice: §8, §9
-- gdpr: Art. 12(3), Art. 15-22
-- note: for analysts (notebooks/explore.ipynb); not part of the month results
SELECT request_id, received_at, "right", extended, closed_at, outcome
FROM dsr_requests
WHERE customer_id = $customer_id
ORDER BY received_at, request_id
