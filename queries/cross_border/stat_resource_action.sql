-- name: cross_border/stat_resource_action
-- answers: In the month, how many access events hit each resource with each action, in total and from outside the EEA?
-- params: period_start
-- requires: access_log
-- notice: §5 (what each processor does), §6
-- gdpr: Art. 28(3)(a), Art. 44
-- note: read from the monthly roll-up rollups/access_month
SELECT
    resource,
    action,
    CAST(sum(events) AS BIGINT) AS events,
    CAST(coalesce(sum(events) FILTER (WHERE source_country NOT IN (SELECT country FROM policy_eea)), 0) AS BIGINT)
        AS third_country_events,
    CAST(sum(records) AS BIGINT) AS records
FROM _rollup_access_month
WHERE month_start = $period_start
GROUP BY resource, action
ORDER BY resource, action
