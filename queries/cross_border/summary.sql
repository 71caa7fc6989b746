-- name: cross_border/summary
-- answers: How much access did each processor make in the month, from which country, on which resource and action? (cross_border.csv)
-- params: period_start
-- requires: access_log
-- notice: §5, §6
-- gdpr: Art. 30(1)(e), Art. 44
-- note: read from the monthly roll-up that `load` keeps (rollups/access_month), which holds exactly these groups per month
SELECT
    r.processor,
    r.source_country,
    r.resource,
    r.action,
    r.source_country NOT IN (SELECT country FROM policy_eea) AS third_country,
    r.events,
    r.actors,
    r.customers,
    r.records
FROM _rollup_access_month AS r
WHERE r.month_start = $period_start
ORDER BY r.processor, r.source_country, r.resource, r.action
