-- name: cross_border/xb_002_undeclared_third_country
-- answers: Which access events of the month by a declared processor came from a country outside the EEA that the policy does not declare for that processor?
-- rule: XB-002
-- severity: high
-- subject: access_event
-- title: Access from a third country not declared for the processor
-- params: period_start, as_of
-- requires: access_log
-- notice: §5, §6 (transfers to India only, by Infosys and TCS)
-- gdpr: Art. 44, Art. 46(2)(c)
-- occurred_at: the access event's time
SELECT
    e.event_id AS subject_id,
    e.occurred_at,
    lower(trim(e.processor)) || ' accessed ' || e.resource || ' (' || e.action || ') from '
        || e.source_country || ', a third country not declared for this processor' AS detail
FROM access_log AS e
WHERE e.occurred_at >= $period_start AND e.occurred_at < $as_of
  AND lower(trim(e.processor)) IN (SELECT processor FROM policy_processor)
  AND e.source_country NOT IN (SELECT country FROM policy_eea)
  AND NOT EXISTS (
      SELECT 1 FROM policy_processor_country AS pc
      WHERE pc.processor = lower(trim(e.processor)) AND pc.country = e.source_country
  )
