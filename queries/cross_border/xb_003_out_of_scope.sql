-- name: cross_border/xb_003_out_of_scope
-- answers: Which access events of the month by a declared processor were on a resource and action outside that processor's declared scope?
-- rule: XB-003
-- severity: medium
-- subject: access_event
-- title: Access outside the processor's declared scope
-- params: period_start, as_of
-- requires: access_log
-- notice: §5 (Infosys: server management; TCS: application management and maintenance; AWS: hosting)
-- gdpr: Art. 28(3)(a), Art. 29
-- occurred_at: the access event's time
SELECT
    e.event_id AS subject_id,
    e.occurred_at,
    lower(trim(e.processor)) || ' ' || e.action || ' on ' || e.resource
        || ' is outside its declared scope' AS detail
FROM access_log AS e
WHERE e.occurred_at >= $period_start AND e.occurred_at < $as_of
  AND lower(trim(e.processor)) IN (SELECT processor FROM policy_processor)
  AND NOT EXISTS (
      SELECT 1 FROM policy_processor_scope AS s
      WHERE s.processor = lower(trim(e.processor)) AND s.resource = e.resource AND s.action = e.action
  )
