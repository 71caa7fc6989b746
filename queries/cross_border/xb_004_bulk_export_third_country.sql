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
-- note: the EEA list is the one of the policy version in force at occurred_at (policy_version_at, then policy_eea_at by version)
WITH e AS (
    SELECT a.*, v.version
    FROM access_log AS a
    JOIN policy_version_at AS v ON a.occurred_at >= v.valid_from AND a.occurred_at < v.valid_to
    WHERE a.occurred_at >= $period_start AND a.occurred_at < $as_of
      AND a.action = 'export'
      AND a.record_count > $bulk_export_threshold
)
SELECT
    e.event_id AS subject_id,
    e.occurred_at,
    e.processor || ' exported ' || e.record_count || ' records of ' || e.resource || ' from '
        || e.source_country || ' (threshold ' || $bulk_export_threshold || ')' AS detail
FROM e
WHERE NOT EXISTS (SELECT 1 FROM policy_eea_at AS x WHERE x.version = e.version AND x.country = e.source_country)
