-- name: cross_border/xb_004_bulk_export_third_country
-- answers: Which exports of the month from outside the EEA covered more records than the bulk-export threshold?
-- rule: XB-004
-- severity: medium
-- subject: access_event
-- title: Bulk export from outside the EEA
-- params: period_start, as_of, bulk_export_threshold
-- requires: access_log
-- notice: §6 (transfers outside the EEA)
-- gdpr: Art. 44, Art. 5(1)(c), Art. 32
-- occurred_at: the access event's time
-- note: the EEA list is the one of the policy version in force at occurred_at (policy_eea_at)
SELECT
    e.event_id AS subject_id,
    e.occurred_at,
    e.processor || ' exported ' || e.record_count || ' records of ' || e.resource || ' from '
        || e.source_country || ' (threshold ' || $bulk_export_threshold || ')' AS detail
FROM access_log AS e
WHERE e.occurred_at >= $period_start AND e.occurred_at < $as_of
  AND e.action = 'export'
  AND e.record_count > $bulk_export_threshold
  AND NOT EXISTS (
      SELECT 1 FROM policy_eea_at AS x
      WHERE x.country = e.source_country AND e.occurred_at >= x.valid_from AND e.occurred_at < x.valid_to
  )
