-- name: marketing/mkt_001_send_after_objection
-- answers: Which marketing sends of the month went to a customer who had objected to marketing at or before the send?
-- rule: MKT-001
-- severity: high
-- subject: send
-- title: Marketing sent after the customer objected
-- params: period_start, as_of
-- requires: customers, marketing_sends
-- notice: §3 (purpose 4: the data subject can object at any time)
-- gdpr: Art. 21(2), Art. 21(3)
-- occurred_at: the send time
SELECT
    s.send_id AS subject_id,
    s.sent_at AS occurred_at,
    s.channel || ' send of campaign ' || s.campaign_id || ' to customer ' || s.customer_id
        || ', who objected to marketing on ' || strftime(c.marketing_objection_at, '%Y-%m-%d') || 'T' || strftime(c.marketing_objection_at, '%H:%M:%S') || 'Z' AS detail
FROM marketing_sends AS s
JOIN customers AS c USING (customer_id)
WHERE s.sent_at >= $period_start AND s.sent_at < $as_of
  AND c.marketing_objection_at <= s.sent_at
