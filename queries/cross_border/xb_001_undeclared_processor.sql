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
-- note: processor names are compared case-insensitively, ignoring surrounding blanks (the Unicode space separators U+0020, U+00A0, U+1680, U+2000-U+200A, U+202F, U+205F, U+3000, written literally in trim(); not tabs or line breaks); each event is judged by the policy version in force at occurred_at: policy_version_at gives the version (valid_from inclusive, valid_to exclusive), the other _at tables are read by version
WITH e AS (
    SELECT a.*, lower(trim(a.processor, '                　')) AS processor_key, v.version
    FROM access_log AS a
    JOIN policy_version_at AS v ON a.occurred_at >= v.valid_from AND a.occurred_at < v.valid_to
    WHERE a.occurred_at >= $period_start AND a.occurred_at < $as_of
)
SELECT
    e.event_id AS subject_id,
    e.occurred_at,
    'processor ''' || e.processor || ''' is not declared in the policy; ' || e.action || ' on '
        || e.resource || ' from ' || e.source_country AS detail
FROM e
WHERE NOT EXISTS (
    SELECT 1 FROM policy_processor_at AS p WHERE p.version = e.version AND p.processor = e.processor_key
)
