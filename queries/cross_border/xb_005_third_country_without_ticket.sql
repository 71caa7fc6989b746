-- name: cross_border/xb_005_third_country_without_ticket
-- answers: Which access events of the month from outside the EEA carry no change or incident ticket?
-- rule: XB-005
-- severity: low
-- subject: access_event
-- title: Access from outside the EEA without a ticket
-- params: period_start, as_of
-- requires: access_log
-- notice: §6
-- gdpr: Art. 5(2), Art. 32(1)(d)
-- occurred_at: the access event's time
-- note: the EEA list is the one of the policy version in force at occurred_at (policy_version_at, then policy_eea_at by version)
WITH e AS (
    SELECT a.*, v.version
    FROM access_log AS a
    JOIN policy_version_at AS v ON a.occurred_at >= v.valid_from AND a.occurred_at < v.valid_to
    WHERE a.occurred_at >= $period_start AND a.occurred_at < $as_of
      AND a.ticket_id IS NULL
)
SELECT
    e.event_id AS subject_id,
    e.occurred_at,
    e.processor || ' ' || e.action || ' on ' || e.resource || ' from ' || e.source_country
        || ' without a ticket' AS detail
FROM e
WHERE NOT EXISTS (SELECT 1 FROM policy_eea_at AS x WHERE x.version = e.version AND x.country = e.source_country)
