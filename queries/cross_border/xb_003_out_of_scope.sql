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
-- note: each event is judged by the policy version in force at occurred_at (the _at policy tables)
WITH e AS (
    SELECT *, lower(trim(processor)) AS processor_key
    FROM access_log
    WHERE occurred_at >= $period_start AND occurred_at < $as_of
)
SELECT
    e.event_id AS subject_id,
    e.occurred_at,
    e.processor_key || ' ' || e.action || ' on ' || e.resource
        || ' is outside its declared scope' AS detail
FROM e
WHERE EXISTS (
      SELECT 1 FROM policy_processor_at AS p
      WHERE p.processor = e.processor_key AND e.occurred_at >= p.valid_from AND e.occurred_at < p.valid_to
  )
  AND NOT EXISTS (
      SELECT 1 FROM policy_processor_scope_at AS s
      WHERE s.processor = e.processor_key AND s.resource = e.resource AND s.action = e.action
        AND e.occurred_at >= s.valid_from AND e.occurred_at < s.valid_to
  )
