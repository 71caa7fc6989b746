-- name: ropa/processors_seen
-- answers: Which processors accessed the data in the month, from which countries, and does the policy declare that processor and that country for it?
-- params: period_start
-- requires: access_log
-- notice: §5 (recipients), §6 (transfers outside the EEA)
-- gdpr: Art. 30(1)(d), Art. 30(1)(e), Art. 30(2)(c)
-- note: processor names are compared as the XB rules compare them: lower case, surrounding blanks ignored (the Unicode space separators, written literally in trim()); read from the monthly roll-ups
WITH c AS (
    SELECT *, lower(trim(processor, '                　')) AS processor_key
    FROM _rollup_access_country
    WHERE month_start = $period_start
), u AS (
    SELECT processor, source_country, sum(events) AS upload_events
    FROM _rollup_access_month
    WHERE month_start = $period_start AND resource = 'uploads'
    GROUP BY processor, source_country
)
SELECT
    c.processor,
    c.source_country,
    c.processor_key IN (SELECT processor FROM policy_processor) AS declared_processor,
    EXISTS (
        SELECT 1 FROM policy_processor_country AS pc
        WHERE pc.processor = c.processor_key AND pc.country = c.source_country
    ) AS declared_country,
    c.source_country NOT IN (SELECT country FROM policy_eea) AS third_country,
    c.events,
    CAST(coalesce(u.upload_events, 0) AS BIGINT) AS upload_events,
    c.actors
FROM c
LEFT JOIN u ON u.processor = c.processor AND u.source_country = c.source_country
ORDER BY c.processor, c.source_country
