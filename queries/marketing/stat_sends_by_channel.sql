-- name: marketing/stat_sends_by_channel
-- answers: In the month, how many marketing sends went out on each channel, to how many customers, and how many were personalised, sent after an objection, or sent to an erased customer?
-- params: period_start, as_of
-- requires: customers, marketing_sends
-- notice: §3 (purpose 4: non-personalised marketing, objection at any time), §4, §7
-- gdpr: Art. 21(2), Art. 21(3), Art. 5(1)(b)
SELECT
    s.channel,
    count(*) AS sends,
    count(DISTINCT s.customer_id) AS customers,
    count(DISTINCT s.campaign_id) AS campaigns,
    count(*) FILTER (WHERE s.personalised) AS personalised,
    count(*) FILTER (WHERE c.marketing_objection_at <= s.sent_at) AS after_objection,
    count(*) FILTER (WHERE c.erased_at <= s.sent_at) AS to_erased_customer
FROM marketing_sends AS s
LEFT JOIN customers AS c USING (customer_id)
WHERE s.sent_at >= $period_start AND s.sent_at < $as_of
GROUP BY s.channel
ORDER BY sends DESC, s.channel
