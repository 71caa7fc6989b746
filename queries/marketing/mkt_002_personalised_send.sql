-- name: marketing/mkt_002_personalised_send
-- answers: Which marketing sends of the month were personalised, although the policy version in force at the send excludes personalised advertising?
-- rule: MKT-002
-- severity: medium
-- subject: send
-- title: Personalised advertising where the policy excludes it
-- params: period_start, as_of
-- requires: marketing_sends
-- notice: §3 (purpose 4: non-personalised advertising), §4 (no profiling, no personalised advertising)
-- gdpr: Art. 5(1)(b), Art. 13(2)(f), Art. 21
-- occurred_at: the send time
-- note: follows profiling.personalised_advertising of the policy version in force at sent_at (policy_version_at)
SELECT
    s.send_id AS subject_id,
    s.sent_at AS occurred_at,
    'personalised ' || s.channel || ' send of campaign ' || s.campaign_id || ' to customer ' || s.customer_id AS detail
FROM marketing_sends AS s
WHERE s.sent_at >= $period_start AND s.sent_at < $as_of
  AND s.personalised
  AND EXISTS (
      SELECT 1 FROM policy_version_at AS v
      WHERE s.sent_at >= v.valid_from AND s.sent_at < v.valid_to AND NOT v.personalised_advertising
  )
