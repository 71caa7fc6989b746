-- name: cross_border/stat_ticket_coverage
-- answers: In the month, how many access events of each processor and country carried no change or incident ticket?
-- params: period_start, as_of
-- requires: access_log
-- notice: §6
-- gdpr: Art. 5(2), Art. 32(1)(d)
SELECT
    processor,
    source_country,
    source_country NOT IN (SELECT country FROM policy_eea) AS third_country,
    count(*) AS events,
    count(*) FILTER (WHERE ticket_id IS NULL) AS without_ticket,
    round(100.0 * count(*) FILTER (WHERE ticket_id IS NULL) / count(*), 1) AS without_ticket_pct
FROM access_log
WHERE occurred_at >= $period_start AND occurred_at < $as_of
GROUP BY processor, source_country
ORDER BY third_country DESC, without_ticket DESC, processor, source_country
