-- name: cross_border/stat_resource_action
-- answers: In the month, how many access events hit each resource with each action, in total and from outside the EEA?
-- params: period_start, as_of
-- requires: access_log
-- notice: §5 (what each processor does), §6
-- gdpr: Art. 28(3)(a), Art. 44
SELECT
    resource,
    action,
    count(*) AS events,
    count(*) FILTER (WHERE source_country NOT IN (SELECT country FROM policy_eea)) AS third_country_events,
    coalesce(sum(record_count), 0)::BIGINT AS records
FROM access_log
WHERE occurred_at >= $period_start AND occurred_at < $as_of
GROUP BY resource, action
ORDER BY resource, action
