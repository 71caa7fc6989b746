-- name: cross_border/stat_ticket_coverage
-- answers: In the month, how many access events of each processor and country carried no change or incident ticket?
-- params: period_start
-- requires: access_log
-- notice: §6
-- gdpr: Art. 5(2), Art. 32(1)(d)
-- note: read from the monthly roll-up rollups/access_month
SELECT
    processor,
    source_country,
    source_country NOT IN (SELECT country FROM policy_eea) AS third_country,
    CAST(sum(events) AS BIGINT) AS events,
    CAST(sum(without_ticket) AS BIGINT) AS without_ticket,
    round(100.0 * sum(without_ticket) / sum(events), 1) AS without_ticket_pct
FROM _rollup_access_month
WHERE month_start = $period_start
GROUP BY processor, source_country
ORDER BY third_country DESC, without_ticket DESC, processor, source_country
