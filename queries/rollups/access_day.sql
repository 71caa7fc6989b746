-- name: rollups/access_day
-- answers: For each UTC day from month_start to month_end (exclusive), how many access events did each processor make? (the coverage ledger `load` keeps in _rollup_access_day: a day a processor's log is missing or thin shows here)
-- params: month_start, month_end
-- requires: access_log
-- notice: §5, §6
-- gdpr: Art. 5(2), Art. 30(1)(e)
-- note: processors are grouped as the rules compare them (case-insensitively, ignoring surrounding Unicode blanks, written literally in trim()); `load` recomputes the months a new, changed or removed access log file touches; analysis/ledger.py judges each day against the same weekday of the four weeks before
SELECT
    CAST(date_trunc('month', occurred_at) AS TIMESTAMP) AS month_start,
    CAST(date_trunc('day', occurred_at) AS TIMESTAMP) AS day,
    lower(trim(processor, '                　')) AS member,
    count(*) AS events
FROM access_log
WHERE occurred_at >= $month_start AND occurred_at < $month_end
GROUP BY date_trunc('month', occurred_at), date_trunc('day', occurred_at), lower(trim(processor, '                　'))
