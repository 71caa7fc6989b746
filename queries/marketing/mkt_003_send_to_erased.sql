-- name: marketing/mkt_003_send_to_erased
-- answers: Which marketing sends of the month went to a customer erased at or before the send?
-- rule: MKT-003
-- severity: high
-- subject: send
-- title: Marketing sent to an erased customer
-- params: period_start, as_of
-- requires: customers, marketing_sends
-- notice: §7
-- gdpr: Art. 17(1), Art. 5(1)(e)
-- occurred_at: the send time
SELECT
    s.send_id AS subject_id,
    s.sent_at AS occurred_at,
    s.channel || ' send of campaign ' || s.campaign_id || ' to customer ' || s.customer_id
        || ', erased on ' || strftime(c.erased_at, '%Y-%m-%d') || 'T' || strftime(c.erased_at, '%H:%M:%S') || 'Z' AS detail
FROM marketing_sends AS s
JOIN customers AS c USING (customer_id)
WHERE s.sent_at >= $period_start AND s.sent_at < $as_of
  AND c.erased_at <= s.sent_at
