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
-- note: each event is judged by the policy version in force at occurred_at: policy_version_at gives the version (valid_from inclusive, valid_to exclusive), the other _at tables are read by version. The month's few distinct (processor, source_country) pairs are judged once per version in force in the month; the events of the undeclared pairs are then picked out by an equality join (both columns are never NULL, SPEC §3), instead of judging every event
WITH pairs AS (
    SELECT DISTINCT processor, source_country
    FROM access_log
    WHERE occurred_at >= $period_start AND occurred_at < $as_of
), judged AS (
    SELECT p.processor, p.source_country, lower(trim(p.processor, '                　')) AS processor_key,
           v.version, v.valid_from, v.valid_to
    FROM pairs AS p
    CROSS JOIN policy_version_at AS v
    WHERE v.valid_from < $as_of AND v.valid_to > $period_start
), undeclared AS (
    SELECT j.*
    FROM judged AS j
    WHERE EXISTS (SELECT 1 FROM policy_processor_at AS pr WHERE pr.version = j.version AND pr.processor = j.processor_key)
      AND NOT EXISTS (SELECT 1 FROM policy_eea_at AS x WHERE x.version = j.version AND x.country = j.source_country)
      AND NOT EXISTS (
          SELECT 1 FROM policy_processor_country_at AS pc
          WHERE pc.version = j.version AND pc.processor = j.processor_key AND pc.country = j.source_country
      )
)
SELECT
    a.event_id AS subject_id,
    a.occurred_at,
    u.processor_key || ' accessed ' || a.resource || ' (' || a.action || ') from '
        || a.source_country || ', a third country not declared for this processor' AS detail
FROM access_log AS a
JOIN undeclared AS u ON a.processor = u.processor AND a.source_country = u.source_country
WHERE a.occurred_at >= $period_start AND a.occurred_at < $as_of
  AND a.occurred_at >= u.valid_from AND a.occurred_at < u.valid_to
