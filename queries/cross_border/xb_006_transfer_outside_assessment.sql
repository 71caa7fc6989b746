-- name: cross_border/xb_006_transfer_outside_assessment
-- answers: For each (processor, country outside the EEA) pair with access events in the month, is the transfer within its transfer impact assessment (TIA): is one recorded, does it list every resource and action used, do the month's records stay within its monthly records, and is it not overdue for review?
-- rule: XB-006
-- severity: medium
-- subject: transfer
-- title: Transfer outside its assessment
-- params: period_start, as_of
-- requires: access_log
-- notice: §6 (transfers outside the EEA)
-- gdpr: Art. 44, Art. 46(1), Art. 5(2)
-- occurred_at: the first event of the month meeting the condition ((a) no TIA and (d) review overdue: the pair's first event of the month; (b) the first event outside the assessment; (c) the event at which the month's running sum of records first exceeds the assessment's monthly records)
-- note: one finding per pair and condition met, the subject `processor|country`: (a) no TIA recorded for the pair, (b) an event on a resource or with an action the TIA does not list, (c) the month's summed record_count above the TIA's monthly_records, (d) the TIA's review_by before as_of. The processor is compared as XB-001 compares it (case-insensitive, surrounding Unicode blanks ignored), and so are the evidence file's processor and country (in capitals). Every event of the pair in the month counts, whatever the processor (an undeclared processor has no TIA: condition (a)); the EEA is the one of the policy version in force at the event's time (policy_version_at, then policy_eea_at by version), as XB-004 reads it. The TIAs come from the evidence file (evidence_tia, evidence_tia_scope); without --evidence both are empty and every pair meets (a). Events are ordered by occurred_at, then event_id, both for the first event and for the running sum of (c) (record_count >= 0, so the sum first exceeds the TIA's figure at exactly one event; NULL counts as 0). review_by is a date: the assessment holds until that day's first instant, so it is overdue when review_by < as_of (a review due on the first day of the next month is not). The month's events are read once: each event carries its pair's figures (window functions), and the four conditions are picked from them
WITH e AS (
    SELECT a.event_id, a.occurred_at, a.resource, a.action, coalesce(a.record_count, 0) AS record_count,
           lower(trim(a.processor, '                　')) AS processor_key, a.source_country AS country
    FROM access_log AS a
    JOIN policy_version_at AS v ON a.occurred_at >= v.valid_from AND a.occurred_at < v.valid_to
    WHERE a.occurred_at >= $period_start AND a.occurred_at < $as_of
      AND NOT EXISTS (SELECT 1 FROM policy_eea_at AS x WHERE x.version = v.version AND x.country = a.source_country)
), tia AS (
    SELECT lower(trim(processor, '                　')) AS processor_key, upper(trim(country, '                　')) AS country,
           reference, review_by, monthly_records
    FROM evidence_tia
), scope AS (
    SELECT DISTINCT lower(trim(processor, '                　')) AS processor_key, upper(trim(country, '                　')) AS country,
           resource, action
    FROM evidence_tia_scope
), j AS (
    -- each event with its pair's TIA (NULL: none), and 1 when the TIA does not list its resource and action
    SELECT e.*, t.reference, t.review_by, t.monthly_records,
           CASE WHEN t.reference IS NOT NULL AND s.resource IS NULL THEN 1 ELSE 0 END AS outside
    FROM e
    LEFT JOIN tia AS t ON t.processor_key = e.processor_key AND t.country = e.country
    LEFT JOIN scope AS s ON s.processor_key = e.processor_key AND s.country = e.country
        AND s.resource = e.resource AND s.action = e.action
), w AS (
    -- in the pair's order (occurred_at, event_id): the event's place, the running sums of records and of
    -- events outside the TIA; and the pair's totals
    SELECT j.*,
           row_number() OVER (PARTITION BY processor_key, country ORDER BY occurred_at, event_id) AS n,
           sum(record_count) OVER (PARTITION BY processor_key, country ORDER BY occurred_at, event_id
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running,
           sum(outside) OVER (PARTITION BY processor_key, country ORDER BY occurred_at, event_id
                              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS outside_so_far,
           count(*) OVER (PARTITION BY processor_key, country) AS pair_events,
           sum(record_count) OVER (PARTITION BY processor_key, country) AS pair_records,
           sum(outside) OVER (PARTITION BY processor_key, country) AS pair_outside
    FROM j
), used AS (
    -- the resources and actions used outside the TIA, per pair
    SELECT processor_key, country,
           array_to_string(list_sort(list_distinct(list(resource || ' ' || action))), ', ') AS used
    FROM j
    WHERE outside = 1
    GROUP BY processor_key, country
)
SELECT
    w.processor_key || '|' || w.country AS subject_id,
    w.occurred_at,
    CASE c.cond
        WHEN 1 THEN 'no TIA recorded for ' || w.processor_key || '|' || w.country || ': ' || w.pair_events
            || CASE WHEN w.pair_events = 1 THEN ' event' ELSE ' events' END || ' ('
            || CAST(w.pair_records AS BIGINT) || CASE WHEN w.pair_records = 1 THEN ' record' ELSE ' records' END
            || ') from ' || w.country || ' in the month'
        WHEN 2 THEN 'outside TIA ' || w.reference || ': ' || CAST(w.pair_outside AS BIGINT)
            || CASE WHEN w.pair_outside = 1 THEN ' event' ELSE ' events' END
            || ' on a resource or with an action it does not list (' || u.used || '); the first: ' || w.action
            || ' on ' || w.resource || ', event ' || w.event_id
        WHEN 3 THEN 'above TIA ' || w.reference || ': ' || CAST(w.pair_records AS BIGINT)
            || ' records in the month, above its ' || w.monthly_records || ' a month; exceeded at event '
            || w.event_id || ' (' || CAST(w.running AS BIGINT) || ' records by then)'
        ELSE 'TIA ' || w.reference || ' overdue: to be reviewed by ' || strftime(w.review_by, '%Y-%m-%d')
            || ', before the end of the month'
    END AS detail
FROM w
CROSS JOIN (VALUES (1), (2), (3), (4)) AS c(cond)
LEFT JOIN used AS u ON c.cond = 2 AND u.processor_key = w.processor_key AND u.country = w.country
WHERE (c.cond = 1 AND w.n = 1 AND w.reference IS NULL)
   OR (c.cond = 2 AND w.outside = 1 AND w.outside_so_far = 1)
   OR (c.cond = 3 AND w.running > w.monthly_records AND w.running - w.record_count <= w.monthly_records)
   OR (c.cond = 4 AND w.n = 1 AND w.review_by < $as_of)
ORDER BY subject_id, w.occurred_at, c.cond
