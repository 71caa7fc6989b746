-- name: ropa/processors_seen
-- answers: Which processors accessed the data in the month, from which countries, and does the policy declare that processor and that country for it?
-- params: period_start, as_of
-- requires: access_log
-- notice: §5 (recipients), §6 (transfers outside the EEA)
-- gdpr: Art. 30(1)(d), Art. 30(1)(e), Art. 30(2)(c)
-- note: processor names are compared as the XB rules compare them: lower case, surrounding blanks ignored
WITH e AS (
    SELECT *, lower(trim(processor)) AS processor_key
    FROM access_log
    WHERE occurred_at >= $period_start AND occurred_at < $as_of
)
SELECT
    e.processor,
    e.source_country,
    e.processor_key IN (SELECT processor FROM policy_processor) AS declared_processor,
    EXISTS (
        SELECT 1 FROM policy_processor_country AS pc
        WHERE pc.processor = e.processor_key AND pc.country = e.source_country
    ) AS declared_country,
    e.source_country NOT IN (SELECT country FROM policy_eea) AS third_country,
    count(*) AS events,
    count(*) FILTER (WHERE e.resource = 'uploads') AS upload_events,
    count(DISTINCT e.actor_id) AS actors
FROM e
GROUP BY e.processor, e.processor_key, e.source_country
ORDER BY e.processor, e.source_country
