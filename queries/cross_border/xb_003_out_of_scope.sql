-- name: cross_border/xb_003_out_of_scope
-- answers: Which access events of the month by a declared processor were on a resource and action outside the scope that the policy version in force at the event's time declares for that processor?
-- rule: XB-003
-- severity: medium
-- subject: access_event
-- title: Access outside the processor's declared scope
-- params: period_start, as_of
-- requires: access_log
-- notice: §5 (the service each processor provides)
-- gdpr: Art. 28(3)(a), Art. 29
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
    e.processor_key || ' ' || e.action || ' on ' || e.resource
        || ' is outside its declared scope' AS detail
FROM e
WHERE EXISTS (SELECT 1 FROM policy_processor_at AS p WHERE p.version = e.version AND p.processor = e.processor_key)
  AND NOT EXISTS (
      SELECT 1 FROM policy_processor_scope_at AS s
      WHERE s.version = e.version AND s.processor = e.processor_key AND s.resource = e.resource
        AND s.action = e.action
  )
