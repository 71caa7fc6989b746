-- name: cross_border/xb_001_undeclared_processor
-- answers: Which access events of the month were made by a processor that the policy version in force at the event's time does not declare?
-- rule: XB-001
-- severity: high
-- subject: access_event
-- title: Access by a processor the policy does not declare
-- params: period_start, as_of
-- requires: access_log
-- notice: §5 (recipients)
-- gdpr: Art. 28(1), Art. 30(1)(d)
-- occurred_at: the access event's time
-- note: processor names are compared case-insensitively, ignoring surrounding blanks; each event is judged by the policy version in force at occurred_at (policy_processor_at, valid_from inclusive, valid_to exclusive)
SELECT
    e.event_id AS subject_id,
    e.occurred_at,
    'processor ''' || e.processor || ''' is not declared in the policy; ' || e.action || ' on '
        || e.resource || ' from ' || e.source_country AS detail
FROM access_log AS e
WHERE e.occurred_at >= $period_start AND e.occurred_at < $as_of
  AND NOT EXISTS (
      SELECT 1 FROM policy_processor_at AS p
      WHERE p.processor = lower(trim(e.processor))
        AND e.occurred_at >= p.valid_from AND e.occurred_at < p.valid_to
  )
