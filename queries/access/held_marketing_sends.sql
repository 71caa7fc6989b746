-- name: access/held_marketing_sends
-- answers: For each data subject of an access pack, the marketing sent to them before as_of?
-- params: as_of
-- requires: marketing_sends
-- notice: §3 (purpose 4), §4
-- gdpr: Art. 15(1), Art. 21
-- note: access packs only; pack_subjects holds the pack's subjects
SELECT m.send_id, m.customer_id, m.sent_at, m.channel, m.campaign_id, m.personalised
FROM marketing_sends AS m
JOIN pack_subjects AS s ON m.customer_id = s.customer_id
WHERE m.sent_at < $as_of
ORDER BY m.customer_id, m.sent_at, m.send_id
