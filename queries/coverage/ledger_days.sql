-- name: coverage/ledger_days
-- answers: How many events did each processor's access log, and each marketing channel, hold on each UTC day from window_start to as_of (exclusive)? (the coverage ledger's counts, read from the day roll-ups `load` keeps)
-- params: window_start, as_of
-- notice: §5, §6, §8
-- gdpr: Art. 5(2)
-- note: a day without events has no row; analysis/ledger.py fills those with 0 and judges each day of the month against the same weekday of the four weeks before (window_start is 28 days before the month's first day)
SELECT 'access_log' AS table_name, member, day, CAST(sum(events) AS BIGINT) AS events
FROM _rollup_access_day
WHERE day >= $window_start AND day < $as_of
GROUP BY member, day
UNION ALL
SELECT 'marketing_sends' AS table_name, member, day, CAST(sum(events) AS BIGINT) AS events
FROM _rollup_send_day
WHERE day >= $window_start AND day < $as_of
GROUP BY member, day
ORDER BY table_name, member, day
