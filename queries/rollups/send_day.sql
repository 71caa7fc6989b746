-- name: rollups/send_day
-- answers: For each UTC day, how many marketing sends went out on each channel? (the coverage ledger `load` keeps in _rollup_send_day, rebuilt with the marketing_sends table)
-- params: none
-- requires: marketing_sends
-- notice: §3, §8
-- gdpr: Art. 5(2), Art. 21
-- note: analysis/ledger.py judges each day against the same weekday of the four weeks before
SELECT
    CAST(date_trunc('day', sent_at) AS TIMESTAMP) AS day,
    channel AS member,
    count(*) AS events
FROM marketing_sends
GROUP BY date_trunc('day', sent_at), channel
