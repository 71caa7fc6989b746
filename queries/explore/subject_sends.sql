-- name: explore/subject_sends
-- answers: Which marketing sends went to one data subject (by pseudonymous customer_id), on which channel and campaign, personalised or not?
-- params: customer_id
-- requires: marketing_sends
-- notice: §3 (purpose 4), §4
-- gdpr: Art. 21
-- note: for analysts (notebooks/explore.ipynb); not part of the month results
SELECT send_id, sent_at, channel, campaign_id, personalised
FROM marketing_sends
WHERE customer_id = $customer_id
ORDER BY sent_at, send_id
