-- name: cross_border/xb_002_undeclared_third_country
-- answers: Which access events of the month by a declared processor came from a country outside the EEA that the policy version in force at the event's time does not declare for that processor?
-- rule: XB-002
-- severity: high
-- subject: access_event
-- title: Access from a third country not declared for the processor
-- params: period_start, as_of
-- requires: access_log
-- notice: §5, §6 (transfers outside the EEA)
-- gdpr: Art. 44, Art. 46(2)(c)
-- occurred_at: the access event's time
-- note: each event is judged by the policy version in force at occurred_at: policy_version_at gives the version (valid_from inclusive, valid_to exclusive), the other _at tables are read by version
WITH e AS (
    SELECT a.*, lower(trim(a.processor, '                　')) AS processor_key, v.version
    FROM access_log AS a
    JOIN policy_version_at AS v ON a.occurred_at >= v.valid_from AND a.occurred_at < v.valid_to
    WHERE a.occurred_at >= $period_start AND a.occurred_at < $as_of
)
SELECT
    e.event_id AS subject_id,
    e.occurred_at,
    e.processor_key || ' accessed ' || e.resource || ' (' || e.action || ') from '
        || e.source_country || ', a third country not declared for this processor' AS detail
FROM e
WHERE EXISTS (SELECT 1 FROM policy_processor_at AS p WHERE p.version = e.version AND p.processor = e.processor_key)
  AND NOT EXISTS (SELECT 1 FROM policy_eea_at AS x WHERE x.version = e.version AND x.country = e.source_country)
  AND NOT EXISTS (
      SELECT 1 FROM policy_processor_country_at AS pc
      WHERE pc.version = e.version AND pc.processor = e.processor_key AND pc.country = e.source_country
  )
